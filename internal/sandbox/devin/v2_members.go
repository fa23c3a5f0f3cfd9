package devinsandbox

import (
	"fmt"
	"net/http"
	"net/mail"
	"strings"
)

// ---- members ----

type memberWire struct {
	UserID          string  `json:"user_id"`
	Email           string  `json:"email"`
	Name            string  `json:"name"`
	EnterpriseRole  string  `json:"enterprise_role"`
	CreatedAt       string  `json:"created_at"`
	LastLogin       *string `json:"last_login"`
	LoginCount      *int    `json:"login_count"`
	SamlID          *string `json:"saml_id"`
	SearchesCreated int     `json:"searches_created_count"`
	SessionsCreated int     `json:"sessions_created_count"`
}

// exampleMemberWire is the examples' member: "id" and "role".
type exampleMemberWire struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	CreatedAt string `json:"created_at"`
}

func toMemberWire(m *Member) memberWire {
	return memberWire{
		UserID: m.UserID, Email: m.Email, Name: m.Name, EnterpriseRole: m.Role,
		CreatedAt: rfc3339(m.CreatedAt), LastLogin: optTime(m.LastLogin), LoginCount: m.LoginCount,
		SessionsCreated: m.SessionsCreated,
	}
}

func (s *Server) listMembers(r *http.Request, _ []byte) reply {
	skip, limit, bad := pageParams(r)
	if bad != nil {
		return *bad
	}
	email := strings.ToLower(r.URL.Query().Get("email"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var selected []*Member
	if email != "" {
		if m, ok := s.memberByEmail[email]; ok {
			selected = []*Member{m}
		}
	} else {
		selected = s.members
	}
	if s.exampleShapes {
		// The examples read the whole list at once, without pagination fields.
		out := make([]exampleMemberWire, len(selected))
		for i, m := range selected {
			out[i] = exampleMemberWire{ID: m.UserID, Email: m.Email, Name: m.Name, Role: m.Role, CreatedAt: rfc3339(m.CreatedAt)}
		}
		return ok(map[string]any{"members": out})
	}
	env := paginate(selected, skip, limit)
	page := env.Items.([]*Member)
	out := make([]memberWire, len(page))
	for i, m := range page {
		out[i] = toMemberWire(m)
	}
	env.Items = out
	return ok(env)
}

func (s *Server) getMember(r *http.Request, _ []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, found := s.memberByID[r.PathValue("user_id")]
	if !found {
		return detail(http.StatusNotFound, "User not found in enterprise")
	}
	return ok(toMemberWire(m))
}

func (s *Server) deleteMember(r *http.Request, _ []byte) reply {
	id := r.PathValue("user_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	m, found := s.memberByID[id]
	if !found {
		return detail(http.StatusNotFound, "User not found in enterprise")
	}
	s.removeMemberLocked(m)
	return success()
}

// removeMemberLocked removes a member from the enterprise and its organizations.
func (s *Server) removeMemberLocked(m *Member) {
	id := m.UserID
	delete(s.memberByID, id)
	delete(s.memberByEmail, strings.ToLower(m.Email))
	for i, x := range s.members {
		if x == m {
			s.members = append(s.members[:i:i], s.members[i+1:]...)
			break
		}
	}
	for _, o := range s.orgs {
		o.removeMember(id)
	}
	s.auditAsOwner("delete_member", "", map[string]any{"target_user_id": id})
}

func (o *org) removeMember(userID string) {
	if _, in := o.Members[userID]; !in {
		return
	}
	delete(o.Members, userID)
	for i, id := range o.memberOrder {
		if id == userID {
			o.memberOrder = append(o.memberOrder[:i:i], o.memberOrder[i+1:]...)
			break
		}
	}
}

func (o *org) addMember(userID, role string) {
	if _, in := o.Members[userID]; !in {
		o.memberOrder = append(o.memberOrder, userID)
	}
	o.Members[userID] = role
}

type userOrgWire struct {
	UserID         string `json:"user_id"`
	Email          string `json:"email"`
	Name           string `json:"name"`
	OrgID          string `json:"org_id"`
	OrgName        string `json:"org_name"`
	OrgRole        string `json:"org_role"`
	OrgRoleName    string `json:"org_role_name"`
	EnterpriseRole string `json:"enterprise_role"`
}

func (s *Server) userOrgLocked(m *Member, o *org) userOrgWire {
	role := o.Members[m.UserID]
	return userOrgWire{
		UserID: m.UserID, Email: m.Email, Name: m.Name, OrgID: o.ID, OrgName: o.Name,
		OrgRole: role, OrgRoleName: s.roleNameLocked(role), EnterpriseRole: m.Role,
	}
}

func (s *Server) roleNameLocked(id string) string {
	for _, r := range s.roles {
		if r.ID == id {
			return r.Name
		}
	}
	return id
}

func (s *Server) memberOrgs(r *http.Request, _ []byte) reply {
	skip, limit, bad := pageParams(r)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, found := s.memberByID[r.PathValue("user_id")]
	if !found {
		return detail(http.StatusNotFound, "User not found in enterprise")
	}
	var out []userOrgWire
	for _, o := range s.orgs {
		if _, in := o.Members[m.UserID]; in {
			out = append(out, s.userOrgLocked(m, o))
		}
	}
	return ok(paginate(out, skip, limit))
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e
}

func (s *Server) invite(_ *http.Request, body []byte) reply {
	var req struct {
		Emails []string `json:"emails"`
	}
	if bad := decodeBody(body, &req); bad != nil {
		return *bad
	}
	switch {
	case req.Emails == nil:
		return validation([]any{"body", "emails"}, "Field required", "missing")
	case len(req.Emails) == 0:
		return detail(http.StatusBadRequest, "Email list cannot be empty")
	case len(req.Emails) > maxInvite:
		return detail(http.StatusBadRequest, fmt.Sprintf("Too many emails: at most %d per request", maxInvite))
	}
	for _, e := range req.Emails {
		if !validEmail(e) {
			return detail(http.StatusBadRequest, "Invalid email format: "+e)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	invited := map[string]string{}
	var invitedEmails []string
	for _, e := range req.Emails {
		key := strings.ToLower(e)
		if s.rejected[key] {
			continue
		}
		if _, exists := s.memberByEmail[key]; exists {
			continue // the API skips existing members and leaves them out of the map
		}
		m := s.addMemberLocked(Member{Email: e})
		invited[m.UserID] = m.Email
		invitedEmails = append(invitedEmails, m.Email)
		s.auditAsOwner("add_enterprise_member", "", map[string]any{"target_user_id": m.UserID, "roles": []string{m.Role}})
	}
	if s.exampleShapes {
		return ok(map[string]any{"status": "success", "invited": nonNil(invitedEmails)})
	}
	return ok(map[string]any{"status": "success", "invited_count": len(invited), "invitee_user_id_to_email": invited})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) roleLocked(id string) (Role, bool) {
	for _, r := range s.roles {
		if r.ID == id {
			return r, true
		}
	}
	return Role{}, false
}

func (s *Server) assignRoles(_ *http.Request, body []byte) reply {
	var req struct {
		UserIDs []string `json:"user_ids"`
		RoleID  string   `json:"role_id"`
	}
	if bad := decodeBody(body, &req); bad != nil {
		return *bad
	}
	if req.UserIDs == nil || req.RoleID == "" {
		return validation([]any{"body", "role_id"}, "Field required", "missing")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	role, found := s.roleLocked(req.RoleID)
	if !found || role.Type != "account" {
		return detail(http.StatusBadRequest, "Role must be an account-level role")
	}
	for _, id := range req.UserIDs {
		if _, found := s.memberByID[id]; !found {
			return detail(http.StatusNotFound, "One or more users not found in enterprise")
		}
	}
	for _, id := range req.UserIDs {
		s.memberByID[id].Role = req.RoleID
		s.auditAsOwner("assign_roles", "", map[string]any{"target_user_id": id, "roles": []string{req.RoleID}})
	}
	return success()
}

type roleWire struct {
	RoleID   string `json:"role_id"`
	RoleName string `json:"role_name"`
	RoleType string `json:"role_type"`
}

func (s *Server) listRoles(*http.Request, []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]roleWire, len(s.roles))
	for i, r := range s.roles {
		out[i] = roleWire{RoleID: r.ID, RoleName: r.Name, RoleType: r.Type}
	}
	return ok(out) // a bare array, as documented
}
