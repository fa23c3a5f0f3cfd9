package executor

import (
	"context"
	"errors"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
)

// TeamAdder is the part of the GitHub client a team add needs (*github.Client).
type TeamAdder interface {
	TeamLister
	BulkAddMembers(ctx context.Context, team string, logins []string) ([]github.User, error)
	AddMember(ctx context.Context, team, login string) (*github.User, error)
}

// TeamAdd adds the request's logins to its GitHub enterprise team.
type TeamAdd struct{ github TeamAdder }

// NewTeamAdd builds the team add action.
func NewTeamAdd(g TeamAdder) TeamAdd { return TeamAdd{github: g} }

// Execute adds the logins that are not members yet, except those the card showed as
// "no change" (newPlan says why each other one is not sent). If GitHub refuses a bulk chunk as
// invalid (422, typically one unknown login), the logins it left unconfirmed are added
// one by one, so the valid ones still get in and the bad one fails with GitHub's reason.
func (a TeamAdd) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	members, err := currentMembers(ctx, a.github, r.Team)
	if err != nil {
		return failAll(r.Items, apiclient.UserMessage(err)), err
	}
	p := newPlan(r, members, false)
	if len(p.todo) == 0 {
		return p.result(), nil
	}
	_, err = a.github.BulkAddMembers(ctx, r.Team, p.todo)
	if err == nil {
		for _, l := range p.todo {
			p.set(l, approvals.OutcomeAdded, "")
		}
		return p.result(), nil
	}
	applied, unconfirmed := splitBulk(err, p.todo)
	for _, l := range applied {
		p.set(l, approvals.OutcomeAdded, "")
	}
	if !errors.Is(err, apiclient.ErrValidation) && !errors.Is(err, apiclient.ErrBadRequest) {
		p.failRest(apiclient.UserMessage(err))
		return p.result(), err
	}
	for i, l := range unconfirmed {
		_, err := a.github.AddMember(ctx, r.Team, l)
		switch {
		case err == nil:
			p.set(l, approvals.OutcomeAdded, "")
		case errors.Is(err, apiclient.ErrValidation), errors.Is(err, apiclient.ErrBadRequest), errors.Is(err, apiclient.ErrNotFound):
			p.set(l, approvals.OutcomeFailed, apiclient.UserMessage(err))
		default:
			// Not about this login (401, 403, 5xx…): the rest would fail the same way.
			msg := apiclient.UserMessage(err)
			for _, rest := range unconfirmed[i:] {
				p.set(rest, approvals.OutcomeFailed, msg)
			}
			return p.result(), err
		}
	}
	return p.result(), nil
}
