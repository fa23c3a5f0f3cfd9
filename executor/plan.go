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

// Why an item is not sent when the team or the enterprise changed between the card and
// the execution. An item the card showed as "no change" is never sent: the approvers
// approved no change for it, so what it would need now is for a new request to ask.
const (
	joinedTeam   = "in the team since the card was posted"
	leftTeam     = "left the team since the card was posted"
	leftTeamSame = "left the team since the card was posted; not added back, since the card showed no change for this login: ask again to add it"
	joinedSame   = "joined the team since the card was posted; not removed, since the card showed no change for this login: ask again to remove it"
	// resumedDone is what a run resumed after a restart finds already done that the
	// check before the card found to do: most likely its own interrupted run's work,
	// so it counts as done by this request (and a time-boxed one is taken back).
	resumedDone = "found done when the request resumed after a restart (its interrupted run, most likely)"
)

// newPlan decides each login of r against the team's members now. A login already as
// asked (in the team for an add, not in it for a removal) is not sent; when the check
// before the request had it to change, the outcome says it changed since. A login the
// check found already as asked (r.NoChange) is not sent either way.
func newPlan(r approvals.Request, members map[string]bool, remove bool) *plan {
	same, checked := r.NoChange()
	asAsked, drifted := approvals.OutcomeAlreadyMember, leftTeamSame
	since := joinedTeam
	if remove {
		asAsked, drifted, since = approvals.OutcomeNotMember, joinedSame, leftTeam
	}
	p := &plan{out: make([]approvals.ItemOutcome, len(r.Items)), index: map[string][]int{}}
	for i, it := range r.Items {
		k := key(it)
		p.out[i].Item = it
		if _, seen := p.index[k]; !seen {
			done := members[k] != remove // already as asked now
			switch {
			case same[k] && done:
				p.out[i].Status = asAsked
			case same[k]:
				p.out[i].Status, p.out[i].Reason = approvals.OutcomeUnchanged, drifted
			case done && r.Resumed && checked:
				status := approvals.OutcomeAdded
				if remove {
					status = approvals.OutcomeRemoved
				}
				p.out[i].Status, p.out[i].Reason = status, resumedDone
			case done && checked:
				p.out[i].Status, p.out[i].Reason = asAsked, since
			case done:
				p.out[i].Status = asAsked
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
