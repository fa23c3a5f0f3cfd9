package commands

import (
	"context"
	"errors"
	"strings"
	"time"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// Submitter puts a change up for approval (*approvals.Service). Submit also checks that
// the requester may request changes, so the commands do not check it first.
type Submitter interface {
	Submit(ctx context.Context, sub approvals.Submission) (approvals.Request, error)
}

const (
	msgNotRequester = "You are not allowed to request changes; ask an admin to add you to REQUESTERS."
	msgGroupLookup  = "I could not check whether you may request changes (a Slack user-group lookup failed); nothing was submitted. Try again in a minute."
	msgNotStored    = "The request could not be stored, so nothing was submitted; try again in a minute."
	msgInvalid      = "The request was not accepted as valid, so nothing was submitted; the details are in the bot's log."
	// Budgets of the confirmation's item list: enough to check, short enough to read.
	maxConfirmItems = 50
	confirmBudget   = 2500
)

// changer turns the change commands (invite, team add, team remove) into approval
// requests. Nothing changes here: the change runs when an approver approves.
type changer struct {
	submitter       Submitter
	approvalChannel string
	grantMax        time.Duration
	grants          GrantLister // nil without time-boxed access
	// personalKey is true when the Devin credential is a person's (v2): removing an
	// enterprise admin may then cut the bot off.
	personalKey bool
}

func newChanger(env *runEnv) changer {
	return changer{submitter: env.approvals, approvalChannel: env.approvalChannel, grantMax: env.grantMax, grants: env.grants,
		personalKey: env.devinVersion != "v3"}
}

// checkGrant refuses a `--for` longer than GRANT_MAX, which the grammar cannot know.
func (ch changer) checkGrant(d time.Duration) error {
	limit := ch.grantMax
	if limit <= 0 {
		limit = approvals.DefaultGrantMax
	}
	if d > limit {
		return refuse("`--for` " + slackui.Escape(approvals.FormatDuration(d)) + " is longer than the longest grant allowed here, " +
			slackui.Escape(approvals.FormatDuration(limit)) + " (GRANT_MAX). Nothing was submitted.")
	}
	return nil
}

// withGrant adds a time-boxed request's duration to its parameters.
func withGrant(params map[string]string, d time.Duration) map[string]string {
	if d > 0 {
		params[approvals.ParamGrantFor] = approvals.GrantForParam(d)
	}
	return params
}

// grantClause completes the confirmation's "It will …" for a time-boxed request.
func grantClause(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return ", for " + slackui.Escape(approvals.FormatDuration(d)) + " from the moment it is carried out (then the bot takes it back)"
}

func (ch changer) submit(ctx context.Context, sub approvals.Submission) (approvals.Request, error) {
	req, err := ch.submitter.Submit(ctx, sub)
	switch {
	case err == nil:
		return req, nil
	case errors.Is(err, approvals.ErrNotRequester):
		return req, refuse(msgNotRequester)
	case errors.Is(err, approvals.ErrGroupLookup):
		return req, &failure{msg: msgGroupLookup, err: err}
	case errors.Is(err, approvals.ErrInvalidSubmission):
		return req, &failure{msg: msgInvalid, err: err}
	}
	return req, &failure{msg: msgNotStored, err: err}
}

// confirm tells the requester where the request waits and exactly what it will do.
func (ch changer) confirm(req approvals.Request, what string, items []string, reason string) slackui.Reply {
	esc := make([]string, len(items))
	for i, it := range items {
		esc[i] = slackui.Inert(it, maxEmailRunes)
	}
	lines := []string{
		"Request " + code(req.ID, 20) + " is waiting for approval in " + channelRef(ch.approvalChannel) + ".",
		what + ":",
		slackui.JoinLimited(esc, ", ", maxConfirmItems, confirmBudget),
	}
	if strings.TrimSpace(reason) != "" {
		lines = append(lines, "*Reason:* "+slackui.Inert(reason, maxReasonLen))
	}
	if !req.ExpiresAt.IsZero() {
		lines = append(lines, "It expires "+slackTime(req.ExpiresAt)+" unless an approver decides before then.")
	}
	return reply(strings.Join(lines, "\n"))
}
