package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/app"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// sessionRequests are the session listings the fake Devin received since the first
// `since` requests: v2's insights listing, v3's sessions listing (V28), whose
// analyses come from one call per session.
func sessionRequests(env *harness.Env, since int) []devinsandbox.RecordedRequest {
	listing := devinsandbox.OpSessionInsights
	if isV3(env) {
		listing = devinsandbox.OpSessions
	}
	var out []devinsandbox.RecordedRequest
	for _, r := range env.Devin.Requests()[since:] {
		if r.Op == listing {
			out = append(out, r)
		}
	}
	return out
}

// query is a recorded request's query.
func query(r devinsandbox.RecordedRequest) url.Values {
	q, _ := url.ParseQuery(r.RawQuery)
	return q
}

// pages is each request's "offset/size" (v2's skip/limit, v3's cursor position/first).
func pages(rs []devinsandbox.RecordedRequest) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		off, size := r.Page()
		out[i] = fmt.Sprintf("%d/%d", off, size)
	}
	return out
}

// sessionTitles are the titles of the sessions a reply shows, in its order.
func sessionTitles(shown string) []string {
	var out []string
	for _, line := range strings.Split(shown, "\n") {
		if !strings.HasPrefix(line, "• *") {
			continue
		}
		title := strings.TrimPrefix(line, "• *")
		if _, label, ok := strings.Cut(title, "|"); ok && strings.HasPrefix(title, "<") {
			title = label
		}
		title, _, _ = strings.Cut(title, ">*")
		title, _, _ = strings.Cut(title, "*")
		out = append(out, title)
	}
	return out
}

// titles are "Session 000" to "Session n-1" from first, step apart.
func titles(first, n, step int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Session %03d", first+i*step)
	}
	return out
}

// TestSessionsOverSeveralPagesWithLimit: of 450 sessions, /devin sessions shows the
// newest N the API lists and asks the API for exactly N, paging on only as far as a
// server with smaller pages makes it; --org takes a name in any case, --user an email;
// an unknown organization is refused with the closest names before any session is read.
func TestSessionsOverSeveralPagesWithLimit(t *testing.T) {
	t.Parallel()
	// Every command must reach the API: nothing is answered from what an earlier one read.
	env := roStart(t, harness.Options{App: app.Options{ReadShareTTL: -1}})
	grace, ok := env.Devin.MemberByEmail("grace@example.com")
	require.True(t, ok)
	ada, ok := env.Devin.MemberByEmail("ada@example.com")
	require.True(t, ok)
	// Session 000 is the newest; all are newer than the demo's sessions. Odd ones are
	// Research's, and every third one is Grace's.
	now := time.Now()
	for i := range 450 {
		s := devinsandbox.Session{Title: fmt.Sprintf("Session %03d", i), OrgID: harness.OrgEngineering, UserID: ada.UserID,
			CreatedAt: now.Add(-time.Duration(i) * 10 * time.Second), ACUsConsumed: 1.5, Summary: "Name the repository.",
			PullRequests: []devinsandbox.PullRequest{{URL: fmt.Sprintf("https://github.com/acme/api/pull/%d", i), State: "open"}}}
		if i%2 == 1 {
			s.OrgID = harness.OrgResearch
		}
		if i%3 == 0 {
			s.UserID = grace.UserID
		}
		env.Devin.AddSession(s)
	}

	t.Run("--limit 30 is one request for 30", func(t *testing.T) {
		n := len(env.Devin.Requests())
		r := slash(t, env, harness.Requester, harness.GeneralChannel, "sessions --limit 30")
		shown := roShown(r.Content)
		assert.Equal(t, "ephemeral", r.ResponseType)
		assert.Contains(t, shown, "*30 sessions* in the Devin enterprise, newest first")
		assert.Equal(t, titles(0, 30, 1), sessionTitles(shown))
		assert.Equal(t, 30, roBullets(r.Content))
		assert.Contains(t, shown, "• *<https://app.devin.ai/sessions/")
		assert.Contains(t, shown, "   by *Grace Hopper* (grace@example.com) in *Engineering*")
		assert.Contains(t, shown, "   PR: <https://github.com/acme/api/pull/0|acme/api#0> (open)")
		assert.Contains(t, shown, "   _Suggestions:_ Name the repository.")
		assert.Equal(t, []string{"0/30"}, pages(sessionRequests(env, n)), "one request, for no more than is shown")
		roAuditLine(t, env, "/devin sessions --limit 30", "ok")
	})

	t.Run("a server with smaller pages is followed only as far as needed", func(t *testing.T) {
		env.Devin.SetSessionsPageSize(20)
		defer env.Devin.SetSessionsPageSize(0)
		n := len(env.Devin.Requests())
		r := slash(t, env, harness.Requester, harness.GeneralChannel, "sessions --limit 50")
		shown := roShown(r.Content)
		assert.Equal(t, titles(0, 50, 1), sessionTitles(shown))
		assert.Contains(t, shown, "the most one reply shows")
		assert.Equal(t, []string{"0/50", "20/30", "40/10"}, pages(sessionRequests(env, n)))
	})

	t.Run("the default is the newest 10", func(t *testing.T) {
		n := len(env.Devin.Requests())
		r := slash(t, env, harness.Requester, harness.GeneralChannel, "sessions")
		assert.Equal(t, titles(0, 10, 1), sessionTitles(roShown(r.Content)))
		assert.Contains(t, roShown(r.Content), "_The newest 10; `--limit N` shows up to 50._")
		assert.Equal(t, []string{"0/10"}, pages(sessionRequests(env, n)))
	})

	t.Run("--org by name in another case", func(t *testing.T) {
		n := len(env.Devin.Requests())
		r := slash(t, env, harness.Requester, harness.GeneralChannel, "sessions --org rESEARCH --limit 5")
		shown := roShown(r.Content)
		assert.Contains(t, shown, "*5 sessions* in *Research*, newest first")
		assert.Equal(t, titles(1, 5, 2), sessionTitles(shown))
		assert.NotContains(t, shown, "in *Engineering*")
		qs := sessionRequests(env, n)
		require.Len(t, qs, 1)
		assert.Equal(t, []string{harness.OrgResearch}, query(qs[0])["org_ids"])
		assert.Equal(t, []string{"0/5"}, pages(qs))
	})

	t.Run("--user by email", func(t *testing.T) {
		n := len(env.Devin.Requests())
		r := slash(t, env, harness.Requester, harness.GeneralChannel, "sessions --user Grace@Example.com --org org-eng --limit 3")
		shown := roShown(r.Content)
		assert.Contains(t, shown, "*3 sessions* of *Grace Hopper* (grace@example.com) in *Engineering*, newest first")
		// Grace's in Engineering: every third, and even.
		assert.Equal(t, titles(0, 3, 6), sessionTitles(shown))
		qs := sessionRequests(env, n)
		require.Len(t, qs, 1)
		assert.Equal(t, []string{grace.UserID}, query(qs[0])["user_ids"])
		assert.Equal(t, []string{harness.OrgEngineering}, query(qs[0])["org_ids"])
		// The person is found with the members endpoint's email filter, not a listing.
		var memberQueries []string
		for _, req := range env.Devin.Requests()[n:] {
			if req.Op == devinsandbox.OpListMembers {
				memberQueries = append(memberQueries, req.RawQuery)
			}
		}
		require.Len(t, memberQueries, 1)
		q, _ := url.ParseQuery(memberQueries[0])
		assert.Equal(t, "grace@example.com", q.Get("email"))
	})

	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"an unknown organization", "sessions --org Reserch",
			[]string{"No Devin organization has the name or ID `Reserch`. Did you mean *Research*? `/devin orgs` lists them."}},
		{"an unknown email", "sessions --user nobody@example.com",
			[]string{"No member of the Devin enterprise has the email address `nobody@example.com`"}},
		{"a limit over the maximum", "sessions --limit 51",
			[]string{"`--limit` `51`: at most 50 sessions are shown at once", "`/devin sessions [--org ORG] [--user EMAIL] [--limit N]`"}},
		{"a limit that is not a number", "sessions --limit all",
			[]string{"`--limit` `all`: must be a whole number from 1 to 50."}},
	} {
		t.Run(tc.name+" is refused before any session is read", func(t *testing.T) {
			n := len(env.Devin.Requests())
			r := slash(t, env, harness.Requester, harness.GeneralChannel, tc.text)
			shown := roShown(r.Content)
			for _, w := range tc.want {
				assert.Contains(t, shown, w)
			}
			assert.Equal(t, "ephemeral", r.ResponseType)
			assert.Empty(t, sessionRequests(env, n))
			roAuditLine(t, env, "/devin "+tc.text, "refused")
		})
	}
	assert.Empty(t, env.Slack.Violations())
}

// TestSessionsDemoData: the console's demo data has sessions to show, with their people,
// organizations, pull requests and suggestions, and hostile data stays inert.
func TestSessionsDemoData(t *testing.T) {
	t.Parallel()
	env := roStart(t, harness.Options{})
	r := slash(t, env, harness.Requester, harness.GeneralChannel, "sessions")
	shown := roShown(r.Content)
	for _, w := range []string{
		"*4 sessions* in the Devin enterprise, newest first",
		"Fix the flaky checkout test>* — `" + sessionStatus(env, "finished") + "` — 6.5 ACUs",
		"   by *Ada Lovelace* (ada@example.com) in *Engineering*",
		"   PR: <https://github.com/acme/shop/pull/412|acme/shop#412> (merged)",
		"   _Suggestions:_ Name the failing test and the CI job in the prompt. · Add a retry-free regression test",
		"Upgrade the payments service to Go 1.26>* — `running` — 14.3 ACUs",
		"Benchmark the new tokenizer>* — `" + sessionStatus(env, "blocked") + "`",
		"   by *Linus Torvalds* (linus@example.com) in *Research*",
		"   2 PRs: <https://github.com/acme/evals/pull/7|acme/evals#7> (closed) · <https://github.com/acme/evals/pull/8|acme/evals#8> (merged)",
	} {
		assert.Contains(t, shown, w)
	}
	assert.NotContains(t, shown, "--limit N", "fewer than 10 sessions: nothing more to see")

	grace, ok := env.Devin.MemberByEmail("grace@example.com")
	require.True(t, ok)
	env.Devin.AddSession(devinsandbox.Session{Title: "<!channel> <https://evil.example|click here>", UserID: grace.UserID,
		OrgID: harness.OrgEngineering, Summary: "<@U0ALICE> look", CreatedAt: time.Now(),
		URL:          "https://evil.example/|<!here>",
		PullRequests: []devinsandbox.PullRequest{{URL: "https://github.com/acme/api/pull/1|<!everyone>", State: "<!here>"}}})
	r = slash(t, env, harness.Requester, harness.GeneralChannel, "sessions --limit 1")
	shown = roShown(r.Content)
	assert.Contains(t, shown, "• *&lt;!channel&gt; &lt;https://evil.example|click here&gt;* — `"+sessionStatus(env, "finished")+"`")
	for _, markup := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U0ALICE>", "<https://evil"} {
		assert.NotContains(t, r.Text, markup, "fallback text")
		assert.NotContains(t, shown, markup, "blocks")
	}
}
