package devinsandbox

import (
	"fmt"
	"net/http"
	"strings"
)

// ---- v3 users and roles (V1–V6, V12–V14) ----

type v3RoleWire struct {
	RoleID   string `json:"role_id"`
	RoleName string `json:"role_name"`
	RoleType string `json:"role_type"`
}

type v3AssignmentWire struct {
	Role  v3RoleWire `json:"role"`
	OrgID *string    `json:"org_id"`
}

type v3UserWire struct {
	UserID          string             `json:"user_id"`
	Email           *string            `json:"email"`
	Name            *string            `json:"name"`
	RoleAssignments []v3AssignmentWire `json:"role_assignments"`
	// IdpRoleAssignments is set only on the single-user answer (UserWithIdpRoles).
	IdpRoleAssignments []any `json:"idp_role_assignments,omitempty"`
}

// v3RoleLocked is a role as v3 shows it: v2's "account" type is v3's "enterprise".
func (s *Server) v3RoleLocked(id string) v3RoleWire {
	r, found := s.roleLocked(id)
	if !found {
		r = Role{ID: id, Name: id, Type: "account"}
		if strings.HasPrefix(id, "org_") {
			r.Type = "org"
		}
	}
	return toV3Role(r)
}

func toV3Role(r Role) v3RoleWire {
	t := r.Type
	if t == "account" {
		t = "enterprise"
	}
	return v3RoleWire{RoleID: r.ID, RoleName: r.Name, RoleType: t}
}

// v3UserLocked is a member with its enterprise role assignment (org_id null) and
// one assignment per organization it belongs to.
func (s *Server) v3UserLocked(m *Member) v3UserWire {
	w := v3UserWire{UserID: m.UserID, Email: strPtr(m.Email), Name: strPtr(m.Name)}
	w.RoleAssignments = []v3AssignmentWire{{Role: s.v3RoleLocked(m.Role)}}
	for _, o := range s.orgs {
		if role, in := o.Members[m.UserID]; in {
			w.RoleAssignments = append(w.RoleAssignments, v3AssignmentWire{Role: s.v3RoleLocked(role), OrgID: strPtr(o.ID)})
		}
	}
	return w
}

func strPtr(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func (s *Server) v3ListUsers(r *http.Request, _ []byte) reply {
	first, offset, bad := s.pageV3(r, "users")
	if bad != nil {
		return *bad
	}
	email := strings.ToLower(r.URL.Query().Get("email"))
	s.mu.Lock()
	defer s.mu.Unlock()
	selected := s.members
	if email != "" {
		selected = nil
		if m, found := s.memberByEmail[email]; found {
			selected = []*Member{m}
		}
	}
	out := make([]v3UserWire, len(selected))
	for i, m := range selected {
		out[i] = s.v3UserLocked(m)
	}
	return ok(paginateV3(out, "users", first, offset))
}

func (s *Server) v3GetUser(r *http.Request, _ []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, found := s.memberByID[r.PathValue("user_id")]
	if !found {
		return problem(http.StatusNotFound, "User not found in enterprise")
	}
	w := s.v3UserLocked(m)
	w.IdpRoleAssignments = []any{}
	return ok(w)
}

// v3Invite is V3: the invitees, new or already members, come back with their IDs;
// addresses the API will not invite (RejectInvites) are left out silently.
func (s *Server) v3Invite(r *http.Request, body []byte) reply {
	var req struct {
		Emails           []string `json:"emails"`
		EnterpriseRoleID string   `json:"enterprise_role_id"`
	}
	if bad := s.decodeV3(r, body, &req); bad != nil {
		return *bad
	}
	if len(req.Emails) == 0 {
		return s.invalid(r, badField([]any{"body", "emails"}, "List should have at least 1 item"))
	}
	for i, e := range req.Emails {
		if !validEmail(e) {
			return s.invalid(r, badField([]any{"body", "emails", i}, "value is not a valid email address: "+e))
		}
	}
	s.mu.Lock()
	role, found := s.roleLocked(req.EnterpriseRoleID)
	s.mu.Unlock()
	if !found || role.Type != "account" {
		return s.invalid(r, badField([]any{"body", "enterprise_role_id"},
			fmt.Sprintf("%q is not an enterprise-level role", req.EnterpriseRoleID)))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []v3UserWire{}
	for _, e := range req.Emails {
		key := strings.ToLower(e)
		if s.rejected[key] {
			continue
		}
		m, exists := s.memberByEmail[key]
		if !exists {
			m = s.addMemberLocked(Member{Email: e, Role: role.ID})
			s.auditAsOwner("add_enterprise_member", "", map[string]any{"target_user_id": m.UserID, "roles": []string{m.Role}})
		}
		out = append(out, s.v3UserLocked(m))
	}
	return ok(out) // a bare array, as V3 answers
}

func (s *Server) v3SetUserRole(r *http.Request, body []byte) reply {
	var req struct {
		RoleID string `json:"role_id"`
	}
	if bad := s.decodeV3(r, body, &req); bad != nil {
		return *bad
	}
	s.mu.Lock()
	role, found := s.roleLocked(req.RoleID)
	s.mu.Unlock()
	if !found || role.Type != "account" {
		return s.invalid(r, badField([]any{"body", "role_id"}, fmt.Sprintf("%q is not an enterprise-level role", req.RoleID)))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, found := s.memberByID[r.PathValue("user_id")]
	if !found {
		return problem(http.StatusNotFound, "User not found in enterprise")
	}
	m.Role = role.ID
	s.auditAsOwner("assign_roles", "", map[string]any{"target_user_id": m.UserID, "roles": []string{role.ID}})
	return ok(s.v3UserLocked(m))
}

// v3RemoveUser is V5: it answers the removed user.
func (s *Server) v3RemoveUser(r *http.Request, _ []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, found := s.memberByID[r.PathValue("user_id")]
	if !found {
		return problem(http.StatusNotFound, "User not found in enterprise")
	}
	w := s.v3UserLocked(m)
	s.removeMemberLocked(m)
	return ok(w)
}

func (s *Server) v3ListRoles(r *http.Request, _ []byte) reply {
	first, offset, bad := s.pageV3(r, "roles")
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]v3RoleWire, len(s.roles))
	for i, role := range s.roles {
		out[i] = toV3Role(role)
	}
	return ok(paginateV3(out, "roles", first, offset))
}

func (s *Server) v3OrgLocked(r *http.Request) (*org, *reply) {
	o, found := s.orgByID[r.PathValue("org_id")]
	if !found {
		rep := problem(http.StatusNotFound, "Organization not found")
		return nil, &rep
	}
	return o, nil
}

func (s *Server) v3ListOrgUsers(r *http.Request, _ []byte) reply {
	list := "org-users:" + r.PathValue("org_id")
	first, offset, bad := s.pageV3(r, list)
	if bad != nil {
		return *bad
	}
	email := strings.ToLower(r.URL.Query().Get("email"))
	s.mu.Lock()
	defer s.mu.Unlock()
	o, notFound := s.v3OrgLocked(r)
	if notFound != nil {
		return *notFound
	}
	out := []v3UserWire{}
	for _, id := range o.memberOrder {
		if m, found := s.memberByID[id]; found && (email == "" || strings.ToLower(m.Email) == email) {
			out = append(out, s.v3UserLocked(m))
		}
	}
	return ok(paginateV3(out, list, first, offset))
}

// v3AddOrgUser is V13: one user, who must be an enterprise member not yet in the
// organization, with an org-level role.
func (s *Server) v3AddOrgUser(r *http.Request, body []byte) reply {
	role, bad := s.v3OrgRole(r, body)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, m, bad := s.v3OrgUserLocked(r, false)
	if bad != nil {
		return *bad
	}
	o.addMember(m.UserID, role.ID)
	s.auditAsOwner("add_member", o.ID, map[string]any{"target_user_id": m.UserID, "roles": []string{role.ID}})
	return ok(s.v3UserLocked(m))
}

// v3SetOrgUserRole is V14's PATCH: a user already in the organization gets another
// org-level role.
func (s *Server) v3SetOrgUserRole(r *http.Request, body []byte) reply {
	role, bad := s.v3OrgRole(r, body)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, m, bad := s.v3OrgUserLocked(r, true)
	if bad != nil {
		return *bad
	}
	o.addMember(m.UserID, role.ID)
	s.auditAsOwner("update_member_role", o.ID, map[string]any{"target_user_id": m.UserID, "roles": []string{role.ID}})
	return ok(s.v3UserLocked(m))
}

func (s *Server) v3RemoveOrgUser(r *http.Request, _ []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, m, bad := s.v3OrgUserLocked(r, true)
	if bad != nil {
		return *bad
	}
	o.removeMember(m.UserID)
	s.auditAsOwner("delete_member", o.ID, map[string]any{"target_user_id": m.UserID})
	return ok(s.v3UserLocked(m))
}

// v3OrgRole reads V13/V14's body: role_id must name an organization-level role.
func (s *Server) v3OrgRole(r *http.Request, body []byte) (Role, *reply) {
	var req struct {
		RoleID string `json:"role_id"`
	}
	if bad := s.decodeV3(r, body, &req); bad != nil {
		return Role{}, bad
	}
	s.mu.Lock()
	role, found := s.roleLocked(req.RoleID)
	s.mu.Unlock()
	if !found || role.Type != "org" {
		rep := s.invalid(r, badField([]any{"body", "role_id"}, fmt.Sprintf("%q is not an organization-level role", req.RoleID)))
		return Role{}, &rep
	}
	return role, nil
}

// v3OrgUserLocked finds the path's organization and enterprise member, who must be in
// the organization already (inOrg) or not yet (409 otherwise).
func (s *Server) v3OrgUserLocked(r *http.Request, inOrg bool) (*org, *Member, *reply) {
	o, bad := s.v3OrgLocked(r)
	if bad != nil {
		return nil, nil, bad
	}
	fail := func(status int, detail string) (*org, *Member, *reply) {
		rep := problem(status, detail)
		return nil, nil, &rep
	}
	m, found := s.memberByID[r.PathValue("user_id")]
	if !found {
		return fail(http.StatusNotFound, "User is not a member of the enterprise")
	}
	_, in := o.Members[m.UserID]
	switch {
	case inOrg && !in:
		return fail(http.StatusNotFound, "User is not a member of this organization")
	case !inOrg && in:
		return fail(http.StatusConflict, "User already has a role in this organization")
	}
	return o, m, nil
}
