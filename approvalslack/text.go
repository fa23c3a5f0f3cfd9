package approvalslack

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// Rune budgets for user-supplied pieces, applied before escaping (escaping can only
// grow the text, at most five-fold for "&"), so every block stays far below Slack's
// 3000-character section limit whatever people type.
const (
	maxNameRunes   = 100 // role, org, team
	maxItemRunes   = 200 // one email or login
	maxReasonRunes = 500 // request reason and deny reason
	maxAPIRunes    = 200 // one API failure reason
	// listBudget bounds the joined item list and the outcome lines in one section,
	// leaving room for the label in front of them.
	listBudget = 2600
	// maxOutcomeLines bounds the per-item outcome lines on a card or in a DM.
	maxOutcomeLines = 25
)

func mention(id string) string { return slackui.Mention(id, 40) }

// mentions renders a DecidedBy value, which lists every approver who counted
// ("U1,U2"), as mentions.
func mentions(ids string) string {
	var out []string
	for _, id := range strings.Split(ids, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, mention(id))
		}
	}
	if len(out) == 0 {
		return "the bot"
	}
	return strings.Join(out, ", ")
}

// slackDate shows t in each reader's own time zone, with a UTC fallback for clients
// that cannot render the token.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// plainTime is a short UTC time for one-line replies: "10:05 UTC" on the same day as
// now, with the date otherwise, so a decision days ago is not misread.
func plainTime(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if y, m, d := t.Date(); now.Year() == y && now.Month() == m && now.Day() == d {
		return t.Format("15:04 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// title names the change in a few words, e.g. "add to GitHub team ent:platform". It
// also heads the card as plain text, which cannot be escaped, so the characters that
// could form a mention are dropped from the team (no valid slug has them). Escape it
// for mrkdwn all the same.
func title(r approvals.Request) string {
	team := slackui.Clip(strings.Map(dropMarkup, strings.TrimSpace(r.Team)), maxNameRunes)
	switch r.Action {
	case approvals.ActionInvite:
		return "invite to Devin"
	case approvals.ActionTeamAdd:
		return "add to GitHub team " + team
	case approvals.ActionTeamRemove:
		return "remove from GitHub team " + team
	case approvals.ActionOrgCreate:
		return "create Devin organization " + plainParam(first(r.Items))
	case approvals.ActionOrgLimit:
		return "set the ACU limit of " + plainParam(first(r.Items))
	case approvals.ActionOrgAdd:
		return "add to Devin organization " + plainParam(r.Param("org_name"))
	case approvals.ActionPermissionAdd:
		return "grant repositories to " + plainParam(r.Param("org_name"))
	case approvals.ActionOffboard:
		return "offboard " + plainParam(cmp.Or(r.Param("email"), first(r.Items)))
	}
	return string(r.Action)
}

// plainParam is a value for a plain-text header: one line, clipped, without the
// characters that could form markup.
func plainParam(s string) string {
	return slackui.Clip(strings.Map(dropMarkup, strings.Join(strings.Fields(s), " ")), maxNameRunes)
}

func first(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return items[0]
}

func dropMarkup(r rune) rune {
	if r == '<' || r == '>' || r == '&' {
		return -1
	}
	return r
}

// itemNoun is how the card labels the items of an action.
func itemNoun(a approvals.Action) string {
	switch a {
	case approvals.ActionInvite, approvals.ActionOrgAdd:
		return "Emails"
	case approvals.ActionOrgCreate, approvals.ActionOrgLimit:
		return "Organization"
	case approvals.ActionPermissionAdd:
		return "Repositories"
	case approvals.ActionOffboard:
		return "Steps"
	}
	return "GitHub logins"
}

// itemCount is "1 email", "3 emails", "1 GitHub login", "2 GitHub logins".
func itemCount(a approvals.Action, n int) string {
	noun := "GitHub login"
	switch a {
	case approvals.ActionInvite, approvals.ActionOrgAdd:
		noun = "email"
	case approvals.ActionOrgCreate, approvals.ActionOrgLimit:
		noun = "organization"
	case approvals.ActionPermissionAdd:
		noun = "repositor"
		if n == 1 {
			noun += "y"
		} else {
			noun += "ie"
		}
	case approvals.ActionOffboard:
		noun = "step"
	}
	if n != 1 {
		noun += "s"
	}
	return slackui.Int(n) + " " + noun
}

// outcomeLines lists per-item outcomes, failures first (they are what a reader has to
// act on), each escaped, cut with "…and N more" to stay within a section.
func outcomeLines(outcomes []approvals.ItemOutcome) string {
	return slackui.JoinLimited(outcomeBullets(outcomes), "\n", maxOutcomeLines, listBudget)
}

// outcomesCut reports whether outcomeLines leaves some out.
func outcomesCut(outcomes []approvals.ItemOutcome) bool {
	return slackui.Fits(outcomeBullets(outcomes), "\n", maxOutcomeLines, listBudget) < len(outcomes)
}

// outcomeBullets are the escaped per-item outcome lines, failures first.
func outcomeBullets(outcomes []approvals.ItemOutcome) []string {
	lines := make([]string, 0, len(outcomes))
	for _, failedPass := range []bool{true, false} {
		for _, o := range outcomes {
			if (o.Status == approvals.OutcomeFailed) != failedPass {
				continue
			}
			line := "• " + slackui.Inert(o.Item, maxItemRunes) + " — " + slackui.Inert(approvals.OutcomeLabel(o.Status, 1), 30)
			if o.Reason != "" {
				line += ": " + slackui.Inert(o.Reason, maxAPIRunes)
			}
			lines = append(lines, line)
		}
	}
	return lines
}

// itemList is the escaped, comma-separated item list cut to fit one section.
func itemList(items []string) string {
	return slackui.JoinLimited(escapedItems(items), ", ", 0, listBudget)
}

// itemsCut reports whether itemList leaves some out.
func itemsCut(items []string) bool {
	return slackui.Fits(escapedItems(items), ", ", 0, listBudget) < len(items)
}

func escapedItems(items []string) []string {
	esc := make([]string, len(items))
	for i, it := range items {
		esc[i] = slackui.Inert(it, maxItemRunes)
	}
	return esc
}

// summary is the domain's plain-text outcome summary, safe for mrkdwn.
func summary(outcomes []approvals.ItemOutcome) string {
	return slackui.Escape(approvals.Summary(outcomes))
}
