package executor

import (
	"context"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
)

// TeamRemover is the part of the GitHub client a team remove needs (*github.Client).
type TeamRemover interface {
	TeamLister
	BulkRemoveMembers(ctx context.Context, team string, logins []string) ([]github.User, error)
}

// TeamRemove removes the request's logins from its GitHub enterprise team.
type TeamRemove struct{ github TeamRemover }

// NewTeamRemove builds the team remove action.
func NewTeamRemove(g TeamRemover) TeamRemove { return TeamRemove{github: g} }

// Execute removes the logins that are members, except those the card showed as "no
// change"; the others are not_member (newPlan says why each is not sent).
func (a TeamRemove) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	members, err := currentMembers(ctx, a.github, r.Team)
	if err != nil {
		return failAll(r.Items, apiclient.UserMessage(err)), err
	}
	p := newPlan(r, members, true)
	if len(p.todo) == 0 {
		return p.result(), nil
	}
	_, err = a.github.BulkRemoveMembers(ctx, r.Team, p.todo)
	if err == nil {
		for _, l := range p.todo {
			p.set(l, approvals.OutcomeRemoved, "")
		}
		return p.result(), nil
	}
	applied, _ := splitBulk(err, p.todo)
	for _, l := range applied {
		p.set(l, approvals.OutcomeRemoved, "")
	}
	p.failRest(apiclient.UserMessage(err))
	return p.result(), err
}
