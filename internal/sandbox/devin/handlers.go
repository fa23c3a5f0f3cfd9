package devinsandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxPageLimit and maxInvite are the real API's limits.
const (
	maxPageLimit     = 200
	defaultPageLimit = 100
	maxInvite        = 100
)

func (s *Server) routes() {
	s.handle("GET "+root+"/members", s.listMembers)
	s.handle("GET "+root+"/members/{user_id}", s.getMember)
	s.handle("DELETE "+root+"/members/{user_id}", s.deleteMember)
	s.handle("GET "+root+"/members/{user_id}/organizations", s.memberOrgs)
	s.handle("POST "+root+"/members/invite", s.invite)
	s.handle("PATCH "+root+"/members/roles", s.assignRoles)
	s.handle("GET "+root+"/roles", s.listRoles)

	s.handle("GET "+root+"/organizations", s.listOrgs)
	s.handle("POST "+root+"/organizations", s.createOrg)
	s.handle("GET "+root+"/organizations/{org_id}", s.getOrg)
	s.handle("PATCH "+root+"/organizations/{org_id}", s.updateOrg)
	s.handle("DELETE "+root+"/organizations/{org_id}", s.deleteOrg)
	s.handle("GET "+root+"/organizations/{org_id}/members", s.listOrgMembers)
	s.handle("POST "+root+"/organizations/{org_id}/members", s.addOrgMembers)
	s.handle("DELETE "+root+"/organizations/{org_id}/members/{user_id}", s.removeOrgMember)
	s.handle("GET "+root+"/organizations/{org_id}/git/permissions", s.listGitPerms)
	s.handle("POST "+root+"/organizations/{org_id}/git/permissions", s.addGitPerms)

	s.handle("GET "+root+"/consumption/cycles", s.listCycles)
	s.handle("GET "+root+"/consumption/daily", s.dailyConsumption)
	s.handle("GET "+root+"/consumption/daily/{user_id}", s.userDailyConsumption)

	s.handle("GET "+root+"/audit-logs", s.auditLogs)
	s.handle("GET "+root+"/sessions", s.listSessions)
	s.handle("GET "+root+"/sessions/insights", s.sessionInsights)
}

// ---- pagination ----

type pageEnvelope struct {
	Items      any  `json:"items"`
	Total      int  `json:"total"`
	Skip       int  `json:"skip"`
	Limit      int  `json:"limit"`
	HasMore    bool `json:"has_more"`
	NextCursor *int `json:"next_cursor"`
}

// pageParams reads skip (≥ 0) and limit (1–200, default 100) as FastAPI would,
// answering 422 for values out of range.
func pageParams(r *http.Request) (skip, limit int, bad *reply) {
	skip, limit = 0, defaultPageLimit
	q := r.URL.Query()
	if v := q.Get("skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			rep := validation([]any{"query", "skip"}, "Input should be greater than or equal to 0", "greater_than_equal")
			return 0, 0, &rep
		}
		skip = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageLimit {
			rep := validation([]any{"query", "limit"}, "Input should be less than or equal to 200", "less_than_equal")
			return 0, 0, &rep
		}
		limit = n
	}
	return skip, limit, nil
}

func paginate[T any](all []T, skip, limit int) pageEnvelope {
	start := min(skip, len(all))
	end := min(start+limit, len(all))
	env := pageEnvelope{Items: all[start:end], Total: len(all), Skip: skip, Limit: limit, HasMore: end < len(all)}
	if env.HasMore {
		next := end
		env.NextCursor = &next
	}
	if env.Items == nil || end == start {
		env.Items = []T{}
	}
	return env
}

func decodeBody(body []byte, v any) *reply {
	if err := json.Unmarshal(body, v); err != nil {
		rep := validation([]any{"body"}, "JSON decode error", "json_invalid")
		return &rep
	}
	return nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	v := rfc3339(*t)
	return &v
}

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
	return success()
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

// ---- organizations ----

type orgWire struct {
	OrgID              string  `json:"org_id"`
	OrgName            string  `json:"org_name"`
	CreatedAt          *string `json:"created_at"`
	MaxCycleACULimit   *int    `json:"max_cycle_acu_limit"`
	MaxSessionACULimit *int    `json:"max_session_acu_limit"`
	OrgAdminCount      int     `json:"org_admin_count"`
	OrgMemberCount     int     `json:"org_member_count"`
	OrgUserCount       int     `json:"org_user_count"`
}

func toOrgWire(o *org) orgWire {
	w := orgWire{
		OrgID: o.ID, OrgName: o.Name, CreatedAt: optTime(&o.CreatedAt),
		MaxCycleACULimit: o.MaxCycleACULimit, MaxSessionACULimit: o.MaxSessionACULimit,
		OrgUserCount: len(o.Members),
	}
	for _, role := range o.Members {
		if role == "org_admin" {
			w.OrgAdminCount++
		} else {
			w.OrgMemberCount++
		}
	}
	return w
}

func (s *Server) listOrgs(r *http.Request, _ []byte) reply {
	skip, limit, bad := pageParams(r)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]orgWire, len(s.orgs))
	for i, o := range s.orgs {
		out[i] = toOrgWire(o)
	}
	return ok(paginate(out, skip, limit))
}

func (s *Server) createOrg(_ *http.Request, body []byte) reply {
	var req struct {
		DisplayName string `json:"display_name"`
		Name        string `json:"name"` // the examples' field
		ACULimit    *int   `json:"acu_limit"`
	}
	if bad := decodeBody(body, &req); bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name := req.DisplayName
	if name == "" && s.exampleShapes {
		name = req.Name
	}
	if strings.TrimSpace(name) == "" {
		return validation([]any{"body", "display_name"}, "Field required", "missing")
	}
	o := s.addOrgLocked(Org{Name: name, MaxCycleACULimit: req.ACULimit})
	s.auditAsOwner("create_org", o.ID, map[string]any{"org_name": name})
	if s.exampleShapes {
		return ok(map[string]any{"id": o.ID, "name": o.Name, "acu_limit": o.MaxCycleACULimit})
	}
	return ok(toOrgWire(o))
}

func (s *Server) orgLocked(r *http.Request) (*org, *reply) {
	o, found := s.orgByID[r.PathValue("org_id")]
	if !found {
		rep := detail(http.StatusNotFound, "Organization not found")
		return nil, &rep
	}
	return o, nil
}

func (s *Server) getOrg(r *http.Request, _ []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, bad := s.orgLocked(r)
	if bad != nil {
		return *bad
	}
	return ok(toOrgWire(o))
}

func (s *Server) updateOrg(r *http.Request, body []byte) reply {
	var req map[string]json.RawMessage
	if bad := decodeBody(body, &req); bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, bad := s.orgLocked(r)
	if bad != nil {
		return *bad
	}
	if raw, set := req["display_name"]; set {
		var name *string
		if json.Unmarshal(raw, &name) == nil && name != nil {
			o.Name = *name
		}
	}
	if raw, set := req["max_acu_limit"]; set {
		var limit *int
		if json.Unmarshal(raw, &limit) != nil {
			return validation([]any{"body", "max_acu_limit"}, "Input should be a valid integer", "int_type")
		}
		o.MaxCycleACULimit = limit // null removes the limit
	}
	s.auditAsOwner("update_org", o.ID, nil)
	return success()
}

func (s *Server) deleteOrg(r *http.Request, _ []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, bad := s.orgLocked(r)
	if bad != nil {
		return *bad
	}
	delete(s.orgByID, o.ID)
	for i, x := range s.orgs {
		if x == o {
			s.orgs = append(s.orgs[:i:i], s.orgs[i+1:]...)
			break
		}
	}
	s.auditAsOwner("delete_org", o.ID, nil)
	return success()
}

func (s *Server) listOrgMembers(r *http.Request, _ []byte) reply {
	skip, limit, bad := pageParams(r)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, notFound := s.orgLocked(r)
	if notFound != nil {
		return *notFound
	}
	var out []userOrgWire
	for _, id := range o.memberOrder {
		if m, found := s.memberByID[id]; found {
			out = append(out, s.userOrgLocked(m, o))
		}
	}
	return ok(paginate(out, skip, limit))
}

func (s *Server) addOrgMembers(r *http.Request, body []byte) reply {
	var req struct {
		OrgIDs  []string `json:"org_ids"`
		UserIDs []string `json:"user_ids"`
		OrgRole *string  `json:"org_role"`
	}
	if bad := decodeBody(body, &req); bad != nil {
		return *bad
	}
	if req.OrgIDs == nil {
		return validation([]any{"body", "org_ids"}, "Field required", "missing")
	}
	if req.UserIDs == nil {
		return validation([]any{"body", "user_ids"}, "Field required", "missing")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, bad := s.orgLocked(r); bad != nil {
		return *bad
	}
	role := "org_member"
	if req.OrgRole != nil && *req.OrgRole != "" {
		role = *req.OrgRole
	}
	if rl, found := s.roleLocked(role); !found || rl.Type != "org" {
		return detail(http.StatusBadRequest, "Role must be an organization-level role")
	}
	var targets []*org
	for _, id := range req.OrgIDs {
		o, found := s.orgByID[id]
		if !found {
			return detail(http.StatusNotFound, "Organization not found: "+id)
		}
		targets = append(targets, o)
	}
	for _, id := range req.UserIDs {
		if _, found := s.memberByID[id]; !found {
			return detail(http.StatusNotFound, "One or more users not found in enterprise")
		}
	}
	// Atomic, as documented: everything was checked before anything changes.
	for _, o := range targets {
		for _, id := range req.UserIDs {
			o.addMember(id, role)
			s.auditAsOwner("add_member", o.ID, map[string]any{"target_user_id": id, "roles": []string{role}})
		}
	}
	return success()
}

func (s *Server) removeOrgMember(r *http.Request, _ []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, bad := s.orgLocked(r)
	if bad != nil {
		return *bad
	}
	id := r.PathValue("user_id")
	if _, in := o.Members[id]; !in {
		return detail(http.StatusNotFound, "User is not a member of this organization")
	}
	o.removeMember(id)
	s.auditAsOwner("delete_member", o.ID, map[string]any{"target_user_id": id})
	return success()
}

type gitPermWire struct {
	PermissionID string   `json:"permission_id"`
	Host         string   `json:"host"`
	GroupPrefix  []string `json:"group_prefix"`
	PrefixPath   *string  `json:"prefix_path"`
	RepoPath     []string `json:"repo_path"`
}

func (s *Server) listGitPerms(r *http.Request, _ []byte) reply {
	skip, limit, bad := pageParams(r)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, notFound := s.orgLocked(r)
	if notFound != nil {
		return *notFound
	}
	var out []gitPermWire
	for _, p := range s.gitPerms {
		if p.OrgID != o.ID {
			continue
		}
		w := gitPermWire{PermissionID: p.ID, Host: "github.com", GroupPrefix: p.GroupPrefixes, RepoPath: p.RepoPaths}
		if p.PrefixPath != "" {
			w.PrefixPath = &p.PrefixPath
		}
		out = append(out, w)
	}
	return ok(paginate(out, skip, limit))
}

func (s *Server) addGitPerms(r *http.Request, body []byte) reply {
	var req []struct {
		ConnectionID string   `json:"connection_id"`
		GroupPrefix  []string `json:"group_prefix"`
		PrefixPath   *string  `json:"prefix_path"`
		RepoPath     []string `json:"repo_path"`
	}
	if bad := decodeBody(body, &req); bad != nil {
		return *bad // includes an object where the API wants an array
	}
	for i, p := range req {
		if p.ConnectionID == "" {
			return validation([]any{"body", i, "connection_id"}, "Field required", "missing")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, bad := s.orgLocked(r)
	if bad != nil {
		return *bad
	}
	ids := []string{}
	names := map[string]string{}
	for _, p := range req {
		perm := GitPermission{ID: "perm-" + s.nextHexLocked("perm", 8), OrgID: o.ID, ConnectionID: p.ConnectionID,
			RepoPaths: p.RepoPath, GroupPrefixes: p.GroupPrefix}
		if p.PrefixPath != nil {
			perm.PrefixPath = *p.PrefixPath
		}
		s.gitPerms = append(s.gitPerms, perm)
		ids = append(ids, perm.ID)
		names[perm.ID] = strings.Join(append(append([]string{}, p.RepoPath...), p.GroupPrefix...), ", ")
	}
	return ok(map[string]any{"permission_ids": ids, "permission_names": names, "status": "success"})
}

// ---- consumption ----

// billingDay is when the billing day named date starts: 08:00 UTC that date.
func billingDay(date string) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return time.Time{}, false
	}
	return d.Add(8 * time.Hour), true
}

func (s *Server) listCycles(*http.Request, []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exampleShapes {
		// The examples read cycles["cycles"][0] as the current cycle: newest first.
		out := make([]map[string]any, 0, len(s.cycles))
		for i := len(s.cycles) - 1; i >= 0; i-- {
			c := s.cycles[i]
			out = append(out, map[string]any{
				"start_date": c.Start.UTC().Format(time.DateOnly),
				"end_date":   c.End.UTC().Format(time.DateOnly),
				"acus_used":  s.usageBetweenLocked(c.Start, c.End),
			})
		}
		return ok(map[string]any{"cycles": out})
	}
	out := make([]map[string]string, len(s.cycles))
	for i, c := range s.cycles {
		out[i] = map[string]string{"start": rfc3339(c.Start), "end": rfc3339(c.End)}
	}
	return ok(out)
}

func (s *Server) usageBetweenLocked(start, end time.Time) float64 {
	total := 0.0
	for _, u := range s.usage {
		if d, valid := billingDay(u.Date); valid && !d.Before(start) && d.Before(end) {
			total += u.ACUs
		}
	}
	return total
}

// parseQueryTime reads a consumption bound: RFC 3339, or a bare date meaning
// midnight UTC (which the docs warn differs from the dashboard's 08:00 UTC).
func parseQueryTime(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func (s *Server) dailyConsumption(r *http.Request, _ []byte) reply {
	return s.consumption(r, "")
}

func (s *Server) userDailyConsumption(r *http.Request, _ []byte) reply {
	return s.consumption(r, r.PathValue("user_id"))
}

func (s *Server) consumption(r *http.Request, userID string) reply {
	q := r.URL.Query()
	bounds := [2]time.Time{}
	for i, names := range [2][2]string{{"start_date", "start"}, {"end_date", "end"}} {
		for _, name := range names {
			v := q.Get(name)
			if v == "" {
				continue
			}
			t, valid := parseQueryTime(v)
			if !valid {
				return validation([]any{"query", name}, "Input should be a valid datetime", "datetime_parsing")
			}
			bounds[i] = t
			break
		}
	}
	var orgs map[string]bool
	for _, v := range q["org_ids"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				if orgs == nil {
					orgs = map[string]bool{}
				}
				orgs[id] = true
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if userID != "" {
		if _, found := s.memberByID[userID]; !found {
			return detail(http.StatusNotFound, "User not found in enterprise")
		}
	}
	start, end := bounds[0], bounds[1]
	if start.IsZero() {
		// The API defaults to the current cycle.
		for _, c := range s.cycles {
			now := s.now()
			if !now.Before(c.Start) && now.Before(c.End) {
				start = c.Start
			}
		}
	}
	total := 0.0
	byDate, byOrg, byUser := map[string]float64{}, map[string]float64{}, map[string]float64{}
	for _, u := range s.usage {
		day, valid := billingDay(u.Date)
		if !valid || (!start.IsZero() && day.Before(start)) || (!end.IsZero() && !day.Before(end)) {
			continue
		}
		if userID != "" && u.UserID != userID {
			continue
		}
		if orgs != nil && !orgs[u.OrgID] {
			continue // org-filtered results hold Devin-session ACUs only
		}
		total += u.ACUs
		byDate[u.Date] += u.ACUs
		if u.OrgID != "" {
			byOrg[u.OrgID] += u.ACUs
		}
		if u.UserID != "" {
			byUser[u.UserID] += u.ACUs
		}
	}
	body := map[string]any{"total_acus": total, "consumption_by_date": byDate, "consumption_by_org_id": byOrg}
	if userID == "" {
		body["consumption_by_user"] = byUser
	}
	return ok(body)
}

// ---- audit logs ----

// auditBound reads a before/after value: an audit_log_id (a cursor), a time
// (RFC 3339 or a date) or Unix milliseconds; the docs allow each reading.
func (s *Server) auditBound(v string) (time.Time, bool) {
	for _, e := range s.audit {
		if e.ID == v {
			return e.CreatedAt, true
		}
	}
	if t, valid := parseQueryTime(v); valid {
		return t, true
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), true
	}
	return time.Time{}, false
}

func (s *Server) auditLogs(r *http.Request, _ []byte) reply {
	q := r.URL.Query()
	limit := defaultPageLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return validation([]any{"query", "limit"}, "Input should be greater than or equal to 1", "greater_than_equal")
		}
		limit = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var before, after time.Time
	for name, dst := range map[string]*time.Time{"before": &before, "after": &after} {
		if v := q.Get(name); v != "" {
			t, valid := s.auditBound(v)
			if !valid {
				return validation([]any{"query", name}, "Invalid cursor or date", "value_error")
			}
			*dst = t
		}
	}
	var out []map[string]any
	for i := len(s.audit) - 1; i >= 0 && len(out) < limit; i-- {
		e := s.audit[i]
		if (!before.IsZero() && !e.CreatedAt.Before(before)) || (!after.IsZero() && !e.CreatedAt.After(after)) {
			continue
		}
		out = append(out, s.auditWire(e))
	}
	if s.exampleShapes {
		return ok(map[string]any{"logs": nonNil(out)})
	}
	return ok(map[string]any{"audit_logs": nonNil(out)})
}

func (s *Server) auditWire(e AuditLog) map[string]any {
	if s.exampleShapes {
		actor := e.UserEmail
		if actor == "" {
			actor = e.UserID
		}
		return map[string]any{
			"id": e.ID, "timestamp": rfc3339(e.CreatedAt), "action": e.Action, "actor": actor, "details": e.Extra,
		}
	}
	w := map[string]any{
		"audit_log_id": e.ID, "action": e.Action, "org_id": nullable(e.OrgID),
		"user_id": nullable(e.UserID), "user_email": nullable(e.UserEmail), "created_at": e.CreatedAt.UnixMilli(),
	}
	for k, v := range e.Extra {
		if _, taken := w[k]; !taken {
			w[k] = v
		}
	}
	return w
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ---- sessions ----

func (s *Server) filterSessionsLocked(r *http.Request) ([]Session, *reply) {
	q := r.URL.Query()
	orgs, users := set(q["org_ids"]), set(q["user_ids"])
	var from, to time.Time
	for name, dst := range map[string]*time.Time{"created_date_from": &from, "created_date_to": &to} {
		if v := q.Get(name); v != "" {
			t, valid := parseQueryTime(v)
			if !valid {
				rep := validation([]any{"query", name}, "Input should be a valid datetime", "datetime_parsing")
				return nil, &rep
			}
			*dst = t
		}
	}
	var out []Session
	for _, sess := range s.sessions {
		if (orgs != nil && !orgs[sess.OrgID]) || (users != nil && !users[sess.UserID]) ||
			(!from.IsZero() && sess.CreatedAt.Before(from)) || (!to.IsZero() && sess.CreatedAt.After(to)) {
			continue
		}
		out = append(out, sess)
	}
	// Newest first, as the dashboards show them.
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

func set(vs []string) map[string]bool {
	if len(vs) == 0 {
		return nil
	}
	m := map[string]bool{}
	for _, v := range vs {
		m[v] = true
	}
	return m
}

func sessionWire(sess Session) map[string]any {
	prs := make([]map[string]any, len(sess.PullRequests))
	for i, pr := range sess.PullRequests {
		prs[i] = map[string]any{"url": pr.URL, "state": pr.State}
	}
	return map[string]any{
		"session_id": sess.SessionID, "org_id": sess.OrgID, "user_id": sess.UserID, "title": sess.Title,
		"status": sess.Status, "tags": []string{}, "url": sess.URL, "acus_consumed": sess.ACUsConsumed,
		"pull_requests": prs, "created_at": rfc3339(sess.CreatedAt), "updated_at": rfc3339(sess.CreatedAt),
	}
}

func (s *Server) listSessions(r *http.Request, _ []byte) reply {
	skip, limit, bad := pageParams(r)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sessions, bad := s.filterSessionsLocked(r)
	if bad != nil {
		return *bad
	}
	if s.sessionsPage > 0 {
		limit = min(limit, s.sessionsPage)
	}
	out := make([]map[string]any, len(sessions))
	for i, sess := range sessions {
		out[i] = sessionWire(sess)
	}
	return ok(paginate(out, skip, limit))
}

func (s *Server) sessionInsights(r *http.Request, _ []byte) reply {
	skip, limit, bad := pageParams(r)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sessions, bad := s.filterSessionsLocked(r)
	if bad != nil {
		return *bad
	}
	if s.sessionsPage > 0 {
		limit = min(limit, s.sessionsPage)
	}
	if s.exampleShapes {
		// The examples page with limit/offset and read "sessions", "id", "insight".
		if v := r.URL.Query().Get("offset"); v != "" {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				skip = n
			}
		}
		out := []map[string]any{}
		for _, sess := range sessions[min(skip, len(sessions)):min(skip+limit, len(sessions))] {
			out = append(out, map[string]any{
				"id": sess.SessionID, "title": sess.Title, "status": sess.Status, "org_id": sess.OrgID,
				"user_id": sess.UserID, "acus_consumed": sess.ACUsConsumed, "created_at": rfc3339(sess.CreatedAt),
				"url": sess.URL, "insight": sess.Summary,
			})
		}
		return ok(map[string]any{"sessions": out})
	}
	out := make([]map[string]any, len(sessions))
	for i, sess := range sessions {
		w := sessionWire(sess)
		w["initial_user_message"] = sess.Title
		feedback := []map[string]any{}
		if sess.Summary != "" {
			feedback = append(feedback, map[string]any{"issue_id": "1", "summary": sess.Summary, "details": "", "excerpt": ""})
		}
		actions := []map[string]any{}
		for _, a := range sess.ActionItems {
			actions = append(actions, map[string]any{"summary": a})
		}
		w["session_analysis"] = map[string]any{
			"suggested_prompt": map[string]any{
				"original_prompt":  sess.Title,
				"suggested_prompt": sess.Title,
				"feedback_items":   feedback,
			},
			"action_items": actions,
			"issues":       []any{},
			"timeline":     []any{},
		}
		out[i] = w
	}
	return ok(paginate(out, skip, limit))
}
