package commands

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	inviteUsage     = "/devin invite EMAIL… [--role member|admin] [--org ORG] [--for DURATION] [--reason TEXT]"
	teamAddUsage    = "/devin team add TEAM LOGIN… [--for DURATION] [--reason TEXT]"
	teamRemoveUsage = "/devin team remove TEAM LOGIN… [--reason TEXT]"
	teamListUsage   = "/devin team list TEAM"
	auditUsage      = "/devin audit [--since DURATION]"
)

// parseCase is a line Parse must accept, and the command it must make of it.
type parseCase struct {
	name string
	text string
	want Command
}

func assertParses(t *testing.T, tests []parseCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// refusalCase is a line Parse must refuse with a UsageError safe to post.
type refusalCase struct {
	name      string
	text      string
	wantMsg   []string // each must appear in the message
	notInMsg  []string // none may appear in the message
	wantUsage string   // a line the usage must contain
}

func assertRefuses(t *testing.T, tests []refusalCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text)
			require.Error(t, err)
			assert.Nil(t, got)
			var ue *UsageError
			require.True(t, errors.As(err, &ue), "error is %T, want *UsageError", err)
			assert.Equal(t, ue.Msg, ue.Error())
			for _, want := range tt.wantMsg {
				assert.Contains(t, ue.Msg, want)
			}
			for _, not := range tt.notInMsg {
				assert.NotContains(t, ue.Msg, not)
			}
			if tt.wantUsage != "" {
				assert.Contains(t, strings.Split(ue.Usage, "\n"), tt.wantUsage)
			}
			assert.NotEmpty(t, ue.Usage)
			assertInert(t, ue)
		})
	}
}

func TestParseRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "unknown command with a near one", text: "invte a@x.io",
			wantMsg: []string{"Unknown command `invte`", "Did you mean `invite`?", "`/devin help`"}, wantUsage: inviteUsage},
		{name: "unknown command, plural slip", text: "member",
			wantMsg: []string{"Unknown command `member`", "Did you mean `members`?"}},
		{name: "unknown command with nothing near", text: "deploy prod",
			wantMsg: []string{"Unknown command `deploy`", "`/devin help`"}, notInMsg: []string{"Did you mean"}, wantUsage: teamAddUsage},
		{name: "single-dash help is not a command", text: "-x",
			wantMsg: []string{"Unknown command `-x`"}},
		{name: "command written as a mention", text: "<@U123|bob> invite",
			wantMsg: []string{"Unknown command `@bob`"}},
		{name: "team without a subcommand", text: "team",
			wantMsg: []string{"`/devin team` needs one of `list`, `add` or `remove`"}, wantUsage: teamRemoveUsage},
		{name: "team with a flag for a subcommand", text: "team --reason x",
			wantMsg: []string{"needs one of"}, wantUsage: teamListUsage},
		{name: "team with a near subcommand", text: "team ad platform octocat",
			wantMsg: []string{"`/devin team` has no subcommand `ad`.", "Did you mean `team add`?"}, wantUsage: teamAddUsage},
		{name: "team with an unknown subcommand", text: "team delete platform",
			wantMsg: []string{"`delete`", "It takes `list`, `add` or `remove`"}, notInMsg: []string{"Did you mean"}},
		{name: "arguments to a command that takes none", text: "orgs acme",
			wantMsg: []string{"`/devin orgs` takes no arguments, but got `acme`"}, wantUsage: "/devin orgs"},
		{name: "arguments to usage", text: "usage now --post",
			wantMsg: []string{"`/devin usage` takes no arguments, but got `now`"}, wantUsage: "/devin usage [--post] [--cycle current|previous] [--org ORG]"},
		{name: "arguments to members", text: "members ada@x.io",
			wantMsg: []string{"takes no arguments"}, wantUsage: "/devin members [--email EMAIL]"},
		{name: "unknown flag with a near one", text: "invite a@x.io --rol admin",
			wantMsg: []string{"Unknown flag `--rol` for `/devin invite`", "Did you mean `--role`?"}, wantUsage: inviteUsage},
		{name: "unknown flag with nothing near", text: "invite a@x.io --verbose",
			wantMsg: []string{"Unknown flag `--verbose`"}, notInMsg: []string{"Did you mean"}},
		{name: "unknown flag on a command without flags", text: "orgs --all",
			wantMsg: []string{"Unknown flag `--all` for `/devin orgs`", "It takes no flags"}},
		{name: "unknown flag written --name=value", text: "audit --sinc=7d",
			wantMsg: []string{"Unknown flag `--sinc`", "Did you mean `--since`?"}, wantUsage: auditUsage},
		{name: "bare double dash", text: "invite a@x.io --",
			wantMsg: []string{"Unknown flag `--`"}},
		{name: "single-dash flag", text: "invite a@x.io -role admin",
			wantMsg: []string{"`-role` is not a flag", "two dashes, like `--role`"}, wantUsage: inviteUsage},
		{name: "missing flag value at the end", text: "invite a@x.io --role",
			wantMsg: []string{"`--role` needs a value: `--role member|admin`"}, wantUsage: inviteUsage},
		{name: "missing flag value before another flag", text: "invite a@x.io --org --role admin",
			wantMsg: []string{"`--org` needs a value"}},
		{name: "empty --flag= value", text: "invite a@x.io --org=",
			wantMsg: []string{"`--org` needs a value"}},
		{name: "empty quoted flag value", text: `invite a@x.io --org ""`,
			wantMsg: []string{"`--org` needs a value"}},
		{name: "blank quoted flag value", text: `invite a@x.io --reason "   "`,
			wantMsg: []string{"`--reason` needs a value"}},
		{name: "missing --since value", text: "audit --since",
			wantMsg: []string{"`--since` needs a value: `--since DURATION`"}, wantUsage: auditUsage},
		{name: "duplicate flag", text: "invite a@x.io --role admin --role=member",
			wantMsg: []string{"`--role` is given twice"}, wantUsage: inviteUsage},
		{name: "duplicate flag in other case", text: "invite a@x.io --org a --ORG b",
			wantMsg: []string{"`--org` is given twice"}},
		{name: "duplicate switch", text: "usage --post --post",
			wantMsg: []string{"`--post` is given twice"}},
		{name: "switch with a value", text: "usage --post=yes",
			wantMsg: []string{"`--post` takes no value"}},
		{name: "unclosed double quote", text: `invite a@x.io --reason "new hire`,
			wantMsg: []string{"The quote at `\"new hire` is never closed."}, wantUsage: inviteUsage},
		{name: "unclosed smart quote", text: "team add platform octocat --reason “on call",
			wantMsg: []string{"The quote at `“on call` is never closed."}, wantUsage: teamAddUsage},
		{name: "unclosed single quote", text: "invite a@x.io --reason 'on call",
			wantMsg: []string{"The quote at `'on call` is never closed."}},
		{name: "unclosed quote excerpt has Slack's escaping undone", text: `invite "R&amp;D`,
			wantMsg: []string{"`\"R&amp;D`"}, notInMsg: []string{"&amp;amp;"}},
		{name: "unclosed quote in the command", text: `"invite a@x.io`,
			wantMsg: []string{"is never closed"}, wantUsage: teamListUsage},
		{name: "unclosed quote shows a short excerpt", text: `invite "` + strings.Repeat("x", 100),
			wantMsg: []string{"`\"" + strings.Repeat("x", 28) + "…`"}},
	})
}

func TestParseAcceptsLimits(t *testing.T) {
	t.Run("1000 emails", func(t *testing.T) {
		got, err := Parse("invite " + strings.Join(numbered("user%d@example.com", 1000), " "))
		require.NoError(t, err)
		assert.Len(t, got.(Invite).Emails, 1000)
	})
	t.Run("1001 emails of which 1000 distinct", func(t *testing.T) {
		got, err := Parse("invite " + strings.Join(numbered("user%d@example.com", 1000), " ") + " USER7@example.com")
		require.NoError(t, err)
		assert.Len(t, got.(Invite).Emails, 1000)
	})
	t.Run("1000 logins", func(t *testing.T) {
		got, err := Parse("team add platform " + strings.Join(numbered("user-%d", 1000), ","))
		require.NoError(t, err)
		assert.Len(t, got.(TeamAdd).Logins, 1000)
	})
}

// TestParseErrorsCannotPing feeds input that would ping people, forge a mention or hide
// a link if it reached Slack unescaped, into every place an error quotes input.
func TestParseErrorsCannotPing(t *testing.T) {
	hostile := []string{
		"<!channel>",
		"<!here|here>",
		"<!subteam^S123|@oncall>",
		"<@U123>",
		"<#C123|general>",
		"<https://evil.example.com|click me>",
		"&lt;!everyone&gt;",
		"x<!channel>y",
	}
	forms := []string{
		"%s",                              // unknown command
		"team %s",                         // unknown subcommand
		"help %s",                         // unknown help topic
		"orgs %s",                         // unexpected argument
		"invite %s",                       // bad email
		"invite a@x.io,%s",                // bad email among good ones
		"members --email %s",              // bad --email
		"team add platform %s",            // bad login
		"team list %s",                    // bad team
		"invite a@x.io --role %s",         // bad role
		"invite a@x.io --org %s",          // bad org
		"audit --since %s",                // bad duration
		"invite a@x.io --%s",              // unknown flag
		"invite a@x.io --%s=1",            // unknown flag with a value
		"invite a@x.io --reason \"%s",     // unclosed quote
		"invite a@x.io --reason=x %s",     // reason spill-over hint
		"team add platform octocat -a%s",  // single-dash flag
		"invite a@x.io --org %s --org %s", // duplicate flag (the name is ours, the value is not)
	}
	for _, form := range forms {
		for _, h := range hostile {
			text := strings.ReplaceAll(form, "%s", h)
			t.Run(text, func(t *testing.T) {
				_, err := Parse(text)
				if err == nil {
					return // some of it is fine as a value: an org named "&lt;!everyone&gt;" is text
				}
				var ue *UsageError
				require.True(t, errors.As(err, &ue), "want a UsageError, got %v", err)
				assertInert(t, ue)
			})
		}
	}
}

// assertInert checks that an error can be posted to Slack as is: no raw angle bracket
// can start a mention, a special ping or a link.
func assertInert(t *testing.T, ue *UsageError) {
	t.Helper()
	assert.NotContains(t, ue.Msg, "<", "message %q", ue.Msg)
	assert.NotContains(t, ue.Msg, ">", "message %q", ue.Msg)
	assert.NotContains(t, ue.Usage, "<")
	assert.NotContains(t, ue.Usage, ">")
}

func TestUsageErrorIsAnError(t *testing.T) {
	var err error = &UsageError{Msg: "bad", Usage: "/devin help"}
	assert.EqualError(t, err, "bad")
}

func BenchmarkParseInvite1000(b *testing.B) {
	text := "invite " + strings.Join(numbered("First.Last%d@Example.com", 1000), " ") +
		` --role admin --org "Acme Research" --reason "quarterly onboarding"`
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}

// numbered is format filled in with 1…n.
func numbered(format string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i+1)
	}
	return out
}
