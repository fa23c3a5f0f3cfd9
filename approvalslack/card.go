package approvalslack

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// Identifiers of the interactive parts of the approval card and the deny modal. Slack
// echoes them back in block_actions and view_submission payloads.
const (
	// CardBlockIDPrefix starts the block_id of a card's actions block: "approval:R7K3QX0".
	CardBlockIDPrefix = "approval:"
	// ActionIDApprove and ActionIDDeny are the buttons' action_ids; each button's value
	// is the request ID.
	ActionIDApprove = "approve"
	ActionIDDeny    = "deny"
	// DenyCallbackID is the callback_id of the modal that asks for a deny reason; its
	// private_metadata is the request ID.
	DenyCallbackID = "deny_reason"
	// DenyReasonBlockID and DenyReasonActionID locate the reason in the submitted view's
	// state: view.state.values[DenyReasonBlockID][DenyReasonActionID].value.
	DenyReasonBlockID  = "reason"
	DenyReasonActionID = "reason"
)

// Card renders the approval card for r in its current state. A pending card carries the
// Approve and Deny buttons; every other state has no actions block and says who decided
// and when, why it was denied, or what execution did per item. All user text is escaped
// and every list is cut to fit Block Kit's limits (the store keeps the full lists); a
// card with a cut list offers "Show all N" in every state.
func Card(r approvals.Request, v approvals.Progress) slackui.Message {
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType,
			slackui.Clip(headerPrefix(r.State)+title(r), slackui.MaxHeaderText), false, false)),
		slackui.Section(details(r)),
		slackui.Section(reasonText(r.Reason)),
		showAllIf(itemsCut(r.Items), r,
			slackui.Section(fmt.Sprintf("*%s (%d):*\n%s", itemNoun(r.Action), len(r.Items), itemList(r.Items)))),
	}
	if s := planSummary(r); s != "" {
		// Right under the title: what the request will really change, at a glance.
		blocks = slices.Insert(blocks, 1, slack.Block(slackui.Section(s)))
	}
	if len(r.Plan) > 0 {
		blocks = append(blocks, slackui.Section("*Checked before asking:*\n"+planLines(r.Plan)))
	}
	if status := statusText(r); status != "" {
		blocks = append(blocks, slackui.Section(status))
	}
	if len(r.Outcomes) > 0 {
		// One "Show all" per card: on the items when they are cut, else here.
		blocks = append(blocks, showAllIf(!itemsCut(r.Items) && outcomesCut(r.Outcomes), r,
			slackui.Section("*Outcome:* "+summary(r.Outcomes)+"\n"+outcomeLines(r.Outcomes))))
	}
	blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, footer(r, v), false, false)))
	if r.State == approvals.StatePending {
		blocks = append(blocks, slack.NewActionBlock(CardBlockIDPrefix+r.ID,
			slack.NewButtonBlockElement(ActionIDApprove, r.ID,
				slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(ActionIDDeny, r.ID,
				slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false)).WithStyle(slack.StyleDanger),
		))
	}
	text := fmt.Sprintf("%s%s: request `%s` by %s", headerPrefix(r.State), slackui.Escape(title(r)), r.ID, mention(r.Requester))
	return slackui.Message{Text: slackui.Clip(text, slackui.MaxMessageText), Blocks: blocks}
}

// orNone is a limit for people: empty or "none" reads "none", a number has its
// thousands grouped.
func orNone(limit string) string {
	if limit == "" {
		return "none"
	}
	if n, err := strconv.Atoi(limit); err == nil {
		return slackui.Int(n)
	}
	return limit
}

// planSummary is the plan's line of what the request will really change ("adds 2 to
// ent:platform; 1 already a member"), escaped, or "" when the request has none.
func planSummary(r approvals.Request) string {
	s := strings.TrimSpace(r.Param(approvals.ParamSummary))
	if s == "" {
		return ""
	}
	return "*Plan:* " + slackui.Inert(s, 300)
}

// planLines are what the check before submission found, escaped, one bullet each; a
// line starting with "warning:" stands out.
func planLines(plan []string) string {
	lines := make([]string, 0, len(plan))
	for _, p := range plan {
		if rest, ok := strings.CutPrefix(p, "warning: "); ok {
			lines = append(lines, ":warning: *"+slackui.Inert(rest, 300)+"*")
			continue
		}
		lines = append(lines, "• "+slackui.Inert(p, 300))
	}
	return slackui.JoinLimited(lines, "\n", 30, slackui.MaxSectionText-100)
}

func headerPrefix(s approvals.State) string {
	switch s {
	case approvals.StatePending:
		return "Approval needed: "
	case approvals.StateApproved, approvals.StateExecuting:
		return "Approved, running: "
	case approvals.StateDone:
		return "Done: "
	case approvals.StateFailed:
		return "Failed: "
	case approvals.StateDenied:
		return "Denied: "
	case approvals.StateExpired:
		return "Expired: "
	case approvals.StateCancelled:
		return "Cancelled: "
	}
	return ""
}

// details says who asks for exactly what.
func details(r approvals.Request) string {
	lines := []string{"*Requested by:* " + mention(r.Requester)}
	switch r.Action {
	case approvals.ActionInvite:
		lines = append(lines, "*Action:* invite these people to the Devin enterprise")
		role := r.Role
		if role == "" {
			role = "member"
		}
		lines = append(lines, "*Role:* "+slackui.Inert(role, maxNameRunes))
		if r.Org != "" {
			lines = append(lines, "*Organization:* "+slackui.Inert(r.Org, maxNameRunes))
		}
	case approvals.ActionTeamAdd:
		lines = append(lines, "*Action:* add these GitHub users to an enterprise team",
			"*Team:* "+slackui.Inert(r.Team, maxNameRunes))
	case approvals.ActionTeamRemove:
		lines = append(lines, "*Action:* remove these GitHub users from an enterprise team",
			"*Team:* "+slackui.Inert(r.Team, maxNameRunes))
	case approvals.ActionOrgCreate:
		limit := r.Param("acu_limit")
		if limit == "" {
			limit = "none"
		}
		lines = append(lines, "*Action:* create a Devin organization", "*Cycle ACU limit:* "+slackui.Inert(limit, maxNameRunes))
	case approvals.ActionOrgLimit:
		lines = append(lines, "*Action:* set an organization's cycle ACU limit",
			"*Organization:* "+slackui.Inert(first(r.Items), maxNameRunes)+" ("+slackui.Inert(r.Org, maxNameRunes)+")",
			"*Limit:* "+slackui.Inert(orNone(r.Param("limit_before")), maxNameRunes)+" → *"+slackui.Inert(orNone(r.Param("limit")), maxNameRunes)+"*")
	case approvals.ActionOrgAdd:
		role := r.Role
		if role == "" {
			role = "member"
		}
		lines = append(lines, "*Action:* add these enterprise members to a Devin organization",
			"*Organization:* "+slackui.Inert(r.Param("org_name"), maxNameRunes)+" ("+slackui.Inert(r.Org, maxNameRunes)+")",
			"*Role:* "+slackui.Inert(role, maxNameRunes))
	case approvals.ActionPermissionAdd:
		lines = append(lines, "*Action:* grant a Devin organization these repositories",
			"*Organization:* "+slackui.Inert(r.Param("org_name"), maxNameRunes)+" ("+slackui.Inert(r.Org, maxNameRunes)+")",
			"*Git connection:* "+slackui.Inert(r.Param("connection_id"), maxNameRunes))
	case approvals.ActionOffboard:
		lines = append(lines, "*Action:* remove this person from the Devin enterprise and from every enterprise team they are in")
		if l := r.Param("github_login"); l != "" {
			lines = append(lines, "*GitHub login:* "+slackui.Inert(l, maxNameRunes))
		}
	default:
		lines = append(lines, "*Action:* "+slackui.Inert(string(r.Action), maxNameRunes))
	}
	if l := grantLine(r); l != "" {
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// grantLine says how long a time-boxed request's access lasts and until when: counted
// from the execution, so a card that waits shows the end it would have if approved at
// once (from when the card was made), and an executed one the real end.
func grantLine(r approvals.Request) string {
	d, ok := r.GrantFor()
	if !ok {
		return ""
	}
	line := "*For:* " + slackui.Escape(approvals.FormatDuration(d))
	switch {
	case r.State == approvals.StateDone || r.State == approvals.StateFailed:
		if !r.DoneAt.IsZero() {
			line += ", until " + slackDate(r.DoneAt.Add(d)) + " (then the bot takes it back)"
		}
	case r.State == approvals.StatePending:
		line += ", until " + slackDate(r.CreatedAt.Add(d)) + " if approved now (counted from the execution)"
	default:
		line += " from the execution"
	}
	return line
}

// reasonText has a section of its own: escaped, it can take up to 2500 characters.
func reasonText(reason string) string {
	if strings.TrimSpace(reason) == "" {
		return "*Reason:* _none given_"
	}
	return "*Reason:* " + slackui.Inert(reason, maxReasonRunes)
}

// statusText is who decided and when, for every state past pending.
func statusText(r approvals.Request) string {
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return " at " + slackDate(t)
	}
	switch r.State {
	case approvals.StateApproved, approvals.StateExecuting:
		return ":gear: *Approved by* " + mentions(r.DecidedBy) + at(r.DecidedAt) + ". Running now…"
	case approvals.StateDone:
		return ":white_check_mark: *Approved by* " + mentions(r.DecidedBy) + at(r.DecidedAt) + "; done" + at(r.DoneAt) + "."
	case approvals.StateFailed:
		return ":warning: *Approved by* " + mentions(r.DecidedBy) + at(r.DecidedAt) + "; finished with failures" + at(r.DoneAt) + "."
	case approvals.StateDenied:
		s := ":x: *Denied by* " + mentions(r.DecidedBy) + at(r.DecidedAt) + "."
		if strings.TrimSpace(r.DenyReason) != "" {
			s += "\n*Deny reason:* " + slackui.Inert(r.DenyReason, maxReasonRunes)
		}
		return s
	case approvals.StateExpired:
		return ":hourglass: *Expired*" + at(r.ExpiresAt) + " without a decision."
	case approvals.StateCancelled:
		return ":no_entry_sign: *Cancelled by* " + mentions(r.DecidedBy) + at(r.DecidedAt) + "."
	}
	return ""
}

func footer(r approvals.Request, v approvals.Progress) string {
	parts := []string{"Request `" + slackui.Inert(r.ID, 20) + "`"}
	if !r.CreatedAt.IsZero() {
		parts = append(parts, "requested "+slackDate(r.CreatedAt))
	}
	if r.State == approvals.StatePending {
		parts = append(parts, "expires "+slackDate(r.ExpiresAt), votesLine(v))
	}
	return strings.Join(parts, " · ")
}

// votesLine is "Approvals: 1 of 2 — <@U1>".
func votesLine(v approvals.Progress) string {
	required := max(v.Required, 1)
	s := fmt.Sprintf("Approvals: %d of %d", len(v.Approvers), required)
	if len(v.Approvers) > 0 {
		names := make([]string, len(v.Approvers))
		for i, a := range v.Approvers {
			names[i] = mention(a)
		}
		s += " — " + slackui.JoinLimited(names, ", ", 10, 1000)
	}
	return s
}

// DenyModal asks the approver who clicked Deny for an optional reason.
func DenyModal(r approvals.Request) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(
		slack.NewTextBlockObject(slack.PlainTextType, "Why is this request denied?", false, false), DenyReasonActionID)
	input.Multiline = true
	input.MaxLength = approvals.MaxDenyReason
	block := slack.NewInputBlock(DenyReasonBlockID,
		slack.NewTextBlockObject(slack.PlainTextType, "Reason (optional)", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "The requester sees this reason.", false, false),
		input)
	block.Optional = true
	intro := fmt.Sprintf("Deny request `%s` (%s) from %s?", slackui.Inert(r.ID, 20), slackui.Escape(title(r)), mention(r.Requester))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, "Deny request", false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		CallbackID:      DenyCallbackID,
		PrivateMetadata: r.ID,
		Blocks:          slack.Blocks{BlockSet: []slack.Block{slackui.Section(intro), block}},
	}
}

// outcomeMessage tells the requester how their request ended.
func outcomeMessage(r approvals.Request) slackui.Message {
	what := fmt.Sprintf("Your request `%s` (%s, %s)", slackui.Inert(r.ID, 20), slackui.Escape(title(r)), itemCount(r.Action, len(r.Items)))
	var s string
	switch r.State {
	case approvals.StateDone:
		s = fmt.Sprintf(":white_check_mark: %s was approved by %s and is done: %s.", what, mentions(r.DecidedBy), summary(r.Outcomes))
	case approvals.StateFailed:
		s = fmt.Sprintf(":warning: %s was approved by %s but did not fully succeed: %s.", what, mentions(r.DecidedBy), summary(r.Outcomes))
	case approvals.StateDenied:
		s = fmt.Sprintf(":x: %s was denied by %s.", what, mentions(r.DecidedBy))
		if strings.TrimSpace(r.DenyReason) != "" {
			s += "\n*Reason:* " + slackui.Inert(r.DenyReason, maxReasonRunes)
		}
	case approvals.StateExpired:
		s = fmt.Sprintf(":hourglass: %s expired at %s without a decision. Ask again if it is still needed.", what, slackDate(r.ExpiresAt))
	case approvals.StateCancelled:
		s = fmt.Sprintf(":no_entry_sign: %s was cancelled by %s at %s. Ask again if it is still needed.", what, mentions(r.DecidedBy), slackDate(r.DecidedAt))
	default:
		s = fmt.Sprintf("%s is %s.", what, r.State)
	}
	if r.State == approvals.StateDone || r.State == approvals.StateFailed {
		if lines := outcomeLines(r.Outcomes); lines != "" {
			return slackui.Message{
				Text:   slackui.Clip(s, slackui.MaxMessageText),
				Blocks: []slack.Block{slackui.Section(s), slackui.Section(lines)},
			}
		}
	}
	return slackui.Text(s)
}
