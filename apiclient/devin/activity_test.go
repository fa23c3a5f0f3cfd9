package devin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

func TestAuditLogsShapes(t *testing.T) {
	for _, examples := range []bool{false, true} {
		t.Run(map[bool]string{false: "schema audit_logs", true: "examples logs"}[examples], func(t *testing.T) {
			fake := newFake(t)
			first := fake.AddAuditLog(devinsandbox.AuditLog{Action: "add_member", UserID: "email|actor", UserEmail: "boss@example.com",
				OrgID: "org-1", Extra: map[string]any{"target_user_id": "email|t1", "roles": []string{"org_member"}}})
			second := fake.AddAuditLog(devinsandbox.AuditLog{Action: "create_session", UserEmail: "dev@example.com",
				Extra: map[string]any{"session_id": "devin-1"}})
			fake.UseExampleShapes(examples)
			c, _ := newClient(t, fake)

			got, err := c.AuditLogs(context.Background(), devin.AuditLogsQuery{Limit: 10})
			require.NoError(t, err)
			require.Len(t, got, 2)
			// Newest first, as the API serves them.
			assert.Equal(t, second.ID, got[0].ID)
			assert.Equal(t, first.ID, got[1].ID)

			e := got[1]
			assert.Equal(t, "add_member", e.Action)
			assert.True(t, e.CreatedAt.Equal(first.CreatedAt), "created_at %s vs %s", e.CreatedAt, first.CreatedAt)
			assert.Equal(t, "email|t1", e.Extra["target_user_id"])
			assert.Equal(t, []any{"org_member"}, e.Extra["roles"])
			assert.Equal(t, "dev@example.com", got[0].UserEmail)
			assert.Equal(t, "devin-1", got[0].Extra["session_id"])
			if examples {
				// The examples' actor is one value; an email goes to UserEmail.
				assert.Equal(t, "boss@example.com", e.UserEmail)
			} else {
				assert.Equal(t, "email|actor", e.UserID)
				assert.Equal(t, "boss@example.com", e.UserEmail)
				assert.Equal(t, "org-1", e.OrgID)
			}
		})
	}
}

func TestAuditLogsQueryAndActions(t *testing.T) {
	fake := newFake(t)
	c, _ := newClient(t, fake)
	ctx := context.Background()
	_, err := c.Invite(ctx, devin.InviteRequest{Emails: []string{"a@example.com", "b@example.com"}})
	require.NoError(t, err)

	all, err := c.AuditLogs(ctx, devin.AuditLogsQuery{})
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, "add_enterprise_member", all[0].Action)
	assert.Equal(t, devinsandbox.OwnerEmail, all[0].UserEmail)

	fake.ResetRequests()
	older, err := c.AuditLogs(ctx, devin.AuditLogsQuery{Before: all[0].ID, Limit: 5})
	require.NoError(t, err)
	require.Len(t, older, 1)
	assert.Equal(t, all[1].ID, older[0].ID)
	q, _ := url.ParseQuery(fake.Requests()[0].RawQuery)
	assert.Equal(t, url.Values{"before": {all[0].ID}, "limit": {"5"}}, q)

	newer, err := c.AuditLogs(ctx, devin.AuditLogsQuery{After: all[1].ID})
	require.NoError(t, err)
	require.Len(t, newer, 1)
	assert.Equal(t, all[0].ID, newer[0].ID)
}

func TestAuditLogsDecoding(t *testing.T) {
	ms := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		body string
		want []devin.AuditLogEntry
	}{
		{
			name: "duplicates are dropped, milliseconds read",
			body: fmt.Sprintf(`{"audit_logs":[{"audit_log_id":"a1","action":"login","created_at":%d},{"audit_log_id":"a1","action":"login","created_at":%d}]}`,
				ms.UnixMilli(), ms.UnixMilli()),
			want: []devin.AuditLogEntry{{ID: "a1", Action: "login", CreatedAt: ms}},
		},
		{
			name: "timestamp in seconds, actor object, details merged",
			body: fmt.Sprintf(`{"logs":[{"id":7,"event":"delete_member","timestamp":%d,"actor":{"id":"email|x","email":"x@y.z"},"details":{"target_user_id":"email|t"}}]}`,
				ms.Unix()),
			want: []devin.AuditLogEntry{{ID: "7", Action: "delete_member", UserID: "email|x", UserEmail: "x@y.z", CreatedAt: ms,
				Extra: map[string]any{"target_user_id": "email|t"}}},
		},
		{
			name: "RFC 3339 timestamp and a user-ID actor",
			body: `{"logs":[{"id":"l1","action":"login","timestamp":"2024-01-02T01:00:00+01:00","actor":"okta|abc"}]}`,
			want: []devin.AuditLogEntry{{ID: "l1", Action: "login", UserID: "okta|abc", CreatedAt: ms}},
		},
		{
			name: "v3 data object and null fields",
			body: `[{"audit_log_id":"v","action":"assign_roles","org_id":null,"user_email":null,"created_at":null,"data":{"roles":["r"]}}]`,
			want: []devin.AuditLogEntry{{ID: "v", Action: "assign_roles", Extra: map[string]any{"roles": []any{"r"}}}},
		},
		{
			name: "empty",
			body: `{"audit_logs":[]}`,
			want: []devin.AuditLogEntry{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, tt.body) }))
			defer srv.Close()
			c, err := devin.New(srv.URL, "k")
			require.NoError(t, err)
			got, err := c.AuditLogs(context.Background(), devin.AuditLogsQuery{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("an unreadable timestamp is a decode error", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, `{"audit_logs":[{"audit_log_id":"a","created_at":"last tuesday"}]}`)
		}))
		defer srv.Close()
		c, err := devin.New(srv.URL, "k")
		require.NoError(t, err)
		_, err = c.AuditLogs(context.Background(), devin.AuditLogsQuery{})
		require.ErrorIs(t, err, apiclient.ErrDecode)
	})
}

func TestSessionInsightsShapes(t *testing.T) {
	for _, examples := range []bool{false, true} {
		t.Run(map[bool]string{false: "schema items", true: "examples sessions"}[examples], func(t *testing.T) {
			fake := newFake(t)
			s := fake.AddSession(devinsandbox.Session{OrgID: "org-1", UserID: "email|u1", Title: "Fix flaky test",
				Status: "finished", ACUsConsumed: 3.75, CreatedAt: testNow().Add(-time.Hour), Summary: "Prompt lacked the repo name.",
				ActionItems:  []string{"Add the repo to the prompt"},
				PullRequests: []devinsandbox.PullRequest{{URL: "https://github.example/acme/api/pull/7", State: "merged"}}})
			fake.UseExampleShapes(examples)
			c, _ := newClient(t, fake)

			got, err := c.SessionInsights(context.Background(), devin.SessionInsightsQuery{})
			require.NoError(t, err)
			require.Len(t, got, 1)
			want := devin.SessionInsight{SessionID: s.SessionID, OrgID: "org-1", UserID: "email|u1", Title: "Fix flaky test",
				Status: "finished", URL: s.URL, ACUsConsumed: 3.75, CreatedAt: testNow().Add(-time.Hour),
				Summary: "Prompt lacked the repo name."}
			if !examples {
				// The examples' insight is one string: no pull requests, no suggestions.
				want.Suggestions = []string{"Prompt lacked the repo name.", "Add the repo to the prompt"}
				want.Summary = "Add the repo to the prompt; Prompt lacked the repo name."
				want.PullRequests = []devin.PullRequest{{URL: "https://github.example/acme/api/pull/7", State: "merged"}}
			}
			assert.Equal(t, want, got[0])
		})
	}
}

func TestSessionInsightsFiltersAndLimit(t *testing.T) {
	fake := newFake(t)
	for i := range 450 {
		fake.AddSession(devinsandbox.Session{OrgID: fmt.Sprint("org-", i%3), UserID: "email|u", CreatedAt: testNow().Add(-time.Duration(i) * time.Minute)})
	}
	c, _ := newClient(t, fake)
	ctx := context.Background()

	got, err := c.SessionInsights(ctx, devin.SessionInsightsQuery{Limit: 300})
	require.NoError(t, err)
	assert.Len(t, got, 300)
	reqs := fake.Requests()
	require.Len(t, reqs, 2)
	q, _ := url.ParseQuery(reqs[1].RawQuery)
	assert.Equal(t, "200", q.Get("skip"))
	assert.Equal(t, "100", q.Get("limit"), "the last page asks only for what is missing")

	fake.ResetRequests()
	after := testNow().Add(-100 * time.Minute)
	got, err = c.SessionInsights(ctx, devin.SessionInsightsQuery{OrgIDs: []string{"org-1"}, UserIDs: []string{"email|u"}, CreatedAfter: after})
	require.NoError(t, err)
	assert.Len(t, got, 34) // i = 1, 4, …, 100
	for _, s := range got {
		assert.Equal(t, "org-1", s.OrgID)
		assert.False(t, s.CreatedAt.Before(after))
	}
	q, _ = url.ParseQuery(fake.Requests()[0].RawQuery)
	assert.Equal(t, []string{"org-1"}, q["org_ids"])
	assert.Equal(t, []string{"email|u"}, q["user_ids"])
	assert.Equal(t, after.Format(time.RFC3339), q.Get("created_date_from"))
}

// TestSessionInsightsAsksForNoMore: a listing of 450 sessions read with a small limit
// is one request for exactly that many, newest first; a server that serves smaller
// pages than asked is followed only for what is still missing.
func TestSessionInsightsAsksForNoMore(t *testing.T) {
	newest := func(fake *devinsandbox.Server) {
		for i := range 450 {
			fake.AddSession(devinsandbox.Session{SessionID: fmt.Sprintf("s%03d", i), CreatedAt: testNow().Add(-time.Duration(i) * time.Minute)})
		}
	}
	t.Run("one request", func(t *testing.T) {
		fake := newFake(t)
		newest(fake)
		c, _ := newClient(t, fake)
		got, err := c.SessionInsights(context.Background(), devin.SessionInsightsQuery{Limit: 30})
		require.NoError(t, err)
		require.Len(t, got, 30)
		assert.Equal(t, "s000", got[0].SessionID)
		assert.Equal(t, "s029", got[29].SessionID)
		reqs := fake.Requests()
		require.Len(t, reqs, 1)
		q, _ := url.ParseQuery(reqs[0].RawQuery)
		assert.Equal(t, "0", q.Get("skip"))
		assert.Equal(t, "30", q.Get("limit"))
	})
	t.Run("a server with smaller pages", func(t *testing.T) {
		var asked []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			asked = append(asked, q.Get("skip")+"/"+q.Get("limit"))
			skip, _ := strconv.Atoi(q.Get("skip"))
			var items []string
			for i := skip; i < skip+20; i++ { // serves 20 whatever is asked
				items = append(items, fmt.Sprintf(`{"session_id":"s%03d"}`, i))
			}
			fmt.Fprintf(w, `{"items":[%s],"total":450,"has_more":true,"next_cursor":%d}`, strings.Join(items, ","), skip+20)
		}))
		defer srv.Close()
		c, err := devin.New(srv.URL, "k")
		require.NoError(t, err)
		got, err := c.SessionInsights(context.Background(), devin.SessionInsightsQuery{Limit: 50})
		require.NoError(t, err)
		assert.Len(t, got, 50)
		assert.Equal(t, []string{"0/50", "20/30", "40/10"}, asked)
	})
}

func TestSessionInsightsQueryKey(t *testing.T) {
	base := devin.SessionInsightsQuery{Limit: 10, OrgIDs: []string{"org-1"}}
	assert.Equal(t, base.Key(), devin.SessionInsightsQuery{Limit: 10, OrgIDs: []string{" org-1 "}}.Key())
	assert.Equal(t, devin.SessionInsightsQuery{}.Key(), devin.SessionInsightsQuery{Limit: 100}.Key(), "0 means the default, 100")
	for _, other := range []devin.SessionInsightsQuery{
		{Limit: 11, OrgIDs: []string{"org-1"}},
		{Limit: 10, OrgIDs: []string{"org-2"}},
		{Limit: 10, OrgIDs: []string{"org-1"}, UserIDs: []string{"u1"}},
		{Limit: 10, OrgIDs: []string{"org-1"}, CreatedAfter: testNow()},
	} {
		assert.NotEqual(t, base.Key(), other.Key(), "%+v", other)
	}
}

func TestSessionInsightDetails(t *testing.T) {
	tests := []struct {
		name        string
		item        string
		suggestions []string
		prs         []devin.PullRequest
	}{
		{"feedback items, then action items, repeats dropped",
			`{"session_id":"s","session_analysis":{"suggested_prompt":{"feedback_items":[{"summary":"Name the repo"},{"summary":"","details":"Say which branch"}]},
			"action_items":["Add tests",{"title":"Pin the version"},{"description":"name the repo"},{"unknown":1},42]}}`,
			[]string{"Name the repo", "Say which branch", "Add tests", "Pin the version"}, nil},
		{"the examples' insight as an object", `{"id":"s","insight":{"action_items":["Add tests"]}}`, []string{"Add tests"}, nil},
		{"an analysis that is not an object", `{"session_id":"s","session_analysis":"Short."}`, nil, nil},
		{"multi-line suggestions fold to one line", `{"session_id":"s","session_analysis":{"action_items":["Add\n  tests"]}}`, []string{"Add tests"}, nil},
		{"pull requests in several spellings",
			`{"session_id":"s","pull_requests":[{"url":"https://g/a/pull/1","state":"open"},{"pr_url":"https://g/a/pull/2","status":"merged"},"https://g/a/pull/3",{"state":"closed"},7]}`,
			nil, []devin.PullRequest{{URL: "https://g/a/pull/1", State: "open"}, {URL: "https://g/a/pull/2", State: "merged"}, {URL: "https://g/a/pull/3"}}},
		{"pull requests not a list", `{"session_id":"s","pull_requests":{"url":"x"}}`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprintf(w, `{"items":[%s],"has_more":false}`, tt.item)
			}))
			defer srv.Close()
			c, err := devin.New(srv.URL, "k")
			require.NoError(t, err)
			got, err := c.SessionInsights(context.Background(), devin.SessionInsightsQuery{})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.suggestions, got[0].Suggestions)
			assert.Equal(t, tt.prs, got[0].PullRequests)
		})
	}
	t.Run("a runaway analysis is bounded", func(t *testing.T) {
		var actions, prs []string
		for i := range 100 {
			actions = append(actions, fmt.Sprintf("%q", fmt.Sprint("action ", i, " ", strings.Repeat("x", 1000))))
			prs = append(prs, fmt.Sprintf(`{"url":"https://g/a/pull/%d"}`, i))
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintf(w, `{"items":[{"session_id":"s","pull_requests":[%s],"session_analysis":{"action_items":[%s]}}],"has_more":false}`,
				strings.Join(prs, ","), strings.Join(actions, ","))
		}))
		defer srv.Close()
		c, err := devin.New(srv.URL, "k")
		require.NoError(t, err)
		got, err := c.SessionInsights(context.Background(), devin.SessionInsightsQuery{})
		require.NoError(t, err)
		assert.Len(t, got[0].Suggestions, 10)
		assert.Len(t, got[0].PullRequests, 20)
		for _, s := range got[0].Suggestions {
			assert.LessOrEqual(t, len(s), 310)
		}
	})
}

func TestSessionInsightSummaries(t *testing.T) {
	tests := []struct {
		name, item, want string
	}{
		{"analysis summary field", `{"session_id":"s","session_analysis":{"summary":"Short."}}`, "Short."},
		{"feedback items joined", `{"session_id":"s","session_analysis":{"suggested_prompt":{"feedback_items":[{"summary":"One"},{"summary":"Two"}]},"issues":[{"summary":"Three"}]}}`,
			"Three; One; Two"},
		{"insight object", `{"id":"s","insight":{"summary":"From the examples"}}`, "From the examples"},
		{"no analysis", `{"session_id":"s"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprintf(w, `{"items":[%s],"has_more":false}`, tt.item)
			}))
			defer srv.Close()
			c, err := devin.New(srv.URL, "k")
			require.NoError(t, err)
			got, err := c.SessionInsights(context.Background(), devin.SessionInsightsQuery{})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, "s", got[0].SessionID)
			assert.Equal(t, tt.want, got[0].Summary)
		})
	}
}
