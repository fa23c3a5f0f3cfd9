package commands

import (
	"devin-chatops/slackui"

	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestPlural(t *testing.T) {
	assert.Equal(t, "1 member", plural(1, "member", "members"))
	assert.Equal(t, "0 members", plural(0, "member", "members"))
	assert.Equal(t, "12,345 members", plural(12345, "member", "members"))
}

func TestSafeAndCode(t *testing.T) {
	assert.Equal(t, "a &amp; b &lt;!here&gt; c", slackui.Inert("a & b\n<!here>\tc", 100))
	assert.Equal(t, "&amp;&amp;…", slackui.Inert("&&&&", 3), "clipped before escaping, never inside an entity")
	assert.Equal(t, "`a'b`", code("a`b", 10))
	assert.Equal(t, "<@U123ABC>", mention("U123ABC"))
	assert.Equal(t, "&lt;!channel&gt;", mention("<!channel>"))
}

func TestLink(t *testing.T) {
	tests := []struct{ url, label, want string }{
		{"https://github.com/octocat", "octocat", "<https://github.com/octocat|octocat>"},
		{"http://ghe.local/a?x=1&y=2", "a", "<http://ghe.local/a?x=1&amp;y=2|a>"},
		{"https://x.io/|<!channel>", "evil", "evil"},
		{"https://x.io/a>b", "evil", "evil"},
		{"javascript:alert(1)", "js", "js"},
		{"/relative", "rel", "rel"},
		{"", "none", "none"},
		{"https://x.io", "<!here>", "<https://x.io|&lt;!here&gt;>"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, link(tt.url, tt.label, 50), tt.url)
	}
}

func TestPackLines(t *testing.T) {
	assert.Equal(t, []string{""}, packLines(nil, 10))
	assert.Equal(t, []string{"aaa\nbbb", "ccc"}, packLines([]string{"aaa", "bbb", "ccc"}, 7))
	got := packLines([]string{strings.Repeat("é", 20), "x"}, 10)
	assert.Equal(t, []string{strings.Repeat("é", 9) + "…", "x"}, got, "an over-long line is clipped, counted in characters")
	for _, s := range packLines([]string{strings.Repeat("ü", 2999), "ab", strings.Repeat("ü", 3000)}, 3000) {
		assert.LessOrEqual(t, utf8.RuneCountInString(s), 3000)
	}
}

func TestListMessage(t *testing.T) {
	t.Run("heading and note", func(t *testing.T) {
		m := list{heading: "*H*", lines: []string{"• a", "• b"}, note: "_n_"}.message()
		checkLimits(t, m)
		assert.Equal(t, "*H*", m.Text)
		assert.Equal(t, "*H*\n• a\n• b\n_n_", blocksText(m))
	})
	t.Run("empty", func(t *testing.T) {
		m := list{heading: "*H*", empty: "_none_"}.message()
		assert.Equal(t, "*H*\n_none_", blocksText(m))
	})
	t.Run("cut by line count", func(t *testing.T) {
		lines := make([]string, maxListLines+5)
		for i := range lines {
			lines[i] = "• x"
		}
		m := list{heading: "*H*", lines: lines, more: "narrow it"}.message()
		assert.True(t, strings.HasSuffix(blocksText(m), "…and 5 more (narrow it)"))
	})
	t.Run("cut by size", func(t *testing.T) {
		lines := make([]string, 50)
		for i := range lines {
			lines[i] = "• " + strings.Repeat("&amp;", 500)
		}
		m := list{heading: "*H*", lines: lines}.message()
		checkLimits(t, m)
		assert.True(t, strings.HasSuffix(blocksText(m), "…and 45 more"), "five 2,503-character lines fit in 15,000")
	})
}
