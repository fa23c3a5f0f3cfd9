package executor

import (
	"context"
	"strings"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
)

// Inviter is the part of the Devin client an invite needs (*devin.Client).
type Inviter interface {
	devin.MemberLister
	Invite(ctx context.Context, req devin.InviteRequest) (*devin.InviteResult, error)
}

// Invite invites the request's emails to the Devin enterprise, with its role, and to
// its organization (r.Org is the organization's ID, resolved when it was asked).
type Invite struct{ devin Inviter }

// NewInvite builds the invite action.
func NewInvite(d Inviter) Invite { return Invite{devin: d} }

// Why an email is not sent when the enterprise changed between the card and the
// execution; see the team reasons in plan.go.
const (
	joinedEnterprise = "joined the enterprise since the card was posted; not invited again"
	leftEnterprise   = "not a member any more: left the enterprise since the card was posted; not invited, since the card showed no change for this address: ask again to invite them"
)

// Execute looks the emails up among the members first and invites only the people
// who are not members and whom the card did not show as "no change": an invitation
// changes no member, and the approvers approved no change for the others. The client
// reports once per distinct address; every item, repeats included, gets the outcome
// of its address.
func (a Invite) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	members, err := devin.FindMembers(ctx, a.devin, r.Items)
	if err != nil {
		return failAll(r.Items, "could not check who is a member before inviting: "+apiclient.UserMessage(err)), err
	}
	same, checked := r.NoChange()
	p := &plan{out: make([]approvals.ItemOutcome, len(r.Items)), index: map[string][]int{}}
	for i, email := range r.Items {
		k := key(email)
		p.out[i].Item = email
		if _, seen := p.index[k]; !seen {
			_, member := members[k]
			switch {
			case same[k] && member:
				p.out[i].Status = approvals.OutcomeAlreadyMember
			case same[k]:
				p.out[i].Status, p.out[i].Reason = approvals.OutcomeUnchanged, leftEnterprise
			case member && r.Resumed && checked:
				p.out[i].Status, p.out[i].Reason = approvals.OutcomeInvited, resumedDone
			case member && checked:
				p.out[i].Status, p.out[i].Reason = approvals.OutcomeAlreadyMember, joinedEnterprise
			case member:
				p.out[i].Status = approvals.OutcomeAlreadyMember
			default:
				p.todo = append(p.todo, strings.TrimSpace(email))
			}
		}
		p.index[k] = append(p.index[k], i)
	}
	if len(p.todo) == 0 {
		return p.result(), nil
	}

	res, err := a.devin.Invite(ctx, devin.InviteRequest{Emails: p.todo, Role: r.Role, OrgID: r.Org})
	byEmail := map[string]devin.InviteOutcome{}
	if res != nil {
		for _, o := range res.Outcomes {
			byEmail[key(o.Email)] = o
		}
	}
	for _, email := range p.todo {
		o, ok := byEmail[key(email)]
		switch {
		case ok && o.Status == devin.StatusInvited:
			p.set(email, approvals.OutcomeInvited, "")
		case ok && o.Status == devin.StatusAlreadyMember:
			p.set(email, approvals.OutcomeAlreadyMember, "")
		case ok && o.Status == devin.StatusFailed && o.Reason != "":
			p.set(email, approvals.OutcomeFailed, o.Reason)
		case err != nil:
			p.set(email, approvals.OutcomeFailed, apiclient.UserMessage(err))
		default:
			p.set(email, approvals.OutcomeFailed, "the Devin API did not report on this address")
		}
	}
	return p.result(), err
}
