package devinsandbox

import (
	"encoding/json"
	"net/http"
	"strings"
)

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
	s.deleteOrgLocked(o)
	return success()
}

func (s *Server) deleteOrgLocked(o *org) {
	delete(s.orgByID, o.ID)
	if s.deletedOrgs == nil {
		s.deletedOrgs = map[string]bool{}
	}
	s.deletedOrgs[o.ID] = true
	for i, x := range s.orgs {
		if x == o {
			s.orgs = append(s.orgs[:i:i], s.orgs[i+1:]...)
			break
		}
	}
	s.auditAsOwner("delete_org", o.ID, nil)
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
