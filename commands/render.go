package commands

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"devin-chatops/slackui"
)

// Budgets for list replies. A list is cut well before Slack's limits (50 blocks, 3000
// characters per section), because a reply nobody can scroll through helps nobody: the
// tail says how many were left out and how to narrow the list.
const (
	maxListLines  = 100
	maxListChars  = 15000 // all sections of one list together
	sectionBudget = slackui.MaxSectionText
	// Rune budgets for one API-supplied value, applied before escaping.
	maxNameRunes  = 80
	maxEmailRunes = 120
	maxIDRunes    = 60
)

// code puts a value in a code span; a backtick in it would end the span early.
func code(s string, maxRunes int) string {
	return "`" + slackui.Inert(strings.ReplaceAll(s, "`", "'"), maxRunes) + "`"
}

// mention renders a Slack user ID as a mention, and anything else as inert text.
func mention(id string) string { return slackui.Mention(id, maxIDRunes) }

// channelRef renders a channel ID as a channel link, which Slack shows as the channel's
// name, and anything else as inert text.
func channelRef(id string) string {
	if id == "" {
		return "the approvals channel"
	}
	return slackui.ChannelMention(id, maxIDRunes)
}

// link is a Slack link to rawURL labelled label, or just the label when the URL is not a
// plain http(s) URL: a URL from an API must not be able to break out of the <…|…> form.
func link(rawURL, label string, maxRunes int) string {
	text := slackui.Inert(label, maxRunes)
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		len(rawURL) > 1000 || strings.ContainsAny(rawURL, "<>| \t\r\n") {
		return text
	}
	return "<" + slackui.Escape(rawURL) + "|" + text + ">"
}

// textMessage is a message of mrkdwn text split into as many sections as it needs, at
// line breaks, so that nothing is clipped; the fallback text is its first line.
func textMessage(text string) slackui.Message {
	var blocks []slack.Block
	for _, s := range packLines(strings.Split(text, "\n"), sectionBudget) {
		blocks = append(blocks, slackui.Section(s))
	}
	return slackui.Message{Text: slackui.Clip(text, slackui.MaxMessageText), Blocks: blocks}
}

// packLines joins lines into chunks of at most budget runes each. A line longer than the
// budget on its own is clipped.
func packLines(lines []string, budget int) []string {
	var (
		out []string
		b   strings.Builder
		n   int
	)
	for _, l := range lines {
		ln := utf8.RuneCountInString(l)
		if ln > budget {
			l, ln = slackui.Clip(l, budget), budget
		}
		if b.Len() > 0 && n+1+ln > budget {
			out = append(out, b.String())
			b.Reset()
			n = 0
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
			n++
		}
		b.WriteString(l)
		n += ln
	}
	if b.Len() > 0 || len(out) == 0 {
		out = append(out, b.String())
	}
	return out
}

// list is a reply made of a heading, a list of lines and an optional note at the end.
type list struct {
	heading string   // mrkdwn, safe
	lines   []string // mrkdwn, safe, one item each
	empty   string   // shown instead of the lines when there are none
	more    string   // appended to "…and N more" when the list is cut, e.g. "use --email"
	note    string   // shown last, e.g. a part of the report that could not be read
}

// message renders the list within the list budgets: as many whole lines as fit, then
// "…and N more".
func (l list) message() slackui.Message {
	blocks := []slack.Block{slackui.Section(l.heading)}
	lines := l.lines
	shown := 0
	chars := 0
	for shown < len(lines) && shown < maxListLines {
		n := utf8.RuneCountInString(lines[shown]) + 1
		if chars+n > maxListChars {
			break
		}
		chars += n
		shown++
	}
	body := append([]string(nil), lines[:shown]...)
	if rest := len(lines) - shown; rest > 0 {
		tail := "…and " + slackui.Int(rest) + " more"
		if l.more != "" {
			tail += " (" + l.more + ")"
		}
		body = append(body, tail)
	}
	if len(lines) == 0 && l.empty != "" {
		body = append(body, l.empty)
	}
	if len(body) > 0 {
		for _, s := range packLines(body, sectionBudget) {
			blocks = append(blocks, slackui.Section(s))
		}
	}
	if l.note != "" {
		blocks = append(blocks, slackui.Section(l.note))
	}
	return slackui.Message{Text: slackui.Clip(l.heading, slackui.MaxMessageText), Blocks: blocks}
}

// plural is "1 member" or "3 members", with thousands separated.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return slackui.Int(n) + " " + many
}

// date is a UTC calendar date, "2024-05-01".
func date(t time.Time) string { return t.UTC().Format("2006-01-02") }

// slackTime shows t in each reader's own time zone, with a UTC fallback for clients
// that cannot render the token.
func slackTime(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// age is a rough duration for people: "just now", "5 min", "3 h", "2 days".
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
	}
}
