package executor

import (
	"context"
	"errors"
	"strings"

	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
)

// TeamLister lists a GitHub enterprise team's members (*github.Client).
type TeamLister interface {
	ListTeamMembers(ctx context.Context, team string) ([]github.User, error)
}

// currentMembers lists the team's members by lower-cased login.
func currentMembers(ctx context.Context, gh TeamLister, team string) (map[string]bool, error) {
	users, err := gh.ListTeamMembers(ctx, team)
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(users))
	for _, u := range users {
		m[key(u.Login)] = true
	}
	return m, nil
}

// plan splits the request's logins by current membership. Repeated logins (ignoring
// case) get the outcome of their first mention.
type plan struct {
	out   []approvals.ItemOutcome
	index map[string][]int // lower-cased login -> positions in out
	todo  []string         // logins to send, first spelling of each
}

func newPlan(items []string, members map[string]bool, remove bool) *plan {
	p := &plan{out: make([]approvals.ItemOutcome, len(items)), index: map[string][]int{}}
	for i, it := range items {
		k := key(it)
		p.out[i].Item = it
		if _, seen := p.index[k]; !seen {
			switch {
			case !remove && members[k]:
				p.out[i].Status = approvals.OutcomeAlreadyMember
			case remove && !members[k]:
				p.out[i].Status = approvals.OutcomeNotMember
			default:
				p.todo = append(p.todo, strings.TrimSpace(it))
			}
		}
		p.index[k] = append(p.index[k], i)
	}
	return p
}

func (p *plan) set(login, status, reason string) {
	for _, i := range p.index[key(login)] {
		p.out[i].Status, p.out[i].Reason = status, reason
	}
}

// result copies each first mention's outcome to its repeats and returns the outcomes.
func (p *plan) result() []approvals.ItemOutcome {
	for _, idx := range p.index {
		for _, i := range idx[1:] {
			p.out[i].Status, p.out[i].Reason = p.out[idx[0]].Status, p.out[idx[0]].Reason
		}
	}
	return p.out
}

// failRest marks every item still without an outcome failed.
func (p *plan) failRest(reason string) {
	for i := range p.out {
		if p.out[i].Status == "" {
			p.out[i].Status, p.out[i].Reason = approvals.OutcomeFailed, reason
		}
	}
}

// splitBulk reads which logins a failed bulk call confirmed; without that detail
// nothing is confirmed.
func splitBulk(err error, sent []string) (applied, unconfirmed []string) {
	var be *github.BulkError
	if errors.As(err, &be) {
		return be.Applied, be.Unconfirmed
	}
	return nil, sent
}
