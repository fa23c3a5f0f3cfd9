package devinsandbox

import (
	"encoding/json"
	"net/http"
	"strings"
)

// ---- v3 organizations, ACU limits, git connections and permissions (V7–V11, V15–V20) ----

type v3OrgWire struct {
	OrgID              string `json:"org_id"`
	Name               string `json:"name"`
	CreatedAt          int64  `json:"created_at"`
	UpdatedAt          int64  `json:"updated_at"`
	MaxCycleACULimit   *int   `json:"max_cycle_acu_limit"`
	MaxSessionACULimit *int   `json:"max_session_acu_limit"`
}

func toV3Org(o *org) v3OrgWire {
	updated := o.UpdatedAt
	if updated.IsZero() {
		updated = o.CreatedAt
	}
	return v3OrgWire{
		OrgID: o.ID, Name: o.Name, CreatedAt: o.CreatedAt.Unix(), UpdatedAt: updated.Unix(),
		MaxCycleACULimit: o.MaxCycleACULimit, MaxSessionACULimit: o.MaxSessionACULimit,
	}
}

func noContent() reply { return reply{status: http.StatusNoContent} }

func (s *Server) v3ListOrgs(r *http.Request, _ []byte) reply {
	first, offset, bad := s.pageV3(r, "orgs")
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]v3OrgWire, len(s.orgs))
	for i, o := range s.orgs {
		out[i] = toV3Org(o)
	}
	return ok(paginateV3(out, "orgs", first, offset))
}

func (s *Server) v3CreateOrg(r *http.Request, body []byte) reply {
	var req struct {
		Name               string `json:"name"`
		MaxCycleACULimit   *int   `json:"max_cycle_acu_limit"`
		MaxSessionACULimit *int   `json:"max_session_acu_limit"`
	}
	if bad := s.decodeV3(r, body, &req); bad != nil {
		return *bad
	}
	if strings.TrimSpace(req.Name) == "" {
		return s.invalid(r, badField([]any{"body", "name"}, "String should have at least 1 character"))
	}
	if negative(req.MaxCycleACULimit) || negative(req.MaxSessionACULimit) {
		return s.invalid(r, badField([]any{"body", "max_cycle_acu_limit"}, "Input should be greater than or equal to 0"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.addOrgLocked(Org{Name: req.Name, MaxCycleACULimit: req.MaxCycleACULimit, MaxSessionACULimit: req.MaxSessionACULimit})
	s.auditAsOwner("create_org", o.ID, map[string]any{"org_name": o.Name})
	return ok(toV3Org(o))
}

func negative(v *int) bool { return v != nil && *v < 0 }

func (s *Server) v3GetOrg(r *http.Request, _ []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, bad := s.v3OrgLocked(r)
	if bad != nil {
		return *bad
	}
	return ok(toV3Org(o))
}

// v3UpdateOrg is V10: a field left out stays, null removes a limit. The cycle limit
// is the one V16 sets and v2's max_acu_limit sets.
func (s *Server) v3UpdateOrg(r *http.Request, body []byte) reply {
	var req map[string]json.RawMessage
	if bad := s.decodeV3(r, body, &req); bad != nil {
		return *bad
	}
	var name *string
	limits := map[string]*int{}
	if raw, set := req["name"]; set {
		if json.Unmarshal(raw, &name) != nil || (name != nil && strings.TrimSpace(*name) == "") {
			return s.invalid(r, badField([]any{"body", "name"}, "Input should be a non-empty string"))
		}
	}
	for _, field := range []string{"max_cycle_acu_limit", "max_session_acu_limit"} {
		if raw, set := req[field]; set {
			var v *int
			if json.Unmarshal(raw, &v) != nil || negative(v) {
				return s.invalid(r, badField([]any{"body", field}, "Input should be a non-negative integer or null"))
			}
			limits[field] = v
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, bad := s.v3OrgLocked(r)
	if bad != nil {
		return *bad
	}
	if name != nil {
		o.Name = *name
	}
	if v, set := limits["max_cycle_acu_limit"]; set {
		o.MaxCycleACULimit = v
	}
	if v, set := limits["max_session_acu_limit"]; set {
		o.MaxSessionACULimit = v
	}
	o.UpdatedAt = s.now().UTC()
	s.auditAsOwner("update_org", o.ID, nil)
	return ok(toV3Org(o))
}

func (s *Server) v3DeleteOrg(r *http.Request, _ []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, bad := s.v3OrgLocked(r)
	if bad != nil {
		return *bad
	}
	w := toV3Org(o)
	s.deleteOrgLocked(o)
	return ok(w) // the description answers the deleted organization
}

type v3LimitWire struct {
	CycleACULimit int     `json:"cycle_acu_limit"`
	Scope         string  `json:"scope"`
	OrgID         *string `json:"org_id"`
	UserID        *string `json:"user_id"`
}

// v3ListLimits is V15: one org-scoped limit per organization that has one.
func (s *Server) v3ListLimits(r *http.Request, _ []byte) reply {
	first, offset, bad := s.pageV3(r, "acu-limits")
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []v3LimitWire{}
	for _, o := range s.orgs {
		if o.MaxCycleACULimit != nil {
			out = append(out, v3LimitWire{CycleACULimit: *o.MaxCycleACULimit, Scope: "org", OrgID: strPtr(o.ID)})
		}
	}
	return ok(paginateV3(out, "acu-limits", first, offset))
}

func (s *Server) v3SetOrgLimit(r *http.Request, body []byte) reply {
	var req struct {
		CycleACULimit *int `json:"cycle_acu_limit"`
	}
	if bad := s.decodeV3(r, body, &req); bad != nil {
		return *bad
	}
	if req.CycleACULimit == nil || *req.CycleACULimit < 0 {
		return s.invalid(r, badField([]any{"body", "cycle_acu_limit"}, "Input should be an integer greater than or equal to 0"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, bad := s.v3OrgLocked(r)
	if bad != nil {
		return *bad
	}
	limit := *req.CycleACULimit
	o.MaxCycleACULimit = &limit
	o.UpdatedAt = s.now().UTC()
	s.auditAsOwner("update_org", o.ID, map[string]any{"max_cycle_acu_limit": limit})
	return noContent()
}

func (s *Server) v3ClearOrgLimit(r *http.Request, _ []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, bad := s.v3OrgLocked(r)
	if bad != nil {
		return *bad
	}
	o.MaxCycleACULimit = nil
	o.UpdatedAt = s.now().UTC()
	s.auditAsOwner("update_org", o.ID, map[string]any{"max_cycle_acu_limit": nil})
	return noContent()
}

func (s *Server) v3ListConnections(r *http.Request, _ []byte) reply {
	first, offset, bad := s.pageV3(r, "git-connections")
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, len(s.connections))
	for i, c := range s.connections {
		out[i] = map[string]any{
			"git_connection_id": c.ID, "git_provider_type": c.ProviderType, "name": nullable(c.Name),
			"host": c.Host, "created_at": c.CreatedAt.Unix(),
		}
	}
	return ok(paginateV3(out, "git-connections", first, offset))
}

// v3GitPermWires shows a stored permission the v3 way: one item per repository or
// group prefix (v2 stores several in one), the first under the permission's own ID.
func v3GitPermWires(p GitPermission) []map[string]any {
	var out []map[string]any
	add := func(field, value string) {
		id := p.ID
		if len(out) > 0 {
			id = p.ID + "-" + hexOf(value, 3)
		}
		w := map[string]any{
			"git_permission_id": id, "git_connection_id": p.ConnectionID, "repo_path": nil,
			"group_prefix": nil, "prefix_path": nil, "read_only": p.ReadOnly, "created_at": unixOrNil(p.CreatedAt),
		}
		w[field] = value
		out = append(out, w)
	}
	for _, v := range p.RepoPaths {
		add("repo_path", v)
	}
	for _, v := range p.GroupPrefixes {
		add("group_prefix", v)
	}
	if p.PrefixPath != "" {
		add("prefix_path", p.PrefixPath)
	}
	return out
}

func (s *Server) v3ListGitPerms(r *http.Request, _ []byte) reply {
	list := "git-permissions:" + r.PathValue("org_id")
	first, offset, bad := s.pageV3(r, list)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, notFound := s.v3OrgLocked(r)
	if notFound != nil {
		return *notFound
	}
	out := []map[string]any{}
	for _, p := range s.gitPerms {
		if p.OrgID == o.ID {
			out = append(out, v3GitPermWires(p)...)
		}
	}
	return ok(paginateV3(out, list, first, offset))
}

// v3AddGitPerms is V20: each item names a known connection and exactly one of
// repo_path, group_prefix and prefix_path.
func (s *Server) v3AddGitPerms(r *http.Request, body []byte) reply {
	var req struct {
		Permissions []struct {
			ConnectionID string  `json:"git_connection_id"`
			RepoPath     *string `json:"repo_path"`
			GroupPrefix  *string `json:"group_prefix"`
			PrefixPath   *string `json:"prefix_path"`
			ReadOnly     bool    `json:"read_only"`
		} `json:"permissions"`
	}
	if bad := s.decodeV3(r, body, &req); bad != nil {
		return *bad
	}
	if len(req.Permissions) == 0 {
		return s.invalid(r, badField([]any{"body", "permissions"}, "List should have at least 1 item"))
	}
	for i, p := range req.Permissions {
		set := 0
		for _, v := range []*string{p.RepoPath, p.GroupPrefix, p.PrefixPath} {
			if v != nil && *v != "" {
				set++
			}
		}
		if set != 1 {
			return s.invalid(r, badField([]any{"body", "permissions", i},
				"exactly one of repo_path, group_prefix, or prefix_path must be set"))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, notFound := s.v3OrgLocked(r)
	if notFound != nil {
		return *notFound
	}
	for _, p := range req.Permissions {
		if !s.hasConnectionLocked(p.ConnectionID) {
			return problem(http.StatusNotFound, "Git connection not found: "+p.ConnectionID)
		}
	}
	out := []map[string]any{}
	for _, p := range req.Permissions {
		perm := GitPermission{ID: "git-permission-" + s.nextHexLocked("perm", 8), OrgID: o.ID,
			ConnectionID: p.ConnectionID, ReadOnly: p.ReadOnly, CreatedAt: s.now().UTC()}
		switch {
		case p.RepoPath != nil && *p.RepoPath != "":
			perm.RepoPaths = []string{*p.RepoPath}
		case p.GroupPrefix != nil && *p.GroupPrefix != "":
			perm.GroupPrefixes = []string{*p.GroupPrefix}
		default:
			perm.PrefixPath = *p.PrefixPath
		}
		s.gitPerms = append(s.gitPerms, perm)
		out = append(out, v3GitPermWires(perm)...)
	}
	return ok(out)
}

func (s *Server) hasConnectionLocked(id string) bool {
	for _, c := range s.connections {
		if c.ID == id {
			return true
		}
	}
	return false
}
