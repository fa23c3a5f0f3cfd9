package approvals

import (
	"context"
	"errors"
	"fmt"
	"time"

	"devin-chatops/audit"
)

// Cancel withdraws a pending request on user's behalf: its requester may, and so may
// any approver (a request asked by mistake need not wait for its expiry). The
// pending -> cancelled compare-and-swap makes it race cleanly with a decision, here or
// in another process: exactly one of them wins. A refusal (an unknown request, a user
// who is neither requester nor approver, a request no longer pending) comes back as a
// *Refusal, already audited; a store failure as another error. It returns the
// cancelled request.
//
// The card shows "cancelled" without buttons. The requester is told when someone else
// cancelled it; one who cancelled it themselves was told by their command's reply.
func (s *Service) Cancel(ctx context.Context, user, id string) (Request, error) {
	r, err := s.store.GetRequest(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Request{}, s.refuse(ctx, user, VerbCancel, id, Request{}, RefusedUnknownRequest)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "cannot read request to cancel it", "request_id", id, "err", err)
		return Request{}, fmt.Errorf("read request: %w", err)
	}
	// Who may cancel is checked before the state, so that nobody else learns more
	// about the request than that they may not touch it.
	if user == "" || user != r.Requester {
		isApprover, err := s.IsApprover(ctx, user)
		if err != nil {
			s.log.WarnContext(ctx, "approver check failed; cancel refused", "request_id", id, "user", user, "err", err)
			return Request{}, s.refuse(ctx, user, VerbCancel, id, r, RefusedGroupLookup)
		}
		if !isApprover {
			return Request{}, s.refuse(ctx, user, VerbCancel, id, r, RefusedNotRequesterOrApprover)
		}
	}
	r, unlock, err := s.relock(ctx, id, user, VerbCancel)
	if err != nil {
		return Request{}, err
	}
	now := s.clock.Now().UTC()
	swapped, err := s.store.Transition(ctx, id, StatePending, StateCancelled,
		Change{DecidedBy: user, DecidedAt: now}, cancelledEvent(r, user, now))
	unlock()
	if err != nil {
		s.log.ErrorContext(ctx, "cancellation not recorded", "request_id", id, "err", err)
		return Request{}, fmt.Errorf("record cancellation: %w", err)
	}
	if !swapped {
		return Request{}, s.refuseLost(ctx, id, user, VerbCancel)
	}
	s.kick()
	s.log.InfoContext(ctx, "request cancelled", "request_id", id, "by", user, "requester", r.Requester)
	s.refreshCard(ctx, id)
	s.notifyRequester(ctx, id)
	r.State, r.DecidedBy, r.DecidedAt = StateCancelled, user, now
	return r, nil
}

func cancelledEvent(r Request, by string, at time.Time) audit.Event {
	who := "an approver"
	if by == r.Requester {
		who = "the requester"
	}
	return audit.Event{
		Kind: audit.KindCancelled, Actor: by, Command: CommandLine(r), Items: r.Items,
		Detail: "cancelled by " + who, RequestedAt: r.CreatedAt, DecidedAt: at,
	}
}

// toldByCommand reports whether the requester of a final request already knows how
// it ended without a message from the messenger: they cancelled it themselves, and
// the reply to their command said so.
func toldByCommand(r Request) bool {
	return r.State == StateCancelled && r.DecidedBy == r.Requester
}
