package devin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// v3Org is V7's OrganizationResponse.
type v3Org struct {
	OrgID      string   `json:"org_id"`
	Name       string   `json:"name"`
	MaxCycle   *flexInt `json:"max_cycle_acu_limit"`
	MaxSession *flexInt `json:"max_session_acu_limit"`
	CreatedAt  flexTime `json:"created_at"`
}

func (o *v3Org) organization() Organization {
	return Organization{
		ID:                 o.OrgID,
		Name:               o.Name,
		MaxCycleACULimit:   intPtr(o.MaxCycle),
		MaxSessionACULimit: intPtr(o.MaxSession),
		MemberCountUnknown: true,
		CreatedAt:          o.CreatedAt.ptr(),
	}
}

func orgPath(orgID string) string { return "/organizations/" + url.PathEscape(orgID) }

// ListOrganizations returns every organization (V7), reading all pages. v3 gives no
// member counts: MemberCountUnknown is set.
func (v *ClientV3) ListOrganizations(ctx context.Context) ([]Organization, error) {
	var all []Organization
	seen := map[string]bool{}
	err := listPages(ctx, v, PermManageOrganizations, "/organizations", nil, 0, func(os []v3Org) bool {
		for i := range os {
			o := os[i].organization()
			if o.ID != "" && seen[o.ID] {
				continue
			}
			seen[o.ID] = true
			all = append(all, o)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// GetOrganization returns one organization (V9).
func (v *ClientV3) GetOrganization(ctx context.Context, orgID string) (*Organization, error) {
	if orgID == "" {
		return nil, usageError("GetOrganization needs an organization ID")
	}
	var o v3Org
	if err := v.call(ctx, PermManageOrganizations, http.MethodGet, orgPath(orgID), nil, nil, &o); err != nil {
		return nil, err
	}
	org := o.organization()
	return &org, nil
}

// FindOrganization finds an organization by exact ID or name, as Client's does.
func (v *ClientV3) FindOrganization(ctx context.Context, idOrName string) (*Organization, error) {
	if strings.TrimSpace(idOrName) == "" {
		return nil, usageError("FindOrganization needs an ID or a name")
	}
	orgs, err := v.ListOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	return MatchOrganization(orgs, idOrName)
}

// CreateOrganization creates an organization (V8) with its cycle ACU limit in the
// same call. A service user's new organization gets no human member.
func (v *ClientV3) CreateOrganization(ctx context.Context, req CreateOrganizationRequest) (*Organization, error) {
	name := strings.TrimSpace(req.DisplayName)
	if name == "" {
		return nil, usageError("CreateOrganization needs a display name")
	}
	if req.ACULimit != nil && *req.ACULimit < 0 {
		return nil, usageError("CreateOrganization needs a limit of 0 or more, not %d", *req.ACULimit)
	}
	body := struct {
		Name     string `json:"name"`
		MaxCycle *int   `json:"max_cycle_acu_limit,omitempty"`
	}{name, req.ACULimit}
	var o v3Org
	if err := v.call(ctx, PermManageOrganizations, http.MethodPost, "/organizations", nil, body, &o); err != nil {
		return nil, err
	}
	org := o.organization()
	if org.ID == "" {
		return nil, v.c.decodeError(http.MethodPost, "/organizations", http.StatusOK, errors.New("the response has no org_id"))
	}
	if org.Name == "" {
		org.Name = name
	}
	if org.MaxCycleACULimit == nil && req.ACULimit != nil {
		l := *req.ACULimit
		org.MaxCycleACULimit = &l
	}
	return &org, nil
}

// UpdateOrganizationLimit sets an organization's cycle ACU limit (V16 PUT
// {"cycle_acu_limit"}) or removes it when limit is nil (V17 DELETE): exactly one call.
// A negative limit is refused before any call.
func (v *ClientV3) UpdateOrganizationLimit(ctx context.Context, orgID string, limit *int) error {
	if orgID == "" {
		return usageError("UpdateOrganizationLimit needs an organization ID")
	}
	if limit != nil && *limit < 0 {
		return usageError("UpdateOrganizationLimit needs a limit of 0 or more, not %d", *limit)
	}
	path := "/consumption/acu-limits/devin/organizations/" + url.PathEscape(orgID)
	if limit == nil {
		return v.call(ctx, PermViewAccountConsumption, http.MethodDelete, path, nil, nil, nil)
	}
	body := struct {
		CycleACULimit int `json:"cycle_acu_limit"`
	}{*limit}
	return v.call(ctx, PermViewAccountConsumption, http.MethodPut, path, nil, body, nil)
}

// ListOrgMembers returns every member of an organization (V12) with their role there
// (v2's IDs for the built-in roles: org_admin, org_member).
func (v *ClientV3) ListOrgMembers(ctx context.Context, orgID string) ([]OrgMember, error) {
	if orgID == "" {
		return nil, usageError("ListOrgMembers needs an organization ID")
	}
	var all []OrgMember
	seen := map[string]bool{}
	roles := map[string]string{}
	gen, started := v.orgListingStarts()
	err := listPages(ctx, v, PermManageAccountMembership, orgPath(orgID)+"/members/users", nil, 0, func(us []v3User) bool {
		for i := range us {
			u := &us[i]
			roles[u.UserID] = u.orgRoleID(orgID)
			if u.UserID != "" && seen[u.UserID] {
				continue
			}
			seen[u.UserID] = true
			all = append(all, OrgMember{UserID: u.UserID, Email: deref(u.Email), Name: deref(u.Name), OrgRole: u.orgRole(orgID)})
		}
		return true
	})
	if err == nil {
		v.keepOrgRoles(orgID, roles, gen, started)
	}
	if err != nil {
		return nil, err
	}
	return all, nil
}

// AddOrgMembers gives userIDs orgRole in an organization (org_member: the org role
// named Member; org_admin: Admin; or any org role's ID or name), as v2's call does:
// people not in it are added (V13, one call per user: v3 has no bulk add), and
// people in it with another role get orgRole (V14 PATCH), since V13 refuses a user
// who already has a role there. orgRole "" is v2's "no org_role": newcomers join as
// Member and people in it keep their role (an invite with an organization must not
// demote an org admin to Member). The organization's members are read first (V12), so
// a retry after a partial failure repeats nothing; a listing of this client's
// (ListOrgMembers) of the last few seconds serves once instead, so a caller that
// checks the organization before adding does not make it read twice.
func (v *ClientV3) AddOrgMembers(ctx context.Context, orgID string, userIDs []string, orgRole string) error {
	if orgID == "" {
		return usageError("AddOrgMembers needs an organization ID")
	}
	if len(userIDs) == 0 {
		return nil
	}
	keepRoles := strings.TrimSpace(orgRole) == ""
	if keepRoles {
		orgRole = "Member"
	}
	roleID, err := v.roleID(ctx, roleTypeOrg, orgRole)
	if err != nil {
		return err
	}
	current, fresh := v.takeOrgRoles(orgID)
	if !fresh {
		if current, err = v.orgRoles(ctx, orgID); err != nil {
			return err
		}
	}
	body := struct {
		RoleID string `json:"role_id"`
	}{roleID}
	for _, id := range userIDs {
		path := orgPath(orgID) + "/members/users/" + url.PathEscape(id)
		had, in := current[id]
		switch {
		case !in:
			err = v.call(ctx, PermManageAccountMembership, http.MethodPost, path, nil, body, nil)
		case had == roleID || keepRoles:
			continue
		default:
			err = v.call(ctx, PermManageAccountMembership, http.MethodPatch, path, nil, body, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// orgSnapshotReuse is how long a ListOrgMembers answer may serve AddOrgMembers: the
// executor reads the organization and adds right after. Stale by a few seconds it
// cannot demote anyone: a member it misses is sent V13, which refuses a user who has
// a role there, and V14 goes only to people it lists with another role, when the
// caller asked for that role.
const orgSnapshotReuse = 10 * time.Second

type orgSnapshot struct {
	roles map[string]string
	at    time.Time // when the listing began: its first page may be that old
}

// orgListingStarts notes, as a listing begins, how many membership writes this
// client has begun and when.
func (v *ClientV3) orgListingStarts() (uint64, time.Time) {
	v.orgMu.Lock()
	defer v.orgMu.Unlock()
	return v.orgWrites, v.now()
}

// keepOrgRoles keeps a listing for the next AddOrgMembers, unless this client began
// a membership write while it was read: its pages may predate the write.
func (v *ClientV3) keepOrgRoles(orgID string, roles map[string]string, gen uint64, started time.Time) {
	v.orgMu.Lock()
	defer v.orgMu.Unlock()
	if gen != v.orgWrites {
		return
	}
	if v.orgRead == nil {
		v.orgRead = map[string]orgSnapshot{}
	}
	v.orgRead[orgID] = orgSnapshot{roles: roles, at: started}
}

// orgChanged records a membership write about to be sent: the listing kept for
// orgID (every one when orgID is "") is dropped, and listings in flight are not kept.
func (v *ClientV3) orgChanged(orgID string) {
	v.orgMu.Lock()
	defer v.orgMu.Unlock()
	v.orgWrites++
	if orgID == "" {
		clear(v.orgRead)
		return
	}
	delete(v.orgRead, orgID)
}

// takeOrgRoles returns the organization's roles from a recent listing, once: after
// this call adds or changes anything, the listing is no longer true.
func (v *ClientV3) takeOrgRoles(orgID string) (map[string]string, bool) {
	v.orgMu.Lock()
	defer v.orgMu.Unlock()
	s, ok := v.orgRead[orgID]
	delete(v.orgRead, orgID)
	v.orgWrites++ // the add that follows: a listing in flight may predate it
	now := v.now()
	if !ok || now.Before(s.at) || now.Sub(s.at) >= orgSnapshotReuse {
		return nil, false
	}
	return s.roles, true
}

// orgRoles maps the organization's members to the real ID of their role there.
func (v *ClientV3) orgRoles(ctx context.Context, orgID string) (map[string]string, error) {
	out := map[string]string{}
	err := listPages(ctx, v, PermManageAccountMembership, orgPath(orgID)+"/members/users", nil, 0, func(us []v3User) bool {
		for i := range us {
			out[us[i].UserID] = us[i].orgRoleID(orgID)
		}
		return true
	})
	return out, err
}

// ListGitPermissions returns every git permission of an organization (V19).
func (v *ClientV3) ListGitPermissions(ctx context.Context, orgID string) ([]GrantedGitPermission, error) {
	if orgID == "" {
		return nil, usageError("ListGitPermissions needs an organization ID")
	}
	var all []GrantedGitPermission
	err := listPages(ctx, v, PermManageGitIntegrations, orgPath(orgID)+"/git-providers/permissions", nil, 0, func(ps []gitPermJSON) bool {
		for _, it := range ps {
			g := GrantedGitPermission{
				ID:            firstNonEmpty(it.GitPermissionID, it.PermissionID, it.ID),
				Host:          it.Host,
				ConnectionID:  firstNonEmpty(it.GitConnectionID, it.ConnectionID),
				RepoPaths:     it.RepoPath,
				GroupPrefixes: it.GroupPrefix,
			}
			if it.PrefixPath != nil {
				g.PrefixPath = *it.PrefixPath
			}
			all = append(all, g)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// maxGitPermissions is the most permissions V20 takes in one call.
const maxGitPermissions = 200

// AddGitPermissions grants git permissions to an organization (V20): one item per
// repository path, group prefix or prefix path, 200 a call (one call for any real
// request). v3 takes one of repo_path, group_prefix or prefix_path per item; a URL
// form (RepoURL, GroupPrefixURL) has no v3 equivalent and is refused before any call.
func (v *ClientV3) AddGitPermissions(ctx context.Context, orgID string, perms []GitPermission) (*GitPermissionsResult, error) {
	if orgID == "" {
		return nil, usageError("AddGitPermissions needs an organization ID")
	}
	if len(perms) == 0 {
		return nil, usageError("AddGitPermissions needs at least one permission")
	}
	type item struct {
		GitConnectionID string  `json:"git_connection_id"`
		RepoPath        *string `json:"repo_path,omitempty"`
		GroupPrefix     *string `json:"group_prefix,omitempty"`
		PrefixPath      *string `json:"prefix_path,omitempty"`
	}
	var items []item
	for i, p := range perms {
		if p.ConnectionID == "" {
			return nil, usageError("git permission %d has no connection ID", i+1)
		}
		if p.RepoURL != "" || p.GroupPrefixURL != "" {
			return nil, usageError("git permission %d names a URL; v3 takes repository paths (owner/repo)", i+1)
		}
		for _, r := range p.RepoPaths {
			items = append(items, item{GitConnectionID: p.ConnectionID, RepoPath: &r})
		}
		for _, g := range p.GroupPrefixes {
			items = append(items, item{GitConnectionID: p.ConnectionID, GroupPrefix: &g})
		}
		if p.PrefixPath != "" {
			pp := p.PrefixPath
			items = append(items, item{GitConnectionID: p.ConnectionID, PrefixPath: &pp})
		}
	}
	if len(items) == 0 {
		return nil, usageError("AddGitPermissions needs a repository path, group prefix or prefix path")
	}
	out := &GitPermissionsResult{PermissionNames: map[string]string{}}
	for _, batch := range chunks(items, maxGitPermissions) {
		body := struct {
			Permissions []item `json:"permissions"`
		}{batch}
		var created []gitPermJSON
		if err := v.call(ctx, PermManageGitIntegrations, http.MethodPost, orgPath(orgID)+"/git-providers/permissions", nil, body, &created); err != nil {
			return nil, err
		}
		for _, c := range created {
			id := firstNonEmpty(c.GitPermissionID, c.PermissionID, c.ID)
			if id == "" {
				continue
			}
			out.PermissionIDs = append(out.PermissionIDs, id)
			if name := strings.Join(append(append([]string{}, c.RepoPath...), c.GroupPrefix...), ", "); name != "" {
				out.PermissionNames[id] = name
			}
		}
	}
	return out, nil
}
