package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
	"devin-chatops/audit"
	"devin-chatops/auditecho"
	"devin-chatops/slackui"
	"devin-chatops/store"
)

func TestRouterNotConfigured(t *testing.T) {
	tests := []struct {
		name  string
		unset func(*Deps)
		text  string
		want  string
	}{
		{"members without Devin", func(d *Deps) { d.Devin = nil }, "members", msgDevinNotConfigured},
		{"orgs without Devin", func(d *Deps) { d.Devin = nil }, "orgs", msgDevinNotConfigured},
		{"usage without Devin", func(d *Deps) { d.Devin = nil }, "usage", msgDevinNotConfigured},
		{"audit without Devin", func(d *Deps) { d.Devin = nil }, "audit", msgDevinNotConfigured},
		{"invite without Devin", func(d *Deps) { d.Devin = nil }, "invite a@x.io", msgDevinNotConfigured},
		{"teams without GitHub", func(d *Deps) { d.GitHub = nil }, "teams", msgGitHubNotConfigured},
		{"team list without GitHub", func(d *Deps) { d.GitHub = nil }, "team list platform", msgGitHubNotConfigured},
		{"team add without GitHub", func(d *Deps) { d.GitHub = nil }, "team add platform octocat", msgGitHubNotConfigured},
		{"team remove without GitHub", func(d *Deps) { d.GitHub = nil }, "team remove platform octocat", msgGitHubNotConfigured},
		{"requests without approvals", func(d *Deps) { d.Approvals = nil }, "requests", msgApprovalsNotConfigured},
		{"invite without approvals", func(d *Deps) { d.Approvals = nil }, "invite a@x.io", msgApprovalsNotConfigured},
		{"help for a command without Devin", func(d *Deps) { d.Devin = nil }, "help invite", msgDevinNotConfigured},
		{"--help without GitHub", func(d *Deps) { d.GitHub = nil }, "team add --help", msgGitHubNotConfigured},
		{"help for a group without GitHub", func(d *Deps) { d.GitHub = nil }, "help team", msgGitHubNotConfigured},
		{"team add without approvals", func(d *Deps) { d.Approvals = nil }, "team add platform octocat", msgApprovalsNotConfigured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv()
			tt.unset(&e.deps)
			r := e.run(t, tt.text)
			assert.Equal(t, tt.want, r.Text)
			assert.False(t, r.InChannel)
			assert.Equal(t, outcomeRefused, e.audit.last(t).Outcome)
			assert.Empty(t, e.approvals.submitted)
		})
	}
}

// TestRouterHelpNeedsNothingConfigured: help answers with nothing configured, and
// offers only the commands that can run.
func TestRouterHelpNeedsNothingConfigured(t *testing.T) {
	e := newEnv()
	e.deps = Deps{Audit: e.audit}
	r := e.run(t, "")
	text := textOf(r.Message)
	assert.Contains(t, text, "/devin help [COMMAND]")
	assert.NotContains(t, text, "/devin invite EMAIL…")
	assert.NotContains(t, text, "*Needs approval*")
	assert.Equal(t, outcomeOK, e.audit.last(t).Outcome)
}

func TestRouterHelpListsOnlyConfiguredCommands(t *testing.T) {
	tests := []struct {
		name    string
		unset   func(*Deps)
		text    string
		want    []string
		notWant []string
	}{
		{"without GitHub", func(d *Deps) { d.GitHub = nil }, "help",
			[]string{"/devin members", "/devin invite EMAIL…", "/devin requests"},
			[]string{"/devin teams", "/devin team list", "/devin team add"}},
		{"without Devin", func(d *Deps) { d.Devin = nil }, "help",
			[]string{"/devin teams", "/devin team add", "/devin requests"},
			[]string{"/devin members", "/devin orgs", "/devin usage", "/devin audit", "/devin invite"}},
		{"without approvals", func(d *Deps) { d.Approvals = nil }, "help",
			[]string{"/devin members", "/devin team list"},
			[]string{"/devin requests", "/devin invite", "/devin team add", "*Needs approval*"}},
		{"a group without approvals shows the commands that can run", func(d *Deps) { d.Approvals = nil }, "help team",
			[]string{"/devin team list TEAM"},
			[]string{"/devin team add", "/devin team remove"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv()
			tt.unset(&e.deps)
			text := textOf(e.run(t, tt.text).Message)
			for _, w := range tt.want {
				assert.Contains(t, text, w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, text, w)
			}
		})
	}
}

func TestRouterUsageErrors(t *testing.T) {
	emails := make([]string, 1001)
	for i := range emails {
		emails[i] = fmt.Sprintf("user%d@example.com", i)
	}
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"unknown command", "frobnicate", []string{"Unknown command `frobnicate`.", "*Usage:*", "/devin members [--email EMAIL]"}},
		{"bad email", "invite not-an-email", []string{"`not-an-email` is not a valid email address", "*Usage:* `/devin invite EMAIL…"}},
		{"1001 emails", "invite " + strings.Join(emails, " "), []string{"Too many email addresses: 1001 given, the limit is 1000 per request."}},
		{"bad login", "team add platform octo.cat", []string{"`octo.cat` is not a valid GitHub login"}},
		{"hostile input is shown inert", "invite <!channel>", []string{"`@\u2060channel` is not a valid email address"}},
		{"hostile unclosed form is escaped", "invite \"<!channel> x", []string{"&lt;!channel&gt;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv()
			r := e.run(t, tt.text)
			text := textOf(r.Message)
			for _, w := range tt.want {
				assert.Contains(t, text, w)
			}
			assert.NotContains(t, text, "<!channel>")
			assert.False(t, r.InChannel, "usage errors are only for the caller")
			assert.Empty(t, e.approvals.submitted)
			ev := e.audit.last(t)
			assert.Equal(t, outcomeRefused, ev.Outcome)
			assert.Equal(t, audit.KindCommand, ev.Kind)
		})
	}
}

// TestRouterAPIErrors checks that every class of API error reaches the user as the one
// sentence apiclient.UserMessage makes of it, and nothing else.
func TestRouterAPIErrors(t *testing.T) {
	classes := []struct {
		kind   apiclient.Kind
		status int
	}{
		{apiclient.KindUnauthorized, 401},
		{apiclient.KindForbidden, 403},
		{apiclient.KindNotFound, 404},
		{apiclient.KindRateLimited, 429},
		{apiclient.KindServer, 500},
	}
	commands := []struct {
		text string
		api  string
		fail func(e *env, err error)
	}{
		{"members", devin.APIName, func(e *env, err error) { e.devin.membersErr = err }},
		{"orgs", devin.APIName, func(e *env, err error) { e.devin.orgsErr = err }},
		{"usage", devin.APIName, func(e *env, err error) { e.devin.cyclesErr = err }},
		{"usage --post", devin.APIName, func(e *env, err error) { e.devin.cycles, e.devin.consErr = []devin.Cycle{mayCycle}, err }},
		{"audit --since 2d", devin.APIName, func(e *env, err error) { e.devin.logsErr = err }},
		{"teams", "GitHub API", func(e *env, err error) { e.github.teamsErr = err }},
		{"team list platform", "GitHub API", func(e *env, err error) { e.github.membersErr = err }},
		{"invite a@x.io --org acme", devin.APIName, func(e *env, err error) { e.devin.orgsErr = err }},
		{"team add platform octocat", "GitHub API", func(e *env, err error) { e.github.getTeamErr = err }},
	}
	for _, c := range commands {
		for _, cl := range classes {
			t.Run(fmt.Sprintf("%s %d", c.text, cl.status), func(t *testing.T) {
				e := newEnv()
				err := apiErr(c.api, cl.kind, cl.status)
				c.fail(e, err)
				r := e.run(t, c.text)
				if cl.kind == apiclient.KindNotFound && strings.Contains(c.text, "team ") {
					assert.Contains(t, r.Text, "There is no GitHub enterprise team `ent:platform`")
					assert.Equal(t, outcomeRefused, e.audit.last(t).Outcome)
					return
				}
				if cl.kind == apiclient.KindNotFound && strings.Contains(c.text, "--org") {
					assert.Contains(t, r.Text, "There is no Devin organization with the ID or name `acme`")
					return
				}
				want := apiclient.UserMessage(err)
				assert.Equal(t, want, r.Text)
				assert.Equal(t, want, blocksText(r.Message))
				assert.Len(t, r.Blocks, 1)
				assert.False(t, r.InChannel, "an error is never posted to the channel")
				assert.Equal(t, outcomeError, e.audit.last(t).Outcome)
				assert.Empty(t, e.approvals.submitted)
				assert.Contains(t, e.logs.String(), "command failed")
			})
		}
	}
}

func TestRouterErrorSentencesAreEscaped(t *testing.T) {
	e := newEnv()
	e.devin.membersErr = &apiclient.Error{API: devin.APIName, Kind: apiclient.KindNotFound, Status: 404, Message: "no user <!channel>"}
	r := e.run(t, "members")
	assert.Contains(t, r.Text, "&lt;!channel&gt;")
	assert.NotContains(t, textOf(r.Message), "<!channel>")
}

func TestRouterNonAPIErrorIsOneSentence(t *testing.T) {
	e := newEnv()
	e.approvals.pendingErr = errors.New("database is locked: SQLITE_BUSY")
	r := e.run(t, "requests")
	assert.Equal(t, "The pending requests could not be read; the details are in the bot's log.", r.Text)
	assert.NotContains(t, textOf(r.Message), "SQLITE")
	assert.Contains(t, e.logs.String(), "SQLITE_BUSY")
	assert.Equal(t, outcomeError, e.audit.last(t).Outcome)
}

func TestRouterTimeout(t *testing.T) {
	e := newEnv()
	e.deps.CommandTimeout = 20 * time.Millisecond
	e.devin.block = true
	start := time.Now()
	r := e.run(t, "members")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, apiclient.UserMessage(context.DeadlineExceeded), r.Text)
	ev := e.audit.last(t)
	assert.Equal(t, outcomeError, ev.Outcome)
	assert.NoError(t, e.audit.ctxErrs[0], "the audit write gets a live context after a command timed out")
}

func TestRouterAuditEvents(t *testing.T) {
	tests := []struct {
		name        string
		text        string
		wantCommand string
		wantDetail  string
		wantOutcome string
		wantRequest string
	}{
		{"read-only command", "members --email <mailto:Ada@Example.com|Ada@Example.com>", "members",
			"/devin members --email Ada@Example.com", outcomeOK, ""},
		{"help", "help team add", "help", "/devin help team add", outcomeOK, ""},
		{"unknown command", "nope", "", "/devin nope", outcomeRefused, ""},
		{"usage error of a known command", "team add platform bad.login", "team add", "/devin team add platform bad.login", outcomeRefused, ""},
		{"change request", `team add ent:platform octocat --reason "on call"`, "team add",
			`/devin team add ent:platform octocat --reason "on call"`, outcomeOK, "R7K3QX0"},
		{"Slack forms are written out", "invite <mailto:a@x.io|a@x.io> --reason <@U9|bob>&amp;co", "invite",
			"/devin invite a@x.io --reason @bob&co", outcomeOK, "R7K3QX0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv()
			e.github.teams = []github.Team{{ID: 1, Slug: "ent:platform", Name: "Platform"}}
			e.run(t, tt.text)
			require.Len(t, e.audit.events, 1, "one event per command")
			ev := e.audit.events[0]
			assert.Equal(t, audit.KindCommand, ev.Kind)
			assert.Equal(t, "U1", ev.Actor)
			assert.Equal(t, tt.wantCommand, ev.Command)
			assert.Equal(t, tt.wantDetail, ev.Detail)
			assert.Equal(t, tt.wantOutcome, ev.Outcome)
			assert.Equal(t, tt.wantRequest, ev.RequestID)
			assert.Equal(t, testNow, ev.At)
			assert.Equal(t, 1, e.audit.kicks)
		})
	}
}

func TestRouterAuditDetailIsInertInTheEcho(t *testing.T) {
	e := newEnv()
	e.run(t, "members --email <!channel>")
	line := auditecho.Format(e.audit.last(t))
	assert.NotContains(t, line, "<!channel>")
	assert.Contains(t, line, "@\u2060channel", "shown, with a word joiner that keeps it from pinging")
	assert.NotContains(t, line, "@channel")
}

func TestRouterAuditDetailIsClipped(t *testing.T) {
	e := newEnv()
	e.run(t, "team add platform "+strings.Repeat("octocat-", 400)+"x")
	assert.LessOrEqual(t, len([]rune(e.audit.last(t).Detail)), maxAuditDetail)
}

func TestRouterAuditWriteFailureIsNotTheUsersProblem(t *testing.T) {
	e := newEnv()
	e.audit.err = errors.New("disk full")
	e.devin.orgs = []devin.Organization{{ID: "org_1", Name: "Platform"}}
	r := e.run(t, "orgs")
	assert.Contains(t, textOf(r.Message), "*Platform*")
	assert.Contains(t, e.logs.String(), "audit event not stored")
	assert.Contains(t, e.logs.String(), "disk full")
	assert.Zero(t, e.audit.kicks, "nothing stored, nothing to echo")
}

func TestRouterWithoutAuditLogStillAnswers(t *testing.T) {
	e := newEnv()
	e.deps.Audit, e.deps.Kicker = nil, nil
	r := e.run(t, "help")
	assert.Contains(t, textOf(r.Message), "/devin")
}

func TestRouterIsSafeForConcurrentUse(t *testing.T) {
	e := newEnv()
	e.devin.members = []devin.Member{{UserID: "u1", Email: "a@x.io"}}
	r := e.router()
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 20 {
				r.HandleSlash(context.Background(), slash("members"))
			}
		}()
	}
	for range 8 {
		<-done
	}
	assert.Len(t, e.audit.events, 160)
}

func TestUsageReplyShowsUsage(t *testing.T) {
	r := usageReply(&UsageError{Msg: "Bad.", Usage: "/devin a\n/devin b"})
	assert.Contains(t, r.Text, "Bad.\n*Usage:*\n```/devin a\n/devin b```")
	r = usageReply(errors.New("odd"))
	assert.Contains(t, r.Text, "/devin help")
}

// Keep the compiler honest about the real types satisfying the router's interfaces.
var (
	_ DevinAPI        = (*devin.Client)(nil)
	_ GitHubAPI       = (*github.Client)(nil)
	_ Approvals       = (*approvals.Service)(nil)
	_ AuditAppender   = (*store.DB)(nil)
	_ Kicker          = (*auditecho.Echoer)(nil)
	_ slackui.Message = slackui.Message{}
)
