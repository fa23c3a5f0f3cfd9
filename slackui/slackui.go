// Package slackui holds the small, Slack-facing building blocks every part of the
// bot shares: the outbound message type, mrkdwn escaping and Block Kit limits.
package slackui

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// Block Kit limits the bot must stay under (Slack rejects or silently truncates past them).
const (
	MaxBlocks       = 50
	MaxSectionText  = 3000
	MaxHeaderText   = 150
	MaxButtonValue  = 2000
	MaxMessageText  = 4000
	MaxContextElems = 10
)

// Message is one outbound Slack message: a plain-text fallback (used for
// notifications and by clients that cannot render blocks) plus optional blocks.
type Message struct {
	Text   string
	Blocks []slack.Block
	// ThreadTS, when set, posts the message as a reply in that message's thread.
	ThreadTS string
}

// Reply is the answer to a slash command, delivered through its response_url.
type Reply struct {
	Message
	// InChannel makes the reply visible to the whole channel instead of only the caller.
	InChannel bool
}

// Text builds a message that is a single mrkdwn section with the same fallback text.
// The caller is responsible for escaping user-supplied parts of s.
func Text(s string) Message {
	return Message{
		Text:   Clip(s, MaxMessageText),
		Blocks: []slack.Block{Section(s)},
	}
}

// Section is a mrkdwn section block clipped to the section limit.
func Section(s string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, Clip(s, MaxSectionText), false, false), nil, nil)
}

var (
	escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	// broadcast matches the plain-text forms of Slack's channel-wide mentions.
	broadcast = regexp.MustCompile(`(?i)@(channel|here|everyone)\b`)
)

// wordJoiner is invisible and keeps Slack from reading "@channel" as a mention.
const wordJoiner = "\u2060"

// Escape makes user-supplied text inert in mrkdwn: with &, < and > escaped nobody can
// ping <!channel>, forge a <@U…> mention or hide a link behind a label through the bot,
// and a word joiner after the @ of a plain "@channel", "@here" or "@everyone" keeps
// Slack's mention parsing of mrkdwn text from turning those into pings.
func Escape(s string) string {
	return broadcast.ReplaceAllString(escaper.Replace(s), "@"+wordJoiner+"$1")
}

// Clip shortens s to at most max runes, ending with "…" when it had to cut.
func Clip(s string, max int) string {
	if max <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}

// JoinLimited joins items with sep, stopping before the joined text would exceed maxChars
// or maxItems entries, and appends "…and N more" for what was left out. Items are used as
// given: escape them first if they come from users.
func JoinLimited(items []string, sep string, maxItems, maxChars int) string {
	shown := Fits(items, sep, maxItems, maxChars)
	var b strings.Builder
	for i, it := range items[:shown] {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(it)
	}
	if rest := len(items) - shown; rest > 0 {
		if shown > 0 {
			b.WriteString(sep)
		}
		b.WriteString("…and " + Int(rest) + " more")
	}
	return b.String()
}

// Fits is how many of items JoinLimited(items, sep, maxItems, maxChars) shows before
// its "…and N more": fewer than len(items) means the list is cut.
func Fits(items []string, sep string, maxItems, maxChars int) int {
	size, shown := 0, 0
	for i, it := range items {
		if maxItems > 0 && shown >= maxItems {
			break
		}
		extra := len(it)
		if i > 0 {
			extra += len(sep)
		}
		// Reserve room for the "…and N more" tail.
		if maxChars > 0 && size+extra+len(sep)+24 > maxChars && shown > 0 {
			break
		}
		size += extra
		shown++
	}
	return shown
}

// Int formats n with its thousands grouped by commas: 1204 -> "1,204".
func Int(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Inert makes one user- or API-supplied value safe to show in mrkdwn: folded to one
// line, clipped to maxRunes, then escaped (clipping first, so a cut never lands inside an
// escape sequence).
func Inert(s string, maxRunes int) string {
	return Escape(Clip(strings.Join(strings.Fields(s), " "), maxRunes))
}

// The ID shapes Slack renders as mentions and channel links. Only these ever become
// one: any other value is shown as inert text, so a forged value cannot ping anybody.
var (
	userID    = regexp.MustCompile(`^[UW][A-Z0-9]+$`)
	groupID   = regexp.MustCompile(`^S[A-Z0-9]+$`)
	channelID = regexp.MustCompile(`^[CG][A-Z0-9]+$`)
)

// IsUserID reports whether id is a Slack user ID (U… or W…).
func IsUserID(id string) bool { return userID.MatchString(id) }

// IsGroupID reports whether id is a Slack user-group ID (S…).
func IsGroupID(id string) bool { return groupID.MatchString(id) }

// IsChannelID reports whether id is a Slack channel ID (C… or G…). DM channels (D…)
// are left out: Slack shows no name for them.
func IsChannelID(id string) bool { return channelID.MatchString(id) }

// Mention renders a Slack user ID as a mention and anything else as inert text, so a
// forged value can never become a ping.
func Mention(id string, maxRunes int) string {
	if IsUserID(id) {
		return "<@" + id + ">"
	}
	return Inert(id, maxRunes)
}

// GroupMention renders a Slack user-group ID as a mention of the group
// (<!subteam^S…>, which notifies its members) and anything else as inert text.
func GroupMention(id string, maxRunes int) string {
	if IsGroupID(id) {
		return "<!subteam^" + id + ">"
	}
	return Inert(id, maxRunes)
}

// UserOrGroupMention renders a user ID or a user-group ID as a mention, the way the
// approver and requester lists name people, and anything else as inert text.
func UserOrGroupMention(id string, maxRunes int) string {
	if IsGroupID(id) {
		return GroupMention(id, maxRunes)
	}
	return Mention(id, maxRunes)
}

// ChannelMention renders a Slack channel ID as a channel link (<#C…>), which Slack shows
// as the channel's name, and anything else as inert text.
func ChannelMention(id string, maxRunes int) string {
	if IsChannelID(id) {
		return "<#" + id + ">"
	}
	return Inert(id, maxRunes)
}
