package devinsandbox_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	devinsandbox "devin-chatops/internal/sandbox/devin"
	"devin-chatops/internal/sandbox/devin/v3spec"
)

const v3key = devinsandbox.V3APIKey

func newV3(t *testing.T, opts ...devinsandbox.Option) *devinsandbox.Server {
	t.Helper()
	f := devinsandbox.New(append([]devinsandbox.Option{devinsandbox.WithAPIKey(v3key)}, opts...)...)
	t.Cleanup(f.Close)
	return f
}

// v3do sends a request the way a v3 client does (JSON body with its Content-Type)
// and, when the description documents the answer, checks the fake's answer against it.
func v3do(t *testing.T, f *devinsandbox.Server, method, path, body string) call {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.URL()+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+f.APIKey())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	spec, err := v3spec.Load()
	require.NoError(t, err)
	if err := spec.ValidateResponse(t.Context(), method, path, resp.StatusCode, resp.Header, b); err != nil {
		require.ErrorIs(t, err, v3spec.ErrNotDescribed, "the fake's answer to %s %s breaks the description: %s", method, path, b)
	}
	return call{status: resp.StatusCode, header: resp.Header, body: b}
}

// requireProblem checks an RFC 9457 answer and returns it.
func requireProblem(t *testing.T, c call, status int) map[string]any {
	t.Helper()
	require.Equal(t, status, c.status, string(c.body))
	assert.Equal(t, "application/problem+json", c.header.Get("Content-Type"))
	p := decode(t, c.body)
	assert.EqualValues(t, status, p["status"])
	assert.NotEmpty(t, p["title"])
	assert.NotEmpty(t, p["detail"])
	assert.NotEmpty(t, p["instance"])
	if status == http.StatusUnprocessableEntity {
		assert.NotEmpty(t, p["errors"], "a 422 lists the failing fields")
	} else {
		assert.NotContains(t, p, "errors")
	}
	return p
}

type v3page struct {
	Items       []map[string]any `json:"items"`
	HasNextPage bool             `json:"has_next_page"`
	EndCursor   *string          `json:"end_cursor"`
	Total       int              `json:"total"`
}

func decodePage(t *testing.T, c call) v3page {
	t.Helper()
	require.Equal(t, http.StatusOK, c.status, string(c.body))
	var p v3page
	require.NoError(t, json.Unmarshal(c.body, &p))
	return p
}

func TestV3CursorPagination(t *testing.T) {
	f := newV3(t)
	f.SeedMembers(450)
	var sizes []int
	seen := map[string]bool{}
	after := ""
	for page := 0; page < 10; page++ {
		path := "/v3/enterprise/members/users?first=200"
		if after != "" {
			path += "&after=" + url.QueryEscape(after)
		}
		p := decodePage(t, v3do(t, f, "GET", path, ""))
		sizes = append(sizes, len(p.Items))
		assert.Equal(t, 450, p.Total)
		for _, u := range p.Items {
			id := u["user_id"].(string)
			assert.False(t, seen[id], "%s served twice", id)
			seen[id] = true
		}
		if !p.HasNextPage {
			assert.Nil(t, p.EndCursor, "no cursor on the last page")
			break
		}
		require.NotNil(t, p.EndCursor)
		raw, err := base64.StdEncoding.DecodeString(*p.EndCursor)
		require.NoError(t, err, "the cursor is base64")
		require.True(t, json.Valid(raw), "of JSON")
		after = *p.EndCursor
	}
	assert.Equal(t, []int{200, 200, 50}, sizes)
	var asked [][2]int
	for _, r := range f.Requests() {
		off, size := r.Page()
		asked = append(asked, [2]int{off, size})
	}
	assert.Equal(t, [][2]int{{0, 200}, {200, 200}, {400, 200}}, asked, "Page reads the cursor back")
	assert.Len(t, seen, 450)
	assert.Len(t, decodePage(t, v3do(t, f, "GET", "/v3/enterprise/members/users", "")).Items, 100, "first defaults to 100")
	assert.Empty(t, f.Violations())
}

func TestV3PaginationErrors(t *testing.T) {
	f := newV3(t)
	f.SeedMembers(3)
	roles := decodePage(t, v3do(t, f, "GET", "/v3/enterprise/roles?first=1", ""))
	require.NotNil(t, roles.EndCursor)
	foreign := url.QueryEscape(*roles.EndCursor)
	tests := []struct {
		name, path string
		status     int
	}{
		{"first 0", "/v3/enterprise/members/users?first=0", 422},
		{"first 201", "/v3/enterprise/organizations?first=201", 422},
		{"first not a number", "/v3/enterprise/roles?first=ten", 422},
		{"first 201 where the description is silent", "/v3/enterprise/sessions?first=201", 422},
		{"first 0 on audit logs", "/v3/enterprise/audit-logs?first=0", 422},
		{"cursor of another listing", "/v3/enterprise/members/users?after=" + foreign, 400},
		{"cursor that is not base64", "/v3/enterprise/sessions?after=%21%21", 400},
		{"cursor of another organization", "/v3/enterprise/organizations/org-b/members/users?after=" +
			url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(`{"list":"org-users:org-a","offset":1}`))), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.Violations())
			requireProblem(t, v3do(t, f, "GET", tt.path, ""), tt.status)
			require.Len(t, f.Violations(), before+1, "recorded as a violation")
			assert.Contains(t, f.Violations()[before], "GET "+strings.SplitN(tt.path, "?", 2)[0])
		})
	}
}

func TestV3SharedStateWithV2(t *testing.T) {
	f := newV3(t)
	// Invite through v3 with the role, read through v2.
	got := v3do(t, f, "POST", "/v3/enterprise/members/users",
		`{"emails":["new@example.com","ada@example.com"],"enterprise_role_id":"account_admin"}`)
	require.Equal(t, http.StatusOK, got.status, string(got.body))
	var invited []map[string]any
	require.NoError(t, json.Unmarshal(got.body, &invited))
	require.Len(t, invited, 2, "a bare array of the invitees")
	assert.Equal(t, devinsandbox.UserIDFor("new@example.com"), invited[0]["user_id"])
	assert.Equal(t, map[string]any{"role": map[string]any{"role_id": "account_admin", "role_name": "Admin", "role_type": "enterprise"}, "org_id": nil},
		invited[0]["role_assignments"].([]any)[0])
	v2 := decode(t, do(t, f, v3key, "GET", "/v2/enterprise/members?email=new%40example.com", "").body)
	require.Len(t, v2["items"], 1)
	assert.Equal(t, "account_admin", v2["items"].([]any)[0].(map[string]any)["enterprise_role"])

	// Inviting a member again changes nothing and answers it unchanged.
	again := v3do(t, f, "POST", "/v3/enterprise/members/users", `{"emails":["new@example.com"],"enterprise_role_id":"account_member"}`)
	require.Equal(t, http.StatusOK, again.status)
	assert.Contains(t, string(again.body), `"role_id":"account_admin"`)
	assert.Len(t, f.Members(), 2)

	// A limit set through v3 is the limit v2 and V10 and V15 show, and the other way round.
	o := f.AddOrg(devinsandbox.Org{ID: "org-a", Name: "A"})
	require.Equal(t, http.StatusNoContent, v3do(t, f, "PUT", "/v3/enterprise/consumption/acu-limits/devin/organizations/org-a", `{"cycle_acu_limit":250}`).status)
	assert.EqualValues(t, 250, decode(t, do(t, f, v3key, "GET", "/v2/enterprise/organizations/org-a", "").body)["max_cycle_acu_limit"])
	assert.EqualValues(t, 250, decode(t, v3do(t, f, "GET", "/v3/enterprise/organizations/org-a", "").body)["max_cycle_acu_limit"])
	limits := decodePage(t, v3do(t, f, "GET", "/v3/enterprise/consumption/acu-limits/devin", ""))
	assert.Equal(t, []map[string]any{{"cycle_acu_limit": 250.0, "scope": "org", "org_id": o.ID, "user_id": nil}}, limits.Items)
	require.Equal(t, http.StatusOK, do(t, f, v3key, "PATCH", "/v2/enterprise/organizations/org-a", `{"max_acu_limit":40}`).status)
	assert.EqualValues(t, 40, decode(t, v3do(t, f, "GET", "/v3/enterprise/organizations/org-a", "").body)["max_cycle_acu_limit"])
	patched := decode(t, v3do(t, f, "PATCH", "/v3/enterprise/organizations/org-a", `{"max_cycle_acu_limit":null}`).body)
	assert.Nil(t, patched["max_cycle_acu_limit"], "null removes the limit")
	assert.Equal(t, "A", patched["name"], "a field left out stays")
	require.Equal(t, http.StatusNoContent, v3do(t, f, "PUT", "/v3/enterprise/consumption/acu-limits/devin/organizations/org-a", `{"cycle_acu_limit":0}`).status)
	require.Equal(t, http.StatusNoContent, v3do(t, f, "DELETE", "/v3/enterprise/consumption/acu-limits/devin/organizations/org-a", "").status)
	got2, _ := f.OrgByID("org-a")
	assert.Nil(t, got2.MaxCycleACULimit)

	// Remove through v3: gone for v2 too, and the answer is the removed user.
	removed := v3do(t, f, "DELETE", "/v3/enterprise/members/users/"+url.PathEscape(devinsandbox.UserIDFor("new@example.com")), "")
	require.Equal(t, http.StatusOK, removed.status)
	assert.Equal(t, "new@example.com", decode(t, removed.body)["email"])
	assert.Equal(t, http.StatusNotFound, do(t, f, v3key, "GET", "/v2/enterprise/members/"+url.PathEscape(devinsandbox.UserIDFor("new@example.com")), "").status)
	assert.Empty(t, f.Violations())
}

func TestV3Organizations(t *testing.T) {
	f := newV3(t)
	created := decode(t, v3do(t, f, "POST", "/v3/enterprise/organizations", `{"name":"Data","max_cycle_acu_limit":500}`).body)
	id := created["org_id"].(string)
	assert.True(t, strings.HasPrefix(id, "org-"))
	assert.EqualValues(t, 500, created["max_cycle_acu_limit"])
	assert.IsType(t, float64(0), created["created_at"], "Unix seconds")
	list := decodePage(t, v3do(t, f, "GET", "/v3/enterprise/organizations", ""))
	require.Len(t, list.Items, 1)
	assert.Equal(t, "Data", list.Items[0]["name"])
	v2 := decode(t, do(t, f, v3key, "GET", "/v2/enterprise/organizations", "").body)
	assert.Equal(t, "Data", v2["items"].([]any)[0].(map[string]any)["org_name"])
	requireProblem(t, v3do(t, f, "GET", "/v3/enterprise/organizations/org-missing", ""), 404)
	requireProblem(t, v3do(t, f, "POST", "/v3/enterprise/organizations", `{"name":"  "}`), 422)
	deleted := v3do(t, f, "DELETE", "/v3/enterprise/organizations/"+id, "")
	require.Equal(t, http.StatusOK, deleted.status)
	assert.Equal(t, "Data", decode(t, deleted.body)["name"], "the deleted organization is the answer")
	assert.Empty(t, f.Orgs())
}

func TestV3OrgMembers(t *testing.T) {
	f := newV3(t)
	ada := f.AddMember(devinsandbox.Member{Email: "ada@example.com"})
	f.AddOrg(devinsandbox.Org{ID: "org-a", Name: "A"})
	path := "/v3/enterprise/organizations/org-a/members/users/" + url.PathEscape(ada.UserID)

	requireProblem(t, v3do(t, f, "POST", "/v3/enterprise/organizations/org-a/members/users/email%7Cnobody", `{"role_id":"org_member"}`), 404)
	requireProblem(t, v3do(t, f, "POST", "/v3/enterprise/organizations/org-nope/members/users/"+url.PathEscape(ada.UserID), `{"role_id":"org_member"}`), 404)
	assert.Empty(t, f.Violations(), "a user or org that does not exist is state, not a malformed request")
	requireProblem(t, v3do(t, f, "POST", path, `{"role_id":"account_member"}`), 422)
	require.Len(t, f.Violations(), 1, "an enterprise role for an org is the client's mistake")

	added := v3do(t, f, "POST", path, `{"role_id":"org_member"}`)
	require.Equal(t, http.StatusOK, added.status, string(added.body))
	assert.Contains(t, string(added.body), `{"role":{"role_id":"org_member","role_name":"Member","role_type":"org"},"org_id":"org-a"}`)
	requireProblem(t, v3do(t, f, "POST", path, `{"role_id":"org_admin"}`), 409)
	promoted := v3do(t, f, "PATCH", path, `{"role_id":"org_admin"}`)
	require.Equal(t, http.StatusOK, promoted.status, string(promoted.body))
	o, _ := f.OrgByID("org-a")
	assert.Equal(t, "org_admin", o.Members[ada.UserID])
	requireProblem(t, v3do(t, f, "PATCH", "/v3/enterprise/organizations/org-a/members/users/email%7Cnobody", `{"role_id":"org_admin"}`), 404)

	members := decodePage(t, v3do(t, f, "GET", "/v3/enterprise/organizations/org-a/members/users?email=ADA%40example.com", ""))
	require.Len(t, members.Items, 1)
	v2 := decode(t, do(t, f, v3key, "GET", "/v2/enterprise/organizations/org-a/members", "").body)
	assert.Equal(t, ada.UserID, v2["items"].([]any)[0].(map[string]any)["user_id"])
	require.Equal(t, http.StatusOK, v3do(t, f, "DELETE", path, "").status)
	o, _ = f.OrgByID("org-a")
	assert.Empty(t, o.Members)
}

func TestV3Roles(t *testing.T) {
	f := newV3(t)
	p := decodePage(t, v3do(t, f, "GET", "/v3/enterprise/roles", ""))
	var got []string
	for _, r := range p.Items {
		got = append(got, fmt.Sprintf("%s %s %s", r["role_type"], r["role_name"], r["role_id"]))
	}
	assert.Equal(t, []string{"enterprise Admin account_admin", "enterprise Member account_member", "org Admin org_admin", "org Member org_member"}, got)
}

func TestV3GitPermissions(t *testing.T) {
	f := newV3(t)
	f.AddOrg(devinsandbox.Org{ID: "org-a", Name: "A"})
	conn := f.AddGitConnection(devinsandbox.GitConnection{ID: "git-conn-1", Name: "acme"})
	f.AddGitPermission(devinsandbox.GitPermission{OrgID: "org-a", ConnectionID: conn.ID, RepoPaths: []string{"acme/api", "acme/web"}})
	path := "/v3/enterprise/organizations/org-a/git-providers/permissions"
	tests := []struct {
		name, body string
		status     int
	}{
		{"none of the three", `{"permissions":[{"git_connection_id":"git-conn-1"}]}`, 422},
		{"two of the three", `{"permissions":[{"git_connection_id":"git-conn-1","repo_path":"a/b","group_prefix":"a"}]}`, 422},
		{"v2's bare array", `[{"connection_id":"git-conn-1","repo_path":["a/b"]}]`, 422},
		{"repo paths as a list", `{"permissions":[{"git_connection_id":"git-conn-1","repo_path":["a/b"]}]}`, 422},
		{"unknown connection", `{"permissions":[{"git_connection_id":"git-conn-x","repo_path":"a/b"}]}`, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireProblem(t, v3do(t, f, "POST", path, tt.body), tt.status)
		})
	}
	assert.Len(t, f.Violations(), 4, "the 422s are the client's mistakes")
	got := v3do(t, f, "POST", path, `{"permissions":[{"git_connection_id":"git-conn-1","repo_path":"acme/ml"},{"git_connection_id":"git-conn-1","group_prefix":"acme/data","read_only":true}]}`)
	require.Equal(t, http.StatusOK, got.status, string(got.body))
	var created []map[string]any
	require.NoError(t, json.Unmarshal(got.body, &created))
	require.Len(t, created, 2)
	assert.Equal(t, true, created[1]["read_only"])
	list := decodePage(t, v3do(t, f, "GET", path, ""))
	var repos []any
	for _, p := range list.Items {
		repos = append(repos, p["repo_path"])
	}
	assert.Equal(t, []any{"acme/api", "acme/web", "acme/ml", nil}, repos, "v2's multi-repository grant shows as one item per repository")
	v2 := decode(t, do(t, f, v3key, "GET", "/v2/enterprise/organizations/org-a/git/permissions", "").body)
	assert.Len(t, v2["items"], 3)
	conns := decodePage(t, v3do(t, f, "GET", "/v3/enterprise/git-providers/connections", ""))
	assert.Equal(t, "git-conn-1", conns.Items[0]["git_connection_id"])
}

func TestV3Consumption(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f := newV3(t, devinsandbox.WithNow(func() time.Time { return now }))
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	f.SetCycles([]devinsandbox.Cycle{{Start: start.AddDate(0, -1, 0), End: start}, {Start: start, End: start.AddDate(0, 1, 0)}})
	ada := f.AddMember(devinsandbox.Member{Email: "ada@example.com"})
	f.AddOrg(devinsandbox.Org{ID: "org-a", Name: "A"})
	f.AddUsage("2026-02-20", "org-a", ada.UserID, 100) // previous cycle
	f.AddUsage("2026-03-02", "org-a", ada.UserID, 10)
	f.AddUsage("2026-03-02", "org-b", "email|other", 5)
	f.AddUsage("2026-03-03", "", ada.UserID, 2.5)

	cycles := decodePage(t, v3do(t, f, "GET", "/v3/enterprise/consumption/cycles", ""))
	assert.Equal(t, []map[string]any{
		{"after": float64(start.AddDate(0, -1, 0).Unix()), "before": float64(start.Unix())},
		{"after": float64(start.Unix()), "before": float64(start.AddDate(0, 1, 0).Unix())},
	}, cycles.Items)

	day := func(d string) float64 {
		t0, _ := time.Parse(time.DateOnly, d)
		return float64(t0.Add(8 * time.Hour).Unix())
	}
	tests := []struct {
		name, path string
		total      float64
		dates      []float64
	}{
		{"current cycle by default", "/v3/enterprise/consumption/daily", 17.5, []float64{day("2026-03-02"), day("2026-03-03")}},
		{"window", fmt.Sprintf("/v3/enterprise/consumption/daily?time_after=%d&time_before=%d", start.AddDate(0, -1, 0).Unix(), start.Unix()), 100, []float64{day("2026-02-20")}},
		{"time_before exclusive", fmt.Sprintf("/v3/enterprise/consumption/daily?time_after=%d&time_before=%d", start.Unix(), int64(day("2026-03-03"))), 15, []float64{day("2026-03-02")}},
		{"one org", "/v3/enterprise/consumption/daily/organizations/org-a", 10, []float64{day("2026-03-02")}},
		{"one user", "/v3/enterprise/consumption/daily/users/" + url.PathEscape(ada.UserID), 12.5, []float64{day("2026-03-02"), day("2026-03-03")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decode(t, v3do(t, f, "GET", tt.path, "").body)
			assert.InDelta(t, tt.total, got["total_acus"], 1e-9)
			var dates []float64
			for _, d := range got["consumption_by_date"].([]any) {
				dates = append(dates, d.(map[string]any)["date"].(float64))
			}
			assert.Equal(t, tt.dates, dates)
		})
	}
	byProduct := decode(t, v3do(t, f, "GET", "/v3/enterprise/consumption/daily/users/"+url.PathEscape(ada.UserID), "").body)
	assert.Equal(t, map[string]any{"devin": 0.0, "cascade": 2.5, "terminal": 0.0},
		byProduct["consumption_by_date"].([]any)[1].(map[string]any)["acus_by_product"])
	requireProblem(t, v3do(t, f, "GET", "/v3/enterprise/consumption/daily/users/email%7Cnobody", ""), 404)
	requireProblem(t, v3do(t, f, "GET", "/v3/enterprise/consumption/daily/organizations/org-nope", ""), 404)
	requireProblem(t, v3do(t, f, "GET", "/v3/enterprise/consumption/daily?time_after=2026-03-01", ""), 422)
}

func TestV3AuditLogs(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f := newV3(t, devinsandbox.WithNow(func() time.Time { return now }))
	for i := range 5 {
		f.AddAuditLog(devinsandbox.AuditLog{Action: "add_member", UserID: "email|a", CreatedAt: now.Add(time.Duration(i) * time.Hour),
			Extra: map[string]any{"target_user_id": fmt.Sprint("u", i)}})
	}
	f.AddAuditLog(devinsandbox.AuditLog{Action: "create_org", CreatedAt: now.Add(5 * time.Hour)})
	desc := decodePage(t, v3do(t, f, "GET", "/v3/enterprise/audit-logs?first=4", ""))
	require.Len(t, desc.Items, 4)
	assert.Equal(t, "create_org", desc.Items[0]["action"], "newest first by default")
	assert.Equal(t, map[string]any{"target_user_id": "u4"}, desc.Items[1]["data"])
	assert.EqualValues(t, now.Add(4*time.Hour).Unix(), desc.Items[1]["created_at"])
	rest := decodePage(t, v3do(t, f, "GET", "/v3/enterprise/audit-logs?first=4&after="+url.QueryEscape(*desc.EndCursor), ""))
	assert.Len(t, rest.Items, 2)
	assert.False(t, rest.HasNextPage)

	window := fmt.Sprintf("/v3/enterprise/audit-logs?order=asc&action=add_member&time_after=%d&time_before=%d", now.Add(time.Hour).Unix(), now.Add(3*time.Hour).Unix())
	asc := decodePage(t, v3do(t, f, "GET", window, ""))
	require.Len(t, asc.Items, 2)
	assert.Equal(t, map[string]any{"target_user_id": "u1"}, asc.Items[0]["data"])
	assert.Empty(t, f.Violations())

	for _, bad := range []string{
		"/v3/enterprise/audit-logs?order=newest",
		fmt.Sprintf("/v3/enterprise/audit-logs?time_before=%d", now.Unix()),
		fmt.Sprintf("/v3/enterprise/audit-logs?time_after=%d&time_before=%d", now.Unix(), now.AddDate(0, 0, 101).Unix()),
		"/v3/enterprise/audit-logs?time_after=" + url.QueryEscape(now.Format(time.RFC3339)),
		"/v3/enterprise/audit-logs?after=" + url.QueryEscape(*desc.EndCursor) + "&order=asc",
	} {
		c := v3do(t, f, "GET", bad, "")
		assert.Contains(t, []int{400, 422}, c.status, bad)
		requireProblem(t, c, c.status)
	}
	assert.Len(t, f.Violations(), 5)
}

func TestV3Sessions(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f := newV3(t, devinsandbox.WithNow(func() time.Time { return now }))
	f.AddOrg(devinsandbox.Org{ID: "org-a", Name: "A"})
	for i := range 5 {
		org := "org-a"
		if i%2 == 1 {
			org = "org-b"
		}
		f.AddSession(devinsandbox.Session{SessionID: fmt.Sprint("devin-", i), OrgID: org, UserID: fmt.Sprint("email|u", i%2),
			Title: fmt.Sprint("task ", i), Status: "finished", CreatedAt: now.Add(time.Duration(-i) * time.Hour), Summary: "be precise",
			PullRequests: []devinsandbox.PullRequest{{URL: "https://github.com/acme/x/pull/1", State: "merged"}}})
	}
	ids := func(p v3page) []string {
		var out []string
		for _, s := range p.Items {
			out = append(out, s["session_id"].(string))
		}
		return out
	}
	tests := []struct {
		name, path string
		want       []string
	}{
		{"all, newest first", "/v3/enterprise/sessions", []string{"devin-0", "devin-1", "devin-2", "devin-3", "devin-4"}},
		{"org", "/v3/enterprise/sessions?org_ids=org-b", []string{"devin-1", "devin-3"}},
		{"users repeated", "/v3/enterprise/sessions?user_ids=email%7Cu0&user_ids=email%7Cu9", []string{"devin-0", "devin-2", "devin-4"}},
		{"created_after inclusive", fmt.Sprintf("/v3/enterprise/sessions?created_after=%d", now.Add(-2*time.Hour).Unix()), []string{"devin-0", "devin-1", "devin-2"}},
		{"updated_before exclusive", fmt.Sprintf("/v3/enterprise/sessions?updated_before=%d", now.Add(-2*time.Hour).Unix()), []string{"devin-3", "devin-4"}},
		{"session_ids", "/v3/enterprise/sessions?session_ids=devin-4,devin-0", []string{"devin-0", "devin-4"}},
		{"org scope", "/v3/organizations/org-a/sessions", []string{"devin-0", "devin-2", "devin-4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ids(decodePage(t, v3do(t, f, "GET", tt.path, ""))))
		})
	}
	first := decodePage(t, v3do(t, f, "GET", "/v3/enterprise/sessions?first=2", ""))
	s0 := first.Items[0]
	assert.Equal(t, "exit", s0["status"], "v3's status enum")
	assert.Equal(t, "finished", s0["status_detail"])
	assert.EqualValues(t, now.Unix(), s0["created_at"])
	assert.Equal(t, []any{map[string]any{"pr_url": "https://github.com/acme/x/pull/1", "pr_state": "merged"}}, s0["pull_requests"])
	f.SetSessionsPageSize(1)
	assert.Len(t, decodePage(t, v3do(t, f, "GET", "/v3/enterprise/sessions?first=2", "")).Items, 1, "a server page smaller than asked")
	f.SetSessionsPageSize(0)

	ins := decode(t, v3do(t, f, "GET", "/v3/enterprise/sessions/devin-2/insights", "").body)
	prompt := ins["analysis"].(map[string]any)["suggested_prompt"].(map[string]any)
	assert.Equal(t, "be precise", prompt["feedback_items"].([]any)[0].(map[string]any)["summary"])
	assert.Equal(t, "task 2", decode(t, v3do(t, f, "GET", "/v3/enterprise/sessions/devin-2", "").body)["title"])
	requireProblem(t, v3do(t, f, "GET", "/v3/enterprise/sessions/devin-9", ""), 404)
	requireProblem(t, v3do(t, f, "GET", "/v3/enterprise/sessions/devin-1?org_id=org-a", ""), 404)
	requireProblem(t, v3do(t, f, "GET", "/v3/organizations/org-nope/sessions", ""), 404)
	requireProblem(t, v3do(t, f, "GET", "/v3/enterprise/sessions?created_after=yesterday", ""), 422)
}

func TestV3SpecValidation(t *testing.T) {
	f := newV3(t)
	tests := []struct{ name, method, path, body, wantField string }{
		{"invite without its role", "POST", "/v3/enterprise/members/users", `{"emails":["a@example.com"]}`, "body"},
		{"invite with too many emails", "POST", "/v3/enterprise/members/users",
			`{"emails":[` + strings.TrimSuffix(strings.Repeat(`"a@example.com",`, 101), ",") + `],"enterprise_role_id":"account_member"}`, "emails"},
		{"org limit as a string", "PUT", "/v3/enterprise/consumption/acu-limits/devin/organizations/org-a", `{"cycle_acu_limit":"10"}`, "cycle_acu_limit"},
		{"org without a name", "POST", "/v3/enterprise/organizations", `{"max_cycle_acu_limit":5}`, "body"},
		{"org member without a role", "POST", "/v3/enterprise/organizations/org-a/members/users/u1", `{}`, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.Violations())
			p := requireProblem(t, v3do(t, f, tt.method, tt.path, tt.body), 422)
			assert.Contains(t, fmt.Sprint(p["errors"]), tt.wantField)
			require.Len(t, f.Violations(), before+1)
			assert.Contains(t, f.Violations()[before], "v3 OpenAPI description")
			assert.Contains(t, f.Violations()[before], tt.method+" "+tt.path)
		})
	}
	assert.Empty(t, f.Members(), "an invalid request changes nothing")
	// A body without its Content-Type is not JSON to the API either.
	req, err := http.NewRequest("POST", f.URL()+"/v3/enterprise/organizations", strings.NewReader(`{"name":"x"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+v3key)
	resp, err := f.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

func TestVersionMode(t *testing.T) {
	t.Run("v3 only", func(t *testing.T) {
		f := newV3(t, devinsandbox.WithVersions(devinsandbox.ServeV3))
		requireProblem(t, do(t, f, v3key, "GET", "/v2/enterprise/members", ""), 404)
		assert.Equal(t, []string{"v2 path called in v3 mode: GET /v2/enterprise/members"}, f.Violations())
		assert.Equal(t, http.StatusOK, v3do(t, f, "GET", "/v3/enterprise/members/users", "").status)
	})
	t.Run("v2 only", func(t *testing.T) {
		f := newV3(t, devinsandbox.WithVersions(devinsandbox.VersionsFor("v2")))
		assert.Equal(t, http.StatusNotFound, do(t, f, v3key, "GET", "/v3/enterprise/roles", "").status)
		assert.Equal(t, []string{"v3 path called in v2 mode: GET /v3/enterprise/roles"}, f.Violations())
		assert.Equal(t, http.StatusOK, do(t, f, v3key, "GET", "/v2/enterprise/roles", "").status)
	})
	t.Run("both", func(t *testing.T) {
		f := newV3(t)
		assert.Equal(t, http.StatusOK, do(t, f, v3key, "GET", "/v2/enterprise/roles", "").status)
		assert.Equal(t, http.StatusOK, v3do(t, f, "GET", "/v3/enterprise/roles", "").status)
		assert.Empty(t, f.Violations())
	})
}

func TestV3FaultsAndAuth(t *testing.T) {
	f := newV3(t)
	requireProblem(t, do(t, f, "apk_user_fake", "GET", "/v3/enterprise/roles", ""), 401)

	f.FailOp(devinsandbox.OpInvite, http.StatusForbidden, 1)
	p := requireProblem(t, v3do(t, f, "POST", "/v3/enterprise/members/users", `{"emails":["a@example.com"],"enterprise_role_id":"account_member"}`), 403)
	assert.Contains(t, p["detail"], "ManageAccountMembership", "a 403 names the permission the service user lacks")
	f.Fail("", "/v3/enterprise/consumption", http.StatusForbidden, 1)
	p = requireProblem(t, v3do(t, f, "GET", "/v3/enterprise/consumption/daily", ""), 403)
	assert.Contains(t, p["detail"], "ManageBilling")

	f.SetRetryAfter("7")
	f.Fail("", "", http.StatusTooManyRequests, 1)
	c := v3do(t, f, "GET", "/v3/enterprise/roles", "")
	requireProblem(t, c, 429)
	assert.Equal(t, "7", c.header.Get("Retry-After"))
	for _, status := range []int{404, 422, 500, 503} {
		f.FailOp(devinsandbox.OpListMembers, status, 1)
		requireProblem(t, v3do(t, f, "GET", "/v3/enterprise/members/users", ""), status)
	}
	f.FailOp(devinsandbox.OpListMembers, 500, 1)
	assert.JSONEq(t, `{"detail":"Internal server error"}`, string(do(t, f, v3key, "GET", "/v2/enterprise/members", "").body),
		"an operation's fault hits v2 too, in v2's shape")
	assert.Empty(t, f.Violations(), "injected faults are not the client's mistakes")

	f.Malformed("/v3/enterprise/roles", 1)
	assert.False(t, json.Valid(do(t, f, v3key, "GET", "/v3/enterprise/roles", "").body))
	assert.Equal(t, 5, f.CountOp(devinsandbox.OpListMembers), "counted by operation across versions")
	assert.Equal(t, 3, f.CountOp(devinsandbox.OpListRoles), "a refused request is counted too")
	assert.Equal(t, 3, f.Count("GET", "/v3/enterprise/roles"))

	v3do(t, f, "GET", "/v3/enterprise/organizations/org-x/members/users/email%7Cabc", "")
	v3do(t, f, "DELETE", "/v3/enterprise/organizations/org-x/members/users/email%7Cabc", "")
	do(t, f, v3key, "DELETE", "/v2/enterprise/organizations/org-x/members/email%7Cabc", "")
	reqs := f.Requests()
	assert.Equal(t, devinsandbox.Op(""), reqs[len(reqs)-3].Op, "GET of one org user is not a route")
	for _, r := range reqs[len(reqs)-2:] {
		assert.Equal(t, devinsandbox.OpRemoveOrgMember, r.Op)
		assert.Equal(t, map[string]string{"org_id": "org-x", "user_id": "email|abc"}, r.Params)
	}
}
