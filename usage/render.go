package usage

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"devin-chatops/slackui"
)

// Rune budgets for values from the API shown in the report.
const (
	maxNameRunes  = 40
	maxEmailRunes = 60
	maxIDRunes    = 40
	// maxOrgLines is how many organizations the report lists; the rest are counted.
	maxOrgLines = 60
)

// Message renders the report as Block Kit that reads on a phone: a header, the
// figures that answer "how much, how fast, will we pass the limit", the trend, the
// organizations, the top users, and a context line saying which window and which data.
func Message(r Report) slackui.Message {
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, slackui.Clip(title(r), slackui.MaxHeaderText), false, false)),
		slackui.Section(summary(r)),
	}
	if len(r.Days) > 0 {
		blocks = append(blocks, slackui.Section(trend(r)))
	}
	if r.Scope == nil {
		for _, s := range sections("By organization", orgLines(r)) {
			blocks = append(blocks, slackui.Section(s))
		}
	}
	if lines := userLines(r); len(lines) > 0 {
		blocks = append(blocks, slackui.Section("*Top "+plural(len(lines), "user", "users")+"*\n"+strings.Join(lines, "\n")))
	}
	if len(r.Notes) > 0 {
		notes := make([]string, len(r.Notes))
		for i, n := range r.Notes {
			notes[i] = "_" + slackui.Inert(n, 300) + "_"
		}
		blocks = append(blocks, slackui.Section(strings.Join(notes, "\n")))
	}
	blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, context(r), false, false)))
	return slackui.Message{Text: slackui.Clip(fallback(r), slackui.MaxMessageText), Blocks: blocks[:min(len(blocks), slackui.MaxBlocks)]}
}

// title is the header: "Devin usage · Dec 1 – Dec 31", with the org's name for one org.
func title(r Report) string {
	t := "Devin usage · " + span(r.Cycle)
	if r.Scope != nil {
		t += " · " + plainName(r.Scope.Name, r.Scope.ID)
	}
	return t
}

// span is a cycle's billing days: "Dec 1 – Dec 31", or "from Dec 1" without an end.
func span(c Cycle) string {
	first := DayStart(c.Start)
	if c.End.IsZero() {
		return "from " + short(first)
	}
	return short(first) + " – " + short(DayStart(c.End.Add(-time.Nanosecond)))
}

// short is a billing day as "Dec 3".
func short(t time.Time) string { return t.UTC().Format("Jan 2") }

// plainName is an org's name for plain text, else its ID.
func plainName(name, id string) string {
	if n := strings.Join(strings.Fields(name), " "); n != "" {
		return slackui.Clip(n, maxNameRunes)
	}
	return slackui.Clip(id, maxIDRunes)
}

// boldName is an org's name in bold mrkdwn, else its ID as code.
func boldName(name, id string) string {
	if n := strings.ReplaceAll(strings.TrimSpace(name), "*", ""); n != "" {
		return "*" + slackui.Inert(n, maxNameRunes) + "*"
	}
	return "`" + strings.ReplaceAll(slackui.Inert(id, maxIDRunes), "`", "'") + "`"
}

// pct is a whole percentage, "<1%" for a little above zero.
func pct(p float64) string {
	switch {
	case math.IsInf(p, 1):
		return "∞%"
	case p > 0 && p < 1:
		return "<1%"
	}
	return fmt.Sprintf("%d%%", int(math.Floor(p)))
}

// mark flags a figure at an alert threshold: red at 100 % and beyond, orange below.
func mark(threshold float64) string {
	switch {
	case threshold >= 100:
		return " :red_circle:"
	case threshold > 0:
		return " :large_orange_circle:"
	}
	return ""
}

// summary is the report's first section: the total, the pace, the projection and the
// comparison with the previous cycle.
func summary(r Report) string {
	var b strings.Builder
	total := "*" + slackui.Number(r.Total) + " ACUs*"
	if r.Scope != nil {
		total = boldName(r.Scope.Name, r.Scope.ID) + ": " + total
	}
	b.WriteString(total)
	if r.Limit != nil {
		used := 0.0
		if *r.Limit > 0 {
			used = r.Total / *r.Limit * 100
		}
		b.WriteString(" of " + slackui.Number(*r.Limit) + " (" + pct(used) + ")")
		if r.Scope != nil {
			b.WriteString(mark(r.Scope.Threshold))
		}
	}
	switch {
	case r.DayCount > 0 && r.DayIndex > 0 && r.DayIndex <= r.DayCount && r.Now.Before(r.Cycle.End):
		fmt.Fprintf(&b, " · day %d of %d", r.DayIndex, r.DayCount)
	case !r.Cycle.End.IsZero() && !r.Now.Before(r.Cycle.End):
		b.WriteString(" · complete cycle")
	}
	if r.BurnRate > 0 {
		b.WriteString("\nBurn rate: *" + slackui.Number(r.BurnRate) + " ACUs/day* over the last " + plural(min(len(r.Days), recentDays), "day", "days"))
	}
	if r.Now.Before(r.Cycle.End) {
		switch {
		case r.Projectable:
			b.WriteString("\nProjected at cycle end: *" + slackui.Number(r.Projected) + " ACUs*")
			if r.PassesOn != nil {
				b.WriteString(" — :chart_with_upwards_trend: on track to pass the limit on *" + short(*r.PassesOn) + "*")
			}
		case len(r.Days) > 0:
			b.WriteString("\nProjection: too early in the cycle (less than a day of data)")
		}
	}
	if c := r.Previous; c != nil {
		b.WriteString("\n" + comparison(*c))
	}
	return b.String()
}

// comparison is "vs. day 5 of last cycle: +12% (+1,234.5 ACUs)".
func comparison(c Comparison) string {
	s := fmt.Sprintf("vs. day %d of the previous cycle: ", c.Day)
	sign := "+"
	if c.Change < 0 {
		sign = "−"
	}
	change := sign + slackui.Number(math.Abs(c.Change)) + " ACUs"
	if c.Previous <= 0 {
		return s + change + " (the previous cycle had none by then)"
	}
	arrow := ":arrow_up_small:"
	if c.Change < 0 {
		arrow = ":arrow_down_small:"
	}
	return s + arrow + " " + sign + pct(math.Abs(c.Percent)) + " (" + change + ")"
}

// sparkLevels draws a day's ACUs against the cycle's busiest day.
var sparkLevels = []rune("▁▂▃▄▅▆▇█")

// Sparkline is the daily ACUs as block characters, one per day.
func Sparkline(ds []DayPoint) string {
	peak := 0.0
	for _, d := range ds {
		peak = max(peak, d.ACUs)
	}
	out := make([]rune, len(ds))
	for i, d := range ds {
		level := 0
		if peak > 0 {
			level = int(math.Round(d.ACUs / peak * float64(len(sparkLevels)-1)))
		}
		out[i] = sparkLevels[min(max(level, 0), len(sparkLevels)-1)]
	}
	return string(out)
}

// trend is the daily sparkline with its busiest day.
func trend(r Report) string {
	peak := r.Days[0]
	for _, d := range r.Days {
		if d.ACUs > peak.ACUs {
			peak = d
		}
	}
	return "*Daily ACUs* " + short(r.Days[0].Start) + " → " + short(r.Days[len(r.Days)-1].Start) +
		"\n`" + Sparkline(r.Days) + "`\nBusiest day: " + short(peak.Start) + ", " + slackui.Number(peak.ACUs) + " ACUs"
}

// orgLines are the organizations, most used first:
// "• *Platform* — 1,100 of 1,000 (110%) :red_circle:".
func orgLines(r Report) []string {
	lines := make([]string, 0, len(r.Orgs)+1)
	for i, o := range r.Orgs {
		if i == maxOrgLines {
			lines = append(lines, "…and "+slackui.Int(len(r.Orgs)-i)+" more")
			break
		}
		line := "• " + boldName(o.Name, o.ID) + " — " + slackui.Number(o.ACUs)
		switch {
		case !o.Known:
			line += " (not in the organizations listing)"
		case o.Limit == nil:
			line += " (no limit)"
		case *o.Limit <= 0:
			line += " of a limit of 0 (usage blocked)" + mark(o.Threshold)
		default:
			line += " of " + slackui.Number(*o.Limit) + " (" + pct(o.Percent) + ")" + mark(o.Threshold)
		}
		if o.PassesOn != nil {
			line += " — passes its limit ~" + short(*o.PassesOn)
		}
		lines = append(lines, line)
	}
	if r.Unattributed > 0 {
		lines = append(lines, "• _Not in any organization_ (Cascade, Terminal) — "+slackui.Number(r.Unattributed))
	}
	return lines
}

// userLines are the top users: "1. Ada Lovelace · ada@example.com — 120.5".
func userLines(r Report) []string {
	lines := make([]string, len(r.Users))
	for i, u := range r.Users {
		var who []string
		if n := strings.TrimSpace(u.Name); n != "" {
			who = append(who, slackui.Inert(n, maxNameRunes))
		}
		if u.Email != "" {
			who = append(who, slackui.Inert(u.Email, maxEmailRunes))
		}
		if len(who) == 0 {
			who = append(who, "`"+strings.ReplaceAll(slackui.Inert(u.ID, maxIDRunes), "`", "'")+"`")
		}
		line := fmt.Sprintf("%d. %s — %s", i+1, strings.Join(who, " · "), slackui.Number(u.ACUs))
		if u.Left {
			line += " _(no longer a member)_"
		}
		lines[i] = line
	}
	return lines
}

// sections splits titled lines into sections within Block Kit's text limit.
func sections(heading string, lines []string) []string {
	if len(lines) == 0 {
		return nil
	}
	var out []string
	cur := "*" + heading + "*"
	for _, l := range lines {
		if len(cur)+1+len(l) > slackui.MaxSectionText {
			out = append(out, cur)
			cur = ""
		}
		if cur != "" {
			cur += "\n"
		}
		cur += l
	}
	return append(out, cur)
}

// context names the window and when the data ends, so a reader knows how fresh the
// figures are.
func context(r Report) string {
	parts := []string{"Billing cycle " + DayStart(r.Cycle.Start).Format("Jan 2, 2006")}
	if !r.Cycle.End.IsZero() {
		parts[0] += " – " + DayStart(r.Cycle.End.Add(-time.Nanosecond)).Format("Jan 2, 2006")
	}
	parts[0] += " (days start 08:00 UTC)"
	if r.DataEnd.IsZero() {
		parts = append(parts, "no usage recorded yet")
	} else {
		end := r.DataEnd
		if end.After(r.Now) {
			end = r.Now
		}
		parts = append(parts, "data through "+end.UTC().Format("Jan 2 15:04 UTC"))
	}
	parts = append(parts, "as of "+r.Now.UTC().Format("Jan 2 15:04 UTC"))
	return strings.Join(parts, " · ")
}

// fallback is the notification text.
func fallback(r Report) string {
	s := slackui.Escape(title(r)) + ": " + slackui.Number(r.Total) + " ACUs"
	if r.Projectable && r.Now.Before(r.Cycle.End) {
		s += ", projected " + slackui.Number(r.Projected) + " at cycle end"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return slackui.Int(n) + " " + many
}
