package commands

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	inviteUsage     = "/devin invite EMAIL… [--role member|admin] [--org ORG] [--reason TEXT]"
	teamAddUsage    = "/devin team add TEAM LOGIN… [--reason TEXT]"
	teamRemoveUsage = "/devin team remove TEAM LOGIN… [--reason TEXT]"
	teamListUsage   = "/devin team list TEAM"
	auditUsage      = "/devin audit [--since DURATION]"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Command
	}{
		// help
		{"empty text is help", "", Help{}},
		{"blank text is help", " \t\n ", Help{}},
		{"help", "help", Help{}},
		{"help with a topic", "help invite", Help{Topic: "invite"}},
		{"help topic of two words, any case", "HELP Team  Add", Help{Topic: "team add"}},
		{"help for a group", "help team", Help{Topic: "team"}},
		{"help topic written with /devin", "help /devin usage", Help{Topic: "usage"}},
		{"--help on a command", "invite a@example.com --help", Help{Topic: "invite"}},
		{"--help on a team command", "team add --help", Help{Topic: "team add"}},
		{"verb in capitals", "ORGS", Orgs{}},

		// read-only
		{"members", "members", Members{}},
		{"members --email, lower-cased", "members --email Ada@Example.COM", Members{Email: "ada@example.com"}},
		{"members --email=", "members --email=ada@example.com", Members{Email: "ada@example.com"}},
		{"members --email as a Slack mailto", "members --email <mailto:ada@example.com|ada@example.com>", Members{Email: "ada@example.com"}},
		{"members --email= as a Slack mailto", "members --email=<mailto:ada@example.com|ada@example.com>", Members{Email: "ada@example.com"}},
		{"orgs", "orgs", Orgs{}},
		{"teams", "teams", Teams{}},
		{"requests", "requests", Requests{}},
		{"team list with ent: prefix", "team list ent:Platform", TeamList{Team: "ent:platform"}},
		{"team list without prefix", "team list platform", TeamList{Team: "ent:platform"}},
		{"team list prefix in capitals", "team list ENT:my_team-2", TeamList{Team: "ent:my_team-2"}},
		{"team list by id", "team list 4242", TeamList{Team: "4242"}},
		{"team list subcommand in capitals", "Team LIST platform", TeamList{Team: "ent:platform"}},
		{"usage", "usage", Usage{}},
		{"usage --post", "usage --post", Usage{Post: true}},
		{"usage em-dash flag", "usage —post", Usage{Post: true}},
		{"audit defaults to a day", "audit", Audit{Since: 24 * time.Hour}},
		{"audit go duration", "audit --since 12h", Audit{Since: 12 * time.Hour}},
		{"audit compound go duration", "audit --since 1h30m", Audit{Since: 90 * time.Minute}},
		{"audit days", "audit --since=7d", Audit{Since: 7 * 24 * time.Hour}},
		{"audit weeks", "audit --since 2w", Audit{Since: 14 * 24 * time.Hour}},
		{"audit weeks and days", "audit --since 1w2d12h", Audit{Since: (9*24 + 12) * time.Hour}},
		{"audit fraction of a day", "audit --since 1.5d", Audit{Since: 36 * time.Hour}},
		{"audit upper-case unit", "audit --since 36H", Audit{Since: 36 * time.Hour}},
		{"audit exactly 90 days", "audit --since 90d", Audit{Since: 90 * 24 * time.Hour}},
		{"audit 2160h is 90 days", "audit --since 2160h", Audit{Since: 90 * 24 * time.Hour}},

		// invite
		{"invite one", "invite ada@example.com", Invite{Emails: []string{"ada@example.com"}, Role: "member"}},
		{"invite many, lower-cased, order kept", "invite Grace@Example.com ada@example.com",
			Invite{Emails: []string{"grace@example.com", "ada@example.com"}, Role: "member"}},
		{"invite dedupes ignoring case, first kept", "invite b@x.io A@x.io B@X.IO a@x.io",
			Invite{Emails: []string{"b@x.io", "a@x.io"}, Role: "member"}},
		{"invite comma separated", "invite a@x.io,b@x.io, c@x.io ,d@x.io,",
			Invite{Emails: []string{"a@x.io", "b@x.io", "c@x.io", "d@x.io"}, Role: "member"}},
		{"invite one per line", "invite\na@x.io\nb@x.io\n", Invite{Emails: []string{"a@x.io", "b@x.io"}, Role: "member"}},
		{"invite no-break space separates", "invite a@x.io\u00a0b@x.io", Invite{Emails: []string{"a@x.io", "b@x.io"}, Role: "member"}},
		{"invite Slack mailto forms", "invite <mailto:a@x.io|a@x.io> <mailto:B@x.io|B@x.io>,<mailto:c@x.io>",
			Invite{Emails: []string{"a@x.io", "b@x.io", "c@x.io"}, Role: "member"}},
		{"invite plus, dots and subdomains", "invite first.last+devin@mail.corp.example.co.uk",
			Invite{Emails: []string{"first.last+devin@mail.corp.example.co.uk"}, Role: "member"}},
		{"invite --role admin", "invite a@x.io --role admin", Invite{Emails: []string{"a@x.io"}, Role: "admin"}},
		{"invite --role=ADMIN", "invite a@x.io --role=ADMIN", Invite{Emails: []string{"a@x.io"}, Role: "admin"}},
		{"invite --role member", "invite a@x.io --role member", Invite{Emails: []string{"a@x.io"}, Role: "member"}},
		{"invite flags before and between emails", "invite --role admin a@x.io --org acme b@x.io",
			Invite{Emails: []string{"a@x.io", "b@x.io"}, Role: "admin", Org: "acme"}},
		{"invite flag name in capitals", "invite a@x.io --ROLE admin", Invite{Emails: []string{"a@x.io"}, Role: "admin"}},
		{"invite --org quoted with spaces", `invite a@x.io --org "Acme Research"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Org: "Acme Research"}},
		{"invite --org= quoted", `invite a@x.io --org="Acme Research"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Org: "Acme Research"}},
		{"invite --org of 100 characters", "invite a@x.io --org " + strings.Repeat("o", 100),
			Invite{Emails: []string{"a@x.io"}, Role: "member", Org: strings.Repeat("o", 100)}},
		{"invite --reason quoted", `invite a@x.io --reason "new platform hire"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "new platform hire"}},
		{"invite --reason smart double quotes", "invite a@x.io --reason “new platform hire”",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "new platform hire"}},
		{"invite --reason mixed smart and straight quotes", "invite a@x.io --reason “new hire\"",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "new hire"}},
		{"invite --reason smart single quotes with apostrophe", "invite a@x.io --reason ‘it’s Ada’s team’",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "it’s Ada’s team"}},
		{"invite --reason straight single quotes with apostrophe", "invite a@x.io --reason 'don't wait'",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "don't wait"}},
		{"invite --reason= single quoted", "invite a@x.io --reason='on call'",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "on call"}},
		{"invite --reason= smart quoted", "invite a@x.io --reason=“on call”",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "on call"}},
		{"invite unquoted apostrophe is text", "invite a@x.io --reason O’Brien's",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "O’Brien's"}},
		{"invite double quotes keep single quotes", `invite a@x.io --reason "it's 'fine'"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "it's 'fine'"}},
		{"invite quoted value that looks like a flag", `invite a@x.io --reason "--force was needed"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "--force was needed"}},
		{"invite --reason with a link and a mention written out",
			`invite a@x.io --reason "see <https://jira.example.com/X-1|X-1> for <@U123|ada> in <#C9|eng>"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "see X-1 (https://jira.example.com/X-1) for @ada in #eng"}},
		{"invite --reason lone link", "invite a@x.io --reason <https://jira.example.com/X-1>",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "https://jira.example.com/X-1"}},
		{"invite --reason Slack entities undone", `invite a@x.io --reason "R&amp;D &lt;3"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "R&D <3"}},
		{"invite --reason of 500 characters", "invite a@x.io --reason " + strings.Repeat("é", 500),
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: strings.Repeat("é", 500)}},
		{"invite en-dash flags", "invite a@x.io –role admin", Invite{Emails: []string{"a@x.io"}, Role: "admin"}},
		{"invite email split by quotes like a shell", `invite "a"@x.io`, Invite{Emails: []string{"a@x.io"}, Role: "member"}},
		{"invite address starting with an apostrophe, mid-word", "invite b@x.io,'a@x.io",
			Invite{Emails: []string{"b@x.io", "'a@x.io"}, Role: "member"}},
		{"invite address starting with an apostrophe, quoted", `invite "'a@x.io"`,
			Invite{Emails: []string{"'a@x.io"}, Role: "member"}},
		{"invite everything", `invite a@x.io, b@x.io --role=admin --org "Acme" --reason “Q3 hires”`,
			Invite{Emails: []string{"a@x.io", "b@x.io"}, Role: "admin", Org: "Acme", Reason: "Q3 hires"}},

		// team add / remove
		{"team add", "team add ent:platform octocat hubot",
			TeamAdd{Team: "ent:platform", Logins: []string{"octocat", "hubot"}}},
		{"team add without prefix, by id", "team add 12 octocat", TeamAdd{Team: "12", Logins: []string{"octocat"}}},
		{"team add dedupes ignoring case, first spelling kept", "team add platform OctoCat hubot octocat HUBOT",
			TeamAdd{Team: "ent:platform", Logins: []string{"OctoCat", "hubot"}}},
		{"team add @login", "team add platform @octocat", TeamAdd{Team: "ent:platform", Logins: []string{"octocat"}}},
		{"team add commas", "team add platform a,b, c", TeamAdd{Team: "ent:platform", Logins: []string{"a", "b", "c"}}},
		{"team add Enterprise Managed User logins", "team add platform mona_acme @hubot-2_acme,Octo_Corp",
			TeamAdd{Team: "ent:platform", Logins: []string{"mona_acme", "hubot-2_acme", "Octo_Corp"}}},
		{"team add hyphens and 39 characters", "team add platform mona-lisa-the-octocat " + strings.Repeat("a", 39),
			TeamAdd{Team: "ent:platform", Logins: []string{"mona-lisa-the-octocat", strings.Repeat("a", 39)}}},
		{"team add --reason first", `team add --reason "on call" platform octocat`,
			TeamAdd{Team: "ent:platform", Logins: []string{"octocat"}, Reason: "on call"}},
		{"team remove", "team remove ent:platform octocat --reason=left",
			TeamRemove{Team: "ent:platform", Logins: []string{"octocat"}, Reason: "left"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
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

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		wantMsg   []string // each must appear in the message
		notInMsg  []string // none may appear in the message
		wantUsage string   // a line the usage must contain
	}{
		// commands
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
		{name: "planned command: offboard", text: "offboard a@x.io",
			wantMsg: []string{"`/devin offboard` is not available yet"}, wantUsage: inviteUsage},
		{name: "planned command: org create", text: "org create research",
			wantMsg: []string{"`/devin org` is not available yet"}},
		{name: "planned command: sessions", text: "sessions --limit 5",
			wantMsg: []string{"`/devin sessions` is not available yet"}},
		{name: "planned command: permission add", text: "permission add acme repo",
			wantMsg: []string{"`/devin permission` is not available yet"}},
		{name: "team without a subcommand", text: "team",
			wantMsg: []string{"`/devin team` needs one of `list`, `add` or `remove`"}, wantUsage: teamRemoveUsage},
		{name: "team with a flag for a subcommand", text: "team --reason x",
			wantMsg: []string{"needs one of"}, wantUsage: teamListUsage},
		{name: "team with a near subcommand", text: "team ad platform octocat",
			wantMsg: []string{"`/devin team` has no subcommand `ad`.", "Did you mean `team add`?"}, wantUsage: teamAddUsage},
		{name: "team with an unknown subcommand", text: "team delete platform",
			wantMsg: []string{"`delete`", "It takes `list`, `add` or `remove`"}, notInMsg: []string{"Did you mean"}},
		{name: "help for an unknown topic", text: "help invit",
			wantMsg: []string{"There is no help for `invit`", "Did you mean `/devin help invite`?"}, wantUsage: "/devin help [COMMAND]"},
		{name: "help for a planned command", text: "help offboard",
			wantMsg: []string{"There is no help for `offboard`"}},
		{name: "arguments to a command that takes none", text: "orgs acme",
			wantMsg: []string{"`/devin orgs` takes no arguments, but got `acme`"}, wantUsage: "/devin orgs"},
		{name: "arguments to usage", text: "usage now --post",
			wantMsg: []string{"`/devin usage` takes no arguments, but got `now`"}, wantUsage: "/devin usage [--post]"},
		{name: "arguments to members", text: "members ada@x.io",
			wantMsg: []string{"takes no arguments"}, wantUsage: "/devin members [--email EMAIL]"},

		// flags
		{name: "unknown flag with a near one", text: "invite a@x.io --rol admin",
			wantMsg: []string{"Unknown flag `--rol` for `/devin invite`", "Did you mean `--role`?"}, wantUsage: inviteUsage},
		{name: "unknown flag with nothing near", text: "invite a@x.io --force",
			wantMsg: []string{"Unknown flag `--force`"}, notInMsg: []string{"Did you mean"}},
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

		// emails
		{name: "bad email", text: "invite a@x.io not-an-email b@x.io",
			wantMsg: []string{"`not-an-email` is not a valid email address (it needs exactly one @)"}, wantUsage: inviteUsage},
		{name: "email without a dotted domain", text: "invite ada@localhost",
			wantMsg: []string{"`ada@localhost`", "the domain needs a dot"}},
		{name: "email with a numeric top-level domain", text: "invite ada@10.0.0.1",
			wantMsg: []string{"top-level domain"}},
		{name: "email with a bad domain label", text: "invite ada@-x.io",
			wantMsg: []string{"not a valid host name"}},
		{name: "email with two @", text: "invite a@b@x.io",
			wantMsg: []string{"exactly one @"}},
		{name: "email with nothing before @", text: "invite @x.io",
			wantMsg: []string{"nothing before the @"}},
		{name: "email with a double dot", text: "invite a..b@x.io",
			wantMsg: []string{"`a..b@x.io`", "not a plain address"}},
		{name: "email with a display name", text: `invite "Ada <ada@x.io>"`,
			wantMsg: []string{"`Ada &lt;ada@x.io&gt;`", "spaces or characters an address cannot have"}},
		{name: "email with non-ASCII", text: "invite adá@x.io",
			wantMsg: []string{"characters an address cannot have"}},
		{name: "email too long", text: "invite " + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 200) + ".io",
			wantMsg: []string{"longer than 254 characters"}},
		{name: "several bad emails are all named", text: "invite x a@x.io y z@ w q",
			wantMsg: []string{"5 email addresses are not valid: `x` (", "`y` (", "`z@` (", "`w` (", "`q` ("}},
		{name: "many bad emails are summarised", text: "invite a b c d e f g",
			wantMsg: []string{"7 email addresses are not valid", "`e` (", "…and 2 more"}, notInMsg: []string{"`f`"}},
		{name: "mailto whose label is another address", text: "invite <mailto:evil@x.io|boss@x.io>",
			wantMsg: []string{"`evil@x.io`", "its link text is a different address"}},
		{name: "Slack user as an email", text: "invite <@U123|ada>",
			wantMsg: []string{"`@ada` is not a valid email address (it is a Slack user)"}},
		{name: "link as an email", text: "invite <https://a@x.io|a@x.io>",
			wantMsg: []string{"it is a link"}},
		{name: "Slack form mixed with text as an email", text: "invite x<mailto:a@x.io|a@x.io>",
			wantMsg: []string{"`x&lt;mailto:a@x.io|a@x.io&gt;`"}},
		{name: "unquoted reason spills into the emails", text: "invite a@x.io --reason new hire",
			wantMsg: []string{"`hire` is not a valid email address (it needs exactly one @).", "If `hire` belongs to `--reason`, put the whole value in quotes"}},
		{name: "bad --email for members", text: "members --email ada",
			wantMsg: []string{"`ada` is not a valid email address (it needs exactly one @)."}, wantUsage: "/devin members [--email EMAIL]"},

		// logins and teams
		{name: "login starting with a hyphen", text: "team add platform -octocat",
			wantMsg: []string{"`-octocat` is not a flag"}},
		{name: "login ending with a hyphen", text: "team add platform octocat-",
			wantMsg: []string{"`octocat-` is not a valid GitHub login (it cannot start or end with a hyphen or underscore)"}, wantUsage: teamAddUsage},
		{name: "login with a double hyphen", text: "team add platform octo--cat",
			wantMsg: []string{"`octo--cat`", "no double hyphens"}},
		{name: "login starting with an underscore", text: "team remove platform _acme",
			wantMsg: []string{"`_acme` is not a valid GitHub login (it cannot start or end with a hyphen or underscore)"}, wantUsage: teamRemoveUsage},
		{name: "login ending with an underscore", text: "team add platform mona_",
			wantMsg: []string{"`mona_` is not a valid GitHub login (it cannot start or end with a hyphen or underscore)"}},
		{name: "login with a double underscore", text: "team add platform mona__acme",
			wantMsg: []string{"`mona__acme`", "no two hyphens or underscores in a row"}},
		{name: "login with a hyphen next to an underscore", text: "team add platform mona-_acme",
			wantMsg: []string{"`mona-_acme`", "no two hyphens or underscores in a row"}},
		{name: "login with a dot", text: "team remove platform octo.cat",
			wantMsg: []string{"`octo.cat`", "only letters, digits, hyphens and underscores"}, wantUsage: teamRemoveUsage},
		{name: "login of 40 characters", text: "team add platform " + strings.Repeat("a", 40),
			wantMsg: []string{"longer than 39 characters"}},
		{name: "bare @ as a login", text: "team add platform @",
			wantMsg: []string{"`@` is not a valid GitHub login (empty)"}},
		{name: "Slack user as a login", text: "team add platform <@U123|ada>",
			wantMsg: []string{"`@ada` is not a valid GitHub login (it is a Slack user)"}},
		{name: "email as a login", text: "team add platform <mailto:a@x.io|a@x.io>",
			wantMsg: []string{"it is an email address"}},
		{name: "missing team for team list", text: "team list",
			wantMsg: []string{"Which team?"}, wantUsage: teamListUsage},
		{name: "two teams for team list", text: "team list a b",
			wantMsg: []string{"takes one team, but got also `b`"}},
		{name: "missing team for team add", text: "team add",
			wantMsg: []string{"Which team?"}, wantUsage: teamAddUsage},
		{name: "team prefix alone", text: "team list ent:",
			wantMsg: []string{"`ent:` is not a valid team (empty)"}},
		{name: "team with a slash", text: "team list acme/platform",
			wantMsg: []string{"`acme/platform` is not a valid team", "only letters, digits, - and _"}},
		{name: "team as a channel", text: "team list <#C1|platform>",
			wantMsg: []string{"`#platform` is not a valid team (it is a Slack channel)"}},
		{name: "team id too long", text: "team list 12345678901234567890",
			wantMsg: []string{"too long for a team id"}},
		{name: "team slug too long", text: "team list " + strings.Repeat("t", 256),
			wantMsg: []string{"longer than 255 characters"}},

		// empty lists and limits
		{name: "invite with no emails", text: "invite",
			wantMsg: []string{"Give at least one email address."}, wantUsage: inviteUsage},
		{name: "invite with only flags", text: "invite --role admin",
			wantMsg: []string{"Give at least one email address."}},
		{name: "invite with only commas", text: "invite , ,,",
			wantMsg: []string{"Give at least one email address."}},
		{name: "invite with an empty quoted email", text: `invite ""`,
			wantMsg: []string{"Give at least one email address."}},
		{name: "team add with no logins", text: "team add platform --reason x",
			wantMsg: []string{"Give at least one GitHub login."}, wantUsage: teamAddUsage},
		{name: "1001 emails", text: "invite " + strings.Join(numbered("user%d@example.com", 1001), " "),
			wantMsg: []string{"Too many email addresses: 1001 given, the limit is 1000 per request."}, wantUsage: inviteUsage},
		{name: "1001 logins", text: "team remove platform " + strings.Join(numbered("user%d", 1001), " "),
			wantMsg: []string{"Too many GitHub logins: 1001 given, the limit is 1000 per request."}},
		{name: "reason of 501 characters", text: "invite a@x.io --reason " + strings.Repeat("r", 501),
			wantMsg: []string{"`--reason` is 501 characters long; the limit is 500."}, wantUsage: inviteUsage},
		{name: "team reason of 501 characters", text: "team add p o --reason " + strings.Repeat("r", 501),
			wantMsg: []string{"`--reason` is 501 characters long"}},
		{name: "org of 101 characters", text: "invite a@x.io --org " + strings.Repeat("o", 101),
			wantMsg: []string{"`--org` is 101 characters long; the limit is 100."}},
		{name: "org as a channel", text: "invite a@x.io --org <#C1|acme>",
			wantMsg: []string{"`--org` `#acme` is a Slack channel, not an organization."}},
		{name: "org mixing text and a Slack mention", text: "invite a@x.io --org x<!channel>y",
			wantMsg: []string{"`--org` `x&lt;!channel&gt;y` is a Slack mention, not an organization."}},
		{name: "bad role", text: "invite a@x.io --role owner",
			wantMsg: []string{"`--role` must be `member` or `admin`, not `owner`."}, wantUsage: inviteUsage},

		// durations
		{name: "duration that is not one", text: "audit --since yesterday",
			wantMsg: []string{"`--since` `yesterday`: not a duration", "like `12h`, `7d` or `2w`"}, wantUsage: auditUsage},
		{name: "duration without a unit", text: "audit --since 7",
			wantMsg: []string{"not a duration"}},
		{name: "duration with an unknown unit", text: "audit --since 7y",
			wantMsg: []string{"not a duration"}},
		{name: "duration of zero", text: "audit --since 0s",
			wantMsg: []string{"it must be positive"}},
		{name: "negative duration", text: "audit --since=-1h",
			wantMsg: []string{"it must be positive"}},
		{name: "duration over 90 days", text: "audit --since 91d",
			wantMsg: []string{"the limit is 90 days"}},
		{name: "duration over 90 days in weeks", text: "audit --since 13w",
			wantMsg: []string{"the limit is 90 days"}},
		{name: "duration over 90 days in parts", text: "audit --since 12w7d",
			wantMsg: []string{"the limit is 90 days"}},
		{name: "huge duration does not overflow", text: "audit --since 99999999999999999999999h",
			wantMsg: []string{"the limit is 90 days"}},
		{name: "duration with a lone dot", text: "audit --since .d",
			wantMsg: []string{"not a duration"}},

		// quotes
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
	}
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

func TestQuoteShowsInputSafely(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "abc", "`abc`"},
		{"empty", "", "`\"\"`"},
		{"escaped", "<!here> & co", "`&lt;!here&gt; &amp; co`"},
		{"backtick cannot end the code span", "a`b", "`a'b`"},
		{"kept on one line", "a\nb\tc", "`a b c`"},
		{"invisible characters made visible", "a\u202eb\u200bc\x00", "`a\ufffdb\ufffdc\ufffd`"},
		{"clipped before escaping, so no entity is cut", strings.Repeat("<", 100), "`" + strings.Repeat("&lt;", 79) + "…`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, quote(tt.in))
		})
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // each word's text()
	}{
		{"spaces and tabs", " a \t b\n c ", []string{"a", "b", "c"}},
		{"quotes join inside a word", `a"b c"d`, []string{"ab cd"}},
		{"empty quotes make an empty word", `a "" b`, []string{"a", "", "b"}},
		{"smart quotes close straight ones", "“a b\" ”c d”", []string{"a b", "c d"}},
		{"single quote mid-word is text", "it's O’Brien", []string{"it's", "O’Brien"}},
		{"right single quote does not open", "’a b’", []string{"’a", "b’"}},
		{"Slack form with spaces in its label is one word", "x <https://e.com|a b \"c> y", []string{"x", "<https://e.com|a b \"c>", "y"}},
		{"Slack form inside quotes", `"a <@U1|b c> d"`, []string{"a <@U1|b c> d"}},
		{"lone < is text", "a < b", []string{"a", "<", "b"}},
		{"> before < is text", "a> <b", []string{"a>", "<b"}},
		{"entities undone once", "&amp;lt; &lt;&gt;", []string{"&lt;", "<>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			words, err := tokenize(tt.in)
			require.NoError(t, err)
			got := make([]string, 0, len(words))
			for _, w := range words {
				got = append(got, w.text())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseForm(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		kind     formKind
		text     string
		readable string
	}{
		{"mailto", "<mailto:a@x.io|a@x.io>", mailtoForm, "a@x.io", "a@x.io"},
		{"mailto in capitals", "<MAILTO:a@x.io>", mailtoForm, "a@x.io", "a@x.io"},
		{"user with name", "<@U123|ada>", userForm, "U123", "@ada"},
		{"user without name", "<@W123>", userForm, "W123", "@W123"},
		{"channel with name", "<#C123|general>", channelForm, "C123", "#general"},
		{"channel without name", "<#C123>", channelForm, "C123", "#C123"},
		{"here", "<!here>", specialForm, "here", "@here"},
		{"user group", "<!subteam^S1|@oncall>", specialForm, "subteam^S1", "@oncall"},
		{"link with label", "<https://e.com/a?b=1&amp;c=2|docs>", linkForm, "https://e.com/a?b=1&c=2", "docs (https://e.com/a?b=1&c=2)"},
		{"link without label", "<https://e.com>", linkForm, "https://e.com", "https://e.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seg := parseForm(tt.raw)
			assert.Equal(t, tt.kind, seg.kind)
			assert.Equal(t, tt.text, seg.text)
			assert.Equal(t, tt.readable, seg.readable())
			assert.Equal(t, tt.raw, seg.raw)
		})
	}
}

func TestClosest(t *testing.T) {
	options := []string{"help", "members", "orgs", "teams", "team", "usage", "audit", "requests", "invite"}
	tests := []struct{ in, want string }{
		{"invte", "invite"},
		{"invit", "invite"},
		{"tem", "team"},
		{"teem", "team"},
		{"udit", "audit"},
		{"request", "requests"},
		{"xyzzy", ""},
		{"", ""},
		{strings.Repeat("a", 10000), ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, closest(tt.in, options))
		})
	}
}

// TestSpecTable keeps the command table and the command types in step: every example in
// the help parses to a command with that name and approval rule.
func TestSpecTable(t *testing.T) {
	for _, s := range registry() {
		if s.planned {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			require.NotNil(t, s.build)
			require.NotEmpty(t, s.summary)
			cmd, err := Parse(strings.TrimPrefix(s.example, "/devin "))
			require.NoError(t, err)
			assert.Equal(t, s.name, cmd.Name())
			assert.Equal(t, s.changes, cmd.Changes())
			for _, f := range s.flags {
				assert.NotEmpty(t, f.help, "--%s", f.name)
			}
		})
	}
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
