package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/app"
	"devin-chatops/bot"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
	slacksandbox "devin-chatops/internal/sandbox/slack"
)

// roStart is start with the audit channel's pacing shortened: every command here is
// echoed to the audit channel, and at Slack's 1 message/s the echoes of a table of
// commands would take longer than the commands. Pacing itself is tested in bot.
func roStart(t *testing.T, opts harness.Options) *harness.Env {
	t.Helper()
	if opts.App.PosterOptions == nil {
		opts.App.PosterOptions = []bot.PosterOption{bot.WithPacing(5*time.Millisecond, 10)}
	}
	return start(t, opts)
}

// roSections returns the text of every section block, as a Slack client shows them.
func roSections(c slacksandbox.Content) []string {
	var out []string
	for _, b := range c.Blocks {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil {
			out = append(out, s.Text.Text)
		}
	}
	return out
}

// roShown is everything the user sees in a reply: the section texts, one per line.
func roShown(c slacksandbox.Content) string { return strings.Join(roSections(c), "\n") }

// roBullets counts the list items ("• …" lines) of a reply.
func roBullets(c slacksandbox.Content) int {
	n := 0
	for _, line := range strings.Split(roShown(c), "\n") {
		if strings.HasPrefix(line, "• ") {
			n++
		}
	}
	return n
}

// roAuditLine waits for the audit-channel echo of the command /devin text with outcome.
// The echo shows the command as typed between " · " separators, so "/devin members"
// does not match the echo of "/devin members --email …".
func roAuditLine(t *testing.T, env *harness.Env, detail, outcome string) {
	t.Helper()
	waitAudit(t, env, ":speech_balloon:", "<@"+harness.Requester+">", " · "+detail+" · outcome: "+outcome)
}

// roSecrets are the credentials of env; none may ever reach a Slack user.
func roSecrets(env *harness.Env) []string {
	return []string{
		env.Config.SlackBotToken.Reveal(), env.Config.SlackAppToken.Reveal(),
		env.Config.DevinAPIKey.Reveal(), env.Config.GitHubToken.Reveal(),
	}
}

// roAPICalls is how many requests the fake Devin and GitHub APIs received.
func roAPICalls(env *harness.Env) (devin, github int) {
	return len(env.Devin.Requests()), len(env.GitHub.Requests())
}

// TestReadOnlyCommands runs every read-only command through the fake Slack and checks
// what the user sees against the demo data the fakes were seeded with.
func TestReadOnlyCommands(t *testing.T) {
	t.Parallel()
	// Each case checks which API its command reaches, so none may be answered from
	// what an earlier case read: calls in flight are still shared, answers not kept.
	env := roStart(t, harness.Options{App: app.Options{ReadShareTTL: -1}})
	now := time.Now()
	// The demo seed has no Devin audit entries: one inside the default 24 h window, one
	// only inside 7 days, one outside both.
	env.Devin.AddAuditLog(devinsandbox.AuditLog{Action: "remove_member", UserEmail: "grace@example.com", CreatedAt: now.Add(-10 * 24 * time.Hour)})
	env.Devin.AddAuditLog(devinsandbox.AuditLog{Action: "create_org", UserEmail: "ada@example.com", OrgID: harness.OrgResearch, CreatedAt: now.Add(-50 * time.Hour)})
	env.Devin.AddAuditLog(devinsandbox.AuditLog{Action: "add_member", UserEmail: "ada@example.com", OrgID: harness.OrgEngineering, CreatedAt: now.Add(-time.Hour)})

	// Usage seeded by harness.SeedDemo over the 10 billing days of the current cycle:
	//   ada (org-eng)           40+3d for d=0..9 = 535
	//   grace (org-eng)         25.5 × 10        = 255
	//   linus (org-research)    12.25 × 10       = 122.5
	//   margaret (org-research) 8 on even days   = 40
	// org-eng 790 of its 1,000 limit (79%), org-research 162.5 without limit, total 952.5.
	const (
		none  = ""
		devin = "devin"
		gh    = "github"
	)
	// v3's members have no last login: the line ends at the role, and says nothing
	// about logins (not "never logged in", which v2 says of a member it knows never did).
	lastLogin, noLogins := " — last login ", []string{"…and", "never logged in"}
	if isV3(env) {
		lastLogin, noLogins = "", append(noLogins, "last login")
	}
	cases := []struct {
		name      string
		text      string
		audit     string // the command as the audit echo shows it; default "/devin "+text
		calls     string // which API the command must reach: devin, github or none
		inChannel bool
		want      []string // in this order
		notWant   []string
		bullets   int // list items shown; -1 to skip
	}{
		{
			name: "empty text is help", text: "", audit: "/devin", calls: none, bullets: -1,
			want: []string{"*Read-only*", "`/devin members [--email EMAIL]`", "`/devin orgs`", "`/devin teams`",
				"`/devin team list TEAM`", "`/devin usage [--post] [--cycle current|previous] [--org ORG]`", "`/devin audit [--since DURATION]`", "`/devin requests [ID]`", "`/devin cancel ID`",
				"*Needs approval*", "`/devin invite EMAIL…"},
		},
		{
			name: "help", text: "help", calls: none, bullets: -1,
			want: []string{"*Read-only*", "`/devin members [--email EMAIL]`", "*Needs approval*"},
		},
		{
			name: "help for one command", text: "help members", calls: none, bullets: -1,
			want:    []string{"`/devin members [--email EMAIL]`", "`--email EMAIL`", "Example: `/devin members --email ada@example.com`"},
			notWant: []string{"/devin orgs"},
		},
		{
			name: "members", text: "members", calls: devin, bullets: 4,
			want: []string{"*4 members* in the Devin enterprise",
				"• *Ada Lovelace* — ada@example.com — account_admin" + lastLogin,
				"• *Grace Hopper* — grace@example.com — account_member" + lastLogin,
				"• *Linus Torvalds* — linus@example.com",
				"• *Margaret Hamilton* — margaret@example.com"},
			notWant: noLogins,
		},
		{
			name: "members --email", text: "members --email grace@example.com", calls: devin, bullets: 1,
			want:    []string{"*Member with the email address* `grace@example.com`", "• *Grace Hopper* — grace@example.com — account_member"},
			notWant: []string{"Ada Lovelace", "Linus"},
		},
		{
			// What Slack really sends when a user types an address in a slash command.
			name: "members --email in Slack's mailto form", text: "members --email <mailto:Linus@Example.com|Linus@Example.com>",
			audit: "/devin members --email Linus@Example.com", calls: devin, bullets: 1,
			want:    []string{"• *Linus Torvalds* — linus@example.com"},
			notWant: []string{"Ada Lovelace", "mailto"},
		},
		{
			name: "members --email nobody", text: "members --email nobody@example.com", calls: devin, bullets: 0,
			want: []string{"No member of the Devin enterprise has the email address `nobody@example.com`."},
		},
		{
			name: "orgs", text: "orgs", calls: devin, bullets: 2,
			want: []string{"*2 organizations* in the Devin enterprise",
				"• *Engineering* `org-eng` — ACU limit 1,000 per cycle",
				"• *Research* `org-research` — no ACU limit"},
		},
		{
			name: "teams", text: "teams", calls: gh, bullets: 2,
			want: []string{"*2 teams* in the GitHub enterprise", "• `ent:platform` — 2 members", "• `ent:security` — 1 member"},
		},
		{
			name: "team list without the ent: prefix", text: "team list platform", calls: gh, bullets: 2,
			want:    []string{"*2 members* in the GitHub enterprise team `ent:platform`", "hubot", "octocat"},
			notWant: []string{"mona"},
		},
		{
			name: "team list with the ent: prefix", text: "team list ent:security", calls: gh, bullets: 1,
			want:    []string{"*1 member* in the GitHub enterprise team `ent:security`", "mona"},
			notWant: []string{"octocat"},
		},
		{
			name: "usage", text: "usage", calls: devin, bullets: 2,
			want: []string{"*952.5 ACUs* · day 10 of 30", "Burn rate: *", "Projected at cycle end: *",
				"*Daily ACUs*", "*By organization*", "• *Engineering* — 790 of 1,000 (79%)", "• *Research* — 162.5 (no limit)",
				"*Top 4 users*", "1. Ada Lovelace · ada@example.com — 535", "2. Grace Hopper · grace@example.com — 255",
				"3. Linus Torvalds · linus@example.com — 122.5", "4. Margaret Hamilton · margaret@example.com — 40",
				"_The chart is in your direct messages with the bot._"},
			notWant: []string{":red_circle:", ":large_orange_circle:"},
		},
		{
			// The report made a moment ago serves: no new calls.
			name: "usage --post posts in the channel", text: "usage --post", calls: none, bullets: -1,
			want: []string{":white_check_mark: Usage report posted."},
		},
		{
			name: "audit", text: "audit", calls: devin, bullets: 1,
			want:    []string{"*1 audit-log entry* in the last 24 hours", "`add_member` — ada@example.com — org *Engineering*"},
			notWant: []string{"create_org", "remove_member"},
		},
		{
			name: "audit --since", text: "audit --since 7d", calls: devin, bullets: 2,
			want: []string{"*2 audit-log entries* in the last 7 days",
				"`add_member` — ada@example.com — org *Engineering*", "`create_org` — ada@example.com — org *Research*"},
			notWant: []string{"remove_member"},
		},
		{
			name: "requests with nothing pending", text: "requests", calls: none, bullets: 0,
			want: []string{"*0 requests* waiting for approval", "Nothing is waiting for approval."},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d0, g0 := roAPICalls(env)
			r := slash(t, env, harness.Requester, harness.GeneralChannel, tc.text)
			d1, g1 := roAPICalls(env)

			shown := roShown(r.Content)
			wantType := "ephemeral"
			if tc.inChannel {
				wantType = "in_channel"
			}
			assert.Equal(t, wantType, r.ResponseType)
			require.NotEmpty(t, r.Text, "a reply needs fallback text for notifications")
			pos := 0
			for _, w := range tc.want {
				i := strings.Index(shown[pos:], w)
				if !assert.GreaterOrEqual(t, i, 0, "reply lacks %q after position %d:\n%s", w, pos, shown) {
					continue
				}
				pos += i + len(w)
			}
			for _, nw := range tc.notWant {
				assert.NotContains(t, shown, nw)
			}
			if tc.bullets >= 0 {
				assert.Equal(t, tc.bullets, roBullets(r.Content), "list items in:\n%s", shown)
			}
			switch tc.calls {
			case none:
				assert.Equal(t, [2]int{d0, g0}, [2]int{d1, g1}, "/devin %s must not call any API", tc.text)
			case devin:
				assert.Greater(t, d1, d0, "/devin %s must read the Devin API", tc.text)
				assert.Equal(t, g0, g1, "/devin %s must not call GitHub", tc.text)
			case gh:
				assert.Greater(t, g1, g0, "/devin %s must read the GitHub API", tc.text)
				assert.Equal(t, d0, d1, "/devin %s must not call Devin", tc.text)
			}
			for _, secret := range roSecrets(env) {
				assert.NotContains(t, string(r.Raw), secret)
			}

			detail := tc.audit
			if detail == "" {
				detail = "/devin " + tc.text
			}
			roAuditLine(t, env, detail, "ok")
		})
	}

	t.Run("requests lists a pending request", func(t *testing.T) {
		r := slash(t, env, harness.Requester, harness.GeneralChannel, `invite new.hire@example.com --reason "joins platform"`)
		require.Contains(t, roShown(r.Content), "waiting for approval")
		card, err := env.Slack.WaitMessage(waitCtx(t, 10*time.Second), func(m slacksandbox.Message) bool {
			return m.Channel == harness.ApprovalChannel && len(m.Buttons()) > 0
		})
		require.NoError(t, err)
		approve, ok := card.Button("approve")
		require.True(t, ok, "the card has an Approve button")

		r = slash(t, env, harness.Alice, harness.GeneralChannel, "requests")
		shown := roShown(r.Content)
		assert.Contains(t, shown, "*1 request* waiting for approval")
		assert.Contains(t, shown, "`"+approve.Value+"` invite 1 person to Devin — by <@"+harness.Requester+">")
		assert.Contains(t, shown, "approvals 0 of 1")
		assert.Equal(t, 1, roBullets(r.Content))
	})
}

// TestReadOnlyLongListsAreCut seeds more members and team members than one reply can
// show: the reply shows the first ones, says how many more there are, and stays within
// Block Kit's limits (the fake fails the test on any violation).
func TestReadOnlyLongListsAreCut(t *testing.T) {
	t.Parallel()
	env := roStart(t, harness.Options{})
	env.Devin.SeedMembers(1200) // + the 4 demo members
	big := make([]string, 150)
	for i := range big {
		big[i] = fmt.Sprintf("bigdev%03d", i)
		env.GitHub.AddUser(big[i])
	}
	env.GitHub.SeedTeam("ent:big", "Big", big...)
	more := regexp.MustCompile(`…and ([0-9,]+) more`)

	for _, tc := range []struct {
		text, heading, first string
		total                int
	}{
		{"members", "*1,204 members* in the Devin enterprise", "• *Ada Lovelace* — ada@example.com", 1204},
		{"team list big", "*150 members* in the GitHub enterprise team `ent:big`", "bigdev000", 150},
	} {
		t.Run(tc.text, func(t *testing.T) {
			r := slash(t, env, harness.Requester, harness.GeneralChannel, tc.text)
			shown := roShown(r.Content)
			require.Contains(t, shown, tc.heading)
			require.Contains(t, shown, tc.first)
			m := more.FindStringSubmatch(shown)
			require.NotNil(t, m, "a cut list says how many are left out:\n%.500s", shown)
			left := 0
			_, err := fmt.Sscan(strings.ReplaceAll(m[1], ",", ""), &left)
			require.NoError(t, err)
			shownItems := roBullets(r.Content)
			assert.Positive(t, shownItems)
			assert.Equal(t, tc.total, shownItems+left, "items shown (%d) + \"…and %d more\" must add up to the total", shownItems, left)

			assert.LessOrEqual(t, len(r.Blocks), 50, "Block Kit allows 50 blocks")
			for _, s := range roSections(r.Content) {
				assert.LessOrEqual(t, len([]rune(s)), 3000, "Block Kit allows 3,000 characters per section")
			}
			assert.LessOrEqual(t, len([]rune(r.Text)), 4000)
			assert.Empty(t, env.Slack.Violations())
		})
	}
	// The tail tells how to narrow the list down.
	r := slash(t, env, harness.Requester, harness.GeneralChannel, "members")
	assert.Contains(t, roShown(r.Content), "more (use `--email` to look one up)")
}

// TestReadOnlyHostileAPIData: names that come from the APIs are shown as text, never as
// Slack markup, so a member called <!channel> cannot ping the channel through the bot,
// and a command typed with markup cannot ping the audit channel either.
func TestReadOnlyHostileAPIData(t *testing.T) {
	t.Parallel()
	env := roStart(t, harness.Options{})
	env.Devin.AddMember(devinsandbox.Member{Email: "evil@example.com", Name: "<!channel>"})
	env.Devin.AddOrg(devinsandbox.Org{ID: "org-evil", Name: "<!here> & <@U0ALICE>"})
	env.GitHub.SeedTeam("ent:evil", "<!everyone> <https://evil.example|click>", "octocat")

	for _, tc := range []struct {
		text    string
		escaped []string
	}{
		{"members", []string{"*&lt;!channel&gt;* — evil@example.com"}},
		{"members --email evil@example.com", []string{"*&lt;!channel&gt;*"}},
		{"orgs", []string{"*&lt;!here&gt; &amp; &lt;@U0ALICE&gt;* `org-evil`"}},
		{"teams", []string{"`ent:evil` &lt;!everyone&gt; &lt;https://evil.example|click&gt;"}},
	} {
		t.Run(tc.text, func(t *testing.T) {
			r := slash(t, env, harness.Requester, harness.GeneralChannel, tc.text)
			for _, e := range tc.escaped {
				assert.Contains(t, roShown(r.Content), e)
			}
			for _, markup := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U0ALICE>", "<https://evil"} {
				assert.NotContains(t, r.Text, markup, "fallback text")
				assert.NotContains(t, roShown(r.Content), markup, "blocks")
			}
		})
	}

	t.Run("typed markup in the audit echo", func(t *testing.T) {
		r := slash(t, env, harness.Requester, harness.GeneralChannel, "frobnicate <!channel> <@U0ALICE>")
		assert.Contains(t, roShown(r.Content), "Unknown command `frobnicate`")
		// The echo writes Slack's markup out the way a person reads it ("@channel"),
		// with a word joiner after the @ so Slack does not parse it as a mention.
		line := waitAudit(t, env, "/devin frobnicate @\u2060channel @U0ALICE", "outcome: refused")
		assert.NotContains(t, line.AllText(), "@channel")
		assert.NotContains(t, line.AllText(), "<!channel>")
		assert.NotContains(t, line.AllText(), "<@U0ALICE>")
	})
}

// TestReadOnlyBadInput: input the bot cannot act on gets an ephemeral reply that says
// what is wrong and shows the right usage, and nothing reaches the Devin or GitHub API
// (no half-done request, no approval card).
func TestReadOnlyBadInput(t *testing.T) {
	t.Parallel()
	env := roStart(t, harness.Options{})
	emails := make([]string, 1001)
	for i := range emails {
		emails[i] = fmt.Sprintf("p%04d@example.com", i)
	}
	for _, tc := range []struct {
		name, text string
		want       []string
		usage      string // the usage line the reply must show
		audit      string // the start of the command as the audit echo shows it
	}{
		{
			name: "unknown command", text: "frobnicate",
			want:  []string{"Unknown command `frobnicate`.", "Try `/devin help`."},
			usage: "/devin members [--email EMAIL]\n/devin orgs\n",
		},
		{
			name: "unknown command close to a known one", text: "membres",
			want:  []string{"Unknown command `membres`. Did you mean `members`?"},
			usage: "/devin members [--email EMAIL]",
		},
		{
			name: "malformed email", text: "members --email not-an-email",
			want:  []string{"`not-an-email` is not a valid email address"},
			usage: "*Usage:* `/devin members [--email EMAIL]`",
		},
		{
			name: "unknown flag", text: "members --bogus",
			want:  []string{"Unknown flag `--bogus` for `/devin members`."},
			usage: "*Usage:* `/devin members [--email EMAIL]`",
		},
		{
			name: "misspelt flag", text: "members --emial ada@example.com",
			want:  []string{"Did you mean `--email`?"},
			usage: "*Usage:* `/devin members [--email EMAIL]`",
		},
		{
			name: "flag given twice", text: "members --email ada@example.com --email grace@example.com",
			want:  []string{"`--email` is given twice"},
			usage: "*Usage:* `/devin members [--email EMAIL]`",
		},
		{
			name: "missing team", text: "team list",
			usage: "`/devin team list TEAM`",
		},
		{
			name: "bad duration", text: "audit --since forever",
			want:  []string{"forever"},
			usage: "`/devin audit [--since DURATION]`",
		},
		{
			name: "too many emails", text: "invite " + strings.Join(emails, " ") + ` --reason "bulk"`,
			want:  []string{"Too many email addresses: 1001 given, the limit is 1000 per request."},
			usage: "`/devin invite EMAIL… [--role member|admin] [--org ORG] [--for DURATION] [--reason TEXT]`",
			audit: "/devin invite p0000@example.com p0001@example.com",
		},
		{
			name: "one bad email refuses the whole request", text: `invite ok@example.com not-an-email --reason x`,
			want:  []string{"`not-an-email` is not a valid email address"},
			usage: "`/devin invite EMAIL…",
		},
		{
			name: "bad GitHub login", text: `team add platform octocat -not-a-login- --reason x`,
			want:  []string{"`-not-a-login-`"},
			usage: "`/devin team add TEAM LOGIN… [--for DURATION] [--reason TEXT]`",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.Devin.ResetRequests()
			env.GitHub.ResetRequests()
			r := slash(t, env, harness.Requester, harness.GeneralChannel, tc.text)
			shown := roShown(r.Content)
			assert.Equal(t, "ephemeral", r.ResponseType, "bad input is only shown to whoever typed it")
			for _, w := range tc.want {
				assert.Contains(t, shown, w)
			}
			assert.Contains(t, shown, "*Usage:*")
			assert.Contains(t, shown, tc.usage)

			assert.Empty(t, env.Devin.Requests(), "nothing may be sent to the Devin API")
			assert.Empty(t, env.GitHub.Requests(), "nothing may be sent to the GitHub API")
			assert.Empty(t, env.Slack.Messages(harness.ApprovalChannel), "no approval card for bad input")

			detail := tc.audit
			if detail == "" {
				detail = "/devin " + tc.text
			}
			waitAudit(t, env, "<@"+harness.Requester+">", detail, "outcome: refused")
		})
	}
}

// roAssertPlainSentence checks an API error as the user sees it: an ephemeral reply of
// one plain sentence, with no JSON, no API field names and no credentials.
func roAssertPlainSentence(t *testing.T, env *harness.Env, r slacksandbox.Response, want string) {
	t.Helper()
	assert.Equal(t, "ephemeral", r.ResponseType)
	sections := roSections(r.Content)
	require.Len(t, sections, 1, "one sentence, one block: %q", sections)
	s := sections[0]
	assert.Contains(t, s, want)
	assert.Equal(t, s, r.Text, "the notification shows the same sentence")
	assert.NotContains(t, s, "\n", "one line")
	assert.True(t, strings.HasSuffix(s, "."), "a sentence ends with a full stop: %q", s)
	assert.NotContains(t, strings.TrimSuffix(s, "."), ". ", "exactly one sentence: %q", s)
	for _, bad := range []string{"{", "}", `"`, "detail", "documentation_url", "message:", "http://", "https://"} {
		assert.NotContains(t, s, bad, "API internals in %q", s)
	}
	for _, secret := range roSecrets(env) {
		assert.NotContains(t, string(r.Raw), secret)
	}
}

// TestReadOnlyAPIErrors injects each class of API error under every read-only command
// that calls that API: the user gets one plain sentence that says what is wrong.
func TestReadOnlyAPIErrors(t *testing.T) {
	t.Parallel()
	type fault struct {
		name   string
		inject func(*harness.Env)
		want   string
		calls  int // API requests the command may make (0: not checked)
		// v3want is the sentence against Devin API v3, when it differs: v3 has a
		// service user, whose 403 names the permission the command needs.
		v3want func(cmd string) string
	}
	// The v3 permission each command's first call needs.
	v3perm := map[string]string{
		"members": "ManageAccountMembership", "members --email ada@example.com": "ManageAccountMembership",
		"orgs": "ManageOrganizations", "usage": "ViewAccountConsumption", "audit --since 7d": "ManageEnterpriseSettings",
	}
	devinFaults := []fault{
		{"401", func(e *harness.Env) { e.Devin.Fail("", "", 401, -1) },
			"The Devin API key was rejected (401): it is missing, revoked or invalid.", 0,
			func(string) string {
				return "The Devin service user's credential was rejected (401): it is missing, revoked or invalid, or it is a v2 key"
			}},
		{"403", func(e *harness.Env) { e.Devin.Fail("", "", 403, -1) },
			"The Devin API key is not an Enterprise Admin key (403): use a personal key of an Enterprise Admin.", 0,
			func(cmd string) string { return "The Devin service user lacks the " + v3perm[cmd] + " " }},
		{"404", func(e *harness.Env) { e.Devin.Fail("", "", 404, -1) },
			"Devin API could not find that (404)", 0, nil},
		// Ten minutes is beyond the client's retry budget (2 minutes of waiting): the user
		// is told at once instead of the command hanging, and the call is not repeated.
		{"429 beyond the retry budget", func(e *harness.Env) { e.Devin.SetRetryAfter("600"); e.Devin.Fail("", "", 429, -1) },
			"Devin API is rate limiting the bot; try again in 10 minutes.", 1, nil},
		// A 5xx is retried with backoff (seconds), so it runs under one command only; the
		// sentence comes from the same place for every command.
		{"500", func(e *harness.Env) { e.Devin.Fail("", "", 500, -1) },
			"Devin API is having trouble (500); try again in a few minutes.", 0, nil},
	}

	githubFaults := []fault{
		{"401", func(e *harness.Env) { e.GitHub.Fail("", "", 401, 1000) },
			"The GitHub token was rejected (401): it is missing, expired or revoked.", 0, nil},
		{"403", func(e *harness.Env) { e.GitHub.Fail("", "", 403, 1000) },
			"The GitHub token lacks the admin:enterprise scope or enterprise owner role (403).", 0, nil},
		{"429 beyond the retry budget", func(e *harness.Env) { e.GitHub.RateLimitSecondaryWithStatus(429, 1000, 10*time.Minute) },
			"GitHub API is rate limiting the bot; try again in 10 minutes.", 1, nil},
		{"500", func(e *harness.Env) { e.GitHub.Fail("", "", 500, 1000) },
			"GitHub API is having trouble (500); try again in a few minutes.", 0, nil},
	}
	retried := map[string]string{"devin": "usage", "github": "teams"} // the one command a 500 runs under
	for _, cmd := range []string{"members", "members --email ada@example.com", "orgs", "usage", "audit --since 7d"} {
		for _, f := range devinFaults {
			if f.name == "500" && cmd != retried["devin"] {
				continue
			}
			t.Run("devin "+f.name+"/"+cmd, func(t *testing.T) {
				t.Parallel()
				env := roStart(t, harness.Options{})
				f.inject(env)
				began := time.Now()
				r := slash(t, env, harness.Requester, harness.GeneralChannel, cmd)
				want := f.want
				if isV3(env) && f.v3want != nil {
					want = f.v3want(cmd)
				}
				roAssertPlainSentence(t, env, r, want)
				if f.calls > 0 {
					assert.Equal(t, f.calls, len(env.Devin.Requests()), "requests to the Devin API")
					assert.Less(t, time.Since(began), 5*time.Second, "answered without waiting out the rate limit")
				}
				roAuditLine(t, env, "/devin "+cmd, "error")
			})
		}
	}
	for _, cmd := range []string{"teams", "team list platform"} {
		for _, f := range githubFaults {
			if f.name == "500" && cmd != retried["github"] {
				continue
			}
			t.Run("github "+f.name+"/"+cmd, func(t *testing.T) {
				t.Parallel()
				env := roStart(t, harness.Options{})
				f.inject(env)
				began := time.Now()
				r := slash(t, env, harness.Requester, harness.GeneralChannel, cmd)
				roAssertPlainSentence(t, env, r, f.want)
				if f.calls > 0 {
					assert.Equal(t, f.calls, len(env.GitHub.Requests()), "requests to the GitHub API")
					assert.Less(t, time.Since(began), 5*time.Second, "answered without waiting out the rate limit")
				}
				roAuditLine(t, env, "/devin "+cmd, "error")
			})
		}
	}
	// GitHub answers 404 for a team the token cannot see: the reply names the team and
	// where to find the right one.
	for _, cmd := range []string{"team list nope", "team list ent:nope"} {
		t.Run("github 404 team/"+cmd, func(t *testing.T) {
			t.Parallel()
			env := roStart(t, harness.Options{})
			r := slash(t, env, harness.Requester, harness.GeneralChannel, cmd)
			assert.Equal(t, "ephemeral", r.ResponseType)
			sections := roSections(r.Content)
			require.Len(t, sections, 1)
			assert.Equal(t, "There is no GitHub enterprise team `ent:nope` that the bot's token can see. `/devin teams` lists the teams.", sections[0])
			roAuditLine(t, env, "/devin "+cmd, "refused")
		})
	}
}
