package auditecho

import (
	"strings"
	"time"

	"devin-chatops/audit"
	"devin-chatops/slackui"
)

// Per-piece budgets keep one event far below Slack's section limit even before the final
// clip, so that the clip (which could cut an escape sequence) normally never fires.
const (
	maxCommandRunes = 300
	maxItemRunes    = 120
	maxItemsShown   = 10
	maxItemsChars   = 1000
	maxDetailRunes  = 500
	maxOutcomeRunes = 500
	maxIDRunes      = 40
	maxLineRunes    = slackui.MaxSectionText
)

const separator = " · "

// Format renders an event as one readable mrkdwn line for the audit channel, e.g.
//
//	:white_check_mark: `R7K3QX0` *done* · <@U123> · invite a@b.com, c@d.com, …and 3 more · outcome: 5 invited · requested 10:02Z, decided 10:05Z, done 10:05Z
//
// Every user-supplied piece is escaped and flattened to one line, so nobody can ping
// @channel, forge a mention or fake a second audit line through it.
func Format(e audit.Event) string {
	parts := make([]string, 0, 6)
	parts = append(parts, kindEmoji(e.Kind)+" `"+requestID(e.RequestID)+"` *"+text(string(e.Kind), 30)+"*")
	parts = append(parts, actor(e.Actor))
	if what := subject(e); what != "" {
		parts = append(parts, what)
	}
	if e.Detail != "" {
		parts = append(parts, detail(e))
	}
	if e.Outcome != "" {
		parts = append(parts, "outcome: "+text(e.Outcome, maxOutcomeRunes))
	}
	if t := timeline(e); t != "" {
		parts = append(parts, t)
	}
	return slackui.Clip(strings.Join(parts, separator), maxLineRunes)
}

// text makes one user-supplied piece safe: one line, clipped, then escaped.
func text(s string, maxRunes int) string { return slackui.Inert(s, maxRunes) }

func requestID(id string) string {
	if id == "" {
		return "—"
	}
	// A backtick would end the code span early; the ID can come from a forged button value.
	return text(strings.ReplaceAll(id, "`", "'"), maxIDRunes)
}

func actor(a string) string {
	switch {
	case a == "":
		return "—"
	default:
		return slackui.Mention(a, 80)
	}
}

// detail is the event's detail, escaped; the approvers an approval names are shown as
// mentions, like every other person on the line. Only user IDs become mentions.
func detail(e audit.Event) string {
	if ids, ok := audit.ApprovedBy(e); ok {
		names := make([]string, len(ids))
		for i, id := range ids {
			names[i] = slackui.Mention(id, maxIDRunes)
		}
		return "approved by " + slackui.JoinLimited(names, ", ", maxItemsShown, maxItemsChars)
	}
	return text(e.Detail, maxDetailRunes)
}

// subject is the command and the items it applies to.
func subject(e audit.Event) string {
	items := make([]string, 0, len(e.Items))
	for _, it := range e.Items {
		items = append(items, text(it, maxItemRunes))
	}
	list := slackui.JoinLimited(items, ", ", maxItemsShown, maxItemsChars)
	cmd := text(e.Command, maxCommandRunes)
	switch {
	case cmd == "":
		return list
	case list == "":
		return cmd
	default:
		return cmd + " " + list
	}
}

// timeline lists the request milestones that are set. Times are UTC and shown as 15:04Z
// when on the same day as the event, with the date otherwise, so a request approved days
// later is not misread.
func timeline(e audit.Event) string {
	ref := e.At
	var out []string
	for _, m := range []struct {
		label string
		at    time.Time
	}{{"requested", e.RequestedAt}, {"decided", e.DecidedAt}, {"done", e.DoneAt}} {
		if m.at.IsZero() {
			continue
		}
		if ref.IsZero() {
			ref = m.at
		}
		out = append(out, m.label+" "+clockTime(m.at, ref))
	}
	return strings.Join(out, ", ")
}

// clockTime is t as a wall-clock time, with the date only when it is not ref's day.
func clockTime(t, ref time.Time) string {
	t, ref = t.UTC(), ref.UTC()
	if y, m, d := t.Date(); ref.Year() == y && ref.Month() == m && ref.Day() == d {
		return t.Format("15:04Z")
	}
	return t.Format("2006-01-02 15:04Z")
}

func kindEmoji(k audit.Kind) string {
	switch k {
	case audit.KindCommand:
		return ":speech_balloon:"
	case audit.KindRequest:
		return ":inbox_tray:"
	case audit.KindVote:
		return ":ballot_box_with_ballot:"
	case audit.KindRefused:
		return ":no_entry:"
	case audit.KindApproved:
		return ":+1:"
	case audit.KindDenied:
		return ":x:"
	case audit.KindExpired:
		return ":hourglass:"
	case audit.KindCancelled:
		return ":wastebasket:"
	case audit.KindExecuting:
		return ":gear:"
	case audit.KindDone:
		return ":white_check_mark:"
	case audit.KindFailed:
		return ":warning:"
	case audit.KindUsageAlert:
		return ":chart_with_upwards_trend:"
	case audit.KindRevoked:
		return ":lock:"
	case audit.KindRevokeFailed:
		return ":rotating_light:"
	}
	return ":grey_question:"
}
