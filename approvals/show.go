package approvals

import (
	"context"
	"errors"
	"fmt"
)

// progress is r's quorum progress for its card: the counted approvals of a pending
// request (none once it has left pending).
func (s *Service) progress(ctx context.Context, r Request) Progress {
	p := Progress{Required: s.cfg.RequiredApprovals}
	if r.State == StatePending {
		if res, err := s.tally(ctx, r); err != nil {
			s.log.WarnContext(ctx, "cannot read votes for the card", "request_id", r.ID, "err", err)
		} else {
			p.Approvers = res.Approvers
		}
	}
	return p
}

// ShowCard has the messenger show a pending request that has no card yet, and records
// where it went.
func (s *Service) ShowCard(ctx context.Context, id string) error {
	unlock := s.cardLocks.Lock(id)
	defer unlock()
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return err
	}
	if r.CardTS != "" || r.State != StatePending {
		return nil
	}
	ref, err := s.msg.ShowRequest(ctx, r, s.progress(ctx, r))
	if err != nil {
		return fmt.Errorf("post card: %w", err)
	}
	if err := s.store.SetCard(ctx, id, ref.Channel, ref.TS); err != nil {
		// The card is in Slack but not recorded: it will not be updated in place, and a
		// later recovery may post a second one. Loud, because it needs a look.
		s.log.ErrorContext(ctx, "approval card posted but not recorded", "request_id", id, "ts", ref.TS, "err", err)
		return err
	}
	if err := s.store.MarkCardShown(ctx, id, r.State); err != nil {
		// Only costs one needless re-render by the sweeper.
		s.log.WarnContext(ctx, "approval card state not recorded", "request_id", id, "err", err)
	}
	return nil
}

// refreshCard re-renders a request's card from the store, after a vote or a transition.
// Failures are logged; the sweeper retries a card whose state is not shown.
func (s *Service) refreshCard(ctx context.Context, id string) {
	if err := s.SyncCard(ctx, id, false); err != nil {
		s.log.WarnContext(ctx, "approval card not updated; the sweeper will retry", "request_id", id, "err", err)
	}
}

// SyncCard re-renders a request's card and records the state it showed. onlyStale
// leaves alone a card that already shows the request's state (the sweeper's case; a
// vote changes a pending card without changing its state, so refreshCard always renders).
//
// Card writes for one request are serialised and each reads the request afresh under
// the lock, so whichever runs last shows the latest state: a slow "1 of 2" update can
// never overwrite "done". The state recorded is the one rendered, not the one stored by
// then: if a transition lands while Slack is being called, the card stays marked stale
// and is fixed by that transition's own refresh or by a later sweep.
func (s *Service) SyncCard(ctx context.Context, id string, onlyStale bool) error {
	unlock := s.cardLocks.Lock(id)
	defer unlock()
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	if r.CardTS == "" || (onlyStale && r.CardState == r.State) {
		return nil
	}
	if err := s.msg.UpdateRequest(ctx, r, s.progress(ctx, r)); err != nil {
		if !errors.Is(err, ErrUnreachable) {
			return fmt.Errorf("update card: %w", err)
		}
		// Deleted, or its channel is gone: no retry can fix it. Give up on this state
		// (recorded as shown) instead of trying again on every sweep.
		s.log.ErrorContext(ctx, "approval card can no longer be updated; giving up on it", "request_id", id,
			"state", r.State, "channel", r.CardChannel, "ts", r.CardTS, "err", err)
	}
	if err := s.store.MarkCardShown(ctx, id, r.State); err != nil {
		// The card is right; the sweeper will only render it once more.
		return fmt.Errorf("record card state: %w", err)
	}
	return nil
}

// notifyRequester tells the requester how their request ended. Failures are logged;
// the sweeper retries a requester not yet told.
func (s *Service) notifyRequester(ctx context.Context, id string) {
	if err := s.TellRequester(ctx, id); err != nil {
		s.log.WarnContext(ctx, "requester not told about their request; the sweeper will retry", "request_id", id, "err", err)
	}
}

// TellRequester tells the requester of a final request how it ended, unless they were
// told already (a requester who cancelled their own request was told by the reply to
// their command), and records it. The check and the send are serialised per request, so
// the sweeper and the transition that ended the request do not both send it.
//
// Delivery is at least once: a crash (or a failed write) between the message and
// MarkNotified leaves the request unmarked and the next sweep sends it again. A
// Slack message and a database row cannot be one transaction, and telling twice beats
// never telling. Across replicas the lock does not hold; the sweeper's settle time
// is what keeps one replica's sweep from sending it while another replica's click is
// still sending it.
func (s *Service) TellRequester(ctx context.Context, id string) error {
	unlock := s.notifyLocks.Lock(id)
	defer unlock()
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	if !r.State.Final() || r.NotifiedState == r.State {
		return nil
	}
	if !toldByCommand(r) {
		if err := s.msg.TellRequester(ctx, r); err != nil {
			return err
		}
	}
	if err := s.store.MarkNotified(ctx, id, r.State); err != nil {
		return fmt.Errorf("record notification (the DM went out and will be sent again): %w", err)
	}
	return nil
}
