package commands

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

func TestReadableCommand(t *testing.T) {
	tests := []struct{ in, want string }{
		{"members", "members"},
		{`invite  a@x.io   --reason "new hire"`, `invite a@x.io --reason "new hire"`},
		{"team add <#C1|general>", "team add #general"},
		{`invite "unclosed`, `invite "unclosed`},
		{"a&amp;b &lt;x&gt;", "a&b <x>"},
		{"line\nbreak", "line break"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, lex(tt.in).readable(), tt.in)
	}
}
