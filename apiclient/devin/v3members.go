package devin

import (
	"context"
	"devin-chatops/apiclient"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// v3 calls the enterprise-level role "enterprise" where v2 (and the domain) say
// "account"; its built-in roles are found by (type, name) and shown under v2's IDs
// (account_admin, org_member, …), which the rest of the bot knows.
const (
	roleTypeEnterprise = "enterprise"
	roleTypeOrg        = "org"
	roleTypeAccount    = "account"
)

type v3Role struct {
	RoleID   string `json:"role_id"`
	RoleName string `json:"role_name"`
	RoleType string `json:"role_type"`
}

// domainType maps v3's role type to the domain's.
func domainType(t string) string {
	if strings.EqualFold(t, roleTypeEnterprise) {
		return roleTypeAccount
	}
	return strings.ToLower(t)
}

// canonicalRoleID is the ID the bot shows for a role: v2's ID for a built-in Admin or
// Member role, the role's own ID otherwise.
func canonicalRoleID(r v3Role) string {
	prefix := ""
	switch domainType(r.RoleType) {
	case roleTypeAccount:
		prefix = "account_"
	case roleTypeOrg:
		prefix = "org_"
	}
	name := strings.ToLower(strings.TrimSpace(r.RoleName))
	if prefix != "" && (name == "admin" || name == "member") {
		return prefix + name
	}
	return r.RoleID
}

type v3RoleAssignment struct {
	Role  v3Role  `json:"role"`
	OrgID *string `json:"org_id"`
}

// v3User is V1's User (and UserWithIdpRoles, whose extra field is not read).
type v3User struct {
	UserID          string             `json:"user_id"`
	Email           *string            `json:"email"`
	Name            *string            `json:"name"`
	RoleAssignments []v3RoleAssignment `json:"role_assignments"`
	CreatedAt       flexTime           `json:"created_at"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// enterpriseRole is the user's enterprise-level role (the assignment with no org).
func (u *v3User) enterpriseRole() string {
	for _, a := range u.RoleAssignments {
		if (a.OrgID == nil || *a.OrgID == "") && !strings.EqualFold(a.Role.RoleType, roleTypeOrg) {
			return canonicalRoleID(a.Role)
		}
	}
	return ""
}

// orgRole is the user's role in orgID, "" when they have none there.
func (u *v3User) orgRole(orgID string) string {
	for _, a := range u.RoleAssignments {
		if a.OrgID != nil && *a.OrgID == orgID {
			return canonicalRoleID(a.Role)
		}
	}
	return ""
}

// orgRoleID is the API's own ID of the user's role in orgID, "" when none.
func (u *v3User) orgRoleID(orgID string) string {
	role := ""
	for _, a := range u.RoleAssignments {
		if a.OrgID != nil && *a.OrgID == orgID {
			role = a.Role.RoleID
		}
	}
	return role
}

func (u *v3User) member() Member {
	return Member{UserID: u.UserID, Email: deref(u.Email), Name: deref(u.Name), Role: u.enterpriseRole(), CreatedAt: u.CreatedAt.t}
}

// ListMembers returns every enterprise member (V1), reading all pages; with an email
// it asks the API's exact-email filter and reads its first page only (an address
// names one member).
func (v *ClientV3) ListMembers(ctx context.Context, opts ListMembersOptions) ([]Member, error) {
	q := url.Values{}
	email := strings.TrimSpace(opts.Email)
	if email != "" {
		q.Set("email", email)
	}
	var all []Member
	err := listPages(ctx, v, PermManageAccountMembership, "/members/users", q, 0, func(us []v3User) bool {
		for i := range us {
			all = append(all, us[i].member())
		}
		return email == ""
	})
	if err != nil {
		return nil, err
	}
	return dedupeMembers(all), nil
}

// GetMember returns one member by user ID (V2).
func (v *ClientV3) GetMember(ctx context.Context, userID string) (*Member, error) {
	if userID == "" {
		return nil, usageError("GetMember needs a user ID")
	}
	var u v3User
	if err := v.call(ctx, PermManageAccountMembership, http.MethodGet, "/members/users/"+url.PathEscape(userID), nil, nil, &u); err != nil {
		return nil, err
	}
	m := u.member()
	return &m, nil
}

// RemoveMember removes a member from the enterprise (V5).
func (v *ClientV3) RemoveMember(ctx context.Context, userID string) error {
	if userID == "" {
		return usageError("RemoveMember needs a user ID")
	}
	// A removed member leaves every organization: no listing kept so far is true.
	v.orgChanged("")
	return v.call(ctx, PermManageAccountMembership, http.MethodDelete, "/members/users/"+url.PathEscape(userID), nil, nil, nil)
}

// ListRoles returns the enterprise's roles (V6), with the domain's type names and
// v2's IDs for the built-in ones. They are read once and kept: role IDs do not
// change while the bot runs, and every invite and org add needs one.
func (v *ClientV3) ListRoles(ctx context.Context) ([]Role, error) {
	raw, err := v.rawRoles(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Role, 0, len(raw))
	for _, r := range raw {
		out = append(out, Role{ID: canonicalRoleID(v3Role{RoleID: r.ID, RoleName: r.Name, RoleType: r.Type}), Name: r.Name, Type: domainType(r.Type)})
	}
	return out, nil
}

// rawRoles are V6's roles as served (Type "enterprise" or "org", the real IDs).
func (v *ClientV3) rawRoles(ctx context.Context) ([]Role, error) {
	roles, _, err := v.rolesRead(ctx)
	return roles, err
}

// rolesRead is rawRoles, and whether they were read now rather than kept.
func (v *ClientV3) rolesRead(ctx context.Context) ([]Role, bool, error) {
	v.roleMu.Lock()
	defer v.roleMu.Unlock()
	if v.roles != nil {
		return v.roles, false, nil
	}
	roles := []Role{}
	err := listPages(ctx, v, PermManageAccountMembership, "/roles", nil, 0, func(rs []v3Role) bool {
		for _, r := range rs {
			roles = append(roles, Role{ID: r.RoleID, Name: r.RoleName, Type: r.RoleType})
		}
		return true
	})
	if err != nil {
		return nil, true, err
	}
	v.roles = roles
	return roles, true, nil
}

// roleID finds the real v3 ID of a role of type typ ("enterprise" or "org") that
// want names: a real ID, a v2-style ID ("account_admin", "org_member"), or a name
// ("Admin", any case). The built-in roles are found by name as v3's own examples do;
// the v2 IDs are the fallback when V6 lists no role by that name.
func (v *ClientV3) roleID(ctx context.Context, typ, want string) (string, error) {
	id, fresh, err := v.findRole(ctx, typ, want)
	if err != nil && !fresh && errors.Is(err, apiclient.ErrNotFound) {
		// The kept roles may predate a role created since: read them once more.
		v.roleMu.Lock()
		v.roles = nil
		v.roleMu.Unlock()
		id, _, err = v.findRole(ctx, typ, want)
	}
	return id, err
}

// findRole is roleID over the roles kept or read now (fresh).
func (v *ClientV3) findRole(ctx context.Context, typ, want string) (id string, fresh bool, err error) {
	want = strings.TrimSpace(want)
	roles, fresh, err := v.rolesRead(ctx)
	if err != nil {
		return "", fresh, err
	}
	ofType := func(r Role) bool { return strings.EqualFold(r.Type, typ) }
	prefix := "account_"
	if typ == roleTypeOrg {
		prefix = "org_"
	}
	name := strings.TrimPrefix(strings.ToLower(want), prefix)
	for _, test := range []func(Role) bool{
		func(r Role) bool { return r.ID == want },
		func(r Role) bool { return strings.EqualFold(r.Name, want) },
		func(r Role) bool { return strings.EqualFold(r.Name, name) },
		func(r Role) bool { return strings.EqualFold(r.ID, prefix+name) },
	} {
		for _, r := range roles {
			if ofType(r) && test(r) {
				return r.ID, fresh, nil
			}
		}
	}
	var names []string
	for _, r := range roles {
		if ofType(r) {
			names = append(names, r.Name)
		}
	}
	kind := "enterprise"
	if typ == roleTypeOrg {
		kind = "organization"
	}
	if len(names) == 0 {
		names = []string{"none"}
	}
	return "", fresh, notFound("no %s role matches %q (roles: %s)", kind, want, strings.Join(names, ", "))
}

// AssignRole gives userIDs the enterprise role roleID (V4, one call per user: v3 has
// no bulk role change). roleID may be a real v3 ID or v2's (account_admin).
func (v *ClientV3) AssignRole(ctx context.Context, userIDs []string, roleID string) error {
	if roleID == "" {
		return usageError("AssignRole needs a role ID")
	}
	id, err := v.roleID(ctx, roleTypeEnterprise, roleID)
	if err != nil {
		return err
	}
	for _, u := range userIDs {
		body := struct {
			RoleID string `json:"role_id"`
		}{id}
		if err := v.call(ctx, PermManageAccountMembership, http.MethodPatch, "/members/users/"+url.PathEscape(u), nil, body, nil); err != nil {
			return err
		}
	}
	return nil
}

// isAuthOrDone is a failure no later call of a batch can survive.
func isAuthOrDone(ctx context.Context, err error) bool { return isAuthFailure(err) || ctx.Err() != nil }
