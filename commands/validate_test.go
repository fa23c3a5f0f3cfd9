package commands

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseBadValuesRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
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
	})
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
