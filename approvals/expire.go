package approvals

import (
	"context"
	"fmt"
	"time"

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

const (
	// maxExpiryWait bounds one wait of RunExpiry, so that it also looks again now and
	// then when nothing woke it: a request another process submitted, a clock step.
	maxExpiryWait = time.Hour
	// expiryRetry is the pause after a round that failed or found the due request
	// already gone (another process expired it first), so a broken store is not
	// hammered in a loop.
	expiryRetry = time.Second
)

// RunExpiry expires each pending request when its ExpiresAt comes, until ctx ends:
// it sleeps (on the service's clock) until the earliest expiry among pending requests,
// read afresh from the store, and is woken early by every submission, whose request
// may be the next to expire. It starts by reading the store, so a restart re-arms it.
// Run one per process: with several processes on one database each runs its own, and
// the expiry is a compare-and-swap per request in the store, so each request is still
// expired, audited and announced once. The sweeper's ExpireDue is the backstop for
// anything this misses (a request submitted by another process that then stopped).
func (s *Service) RunExpiry(ctx context.Context) {
	pause := time.Duration(0)
	for {
		if pause > 0 {
			if s.waitForExpiry(ctx, pause) != nil {
				return
			}
			pause = 0
		}
		next, ok, err := s.store.NextExpiry(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.WarnContext(ctx, "cannot read the next expiry; trying again shortly", "err", err)
			pause = expiryRetry
			continue
		}
		wait := maxExpiryWait
		if ok {
			wait = min(next.Sub(s.clock.Now()), maxExpiryWait)
		}
		if wait > 0 {
			if s.waitForExpiry(ctx, wait) != nil {
				return
			}
			continue // look again: the wait ended early for a new request, or on time
		}
		expired, err := s.ExpireDue(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.WarnContext(ctx, "expiry round incomplete; trying again shortly", "err", err)
			pause = expiryRetry
		case len(expired) == 0:
			// Due, yet nothing moved: another process got there first (then the
			// pause costs nothing) or the store disagrees with itself (then it saves a
			// busy loop).
			pause = expiryRetry
		}
	}
}

// waitForExpiry sleeps d on the service's clock, or less when a request is
// submitted meanwhile. It returns ctx.Err() once ctx has ended.
func (s *Service) waitForExpiry(ctx context.Context, d time.Duration) error {
	sleepCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-s.expiryWake:
			cancel()
		case <-sleepCtx.Done():
		}
	}()
	_ = s.clock.Sleep(sleepCtx, d)
	cancel()
	<-done
	return ctx.Err()
}

// wakeExpiry tells RunExpiry that a request was submitted.
func (s *Service) wakeExpiry() {
	select {
	case s.expiryWake <- struct{}{}:
	default: // a wake is pending already
	}
}
