package slackui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEscape(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"channel ping", "<!channel>", "&lt;!channel&gt;"},
		{"forged mention", "<@U0ALICE|alice>", "&lt;@U0ALICE|alice&gt;"},
		{"hidden link", "<https://evil.example|docs>", "&lt;https://evil.example|docs&gt;"},
		{"ampersand first", "a &lt; b", "a &amp;lt; b"},
		{"plain text untouched", "ada@example.com", "ada@example.com"},
		{"bare @channel defused", "hi @channel and @HERE", "hi @\u2060channel and @\u2060HERE"},
		{"@everyone defused", "@everyone", "@\u2060everyone"},
		{"longer words untouched", "@channels @hereby", "@channels @hereby"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, Escape(tt.in)) })
	}
}

func TestClip(t *testing.T) {
	assert.Equal(t, "short", Clip("short", 10))
	assert.Equal(t, "abcd…", Clip("abcdefgh", 5))
	assert.Equal(t, "ééé…", Clip("éééééé", 4), "counts runes, not bytes")
	assert.Equal(t, "", Clip("x", 0))
}

func TestJoinLimited(t *testing.T) {
	items := make([]string, 1204)
	for i := range items {
		items[i] = fmt.Sprintf("user%04d@example.com", i)
	}
	tests := []struct {
		name               string
		items              []string
		maxItems, maxChars int
		want               string
		wantPrefix         string
		wantSuffix         string
	}{
		{name: "all fit", items: []string{"a", "b"}, maxItems: 5, maxChars: 100, want: "a, b"},
		{name: "cut by count", items: []string{"a", "b", "c"}, maxItems: 2, maxChars: 100, want: "a, b, …and 1 more"},
		{name: "cut by chars, thousands grouped", items: items, maxItems: 0, maxChars: 3000,
			wantPrefix: "user0000@example.com, user0001@example.com", wantSuffix: " more"},
		{name: "empty", items: nil, maxItems: 3, maxChars: 10, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := JoinLimited(tt.items, ", ", tt.maxItems, tt.maxChars)
			if tt.want != "" || tt.items == nil {
				assert.Equal(t, tt.want, got)
			}
			assert.True(t, strings.HasPrefix(got, tt.wantPrefix))
			assert.True(t, strings.HasSuffix(got, tt.wantSuffix))
			if tt.maxChars > 0 {
				assert.LessOrEqual(t, len(got), tt.maxChars)
			}
		})
	}
	got := JoinLimited(items, ", ", 0, 3000)
	shown := strings.Count(got, "@example.com")
	assert.Contains(t, got, fmt.Sprintf("…and %s more", Int(len(items)-shown)))
	assert.Equal(t, shown, Fits(items, ", ", 0, 3000), "Fits counts what JoinLimited shows")
	assert.Equal(t, 2, Fits([]string{"a", "b", "c"}, ", ", 2, 100))
	assert.Equal(t, 3, Fits([]string{"a", "b", "c"}, ", ", 0, 100), "nothing cut")
	assert.Equal(t, 1, Fits([]string{strings.Repeat("x", 200)}, ", ", 0, 10), "the first item always shows")
	assert.Contains(t, got, ",", "1,0xx: thousands are grouped")
}

func TestInt(t *testing.T) {
	for in, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1204: "1,204", 1234567: "1,234,567", -4500: "-4,500"} {
		assert.Equal(t, want, Int(in))
	}
}

func TestTextStaysWithinLimits(t *testing.T) {
	m := Text(strings.Repeat("x", 5000))
	assert.LessOrEqual(t, len([]rune(m.Text)), MaxMessageText)
	sec := Section(strings.Repeat("y", 5000))
	assert.LessOrEqual(t, len([]rune(sec.Text.Text)), MaxSectionText)
}

func TestInertAndMention(t *testing.T) {
	assert.Equal(t, "a b &lt;!channel&gt;", Inert("a\n\tb   <!channel>", 100), "one line, escaped")
	assert.Equal(t, "abc…", Inert("abcdef", 4), "clipped before escaping")
	assert.Equal(t, "&lt;…", Inert("<<<<<<", 2), "a cut never splits an escape")
	assert.Equal(t, "<@U0ALICE>", Mention("U0ALICE", 40))
	assert.Equal(t, "<@W12AB>", Mention("W12AB", 40))
	assert.Equal(t, "&lt;!channel&gt;", Mention("<!channel>", 40), "a forged ID stays text")
	assert.Equal(t, "u0alice", Mention("u0alice", 40))
}

func TestMentionShapes(t *testing.T) {
	tests := []struct {
		name   string
		render func(string, int) string
		in     string
		want   string
	}{
		{"user", Mention, "U0ALICE", "<@U0ALICE>"},
		{"user not a group", Mention, "S0ADMINS", "S0ADMINS"},
		{"group", GroupMention, "S0ADMINS", "<!subteam^S0ADMINS>"},
		{"group not a user", GroupMention, "U0ALICE", "U0ALICE"},
		{"group forged", GroupMention, "S0X>|<!channel", "S0X&gt;|&lt;!channel"},
		{"group lower case", GroupMention, "s0admins", "s0admins"},
		{"user or group: user", UserOrGroupMention, "W0BOB", "<@W0BOB>"},
		{"user or group: group", UserOrGroupMention, "S0ADMINS", "<!subteam^S0ADMINS>"},
		{"user or group: channel is text", UserOrGroupMention, "C0GENERAL", "C0GENERAL"},
		{"user or group: broadcast is text", UserOrGroupMention, "<!channel>", "&lt;!channel&gt;"},
		{"user or group: @here is text", UserOrGroupMention, "@here", "@\u2060here"},
		{"channel", ChannelMention, "C0APPROVALS", "<#C0APPROVALS>"},
		{"private channel", ChannelMention, "G0SECRET", "<#G0SECRET>"},
		{"DM channel is text", ChannelMention, "D0DM", "D0DM"},
		{"channel forged", ChannelMention, "C1|x> <!here", "C1|x&gt; &lt;!here"},
		{"channel name is text", ChannelMention, "#approvals", "#approvals"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, tt.render(tt.in, 40)) })
	}
	assert.Equal(t, "not-…", ChannelMention("not-a-channel-id", 5), "text is clipped")
}
