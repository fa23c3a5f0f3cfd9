package approvals

import (
	"context"
	"fmt"

	"devin-chatops/audit"
)

// expire moves one pending request past its expiry to expired and tells everyone.
func (s *Service) expire(ctx context.Context, r Request) {
	ok, err := s.store.Transition(ctx, r.ID, StatePending, StateExpired, Change{}, expiredEvent(r))
	if err != nil {
		s.log.ErrorContext(ctx, "expiry not recorded", "request_id", r.ID, "err", err)
		return
	}
	if ok {
		s.kick()
		s.afterExpiry(ctx, r.ID)
	}
}

func expiredEvent(r Request) audit.Event {
	return audit.Event{
		RequestID: r.ID, Kind: audit.KindExpired, Command: CommandLine(r), Items: r.Items,
		Detail:      "no decision before " + r.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"),
		RequestedAt: r.CreatedAt,
	}
}

func (s *Service) afterExpiry(ctx context.Context, id string) {
	s.log.InfoContext(ctx, "request expired", "request_id", id)
	s.refreshCard(ctx, id)
	s.notifyRequester(ctx, id)
}

// ExpireDue expires every pending request past its expiry, each with its audit event,
// has their cards show "Expired" without buttons and tells their requesters. It
// returns the requests it expired.
func (s *Service) ExpireDue(ctx context.Context) ([]Request, error) {
	expired, err := s.store.ExpireDue(ctx, s.clock.Now(), expiredEvent)
	if len(expired) > 0 {
		s.kick()
	}
	for _, r := range expired {
		s.afterExpiry(ctx, r.ID)
	}
	if err != nil {
		return expired, fmt.Errorf("expire requests: %w", err)
	}
	return expired, nil
}
