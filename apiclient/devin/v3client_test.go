package devin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
)

const v3Key = "cog_secret_service_user_key"

// v3Call is one request the scripted server saw.
type v3Call struct {
	Method, Path string
	Query        url.Values
	Body         any
}

// v3Server answers "METHOD /path" (path without the query) from routes and records
// every request. An unrouted request is a test failure (404 problem).
type v3Server struct {
	t      testing.TB
	mu     sync.Mutex
	calls  []v3Call
	routes map[string]func(r *http.Request, body any) (int, any)
	srv    *httptest.Server
}

func newV3Server(t testing.TB) *v3Server {
	s := &v3Server{t: t, routes: map[string]func(*http.Request, any) (int, any){}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body any
		if len(raw) > 0 {
			require.NoError(t, json.Unmarshal(raw, &body))
		}
		assert.Equal(t, "Bearer "+v3Key, r.Header.Get("Authorization"))
		s.mu.Lock()
		s.calls = append(s.calls, v3Call{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Body: body})
		h := s.routes[r.Method+" "+r.URL.EscapedPath()]
		s.mu.Unlock()
		if h == nil {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		status, out := h(r, body)
		if status >= 400 {
			w.Header().Set("Content-Type", "application/problem+json")
		}
		if out == nil {
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *v3Server) on(method, path string, h func(r *http.Request, body any) (int, any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[method+" "+path] = h
}

// reply answers with a fixed status and body.
func reply(status int, body any) func(*http.Request, any) (int, any) {
	return func(*http.Request, any) (int, any) { return status, body }
}

func (s *v3Server) Calls() []v3Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]v3Call(nil), s.calls...)
}

func (s *v3Server) client(t testing.TB) *devin.ClientV3 {
	c, err := devin.NewV3(s.srv.URL, v3Key, devin.WithRetryPolicy(apiclient.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	return c
}

func page(items any, next string) map[string]any {
	p := map[string]any{"items": items, "has_next_page": next != "", "end_cursor": nil}
	if next != "" {
		p["end_cursor"] = next
	}
	return p
}

func user(id, email, role string, orgRoles ...string) map[string]any {
	ras := []any{map[string]any{"org_id": nil, "role": map[string]any{"role_id": "r-" + strings.ToLower(role), "role_name": role, "role_type": "enterprise"}}}
	for i := 0; i+1 < len(orgRoles); i += 2 {
		ras = append(ras, map[string]any{"org_id": orgRoles[i], "role": map[string]any{"role_id": "r-org-" + strings.ToLower(orgRoles[i+1]), "role_name": orgRoles[i+1], "role_type": "org"}})
	}
	return map[string]any{"user_id": id, "email": email, "name": "Name " + id, "role_assignments": ras}
}

var v3Roles = []any{
	map[string]any{"role_id": "r-admin", "role_name": "Admin", "role_type": "enterprise"},
	map[string]any{"role_id": "r-member", "role_name": "Member", "role_type": "enterprise"},
	map[string]any{"role_id": "r-org-admin", "role_name": "Admin", "role_type": "org"},
	map[string]any{"role_id": "r-org-member", "role_name": "Member", "role_type": "org"},
}

func TestOpenChoosesTheVersion(t *testing.T) {
	for _, tc := range []struct {
		version, key, want string
		err                bool
	}{
		{"v2", v3Key, "v2", false},
		{"V3", "apk_user_x", "v3", false},
		{" v3 ", v3Key, "v3", false},
		{"v4", v3Key, "", true},
		{"", v3Key, "v3", false},
		{"", "apk_user_x", "v2", false},
	} {
		t.Run(tc.version+tc.key, func(t *testing.T) {
			api, err := devin.Open(tc.version, "https://api.example.test", tc.key)
			if tc.err {
				require.Error(t, err)
				assert.NotContains(t, err.Error(), v3Key)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, api.Version())
			assert.NotContains(t, api.String(), v3Key)
			assert.NotContains(t, fmt.Sprintf("%#v %v", api, api), v3Key)
			assert.Equal(t, "https://api.example.test/"+tc.want+"/enterprise", api.BaseURL())
		})
	}
	// A base URL naming either root is accepted.
	c, err := devin.NewV3("https://api.example.test/v2/enterprise/", v3Key)
	require.NoError(t, err)
	assert.Equal(t, "https://api.example.test/v3/enterprise", c.BaseURL())
}

func TestV3ListMembersPaginates(t *testing.T) {
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/members/users", func(r *http.Request, _ any) (int, any) {
		switch r.URL.Query().Get("after") {
		case "":
			return 200, page([]any{user("u1", "a@x.io", "Admin"), user("u2", "b@x.io", "Member")}, "c1")
		case "c1":
			return 200, page([]any{user("u2", "b@x.io", "Member"), user("u3", "c@x.io", "Custom")}, "c2")
		default:
			return 200, page([]any{}, "")
		}
	})
	ms, err := s.client(t).ListMembers(context.Background(), devin.ListMembersOptions{})
	require.NoError(t, err)
	require.Len(t, ms, 3)
	assert.Equal(t, devin.Member{UserID: "u1", Email: "a@x.io", Name: "Name u1", Role: "account_admin"}, ms[0])
	assert.Equal(t, "account_member", ms[1].Role)
	assert.Equal(t, "r-custom", ms[2].Role, "a custom role keeps its own ID")
	calls := s.Calls()
	require.Len(t, calls, 3)
	assert.Equal(t, "200", calls[0].Query.Get("first"))
	assert.Empty(t, calls[0].Query.Get("after"))
	assert.Equal(t, "c1", calls[1].Query.Get("after"))
	assert.Equal(t, "c2", calls[2].Query.Get("after"))
}

func TestV3ListingRefusesARepeatedCursorAndStopsOnANullCursor(t *testing.T) {
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/organizations", func(r *http.Request, _ any) (int, any) {
		return 200, page([]any{map[string]any{"org_id": "o-" + r.URL.Query().Get("after"), "name": "n", "created_at": 1, "updated_at": 1, "max_cycle_acu_limit": nil, "max_session_acu_limit": nil}}, "same")
	})
	_, err := s.client(t).ListOrganizations(context.Background())
	require.Error(t, err, "the second page repeats the cursor: the listing may be partial")
	assert.Contains(t, err.Error(), "the listing repeated its cursor after 2 pages")
	assert.ErrorIs(t, err, apiclient.ErrDecode)
	assert.Len(t, s.Calls(), 2, "no third call")

	s2 := newV3Server(t)
	s2.on("GET", "/v3/enterprise/organizations", reply(200, map[string]any{"items": []any{map[string]any{"org_id": "o1", "name": "A"}}, "has_next_page": true, "end_cursor": nil}))
	_, err = s2.client(t).ListOrganizations(context.Background())
	require.NoError(t, err)
	assert.Len(t, s2.Calls(), 1, "has_next_page without a cursor ends the listing")
}

func TestV3EmailLookupReadsOnePage(t *testing.T) {
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/members/users", reply(200, page([]any{user("u1", "a@x.io", "Member")}, "more")))
	ms, err := s.client(t).ListMembers(context.Background(), devin.ListMembersOptions{Email: "a@x.io"})
	require.NoError(t, err)
	require.Len(t, ms, 1)
	calls := s.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, "a@x.io", calls[0].Query.Get("email"))
}

func TestV3SimpleCalls(t *testing.T) {
	limit := 500
	zero := 0
	org := map[string]any{"org_id": "org-1", "name": "Research", "created_at": 1733385600, "updated_at": 1733385600, "max_cycle_acu_limit": 500, "max_session_acu_limit": nil}
	cases := []struct {
		name   string
		routes map[string]func(*http.Request, any) (int, any)
		run    func(ctx context.Context, c *devin.ClientV3) error
		want   []v3Call
	}{
		{
			name:   "remove member escapes the ID",
			routes: map[string]func(*http.Request, any) (int, any){"DELETE /v3/enterprise/members/users/google-oauth2%7C42": reply(200, user("google-oauth2|42", "a@x.io", "Member"))},
			run:    func(ctx context.Context, c *devin.ClientV3) error { return c.RemoveMember(ctx, "google-oauth2|42") },
			want:   []v3Call{{Method: "DELETE", Path: "/v3/enterprise/members/users/google-oauth2%7C42"}},
		},
		{
			name:   "create org sends name and max_cycle_acu_limit",
			routes: map[string]func(*http.Request, any) (int, any){"POST /v3/enterprise/organizations": reply(200, org)},
			run: func(ctx context.Context, c *devin.ClientV3) error {
				o, err := c.CreateOrganization(ctx, devin.CreateOrganizationRequest{DisplayName: " Research ", ACULimit: &limit})
				if err == nil && (o.ID != "org-1" || *o.MaxCycleACULimit != 500 || o.CreatedAt.Unix() != 1733385600) {
					return fmt.Errorf("got %+v", o)
				}
				return err
			},
			want: []v3Call{{Method: "POST", Path: "/v3/enterprise/organizations", Body: map[string]any{"name": "Research", "max_cycle_acu_limit": 500.0}}},
		},
		{
			name:   "org limit is one PUT",
			routes: map[string]func(*http.Request, any) (int, any){"PUT /v3/enterprise/consumption/acu-limits/devin/organizations/org-1": reply(204, nil)},
			run: func(ctx context.Context, c *devin.ClientV3) error {
				return c.UpdateOrganizationLimit(ctx, "org-1", &zero)
			},
			want: []v3Call{{Method: "PUT", Path: "/v3/enterprise/consumption/acu-limits/devin/organizations/org-1", Body: map[string]any{"cycle_acu_limit": 0.0}}},
		},
		{
			name:   "no org limit is one DELETE",
			routes: map[string]func(*http.Request, any) (int, any){"DELETE /v3/enterprise/consumption/acu-limits/devin/organizations/org-1": reply(204, nil)},
			run: func(ctx context.Context, c *devin.ClientV3) error {
				return c.UpdateOrganizationLimit(ctx, "org-1", nil)
			},
			want: []v3Call{{Method: "DELETE", Path: "/v3/enterprise/consumption/acu-limits/devin/organizations/org-1"}},
		},
		{
			name:   "get org",
			routes: map[string]func(*http.Request, any) (int, any){"GET /v3/enterprise/organizations/org-1": reply(200, org)},
			run: func(ctx context.Context, c *devin.ClientV3) error {
				o, err := c.GetOrganization(ctx, "org-1")
				if err == nil && (o.Name != "Research" || !o.MemberCountUnknown) {
					return fmt.Errorf("got %+v", o)
				}
				return err
			},
			want: []v3Call{{Method: "GET", Path: "/v3/enterprise/organizations/org-1"}},
		},
		{
			name:   "permission add is one POST with one item per repository",
			routes: map[string]func(*http.Request, any) (int, any){"POST /v3/enterprise/organizations/org-1/git-providers/permissions": reply(200, []any{map[string]any{"git_permission_id": "git-permission-1", "git_connection_id": "conn", "repo_path": "acme/api"}, map[string]any{"git_permission_id": "git-permission-2", "git_connection_id": "conn", "repo_path": "acme/web"}})},
			run: func(ctx context.Context, c *devin.ClientV3) error {
				r, err := c.AddGitPermissions(ctx, "org-1", []devin.GitPermission{{ConnectionID: "conn", RepoPaths: []string{"acme/api", "acme/web"}}})
				if err == nil && (len(r.PermissionIDs) != 2 || r.PermissionNames["git-permission-2"] != "acme/web") {
					return fmt.Errorf("got %+v", r)
				}
				return err
			},
			want: []v3Call{{Method: "POST", Path: "/v3/enterprise/organizations/org-1/git-providers/permissions", Body: map[string]any{"permissions": []any{
				map[string]any{"git_connection_id": "conn", "repo_path": "acme/api"},
				map[string]any{"git_connection_id": "conn", "repo_path": "acme/web"},
			}}}},
		},
		{
			name:   "list git permissions",
			routes: map[string]func(*http.Request, any) (int, any){"GET /v3/enterprise/organizations/org-1/git-providers/permissions": reply(200, page([]any{map[string]any{"git_permission_id": "git-permission-1", "git_connection_id": "conn", "repo_path": "acme/api", "group_prefix": nil, "prefix_path": nil}}, ""))},
			run: func(ctx context.Context, c *devin.ClientV3) error {
				ps, err := c.ListGitPermissions(ctx, "org-1")
				if err == nil && (len(ps) != 1 || ps[0].ConnectionID != "conn" || ps[0].RepoPaths[0] != "acme/api") {
					return fmt.Errorf("got %+v", ps)
				}
				return err
			},
			want: []v3Call{{Method: "GET", Path: "/v3/enterprise/organizations/org-1/git-providers/permissions", Query: url.Values{"first": {"200"}}}},
		},
		{
			name:   "roles map enterprise to account and show v2's IDs",
			routes: map[string]func(*http.Request, any) (int, any){"GET /v3/enterprise/roles": reply(200, page(v3Roles, ""))},
			run: func(ctx context.Context, c *devin.ClientV3) error {
				rs, err := c.ListRoles(ctx)
				if err == nil && (len(rs) != 4 || rs[0] != (devin.Role{ID: "account_admin", Name: "Admin", Type: "account"}) || rs[3].ID != "org_member") {
					return fmt.Errorf("got %+v", rs)
				}
				return err
			},
			want: []v3Call{{Method: "GET", Path: "/v3/enterprise/roles", Query: url.Values{"first": {"200"}}}},
		},
		{
			name: "cycles in Unix seconds",
			routes: map[string]func(*http.Request, any) (int, any){"GET /v3/enterprise/consumption/cycles": reply(200, page([]any{
				map[string]any{"after": 1733385600, "before": 1735977600},
			}, ""))},
			run: func(ctx context.Context, c *devin.ClientV3) error {
				cs, err := c.ListCycles(ctx)
				if err == nil && (len(cs) != 1 || cs[0].Start.Unix() != 1733385600 || cs[0].End.Unix() != 1735977600) {
					return fmt.Errorf("got %+v", cs)
				}
				return err
			},
			want: []v3Call{{Method: "GET", Path: "/v3/enterprise/consumption/cycles", Query: url.Values{"first": {"200"}}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newV3Server(t)
			for k, h := range tc.routes {
				m, p, _ := strings.Cut(k, " ")
				s.on(m, p, h)
			}
			require.NoError(t, tc.run(context.Background(), s.client(t)))
			calls := s.Calls()
			require.Len(t, calls, len(tc.want))
			for i, w := range tc.want {
				assert.Equal(t, w.Method, calls[i].Method)
				assert.Equal(t, w.Path, calls[i].Path)
				if w.Query == nil {
					w.Query = url.Values{}
				}
				assert.Equal(t, w.Query, calls[i].Query)
				assert.Equal(t, w.Body, calls[i].Body)
			}
		})
	}
}

func TestV3Errors(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     any
		kind     error
		sentence string
		fields   int
	}{
		{"403 names the permission", 403, map[string]any{"type": "about:blank", "title": "Forbidden", "status": 403, "detail": "Missing permission"},
			apiclient.ErrForbidden, "The Devin service user lacks the ManageAccountMembership permission (403): grant it to the service user's role.", 0},
		{"401 names the service user", 401, map[string]any{"title": "Unauthorized", "status": 401, "detail": "bad credential " + v3Key},
			apiclient.ErrUnauthorized, "The Devin service user's credential was rejected (401)", 0},
		{"422 reads field errors", 422, map[string]any{"title": "Unprocessable", "status": 422, "detail": "Validation failed",
			"errors": []any{map[string]any{"loc": []any{"body", "emails", 0}, "msg": "not an email " + v3Key, "type": "value_error"}, map[string]any{"field": "enterprise_role_id", "message": "required"}}},
			apiclient.ErrValidation, "emails[0]: value_error: not an email [redacted]; enterprise_role_id: required", 2},
		{"404 keeps the detail", 404, map[string]any{"title": "Not Found", "status": 404, "detail": "User not found"},
			apiclient.ErrNotFound, "could not find that (404): User not found.", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newV3Server(t)
			s.on("GET", "/v3/enterprise/members/users/u1", reply(tc.status, tc.body))
			_, err := s.client(t).GetMember(context.Background(), "u1")
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.kind)
			msg := apiclient.UserMessage(err)
			assert.Contains(t, msg, tc.sentence)
			assert.NotContains(t, msg, v3Key)
			assert.NotContains(t, err.Error(), v3Key)
			var e *apiclient.Error
			require.True(t, errors.As(err, &e))
			assert.Len(t, e.Fields, tc.fields)
		})
	}
}

func TestV3PermissionPerCallGroup(t *testing.T) {
	forbidden := reply(403, map[string]any{"title": "Forbidden", "status": 403})
	cases := []struct {
		route, perm string
		run         func(context.Context, *devin.ClientV3) error
	}{
		{"GET /v3/enterprise/organizations", "ManageOrganizations", func(ctx context.Context, c *devin.ClientV3) error { _, err := c.ListOrganizations(ctx); return err }},
		{"GET /v3/enterprise/consumption/cycles", "ViewAccountConsumption (formerly ManageBilling)", func(ctx context.Context, c *devin.ClientV3) error { _, err := c.ListCycles(ctx); return err }},
		{"GET /v3/enterprise/audit-logs", "ManageEnterpriseSettings", func(ctx context.Context, c *devin.ClientV3) error {
			_, err := c.AuditLogs(ctx, devin.AuditLogsQuery{})
			return err
		}},
		{"GET /v3/enterprise/sessions", "ViewAccountSessions", func(ctx context.Context, c *devin.ClientV3) error {
			_, err := c.SessionInsights(ctx, devin.SessionInsightsQuery{})
			return err
		}},
		{"GET /v3/enterprise/organizations/o/git-providers/permissions", "ManageGitIntegrations", func(ctx context.Context, c *devin.ClientV3) error {
			_, err := c.ListGitPermissions(ctx, "o")
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.perm, func(t *testing.T) {
			s := newV3Server(t)
			m, p, _ := strings.Cut(tc.route, " ")
			s.on(m, p, forbidden)
			err := tc.run(context.Background(), s.client(t))
			assert.Equal(t, "The Devin service user lacks the "+tc.perm+" permission (403): grant it to the service user's role.", apiclient.UserMessage(err))
		})
	}
}
