package devinsandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	devinsandbox "devin-chatops/internal/sandbox/devin"
)

type call struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, f *devinsandbox.Server, key, method, path, body string) call {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.URL()+path, rd)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := f.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return call{status: resp.StatusCode, header: resp.Header, body: b}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), string(b))
	return m
}

func TestAuth(t *testing.T) {
	f := devinsandbox.New(devinsandbox.WithAPIKey("apk_user_k"))
	defer f.Close()
	for _, key := range []string{"", "apk_user_other"} {
		got := do(t, f, key, "GET", "/v2/enterprise/roles", "")
		assert.Equal(t, http.StatusUnauthorized, got.status)
		assert.JSONEq(t, `{"detail":"Missing or invalid Authorization header"}`, string(got.body))
	}
	assert.Equal(t, http.StatusOK, do(t, f, "apk_user_k", "GET", "/v2/enterprise/roles", "").status)
	assert.Equal(t, 3, f.Count("", "/roles"), "rejected requests are recorded too")
}

func TestPagination(t *testing.T) {
	f := devinsandbox.New()
	defer f.Close()
	f.SeedMembers(450)
	tests := []struct {
		query     string
		status    int
		items     int
		hasMore   bool
		nextCurse any
	}{
		{"", 200, 100, true, float64(100)},
		{"?skip=0&limit=200", 200, 200, true, float64(200)},
		{"?skip=400&limit=200", 200, 50, false, nil},
		{"?skip=900&limit=200", 200, 0, false, nil},
		{"?limit=201", 422, 0, false, nil},
		{"?limit=0", 422, 0, false, nil},
		{"?skip=-1", 422, 0, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := do(t, f, devinsandbox.DefaultAPIKey, "GET", "/v2/enterprise/members"+tt.query, "")
			require.Equal(t, tt.status, got.status, string(got.body))
			m := decode(t, got.body)
			if tt.status != 200 {
				assert.IsType(t, []any{}, m["detail"], "FastAPI validation body")
				return
			}
			assert.Len(t, m["items"], tt.items)
			assert.Equal(t, float64(450), m["total"])
			assert.Equal(t, tt.hasMore, m["has_more"])
			assert.Equal(t, tt.nextCurse, m["next_cursor"])
		})
	}
}

func TestFaults(t *testing.T) {
	f := devinsandbox.New()
	defer f.Close()
	f.SetRetryAfter("7")
	f.Fail("GET", "/roles", 429, 2)
	f.Fail("POST", "/v2/enterprise/members/invite", 500, 1)

	for range 2 {
		got := do(t, f, devinsandbox.DefaultAPIKey, "GET", "/v2/enterprise/roles", "")
		assert.Equal(t, 429, got.status)
		assert.Equal(t, "7", got.header.Get("Retry-After"))
		assert.JSONEq(t, `{"detail":"Too many requests"}`, string(got.body))
	}
	assert.Equal(t, 200, do(t, f, devinsandbox.DefaultAPIKey, "GET", "/v2/enterprise/roles", "").status, "n faults, then normal")
	assert.Equal(t, 500, do(t, f, devinsandbox.DefaultAPIKey, "POST", "/v2/enterprise/members/invite", `{"emails":["a@b.co"]}`).status)
	assert.Empty(t, f.Members(), "a failed request changes nothing")

	f.Malformed("/roles", 1)
	got := do(t, f, devinsandbox.DefaultAPIKey, "GET", "/v2/enterprise/roles", "")
	assert.Equal(t, 200, got.status)
	assert.False(t, json.Valid(got.body))
	assert.True(t, json.Valid(do(t, f, devinsandbox.DefaultAPIKey, "GET", "/v2/enterprise/roles", "").body))

	f.Fail("*", "/", 503, -1)
	assert.Equal(t, 503, do(t, f, devinsandbox.DefaultAPIKey, "GET", "/v2/enterprise/organizations", "").status)
	assert.Equal(t, 503, do(t, f, devinsandbox.DefaultAPIKey, "GET", "/v2/enterprise/organizations", "").status)
	f.ClearFaults()
	assert.Equal(t, 200, do(t, f, devinsandbox.DefaultAPIKey, "GET", "/v2/enterprise/organizations", "").status)

	assert.Equal(t, 5, f.Count("GET", "/roles"))
	assert.Equal(t, 1, f.Count("POST", "/members"))
}

func TestLatencyEndsWhenTheClientGivesUp(t *testing.T) {
	f := devinsandbox.New()
	defer f.Close()
	f.SetLatency("/roles", 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.URL()+"/v2/enterprise/roles", nil)
	req.Header.Set("Authorization", "Bearer "+devinsandbox.DefaultAPIKey)
	start := time.Now()
	_, err := f.Client().Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
	f.SetLatency("/roles", 0)
	assert.Equal(t, 200, do(t, f, devinsandbox.DefaultAPIKey, "GET", "/v2/enterprise/roles", "").status)
}

func TestInviteRules(t *testing.T) {
	f := devinsandbox.New()
	defer f.Close()
	f.AddMember(devinsandbox.Member{Email: "old@example.com"})

	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf(`"u%d@example.com"`, i)
	}
	tests := []struct {
		name, body string
		status     int
	}{
		{"too many", `{"emails":[` + strings.Join(many, ",") + `]}`, 400},
		{"empty", `{"emails":[]}`, 400},
		{"invalid email", `{"emails":["nope"]}`, 400},
		{"missing field", `{}`, 422},
		{"not JSON", `{`, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, f, devinsandbox.DefaultAPIKey, "POST", "/v2/enterprise/members/invite", tt.body)
			assert.Equal(t, tt.status, got.status, string(got.body))
		})
	}

	got := do(t, f, devinsandbox.DefaultAPIKey, "POST", "/v2/enterprise/members/invite", `{"emails":["new@example.com","old@example.com"]}`)
	require.Equal(t, 200, got.status)
	id := devinsandbox.UserIDFor("new@example.com")
	assert.JSONEq(t, `{"status":"success","invited_count":1,"invitee_user_id_to_email":{"`+id+`":"new@example.com"}}`, string(got.body))
	assert.Contains(t, id, "|", "user IDs contain a pipe, like the real ones")

	f.UseExampleShapes(true)
	got = do(t, f, devinsandbox.DefaultAPIKey, "POST", "/v2/enterprise/members/invite", `{"emails":["ex@example.com"],"role":"member"}`)
	assert.JSONEq(t, `{"status":"success","invited":["ex@example.com"]}`, string(got.body))
}

func TestEscapedPathsReachTheirHandlers(t *testing.T) {
	f := devinsandbox.New()
	defer f.Close()
	f.AddMember(devinsandbox.Member{UserID: "a/b|c", Email: "x@example.com"})
	got := do(t, f, devinsandbox.DefaultAPIKey, "GET", "/v2/enterprise/members/a%2Fb%7Cc", "")
	require.Equal(t, 200, got.status, string(got.body))
	assert.Equal(t, "a/b|c", decode(t, got.body)["user_id"])
	assert.Equal(t, "/v2/enterprise/members/a%2Fb%7Cc", f.Requests()[0].Path)
	assert.Equal(t, 1, f.Count("GET", "/members/a/b|c"), "Count matches the decoded path too")

	assert.Equal(t, 404, do(t, f, devinsandbox.DefaultAPIKey, "GET", "/v2/enterprise/nothing-here", "").status)
}

func TestRoleAndOrgChanges(t *testing.T) {
	f := devinsandbox.New()
	defer f.Close()
	m := f.AddMember(devinsandbox.Member{Email: "a@example.com"})
	org := f.AddOrg(devinsandbox.Org{Name: "Eng"})

	assert.Equal(t, 400, do(t, f, devinsandbox.DefaultAPIKey, "PATCH", "/v2/enterprise/members/roles",
		`{"user_ids":["`+m.UserID+`"],"role_id":"org_admin"}`).status, "org roles are refused")
	assert.Equal(t, 404, do(t, f, devinsandbox.DefaultAPIKey, "PATCH", "/v2/enterprise/members/roles",
		`{"user_ids":["ghost"],"role_id":"account_admin"}`).status)
	assert.Equal(t, 200, do(t, f, devinsandbox.DefaultAPIKey, "PATCH", "/v2/enterprise/members/roles",
		`{"user_ids":["`+m.UserID+`"],"role_id":"account_admin"}`).status)
	got, _ := f.MemberByEmail("a@example.com")
	assert.Equal(t, "account_admin", got.Role)

	assert.Equal(t, 200, do(t, f, devinsandbox.DefaultAPIKey, "POST", "/v2/enterprise/organizations/"+org.ID+"/members",
		`{"org_ids":["`+org.ID+`"],"user_ids":["`+m.UserID+`"]}`).status)
	o, _ := f.OrgByID(org.ID)
	assert.Equal(t, map[string]string{m.UserID: "org_member"}, o.Members)

	actions := []string{}
	for _, e := range f.AuditLogs() {
		actions = append(actions, e.Action)
	}
	assert.Equal(t, []string{"assign_roles", "add_member"}, actions)
}

func TestSessionInsights(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	f := devinsandbox.New(devinsandbox.WithNow(func() time.Time { return now }))
	defer f.Close()
	// Added oldest first, so the answer's order comes from the fake, not the insertion.
	for i := range 9 {
		f.AddSession(devinsandbox.Session{
			SessionID: fmt.Sprint("s", i), OrgID: fmt.Sprint("org-", i%3), UserID: fmt.Sprint("u", i%2),
			CreatedAt: now.Add(time.Duration(i) * time.Minute), Summary: "Name the repo.", ActionItems: []string{"Add a test"},
			PullRequests: []devinsandbox.PullRequest{{URL: "https://github.example/acme/api/pull/1", State: "merged"}},
		})
	}
	ids := func(items []any) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.(map[string]any)["session_id"].(string))
		}
		return out
	}
	tests := []struct {
		query   string
		want    []string
		hasMore bool
	}{
		{"?limit=3", []string{"s8", "s7", "s6"}, true},
		{"?skip=3&limit=3", []string{"s5", "s4", "s3"}, true},
		{"?skip=6&limit=5", []string{"s2", "s1", "s0"}, false},
		{"?org_ids=org-1&org_ids=org-2&limit=4", []string{"s8", "s7", "s5", "s4"}, true},
		{"?user_ids=u1", []string{"s7", "s5", "s3", "s1"}, false},
		{"?org_ids=org-0&user_ids=u0", []string{"s6", "s0"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := decode(t, do(t, f, f.APIKey(), "GET", "/v2/enterprise/sessions/insights"+tt.query, "").body)
			assert.Equal(t, tt.want, ids(got["items"].([]any)))
			assert.Equal(t, tt.hasMore, got["has_more"])
		})
	}

	got := decode(t, do(t, f, f.APIKey(), "GET", "/v2/enterprise/sessions/insights?limit=1", "").body)
	item := got["items"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{map[string]any{"url": "https://github.example/acme/api/pull/1", "state": "merged"}}, item["pull_requests"])
	analysis := item["session_analysis"].(map[string]any)
	assert.Equal(t, "Name the repo.", analysis["suggested_prompt"].(map[string]any)["feedback_items"].([]any)[0].(map[string]any)["summary"])
	assert.Equal(t, []any{map[string]any{"summary": "Add a test"}}, analysis["action_items"])
	assert.Equal(t, 7, f.Count(http.MethodGet, "/sessions/insights"))

	t.Run("a smaller largest page", func(t *testing.T) {
		f.SetSessionsPageSize(2)
		defer f.SetSessionsPageSize(0)
		got := decode(t, do(t, f, f.APIKey(), "GET", "/v2/enterprise/sessions/insights?skip=1&limit=5", "").body)
		assert.Equal(t, []string{"s7", "s6"}, ids(got["items"].([]any)))
		assert.Equal(t, true, got["has_more"])
		assert.Equal(t, float64(3), got["next_cursor"])
	})
	t.Run("the examples' shape pages with offset", func(t *testing.T) {
		f.UseExampleShapes(true)
		defer f.UseExampleShapes(false)
		got := decode(t, do(t, f, f.APIKey(), "GET", "/v2/enterprise/sessions/insights?limit=2&offset=2", "").body)
		sessions := got["sessions"].([]any)
		require.Len(t, sessions, 2)
		assert.Equal(t, "s6", sessions[0].(map[string]any)["id"])
		assert.Equal(t, "Name the repo.", sessions[0].(map[string]any)["insight"])
	})
}
