package commands

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHelpTextOverview(t *testing.T) {
	text := HelpText("")
	readOnly := strings.Index(text, "*Read-only*")
	approval := strings.Index(text, "*Needs approval*")
	assert.True(t, readOnly >= 0 && approval > readOnly, "read-only commands come first, then those that need approval")

	for _, s := range registry() {
		line := "`" + s.usage() + "`"
		at := strings.Index(text, line)
		if assert.GreaterOrEqual(t, at, 0, "overview lists %s", s.name) {
			assert.Equal(t, s.changes, at > approval, "%s is in the right group", s.name)
		}
	}
	assert.Contains(t, text, "`--flag value` or `--flag=value`")
	assert.NotContains(t, text, "<")
	assert.NotContains(t, text, ">")
	assert.Less(t, len(text), 3000, "fits one section block")
}

func TestHelpTextTopics(t *testing.T) {
	tests := []struct {
		name    string
		topic   string
		want    []string
		notWant []string
	}{
		{
			name:  "one command with its flags and an example",
			topic: "invite",
			want: []string{
				"`" + inviteUsage + "`",
				"(needs approval)",
				"`--role member|admin` — enterprise role (default member)",
				"`--org ORG`",
				"`--reason TEXT`",
				"up to 1000 addresses",
				"Example: `/devin invite ",
			},
			notWant: []string{"/devin team"},
		},
		{
			name:    "a read-only command",
			topic:   "audit",
			want:    []string{"`" + auditUsage + "`", "`--since DURATION` — how far back", "default 24h, at most 90d"},
			notWant: []string{"needs approval"},
		},
		{
			name:    "a group lists each of its commands",
			topic:   "team",
			want:    []string{"`" + teamListUsage + "`", "`" + teamAddUsage + "`", "`" + teamRemoveUsage + "`", "with or without `ent:`"},
			notWant: []string{"/devin teams"},
		},
		{
			name:    "one command of a group",
			topic:   "team add",
			want:    []string{"`" + teamAddUsage + "`", "up to 1000 GitHub logins"},
			notWant: []string{teamRemoveUsage, teamListUsage},
		},
		{
			name:  "topic written loosely",
			topic: "  /devin  TEAM   Remove ",
			want:  []string{"`" + teamRemoveUsage + "`"},
		},
		{
			name:  "unknown topic gets the overview",
			topic: "deploy",
			want:  []string{"*Read-only*", "*Needs approval*"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := HelpText(tt.topic)
			for _, w := range tt.want {
				assert.Contains(t, text, w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, text, w)
			}
		})
	}
}

// TestHelpTopicsParse keeps Parse and HelpText agreeing on which topics exist.
func TestHelpTopicsParse(t *testing.T) {
	for _, s := range registry() {
		for _, topic := range []string{s.name, s.verb()} {
			cmd, err := Parse("help " + topic)
			if assert.NoError(t, err, topic) {
				assert.Equal(t, Help{Topic: topic}, cmd)
				assert.NotEqual(t, HelpText(""), HelpText(cmd.(Help).Topic), "topic %q has its own help", topic)
			}
		}
	}
}

func TestParseHelpAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"empty text is help", "", Help{}},
		{"blank text is help", " \t\n ", Help{}},
		{"help", "help", Help{}},
		{"help with a topic", "help invite", Help{Topic: "invite"}},
		{"help topic of two words, any case", "HELP Team  Add", Help{Topic: "team add"}},
		{"help for a group", "help team", Help{Topic: "team"}},
		{"help topic written with /devin", "help /devin usage", Help{Topic: "usage"}},
		{"--help on a command", "invite a@example.com --help", Help{Topic: "invite"}},
		{"--help on a team command", "team add --help", Help{Topic: "team add"}},
	})
}

func TestParseHelpRefuses(t *testing.T) {
	tests := []refusalCase{
		{name: "help for an unknown topic", text: "help invit",
			wantMsg: []string{"There is no help for `invit`", "Did you mean `/devin help invite`?"}, wantUsage: "/devin help [COMMAND]"},
	}
	assertRefuses(t, tests)
}

func TestHelpCommand(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"", []string{"*`/devin` runs the Devin enterprise", "`/devin usage [--post] [--cycle current|previous] [--org ORG]`"}},
		{"help", []string{"*Read-only*", "*Needs approval*"}},
		{"help invite", []string{"`/devin invite EMAIL… [--role member|admin] [--org ORG] [--for DURATION] [--reason TEXT]`", "Example: `/devin invite"}},
		{"team add --help", []string{"`/devin team add TEAM LOGIN… [--for DURATION] [--reason TEXT]`", "`mona_acme`"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			e := newEnv()
			r := e.run(t, tt.text)
			for _, w := range tt.want {
				assert.Contains(t, blocksText(r.Message), w)
			}
			assert.False(t, r.InChannel)
			assert.Equal(t, "help", e.audit.last(t).Command)
		})
	}
}

func TestTextMessageSplitsInsteadOfClipping(t *testing.T) {
	line := strings.Repeat("x", 1000)
	text := strings.Repeat(line+"\n", 10) + "END"
	m := textMessage(text)
	checkLimits(t, m)
	assert.Len(t, m.Blocks, 5, "two 1000-character lines per section")
	assert.Contains(t, blocksText(m), "END")
	assert.NotContains(t, blocksText(m), "…")
}
