package v3spec_test

import (
	"net/http"
	"testing"

	"devin-chatops/internal/sandbox/devin/v3spec"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	spec, err := v3spec.Load()
	require.NoError(t, err)
	jsonHeader := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer cog_x"}}
	tests := []struct {
		name, method, path, body string
		wantLoc                  []any // nil: valid
		notDescribed             bool
	}{
		{name: "invite", method: "POST", path: "/v3/enterprise/members/users",
			body: `{"emails":["a@example.com"],"enterprise_role_id":"account_member"}`},
		{name: "invite without role", method: "POST", path: "/v3/enterprise/members/users",
			body: `{"emails":["a@example.com"]}`, wantLoc: []any{"body"}},
		{name: "invite with emails as a string", method: "POST", path: "/v3/enterprise/members/users",
			body: `{"emails":"a@example.com","enterprise_role_id":"r"}`, wantLoc: []any{"body", "emails"}},
		{name: "members page", method: "GET", path: "/v3/enterprise/members/users?first=200&email=a%40example.com"},
		{name: "page too large", method: "GET", path: "/v3/enterprise/members/users?first=201", wantLoc: []any{"query", "first"}},
		{name: "page not a number", method: "GET", path: "/v3/enterprise/roles?first=ten", wantLoc: []any{"query", "first"}},
		{name: "negative limit", method: "PUT", path: "/v3/enterprise/consumption/acu-limits/devin/organizations/org-a",
			body: `{"cycle_acu_limit":-1}`, wantLoc: []any{"body", "cycle_acu_limit"}},
		{name: "v2-shaped git permissions", method: "POST", path: "/v3/enterprise/organizations/org-a/git-providers/permissions",
			body: `[{"connection_id":"c","repo_path":["a/b"]}]`, wantLoc: []any{"body"}},
		{name: "org member", method: "POST", path: "/v3/enterprise/organizations/org-a/members/users/email%7Cabc",
			body: `{"role_id":"org_member"}`},
		{name: "a delete with a body", method: "DELETE", path: "/v3/enterprise/members/users/u1", body: `{"x":1}`, wantLoc: []any{"body"}},
		{name: "sessions are not described", method: "GET", path: "/v3/enterprise/sessions?first=5", notDescribed: true},
		{name: "daily consumption is not described", method: "GET", path: "/v3/enterprise/consumption/daily", notDescribed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := spec.Validate(t.Context(), tt.method, tt.path, jsonHeader, []byte(tt.body))
			switch {
			case tt.notDescribed:
				require.ErrorIs(t, err, v3spec.ErrNotDescribed)
				assert.False(t, spec.Describes(tt.method, tt.path))
			case tt.wantLoc == nil:
				require.NoError(t, err)
				assert.True(t, spec.Describes(tt.method, tt.path))
			default:
				var v *v3spec.Violation
				require.ErrorAs(t, err, &v)
				assert.Equal(t, tt.wantLoc, v.Loc[:len(tt.wantLoc)], "loc %v: %s", v.Loc, v.Msg)
				assert.NotEmpty(t, v.Msg)
			}
		})
	}
}
