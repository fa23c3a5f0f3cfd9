package executor

import (
	"context"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
)

// Inviter is the part of the Devin client an invite needs (*devin.Client).
type Inviter interface {
	Invite(ctx context.Context, req devin.InviteRequest) (*devin.InviteResult, error)
}

// Invite invites the request's emails to the Devin enterprise, with its role, and to
// its organization (r.Org is the organization's ID, resolved when it was asked).
type Invite struct{ devin Inviter }

// NewInvite builds the invite action.
func NewInvite(d Inviter) Invite { return Invite{devin: d} }

// Execute sends the invitation. The client reports once per distinct address; every
// item, repeats included, gets the outcome of its address.
func (a Invite) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	res, err := a.devin.Invite(ctx, devin.InviteRequest{Emails: r.Items, Role: r.Role, OrgID: r.Org})
	byEmail := map[string]devin.InviteOutcome{}
	if res != nil {
		for _, o := range res.Outcomes {
			byEmail[key(o.Email)] = o
		}
	}
	out := make([]approvals.ItemOutcome, len(r.Items))
	for i, email := range r.Items {
		o, ok := byEmail[key(email)]
		switch {
		case ok && o.Status == devin.StatusInvited:
			out[i] = approvals.ItemOutcome{Item: email, Status: approvals.OutcomeInvited}
		case ok && o.Status == devin.StatusAlreadyMember:
			out[i] = approvals.ItemOutcome{Item: email, Status: approvals.OutcomeAlreadyMember}
		case ok && o.Status == devin.StatusFailed && o.Reason != "":
			out[i] = approvals.ItemOutcome{Item: email, Status: approvals.OutcomeFailed, Reason: o.Reason}
		case err != nil:
			out[i] = approvals.ItemOutcome{Item: email, Status: approvals.OutcomeFailed, Reason: apiclient.UserMessage(err)}
		default:
			out[i] = approvals.ItemOutcome{Item: email, Status: approvals.OutcomeFailed, Reason: "the Devin API did not report on this address"}
		}
	}
	return out, err
}
