package approvalslack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"devin-chatops/approvals"
	"devin-chatops/audit"
	"devin-chatops/slackui"
)

// This file answers the commands about one request, /devin cancel ID and /devin
// requests ID. They are decided in the domain and presented here, beside the card, so
// that both read the same as the card and refusals read the same as for a click.

// Cancel withdraws request id on user's behalf and says what happened, as mrkdwn.
// done is false when it was refused (the reply says why: an unknown request, someone
// who is neither its requester nor an approver, a request already decided); err is a
// failure to record it, and then there is no reply.
func (h *Handler) Cancel(ctx context.Context, user, id string) (reply string, done bool, err error) {
	r, err := h.dec.Cancel(ctx, user, id)
	if err != nil {
		var ref *approvals.Refusal
		if errors.As(err, &ref) {
			return h.failureText(err), false, nil
		}
		return "", false, err
	}
	what := fmt.Sprintf("Request `%s` (%s, %s)", r.ID, slackui.Escape(title(r)), itemCount(r.Action, len(r.Items)))
	if user == r.Requester {
		return what + " is cancelled; its card no longer offers Approve and Deny.", true, nil
	}
	return fmt.Sprintf("%s from %s is cancelled; its card no longer offers Approve and Deny, and they are told.",
		what, mention(r.Requester)), true, nil
}

// Detail is request id in full for user, as an ephemeral reply: what it asks, its
// reason and plan, its state, every vote with who and when, its history from the audit
// log, and every item with its outcome. An item list too long for a message is sent
// to user as a text file in a DM, and the reply says so. found is false for an unknown
// request (the reply says so); err is a failure to read it.
func (h *Handler) Detail(ctx context.Context, user, id string) (reply slackui.Message, found bool, err error) {
	d, err := h.dec.Detail(ctx, user, id)
	if errors.Is(err, approvals.ErrNotAllowed) {
		return slackui.Text(fmt.Sprintf("Only the requester and the approvers can see request %s in full; `/devin requests` lists the pending ones.", slackui.Inert(id, 20))), false, nil
	}
	if errors.Is(err, approvals.ErrNotFound) {
		return slackui.Text(fmt.Sprintf("Request %s does not exist. `/devin requests` lists the pending ones.", slackui.Inert(id, 20))), false, nil
	}
	if err != nil {
		return slackui.Message{}, false, fmt.Errorf("read request %s: %w", id, err)
	}
	r, now := d.Request, h.dec.Now()
	blocks := detailBlocks(d, now)
	heading := fmt.Sprintf("*%s (%s):*", itemNoun(r.Action), slackui.Int(len(r.Items)))
	if items, ok := fullListSections(r, heading); ok {
		blocks = append(blocks, items...)
	} else {
		note := fmt.Sprintf("_All %s are in the text file I sent you by direct message._", itemCount(r.Action, len(r.Items)))
		if _, err := h.poster.UploadDM(ctx, user, itemsFile(r)); err != nil {
			h.log.WarnContext(ctx, "request detail: item list not sent as a file", "request_id", r.ID, "user", user, "err", err)
			note = "_The full list is too long to show here, and I could not send it to you as a file just now; try again in a minute._"
		}
		list := itemList(r.Items)
		if len(r.Outcomes) > 0 {
			list = outcomeLines(r.Outcomes)
		}
		blocks = append(blocks, slackui.Section(heading+"\n"+list+"\n"+note))
	}
	text := fmt.Sprintf("Request %s: %s (%s)", r.ID, slackui.Escape(title(r)), stateWord(r.State))
	return slackui.Message{Text: slackui.Clip(text, slackui.MaxMessageText), Blocks: blocks}, true, nil
}

// detailBlocks are the blocks of a request's detail view before its items.
func detailBlocks(d approvals.Detail, now time.Time) []slack.Block {
	r := d.Request
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType,
			slackui.Clip("Request "+r.ID+": "+title(r), slackui.MaxHeaderText), false, false)),
		slackui.Section(details(r) + "\n*Requested:* " + slackDate(r.CreatedAt)),
		slackui.Section(reasonText(r.Reason)),
	}
	if len(r.Plan) > 0 {
		blocks = append(blocks, slackui.Section("*Checked before asking:*\n"+planLines(r.Plan)))
	}
	state := "*State:* " + stateWord(r.State)
	if r.State == approvals.StatePending {
		state += " · expires " + slackDate(r.ExpiresAt) + " · " + votesLine(d.Progress)
	} else if s := statusText(r); s != "" {
		state += "\n" + s
	}
	if len(r.Outcomes) > 0 {
		state += "\n*Outcome:* " + summary(r.Outcomes)
	}
	blocks = append(blocks, slackui.Section(state), slackui.Section(votesText(d.Votes, now)))
	if h := historyText(d.History, now); h != "" {
		blocks = append(blocks, slackui.Section(h))
	}
	return blocks
}

// stateWord names a state for people.
func stateWord(s approvals.State) string {
	switch s {
	case approvals.StateApproved:
		return "approved, about to run"
	case approvals.StateExecuting:
		return "approved, running"
	}
	return slackui.Inert(string(s), 30)
}

// votesText lists every vote with who and when, in the order cast.
func votesText(votes []approvals.Vote, now time.Time) string {
	if len(votes) == 0 {
		return "*Votes:* none yet"
	}
	lines := make([]string, 0, len(votes))
	for _, v := range votes {
		verb := "approved"
		if !v.Approve {
			verb = "denied"
		}
		line := "• " + mention(v.Voter) + " " + verb + " at " + plainTime(v.At, now)
		if strings.TrimSpace(v.Reason) != "" {
			line += ": " + slackui.Inert(v.Reason, maxReasonRunes)
		}
		lines = append(lines, line)
	}
	return "*Votes:*\n" + slackui.JoinLimited(lines, "\n", 0, listBudget)
}

// maxHistoryDetailRunes bounds one history line's detail: the story is in the kinds,
// times and people; the audit channel has the rest.
const maxHistoryDetailRunes = 160

// historyText is the request's history from its audit events, oldest first. Votes have
// their own section and the command events repeat the request event, so both are left
// out; refused clicks are told when there is room, else counted.
func historyText(events []audit.Event, now time.Time) string {
	var all, main []string
	refused := 0
	for _, e := range events {
		if e.Kind == audit.KindVote || e.Kind == audit.KindCommand {
			continue
		}
		line := historyLine(e, now)
		all = append(all, line)
		if e.Kind == audit.KindRefused {
			refused++
			continue
		}
		main = append(main, line)
	}
	if len(all) == 0 {
		return ""
	}
	lines := all
	if slackui.Fits(all, "\n", 0, listBudget) < len(all) {
		lines = append(main, fmt.Sprintf("• and %s refused (not shown here; the audit channel has them)", plural(refused, "attempt", "attempts")))
	}
	return "*History:*\n" + slackui.JoinLimited(lines, "\n", 0, listBudget)
}

// historyLine is one audit event: "• 10:05 UTC *approved* by <@U1> — approved by U1".
func historyLine(e audit.Event, now time.Time) string {
	line := "• " + plainTime(e.At, now) + " *" + slackui.Inert(string(e.Kind), 30) + "*"
	approvers, approved := audit.ApprovedBy(e)
	if e.Actor != "" && !approved {
		line += " by " + mention(e.Actor)
	}
	if e.Kind == audit.KindRefused && e.Command != "" {
		line += " (" + slackui.Inert(e.Command, 30) + ")"
	}
	switch {
	case approved:
		// Every approver of the quorum, as people, not the raw IDs the detail stores.
		names := make([]string, len(approvers))
		for i, id := range approvers {
			names[i] = mention(id)
		}
		line += " by " + strings.Join(names, ", ")
	case e.Detail != "":
		line += " — " + slackui.Inert(e.Detail, maxHistoryDetailRunes)
	}
	if e.Outcome != "" {
		line += " — " + slackui.Inert(e.Outcome, maxHistoryDetailRunes)
	}
	return line
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return slackui.Int(n) + " " + many
}
