package executor

import (
	"context"
	"errors"
	"fmt"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
)

// MemberRemover is the part of the Devin client an offboard needs (*devin.Client).
type MemberRemover interface {
	RemoveMember(ctx context.Context, userID string) error
}

// TeamLeaver is the part of the GitHub client an offboard needs (*github.Client).
type TeamLeaver interface {
	IsMember(ctx context.Context, team, login string) (bool, error)
	BulkRemoveMembers(ctx context.Context, team string, logins []string) ([]github.User, error)
}

// Offboard carries out the steps of an offboard request: r.Items are the email (when
// Params "devin_user_id" is set, the Devin membership comes first) and then each
// enterprise team of Params "github_login".
type Offboard struct {
	devin  MemberRemover
	github TeamLeaver // nil when GitHub is not configured
}

// NewOffboard builds the offboard action; g is nil when GitHub is not configured.
func NewOffboard(d MemberRemover, g TeamLeaver) Offboard { return Offboard{devin: d, github: g} }

// alreadyRemoved is the reason beside a step found done before it ran.
const alreadyRemoved = "already removed"

// Execute runs every step, best effort: a failing step does not stop the others, and
// each gets its own outcome. Each step checks first, so a second run (after a crash)
// reports what the first one did as already removed. The error joins the steps'
// failures, for the log.
func (a Offboard) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	userID, login := r.Param("devin_user_id"), r.Param("github_login")
	out := make([]approvals.ItemOutcome, len(r.Items))
	var errs []error
	for i, item := range r.Items {
		var err error
		if i == 0 && userID != "" {
			out[i], err = a.leaveDevin(ctx, item, userID)
		} else {
			out[i], err = a.leaveTeam(ctx, item, login)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", item, err))
		}
	}
	return out, errors.Join(errs...)
}

func (a Offboard) leaveDevin(ctx context.Context, email, userID string) (approvals.ItemOutcome, error) {
	err := a.devin.RemoveMember(ctx, userID)
	switch {
	case err == nil:
		return approvals.ItemOutcome{Item: email, Status: approvals.OutcomeRemoved}, nil
	case errors.Is(err, apiclient.ErrNotFound):
		return approvals.ItemOutcome{Item: email, Status: approvals.OutcomeNotMember, Reason: alreadyRemoved}, nil
	}
	return approvals.ItemOutcome{Item: email, Status: approvals.OutcomeFailed, Reason: apiclient.UserMessage(err)}, err
}

// leaveTeam removes login from team with the bulk remove team remove uses, for one
// login. It is a POST, so a 5xx is not sent again (it may have been applied): the step
// is reported failed with GitHub's reason, and a second run's check tells.
func (a Offboard) leaveTeam(ctx context.Context, team, login string) (approvals.ItemOutcome, error) {
	failed := func(reason string, err error) (approvals.ItemOutcome, error) {
		return approvals.ItemOutcome{Item: team, Status: approvals.OutcomeFailed, Reason: reason}, err
	}
	switch {
	case a.github == nil:
		return failed("the GitHub API is not configured (GITHUB_TOKEN, GITHUB_ENTERPRISE)", nil)
	case login == "":
		return failed("the request names no GitHub login", nil)
	}
	in, err := a.github.IsMember(ctx, team, login)
	if err != nil {
		return failed(apiclient.UserMessage(err), err)
	}
	if !in {
		return approvals.ItemOutcome{Item: team, Status: approvals.OutcomeNotMember, Reason: alreadyRemoved}, nil
	}
	if _, err := a.github.BulkRemoveMembers(ctx, team, []string{login}); err != nil {
		return failed(apiclient.UserMessage(err), err)
	}
	return approvals.ItemOutcome{Item: team, Status: approvals.OutcomeRemoved}, nil
}
