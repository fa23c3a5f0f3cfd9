package approvals

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"devin-chatops/audit"
)

// Submission is a validated change command to put up for approval.
type Submission struct {
	Requester     string // Slack user ID
	OriginChannel string
	Action        Action
	Items         []string // emails (invite) or GitHub logins (team add/remove)
	Role          string
	Org           string // the organization's ID, resolved by the command
	Team          string
	Reason        string
	// Params and Plan are copied to the request (see Request).
	Params map[string]string
	Plan   []string
}

func (sub Submission) validate() error {
	var problems []string
	if sub.Requester == "" {
		problems = append(problems, "no requester")
	}
	switch sub.Action {
	case ActionInvite:
	case ActionTeamAdd, ActionTeamRemove:
		if strings.TrimSpace(sub.Team) == "" {
			problems = append(problems, "no team")
		}
	case ActionOrgCreate, ActionOffboard:
	case ActionOrgLimit, ActionOrgAdd, ActionPermissionAdd:
		if strings.TrimSpace(sub.Org) == "" {
			problems = append(problems, "no organization")
		}
	default:
		problems = append(problems, fmt.Sprintf("unknown action %q", sub.Action))
	}
	if len(sub.Items) == 0 {
		problems = append(problems, "no items")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidSubmission, strings.Join(problems, "; "))
	}
	return nil
}

// Submit checks that the requester may ask, stores a new pending request with its
// audit event, and has the messenger show it to the approvers. The request is stored
// before it is shown: if showing fails the request stays pending without a card and
// the sweeper (or the start-up recovery) shows it later, so Submit still succeeds.
func (s *Service) Submit(ctx context.Context, sub Submission) (Request, error) {
	if err := sub.validate(); err != nil {
		return Request{}, err
	}
	ok, err := s.CanRequest(ctx, sub.Requester)
	if err != nil {
		return Request{}, fmt.Errorf("check requester: %w", err)
	}
	if !ok {
		return Request{}, ErrNotRequester
	}
	now := s.clock.Now().UTC()
	r := Request{
		Action:        sub.Action,
		Requester:     sub.Requester,
		Items:         sub.Items,
		Role:          sub.Role,
		Org:           sub.Org,
		Team:          sub.Team,
		Reason:        sub.Reason,
		OriginChannel: sub.OriginChannel,
		Params:        sub.Params,
		Plan:          sub.Plan,
		State:         StatePending,
		CreatedAt:     now,
		ExpiresAt:     now.Add(s.cfg.TTL),
	}
	command := CommandLine(r)
	for attempt := 1; ; attempt++ {
		if r.ID, err = NewID(s.ids); err != nil {
			return Request{}, err
		}
		ev := audit.Event{
			Kind: audit.KindRequest, Actor: r.Requester, Command: command, Items: r.Items,
			Detail:      needs(s.cfg.RequiredApprovals) + "; expires " + r.ExpiresAt.Format("2006-01-02 15:04 UTC") + reasonDetail(r.Reason),
			RequestedAt: now,
		}
		err = s.store.CreateRequest(ctx, r, ev)
		if errors.Is(err, ErrDuplicateID) && attempt < maxIDAttempts {
			continue
		}
		if err != nil {
			return Request{}, fmt.Errorf("store request: %w", err)
		}
		break
	}
	s.kick()
	s.wakeExpiry()
	s.log.InfoContext(ctx, "approval request submitted", "request_id", r.ID, "action", r.Action, "requester", r.Requester, "items", len(r.Items))

	if err := s.ShowCard(ctx, r.ID); err != nil {
		s.log.WarnContext(ctx, "approval card not posted; it will be posted later", "request_id", r.ID, "err", err)
	}
	if shown, err := s.store.GetRequest(ctx, r.ID); err == nil {
		r = shown
	}
	return r, nil
}

// needs is "needs 1 approval", "needs 2 approvals".
func needs(required int) string {
	if required == 1 {
		return "needs 1 approval"
	}
	return fmt.Sprintf("needs %d approvals", required)
}

func reasonDetail(reason string) string {
	if strings.TrimSpace(reason) == "" {
		return ""
	}
	return "; reason: " + reason
}
