package commands

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
)

const sessionsUsage = "/devin sessions [--org ORG] [--user EMAIL] [--limit N]"

// SessionInsights answers like the API: the first q.Limit sessions it holds, in the
// order given.
func (f *fakeDevin) SessionInsights(ctx context.Context, q devin.SessionInsightsQuery) ([]devin.SessionInsight, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessionQueries = append(f.sessionQueries, q)
	if f.sessionsErr != nil {
		return nil, f.sessionsErr
	}
	n := q.Limit
	if n <= 0 || n > len(f.sessions) {
		n = len(f.sessions)
	}
	return append([]devin.SessionInsight(nil), f.sessions[:n]...), nil
}

func TestParseSessionsAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"no flags: the newest 10", "sessions", Sessions{Limit: 10}},
		{"an organization by name, kept as typed", "sessions --org ENGINEERING", Sessions{Org: "ENGINEERING", Limit: 10}},
		{"an organization name with spaces", `sessions --org "Data Science"`, Sessions{Org: "Data Science", Limit: 10}},
		{"an organization ID", "sessions --org=org-eng", Sessions{Org: "org-eng", Limit: 10}},
		{"a person, lower-cased", "sessions --user Ada@Example.com", Sessions{User: "ada@example.com", Limit: 10}},
		{"a person as a Slack mailto", "sessions --user <mailto:ada@example.com|ada@example.com>", Sessions{User: "ada@example.com", Limit: 10}},
		{"a limit", "sessions --limit 30", Sessions{Limit: 30}},
		{"the smallest limit", "sessions --limit=1", Sessions{Limit: 1}},
		{"the largest limit, with a leading zero", "sessions --limit 050", Sessions{Limit: 50}},
		{"everything", "sessions --limit 5 --user ada@example.com --org Engineering", Sessions{Org: "Engineering", User: "ada@example.com", Limit: 5}},
	})
}

func TestParseSessionsRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "an argument", text: "sessions ada@example.com",
			wantMsg: []string{"`/devin sessions` takes no arguments, but got `ada@example.com`"}, wantUsage: sessionsUsage},
		{name: "limit zero", text: "sessions --limit 0",
			wantMsg: []string{"`--limit` `0`: must be a whole number from 1 to 50."}, wantUsage: sessionsUsage},
		{name: "negative limit", text: "sessions --limit -5",
			wantMsg: []string{"`--limit` `-5`: must be a whole number from 1 to 50."}},
		{name: "signed limit", text: "sessions --limit +5",
			wantMsg: []string{"must be a whole number from 1 to 50"}},
		{name: "decimal limit", text: "sessions --limit 2.5",
			wantMsg: []string{"must be a whole number from 1 to 50"}},
		{name: "a word for a limit", text: "sessions --limit ten",
			wantMsg: []string{"`--limit` `ten`: must be a whole number from 1 to 50."}},
		{name: "limit over the maximum", text: "sessions --limit 51",
			wantMsg: []string{"`--limit` `51`: at most 50 sessions are shown at once; narrow them with `--org` or `--user`."}, wantUsage: sessionsUsage},
		{name: "a huge limit", text: "sessions --limit 99999999999999999999999",
			wantMsg: []string{"at most 50 sessions are shown at once"}},
		{name: "limit without a value", text: "sessions --limit",
			wantMsg: []string{"`--limit` needs a value: `--limit N`"}},
		{name: "a malformed email", text: "sessions --user ada",
			wantMsg: []string{"`--user` `ada` is not a valid email address"}, wantUsage: sessionsUsage},
		{name: "a mention for a user", text: "sessions --user <@U123|ada>",
			wantMsg: []string{"`--user` `@ada` is not a valid email address (it is a Slack user)"}},
		{name: "a channel for an org", text: "sessions --org <#C123|eng>",
			wantMsg: []string{"`--org` `#eng` is a Slack channel, not an organization."}},
		{name: "an organization name too long", text: "sessions --org " + strings.Repeat("x", 101),
			wantMsg: []string{"`--org` is 101 characters long; the limit is 100."}},
		{name: "an unknown flag", text: "sessions --users ada@example.com",
			wantMsg: []string{"Unknown flag `--users`", "Did you mean `--user`?"}},
		{name: "a flag given twice", text: "sessions --limit 5 --limit 6",
			wantMsg: []string{"`--limit` is given twice"}},
	})
}

func TestSessions(t *testing.T) {
	eng := devin.Organization{ID: "org-eng", Name: "Engineering"}
	res := devin.Organization{ID: "org-res", Name: "Research"}
	ada := devin.Member{UserID: "email|ada", Email: "ada@example.com", Name: "Ada Lovelace"}
	bob := devin.Member{UserID: "email|bob", Email: "bob@example.com"}
	newest := devin.SessionInsight{SessionID: "s2", OrgID: "org-eng", UserID: "email|ada", Title: "Fix the flaky test",
		Status: "finished", URL: "https://app.devin.ai/sessions/s2", ACUsConsumed: 3.75, CreatedAt: testNow.Add(-time.Hour),
		PullRequests: []devin.PullRequest{{URL: "https://github.com/acme/api/pull/12", State: "merged"}, {URL: "https://gitlab.example/g/web/-/merge_requests/3", State: "open"}},
		Suggestions:  []string{"Name the repository in the prompt", "Add a test plan"}}
	older := devin.SessionInsight{SessionID: "s1", OrgID: "org-res", UserID: "email|bob", Title: "Upgrade Go",
		Status: "running", URL: "https://app.devin.ai/sessions/s1", ACUsConsumed: 12, CreatedAt: testNow.Add(-48 * time.Hour),
		Summary: "The prompt was clear."}
	orphan := devin.SessionInsight{SessionID: "s0", OrgID: "org-gone", UserID: "email|gone", Title: "", CreatedAt: testNow.Add(-72 * time.Hour)}

	tests := []struct {
		name     string
		text     string
		sessions []devin.SessionInsight
		setup    func(f *fakeDevin)
		want     []string // in this order
		notWant  []string
		query    *devin.SessionInsightsQuery // nil: no sessions read
		members  []string                    // the member queries' emails, in order
		outcome  string
	}{
		{name: "the newest, everyone's", text: "sessions", sessions: []devin.SessionInsight{newest, older},
			want: []string{"*2 sessions* in the Devin enterprise, newest first",
				"• *<https://app.devin.ai/sessions/s2|Fix the flaky test>* — `finished` — 3.8 ACUs — <!date^",
				"   by *Ada Lovelace* (ada@example.com) in *Engineering*",
				"   2 PRs: <https://github.com/acme/api/pull/12|acme/api#12> (merged) · <https://gitlab.example/g/web/-/merge_requests/3|g/web#3> (open)",
				"   _Suggestions:_ Name the repository in the prompt · Add a test plan",
				"• *<https://app.devin.ai/sessions/s1|Upgrade Go>* — `running` — 12 ACUs",
				"   by bob@example.com in *Research*",
				"   _Analysis:_ The prompt was clear."},
			notWant: []string{"…and", "--limit N"},
			query:   &devin.SessionInsightsQuery{Limit: 10}, members: []string{""}, outcome: outcomeOK},
		{name: "newest first even when the API is not", text: "sessions", sessions: []devin.SessionInsight{orphan, older, newest},
			want:  []string{"Fix the flaky test", "Upgrade Go", "untitled session"},
			query: &devin.SessionInsightsQuery{Limit: 10}, members: []string{""}, outcome: outcomeOK},
		{name: "unknown people and organizations show their IDs", text: "sessions", sessions: []devin.SessionInsight{orphan},
			want:  []string{"*1 session* in the Devin enterprise\n", "• *untitled session* — 0 ACUs", "   by `email|gone` in `org-gone`"},
			query: &devin.SessionInsightsQuery{Limit: 10}, members: []string{""}, outcome: outcomeOK},
		{name: "a full page says how to see more", text: "sessions --limit 2", sessions: []devin.SessionInsight{newest, older, orphan},
			want:    []string{"*2 sessions*", "Fix the flaky test", "Upgrade Go", "_The newest 2; `--limit N` shows up to 50._"},
			notWant: []string{"untitled session"},
			query:   &devin.SessionInsightsQuery{Limit: 2}, members: []string{""}, outcome: outcomeOK},
		{name: "an organization by name in another case", text: "sessions --org ENGINEERING", sessions: []devin.SessionInsight{newest},
			want:  []string{"*1 session* in *Engineering*", "Fix the flaky test"},
			query: &devin.SessionInsightsQuery{Limit: 10, OrgIDs: []string{"org-eng"}}, members: []string{""}, outcome: outcomeOK},
		{name: "an organization by ID", text: "sessions --org org-res --limit 3",
			want:  []string{"*0 sessions* in *Research*", "_No sessions match._"},
			query: &devin.SessionInsightsQuery{Limit: 3, OrgIDs: []string{"org-res"}}, outcome: outcomeOK},
		{name: "an unknown organization with near names", text: "sessions --org enginering",
			want:    []string{"No Devin organization has the name or ID `enginering`. Did you mean *Engineering*? `/devin orgs` lists them."},
			outcome: outcomeRefused},
		{name: "an unknown organization with several near names", text: "sessions --org Resarch",
			setup:   func(f *fakeDevin) { f.orgs = append(f.orgs, devin.Organization{ID: "org-r2", Name: "Research 2"}) },
			want:    []string{"Did you mean *Research* or *Research 2*?"},
			outcome: outcomeRefused},
		{name: "an unknown organization with nothing near", text: "sessions --org Marketing",
			want: []string{"No Devin organization has the name or ID `Marketing`. `/devin orgs` lists them."}, notWant: []string{"Did you mean"},
			outcome: outcomeRefused},
		{name: "an ambiguous organization name", text: "sessions --org research",
			setup:   func(f *fakeDevin) { f.orgs = append(f.orgs, devin.Organization{ID: "org-res2", Name: "RESEARCH"}) },
			want:    []string{"Several Devin organizations are called `research`: give its ID (`org-res`, `org-res2`)."},
			outcome: outcomeRefused},
		{name: "a person, by the members endpoint's email filter", text: "sessions --user ADA@example.com", sessions: []devin.SessionInsight{newest},
			want:  []string{"*1 session* of *Ada Lovelace* (ada@example.com)\n", "   by *Ada Lovelace* (ada@example.com) in *Engineering*"},
			query: &devin.SessionInsightsQuery{Limit: 10, UserIDs: []string{"email|ada"}}, members: []string{"ada@example.com"}, outcome: outcomeOK},
		{name: "a person in an organization", text: "sessions --user ada@example.com --org Engineering --limit 1", sessions: []devin.SessionInsight{newest},
			want:  []string{"*1 session* of *Ada Lovelace* (ada@example.com) in *Engineering*"},
			query: &devin.SessionInsightsQuery{Limit: 1, OrgIDs: []string{"org-eng"}, UserIDs: []string{"email|ada"}}, members: []string{"ada@example.com"}, outcome: outcomeOK},
		{name: "an unknown person", text: "sessions --user zed@example.com",
			want:    []string{"No member of the Devin enterprise has the email address `zed@example.com`, so there are no sessions of theirs to show."},
			members: []string{"zed@example.com"}, outcome: outcomeRefused},
		{name: "the API listing someone else for the email", text: "sessions --user zed@example.com",
			setup:   func(f *fakeDevin) { f.members = []devin.Member{ada} },
			want:    []string{"No member of the Devin enterprise has the email address `zed@example.com`"},
			members: []string{"zed@example.com"}, outcome: outcomeRefused},
		{name: "the sessions cannot be read", text: "sessions",
			setup: func(f *fakeDevin) { f.sessionsErr = apiErr(devin.APIName, apiclient.KindServer, 500) },
			want:  []string{"Devin"}, query: &devin.SessionInsightsQuery{Limit: 10}, outcome: outcomeError},
		{name: "names that cannot be read leave IDs and a note", text: "sessions", sessions: []devin.SessionInsight{newest},
			setup: func(f *fakeDevin) {
				f.orgsErr = apiErr(devin.APIName, apiclient.KindServer, 500)
				f.membersErr = apiErr(devin.APIName, apiclient.KindServer, 500)
			},
			want:  []string{"*1 session*", "   by `email|ada` in `org-eng`", "_Organization names could not be read: ", "_Names of people could not be read: "},
			query: &devin.SessionInsightsQuery{Limit: 10}, members: []string{""}, outcome: outcomeOK},
		{name: "an organization that cannot be looked up", text: "sessions --org Engineering",
			setup: func(f *fakeDevin) { f.orgsErr = apiErr(devin.APIName, apiclient.KindServer, 500) },
			want:  []string{"Devin"}, outcome: outcomeError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv()
			e.devin.orgs = []devin.Organization{eng, res}
			e.devin.members = []devin.Member{ada, bob}
			e.devin.sessions = tt.sessions
			if tt.setup != nil {
				tt.setup(e.devin)
			}
			r := e.run(t, tt.text)
			text := blocksText(r.Message)
			assertInOrder(t, text, tt.want)
			for _, nw := range tt.notWant {
				assert.NotContains(t, text, nw)
			}
			if tt.query == nil {
				assert.Empty(t, e.devin.sessionQueries, "no session may be read")
			} else {
				require.Len(t, e.devin.sessionQueries, 1)
				assert.Equal(t, *tt.query, e.devin.sessionQueries[0])
			}
			var emails []string
			for _, q := range e.devin.memberQueries {
				emails = append(emails, q.Email)
			}
			assert.Equal(t, tt.members, emails)
			assert.False(t, r.InChannel, "the reply is ephemeral")
			assert.Equal(t, tt.outcome, e.audit.last(t).Outcome)
			assert.Equal(t, "sessions", e.audit.last(t).Command)
		})
	}
}

// TestSessionsHostileData: titles, states, suggestions and URLs from the API are shown as
// text; only a plain http(s) URL becomes a link, and its label is escaped.
func TestSessionsHostileData(t *testing.T) {
	e := newEnv()
	e.devin.orgs = []devin.Organization{{ID: "org-x", Name: "<!here> *ops*"}}
	e.devin.members = []devin.Member{{UserID: "u1", Email: "<@U999>@evil.io", Name: "<!channel>"}}
	e.devin.sessions = []devin.SessionInsight{{
		SessionID: "s1", OrgID: "org-x", UserID: "u1", CreatedAt: testNow,
		Title:  "<!channel> *urgent* <https://evil.example|click> & more",
		Status: "`done` <!everyone>",
		URL:    "https://evil.example/x|<!channel>",
		PullRequests: []devin.PullRequest{
			{URL: "javascript:alert(1)", State: "<!here>"},
			{URL: "https://github.com/acme/api/pull/1>|<!channel>", State: "open"},
			{URL: "https://github.com/<!channel>/pull/2", State: "merged"},
		},
		Suggestions: []string{"<@U0ALICE> please", "Use <https://evil.example|this link>", "line one\n• fake bullet"},
	}}
	r := e.run(t, "sessions")
	all := textOf(r.Message)
	for _, markup := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U999>", "<@U0ALICE>", "<https://evil", "javascript:", "|<!"} {
		assert.NotContains(t, all, markup)
	}
	text := blocksText(r.Message)
	for _, want := range []string{
		"• *&lt;!channel&gt; urgent &lt;https://evil.example|click&gt; &amp; more* — `'done' &lt;!everyone&gt;`",
		"by *&lt;!channel&gt;* (&lt;@U999&gt;@evil.io) in *&lt;!here&gt; ops*",
		"3 PRs: pull request (&lt;!here&gt;) · github.com/acme/api/pull/1&gt;|&lt;!channel&gt; (open) · &lt;!channel&gt;#2 (merged)",
		"_Suggestions:_ &lt;@U0ALICE&gt; please · Use &lt;https://evil.example|this link&gt; · line one • fake bullet",
	} {
		assert.Contains(t, text, want)
	}
	assert.Equal(t, 1, strings.Count(text, "\n• "), "a suggestion cannot start a line of its own")
}

// TestSessionsBlockKitLimits: 50 sessions whose every field is as long as the API may
// make it, written in characters escaping multiplies, still make a valid message; with
// ordinary data every one of them is shown.
func TestSessionsBlockKitLimits(t *testing.T) {
	long := func(s string, n int) string { return strings.Repeat(s, n) }
	for _, tc := range []struct {
		name    string
		session func(i int) devin.SessionInsight
		all     bool
	}{
		{"ordinary sessions", func(i int) devin.SessionInsight {
			return devin.SessionInsight{SessionID: fmt.Sprint(i), OrgID: "org-eng", UserID: "email|ada", Title: fmt.Sprintf("Session %02d fixes a flaky test", i),
				Status: "finished", URL: fmt.Sprintf("https://app.devin.ai/sessions/%032d", i), ACUsConsumed: 4.5, CreatedAt: testNow.Add(-time.Duration(i) * time.Minute),
				PullRequests: []devin.PullRequest{{URL: fmt.Sprintf("https://github.com/acme/api/pull/%d", i), State: "merged"}},
				Suggestions:  []string{"Name the repository and the branch in the prompt", "Add a test plan"}}
		}, true},
		{"everything at its longest", func(i int) devin.SessionInsight {
			prs := make([]devin.PullRequest, 20)
			for j := range prs {
				prs[j] = devin.PullRequest{URL: "https://github.com/" + long("a", 350) + fmt.Sprintf("/pull/%d", j), State: long("&", 300)}
			}
			return devin.SessionInsight{SessionID: fmt.Sprint(i), OrgID: long("<", 300), UserID: long(">", 300), Title: long("&", 500),
				Status: long("<", 300), URL: "https://app.devin.ai/" + long("x", 370), ACUsConsumed: 1e12, CreatedAt: testNow,
				PullRequests: prs, Suggestions: []string{long("&", 300), long("<", 300), long(">", 300), long("&", 300), long("&", 300)}}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			e.devin.orgs = []devin.Organization{{ID: "org-eng", Name: "Engineering"}}
			e.devin.members = []devin.Member{{UserID: "email|ada", Email: "ada@example.com", Name: "Ada Lovelace"}}
			for i := range 60 {
				e.devin.sessions = append(e.devin.sessions, tc.session(i))
			}
			r := e.run(t, "sessions --limit 50") // checkLimits runs on every reply
			text := blocksText(r.Message)
			shown := strings.Count(text, "• ")
			assert.Contains(t, text, "*50 sessions*")
			if tc.all {
				assert.Equal(t, 50, shown)
				assert.NotContains(t, text, "…and")
				assert.Contains(t, text, "_The newest 50, the most one reply shows: narrow them with `--org` or `--user`._")
				return
			}
			assert.Positive(t, shown)
			assert.Contains(t, text, fmt.Sprintf("…and %d more sessions (too long for one reply: lower `--limit`)", 50-shown))
		})
	}
}

func TestPackEntries(t *testing.T) {
	tests := []struct {
		name    string
		entries []string
		budget  int
		want    []string
	}{
		{"whole entries together", []string{"a\nb", "c"}, 10, []string{"a\nb\nc"}},
		{"an entry that does not fit starts a section", []string{"aaaa\nbb", "cccc"}, 8, []string{"aaaa\nbb", "cccc"}},
		{"an entry longer than a section is split at its lines", []string{"x", "aaaa\nbbbb\ncc", "y"}, 9, []string{"x", "aaaa\nbbbb", "cc", "y"}},
		{"nothing", nil, 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, packEntries(tt.entries, tt.budget))
		})
	}
}

func TestPRLabel(t *testing.T) {
	for url, want := range map[string]string{
		"https://github.com/acme/api/pull/12":                   "acme/api#12",
		"https://ghe.example/org/repo/pull/7/":                  "org/repo#7",
		"https://gitlab.example/grp/sub/web/-/merge_requests/3": "grp/sub/web#3",
		"https://bitbucket.org/acme/api/pull-requests/4":        "bitbucket.org/acme/api/pull-requests/4",
		"not a url": "pull request",
	} {
		assert.Equal(t, want, prLabel(url), url)
	}
}
