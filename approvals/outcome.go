package approvals

import (
	"fmt"
	"strings"
	"time"
)

// CommandLine describes the request the way it was asked, for audit events written
// after the original command text is gone (the items are listed by the event itself).
func CommandLine(r Request) string {
	var b strings.Builder
	switch r.Action {
	case ActionInvite:
		b.WriteString("invite")
		if r.Role != "" {
			b.WriteString(" --role " + r.Role)
		}
		if r.Org != "" {
			b.WriteString(" --org " + r.Org)
		}
	case ActionTeamAdd:
		b.WriteString("team add " + r.Team)
	case ActionTeamRemove:
		b.WriteString("team remove " + r.Team)
	case ActionOrgCreate:
		b.WriteString("org create")
		if l := r.Param("acu_limit"); l != "" {
			b.WriteString(" --acu-limit " + l)
		}
	case ActionOrgLimit:
		b.WriteString("org limit " + r.Org + " " + r.Param("limit"))
	case ActionOrgAdd:
		b.WriteString("org add " + r.Org)
		if r.Role != "" {
			b.WriteString(" --role " + r.Role)
		}
	case ActionPermissionAdd:
		b.WriteString("permission add " + r.Org)
	case ActionOffboard:
		b.WriteString("offboard")
		if l := r.Param("github_login"); l != "" {
			b.WriteString(" --github " + l)
		}
	default:
		b.WriteString(string(r.Action))
	}
	if d, ok := r.GrantFor(); ok {
		b.WriteString(" --for " + flagDuration(d))
	}
	return b.String()
}

// flagDuration writes d as `--for` takes it: "2w", "7d", "12h", "90m".
func flagDuration(d time.Duration) string {
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	switch {
	case d%week == 0:
		return fmt.Sprintf("%dw", d/week)
	case d%day == 0:
		return fmt.Sprintf("%dd", d/day)
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// OutcomeOK reports whether an item outcome counts as success.
func OutcomeOK(status string) bool {
	switch status {
	case OutcomeInvited, OutcomeAlreadyMember, OutcomeAdded, OutcomeRemoved, OutcomeNotMember,
		OutcomeCreated, OutcomeUpdated, OutcomeGranted, OutcomeExists, OutcomeUnchanged:
		return true
	}
	return false
}

// outcomeOrder is the order statuses appear in a summary.
var outcomeOrder = []string{OutcomeInvited, OutcomeCreated, OutcomeUpdated, OutcomeGranted, OutcomeAdded, OutcomeRemoved,
	OutcomeAlreadyMember, OutcomeNotMember, OutcomeExists, OutcomeUnchanged, OutcomeFailed}

// OutcomeLabel names a status for people, for a count of n items.
func OutcomeLabel(status string, n int) string {
	switch status {
	case OutcomeAlreadyMember:
		if n == 1 {
			return "already a member"
		}
		return "already members"
	case OutcomeNotMember:
		if n == 1 {
			return "not a member"
		}
		return "not members"
	case OutcomeExists:
		return "already existed"
	case OutcomeUnchanged:
		return "no change"
	}
	return status
}

// maxStatusRunes bounds an unknown status in a summary: it comes from the store,
// which an older or newer version may have written.
const maxStatusRunes = 30

// Summary counts outcomes by status, e.g. "3 invited, 1 already a member, 1 failed".
// It is plain text: escape it before putting it in mrkdwn.
func Summary(outcomes []ItemOutcome) string {
	counts := map[string]int{}
	for _, o := range outcomes {
		counts[o.Status]++
	}
	var parts []string
	for _, s := range outcomeOrder {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, OutcomeLabel(s, n)))
			delete(counts, s)
		}
	}
	// Statuses this version does not know still get counted rather than hidden.
	for _, o := range outcomes {
		if n := counts[o.Status]; n > 0 {
			status := o.Status
			if r := []rune(strings.Join(strings.Fields(status), " ")); len(r) > maxStatusRunes {
				status = string(r[:maxStatusRunes-1]) + "…"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, status))
			delete(counts, o.Status)
		}
	}
	if len(parts) == 0 {
		return "nothing to do"
	}
	return strings.Join(parts, ", ")
}
