package approvals

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
)

// Inviter is the part of the Devin client the executor uses (*devin.Client).
type Inviter interface {
	Invite(ctx context.Context, req devin.InviteRequest) (*devin.InviteResult, error)
	FindOrganization(ctx context.Context, idOrName string) (*devin.Organization, error)
}

// TeamMembers is the part of the GitHub client the executor uses (*github.Client).
type TeamMembers interface {
	ListTeamMembers(ctx context.Context, team string) ([]github.User, error)
	BulkAddMembers(ctx context.Context, team string, logins []string) ([]github.User, error)
	BulkRemoveMembers(ctx context.Context, team string, logins []string) ([]github.User, error)
	AddMember(ctx context.Context, team, login string) (*github.User, error)
}

// APIExecutor carries out approved requests through the Devin and GitHub clients.
// Either client may be nil when that API is not configured; requests for it then fail
// item by item with a clear reason.
type APIExecutor struct {
	devin  Inviter
	github TeamMembers
}

var _ Executor = (*APIExecutor)(nil)

// NewExecutor builds an executor. Pass nil for an API that is not configured (beware of
// passing a nil *devin.Client: that is a non-nil interface).
func NewExecutor(d Inviter, g TeamMembers) *APIExecutor {
	return &APIExecutor{devin: d, github: g}
}

// Execute runs r and returns one outcome per item. The error is the failure that stopped
// the whole call, if any; the items it left undone are already marked failed with its
// user message.
func (e *APIExecutor) Execute(ctx context.Context, r Request) ([]ItemOutcome, error) {
	switch r.Action {
	case ActionInvite:
		if e.devin == nil {
			return failAll(r.Items, "the Devin API is not configured (DEVIN_API_KEY)"), nil
		}
		return e.invite(ctx, r)
	case ActionTeamAdd:
		if e.github == nil {
			return failAll(r.Items, "the GitHub API is not configured (GITHUB_TOKEN, GITHUB_ENTERPRISE)"), nil
		}
		return e.teamAdd(ctx, r)
	case ActionTeamRemove:
		if e.github == nil {
			return failAll(r.Items, "the GitHub API is not configured (GITHUB_TOKEN, GITHUB_ENTERPRISE)"), nil
		}
		return e.teamRemove(ctx, r)
	}
	return failAll(r.Items, fmt.Sprintf("unknown action %q", r.Action)), nil
}

func failAll(items []string, reason string) []ItemOutcome {
	out := make([]ItemOutcome, len(items))
	for i, it := range items {
		out[i] = ItemOutcome{Item: it, Status: OutcomeFailed, Reason: reason}
	}
	return out
}

func key(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (e *APIExecutor) invite(ctx context.Context, r Request) ([]ItemOutcome, error) {
	req := devin.InviteRequest{Emails: r.Items, Role: r.Role}
	if r.Org != "" {
		org, err := e.devin.FindOrganization(ctx, r.Org)
		if err != nil {
			return failAll(r.Items, apiclient.UserMessage(err)), err
		}
		req.OrgID = org.ID
	}
	res, err := e.devin.Invite(ctx, req)
	byEmail := map[string]devin.InviteOutcome{}
	if res != nil {
		for _, o := range res.Outcomes {
			byEmail[key(o.Email)] = o
		}
	}
	out := make([]ItemOutcome, len(r.Items))
	for i, email := range r.Items {
		o, ok := byEmail[key(email)]
		switch {
		case ok && o.Status == devin.StatusInvited:
			out[i] = ItemOutcome{Item: email, Status: OutcomeInvited}
		case ok && o.Status == devin.StatusAlreadyMember:
			out[i] = ItemOutcome{Item: email, Status: OutcomeAlreadyMember}
		case ok && o.Status == devin.StatusFailed && o.Reason != "":
			out[i] = ItemOutcome{Item: email, Status: OutcomeFailed, Reason: o.Reason}
		case err != nil:
			out[i] = ItemOutcome{Item: email, Status: OutcomeFailed, Reason: apiclient.UserMessage(err)}
		default:
			out[i] = ItemOutcome{Item: email, Status: OutcomeFailed, Reason: "the Devin API did not report on this address"}
		}
	}
	return out, err
}

// currentMembers lists the team's members by lower-cased login.
func (e *APIExecutor) currentMembers(ctx context.Context, team string) (map[string]bool, error) {
	users, err := e.github.ListTeamMembers(ctx, team)
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
	out   []ItemOutcome
	index map[string][]int // lower-cased login -> positions in out
	todo  []string         // logins to send, first spelling of each
}

func newPlan(items []string, members map[string]bool, remove bool) *plan {
	p := &plan{out: make([]ItemOutcome, len(items)), index: map[string][]int{}}
	for i, it := range items {
		k := key(it)
		p.out[i].Item = it
		if _, seen := p.index[k]; !seen {
			switch {
			case !remove && members[k]:
				p.out[i].Status = OutcomeAlreadyMember
			case remove && !members[k]:
				p.out[i].Status = OutcomeNotMember
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
func (p *plan) result() []ItemOutcome {
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
			p.out[i].Status, p.out[i].Reason = OutcomeFailed, reason
		}
	}
}

// teamAdd adds the logins that are not members yet. If GitHub refuses a bulk chunk as
// invalid (422, typically one unknown login), the logins it left unconfirmed are added
// one by one, so the valid ones still get in and the bad one fails with GitHub's reason.
func (e *APIExecutor) teamAdd(ctx context.Context, r Request) ([]ItemOutcome, error) {
	members, err := e.currentMembers(ctx, r.Team)
	if err != nil {
		return failAll(r.Items, apiclient.UserMessage(err)), err
	}
	p := newPlan(r.Items, members, false)
	if len(p.todo) == 0 {
		return p.result(), nil
	}
	_, err = e.github.BulkAddMembers(ctx, r.Team, p.todo)
	if err == nil {
		for _, l := range p.todo {
			p.set(l, OutcomeAdded, "")
		}
		return p.result(), nil
	}
	applied, unconfirmed := splitBulk(err, p.todo)
	for _, l := range applied {
		p.set(l, OutcomeAdded, "")
	}
	if !errors.Is(err, apiclient.ErrValidation) && !errors.Is(err, apiclient.ErrBadRequest) {
		p.failRest(apiclient.UserMessage(err))
		return p.result(), err
	}
	for i, l := range unconfirmed {
		_, err := e.github.AddMember(ctx, r.Team, l)
		switch {
		case err == nil:
			p.set(l, OutcomeAdded, "")
		case errors.Is(err, apiclient.ErrValidation), errors.Is(err, apiclient.ErrBadRequest), errors.Is(err, apiclient.ErrNotFound):
			p.set(l, OutcomeFailed, apiclient.UserMessage(err))
		default:
			// Not about this login (401, 403, 5xx…): the rest would fail the same way.
			msg := apiclient.UserMessage(err)
			for _, rest := range unconfirmed[i:] {
				p.set(rest, OutcomeFailed, msg)
			}
			return p.result(), err
		}
	}
	return p.result(), nil
}

// teamRemove removes the logins that are members; the others are not_member.
func (e *APIExecutor) teamRemove(ctx context.Context, r Request) ([]ItemOutcome, error) {
	members, err := e.currentMembers(ctx, r.Team)
	if err != nil {
		return failAll(r.Items, apiclient.UserMessage(err)), err
	}
	p := newPlan(r.Items, members, true)
	if len(p.todo) == 0 {
		return p.result(), nil
	}
	_, err = e.github.BulkRemoveMembers(ctx, r.Team, p.todo)
	if err == nil {
		for _, l := range p.todo {
			p.set(l, OutcomeRemoved, "")
		}
		return p.result(), nil
	}
	applied, _ := splitBulk(err, p.todo)
	for _, l := range applied {
		p.set(l, OutcomeRemoved, "")
	}
	p.failRest(apiclient.UserMessage(err))
	return p.result(), err
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
