package devin

import (
	"context"
	"log/slog"
	"sort"
	"strings"

	"devin-chatops/apiclient"
)

// fallbackAdminRoleID is the documented ID of the built-in Admin role, used only when
// /roles cannot be read (a failing /roles is no reason to refuse "role=admin").
const fallbackAdminRoleID = "account_admin"

// resolveRole maps InviteRequest.Role to an account role ID through /roles; "" means
// the default member role, which needs no call.
func (c *Client) resolveRole(ctx context.Context, role string) (string, error) {
	want := strings.TrimSpace(role)
	if want == "" || strings.EqualFold(want, "member") {
		return "", nil
	}
	roles, err := c.ListRoles(ctx)
	if err != nil {
		if strings.EqualFold(want, "admin") && !isAuthFailure(err) && ctx.Err() == nil {
			if c.logger != nil {
				c.logger.LogAttrs(ctx, slog.LevelWarn, "devin: /roles unavailable, using the documented admin role ID",
					slog.String("role_id", fallbackAdminRoleID), slog.String("error", err.Error()))
			}
			return fallbackAdminRoleID, nil
		}
		return "", err
	}
	r, ok := matchRole(roles, want)
	if !ok {
		return "", notFound("no enterprise role matches %q (roles: %s)", want, roleNames(roles))
	}
	if r.Type != "" && !strings.EqualFold(r.Type, "account") {
		return "", &apiclient.Error{API: APIName, Kind: apiclient.KindValidation,
			Message: "role " + r.Name + " (" + r.ID + ") is an organization role; an invitation needs an enterprise (account) role"}
	}
	return r.ID, nil
}

// matchRole finds want among roles: an exact role ID first, then an account role
// whose name matches case-insensitively ("admin" -> "Admin"), then the "account_"
// ID convention ("admin" -> "account_admin"), then any role by name.
func matchRole(roles []Role, want string) (Role, bool) {
	isAccount := func(r Role) bool { return r.Type == "" || strings.EqualFold(r.Type, "account") }
	tests := []func(Role) bool{
		func(r Role) bool { return r.ID == want },
		func(r Role) bool { return isAccount(r) && strings.EqualFold(r.Name, want) },
		func(r Role) bool { return strings.EqualFold(r.ID, want) },
		func(r Role) bool { return strings.EqualFold(r.ID, "account_"+want) },
		func(r Role) bool { return strings.EqualFold(r.Name, want) },
	}
	for _, test := range tests {
		for _, r := range roles {
			if test(r) {
				return r, true
			}
		}
	}
	return Role{}, false
}

func roleNames(roles []Role) string {
	names := make([]string, 0, len(roles))
	for _, r := range roles {
		if r.Type == "" || strings.EqualFold(r.Type, "account") {
			names = append(names, r.Name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
