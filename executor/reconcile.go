package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"devin-chatops/approvals"
)

// cardGrace is how old a pending request without a card must be before the sweeper
// posts one, so it does not race the Submit that is posting it right now.
const cardGrace = time.Minute

// reconcileBatch bounds the requests one reconcile pass looks at; the rest wait for the
// next pass.
const reconcileBatch = 100

// reconcileSettle is how long a request must have been seen lagging in Slack, in the
// same way, before the sweeper acts on it: well beyond the time the call that changed
// it normally takes to update Slack itself (it can take longer when Slack is failing,
// and then the two may overlap). With the sweeper's one-minute interval the real wait
// is a pass, this only matters when passes come faster (tests).
const reconcileSettle = 5 * time.Second

// Reconcile makes Slack show what the store holds, for the requests where an earlier
// Slack call failed (store.ListStale): it posts a missing card (only once it is
// cardGrace old, so as not to race the Submit posting it), re-renders a card showing
// an older state, and tells the requester of a final request who was not told yet.
//
// A request is only acted on once an earlier pass found it behind in the same way, at
// least reconcileSettle ago: the call that changed it, in this process or another
// replica, has had time to update Slack itself, so the sweeper does not race it (which
// could DM the requester twice, or land an older card after a newer one). Each request
// gets at most one try of each per pass; a failure is logged at warn and tried again on
// the next pass. The error, if any, says how many requests are still behind.
func (s *Sweeper) Reconcile(ctx context.Context) error {
	return s.reconcile(ctx, false)
}

// reconcile is Reconcile; atStartup (Recover) acts on every stale request at once and
// posts the missing cards of requests older than reconcileSettle rather than cardGrace:
// a previous process left them behind. Not younger ones: another replica's Submit may
// be posting that card right now.
func (s *Sweeper) reconcile(ctx context.Context, atStartup bool) error {
	stale, err := s.store.ListStale(ctx, reconcileBatch)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	now := s.clock.Now()
	cardMinAge, settled := cardGrace, s.settled(stale, now)
	if atStartup {
		cardMinAge, settled = reconcileSettle, nil
	}
	tried, failed := 0, 0
	for _, r := range stale {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if settled != nil && !settled[r.ID] {
			continue
		}
		// Only a pending request is worth a card; an expired one is left to the DM.
		postCard := r.CardTS == "" && r.State == approvals.StatePending && now.Sub(r.CreatedAt) >= cardMinAge && r.ExpiresAt.After(now)
		syncCard := r.CardTS != "" && r.CardState != r.State
		tell := r.State.Final() && r.NotifiedState != r.State
		if !postCard && !syncCard && !tell {
			continue
		}
		// Another replica's sweeper may be working through the same list: the claim
		// lets one of them post the card or send the DM.
		if mine, err := s.store.ClaimSync(ctx, r.ID, r.NextSyncAt, now.Add(s.syncRetry)); err != nil || !mine {
			if err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "request not claimed for bringing it up to date in Slack; retrying on the next sweep",
					"request_id", r.ID, "err", err)
			}
			continue
		}
		tried++
		var errs []error
		if postCard {
			if err := s.domain.ShowCard(ctx, r.ID); err != nil {
				errs = append(errs, err)
			}
		}
		if syncCard {
			if err := s.domain.SyncCard(ctx, r.ID, true); err != nil {
				errs = append(errs, err)
			}
		}
		if tell {
			if err := s.domain.TellRequester(ctx, r.ID); err != nil {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			failed++
			next := s.deferSync(ctx, r, now)
			s.log.WarnContext(ctx, "request not shown as it is in Slack; retrying on the next sweep", "request_id", r.ID, "state", r.State,
				"attempts", r.SyncAttempts+1, "next_try", next, "err", err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("reconcile: %d of %d requests not brought up to date in Slack", failed, tried)
	}
	return nil
}

// syncBackoffMax caps the wait between sweeps' tries of one request, as a multiple of
// the first wait (Deps.SyncRetry).
const syncBackoffMax = 30

// deferSync records a failed try to bring r up to date in Slack and returns when the
// next may be made: the first wait after one failure, doubling with each further one
// up to syncBackoffMax times it. A request Slack keeps refusing (for a reason that is
// not known to be permanent) is then tried less and less often and stops taking the
// places of the others in each pass's batch.
func (s *Sweeper) deferSync(ctx context.Context, r approvals.Request, now time.Time) time.Time {
	wait := s.syncRetry << min(r.SyncAttempts, 16)
	wait = min(wait, syncBackoffMax*s.syncRetry)
	next := now.Add(wait).UTC()
	if err := s.store.DeferSync(ctx, r.ID, next); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "sync backoff not recorded; the request is retried on the next sweep", "request_id", r.ID, "err", err)
	}
	return next
}

// lag is how a request lags in Slack: two sightings of the same lag mean nothing has
// happened to it in between.
type lag struct {
	state, cardState, notifiedState approvals.State
	cardTS                          string
}

// sighting is a lag, since when reconcile passes have seen it, and when one last did.
type sighting struct {
	lag         lag
	since, seen time.Time
}

// settled remembers how each stale request lags and returns those seen lagging in
// exactly the same way for at least reconcileSettle. A request seen changed starts
// over. A request not listed on a pass (its next try is not due yet, or the batch was
// full) keeps its sighting for a while: it cannot lag in the same way again after it
// was brought up to date (that takes a state change), so the same lag means nothing
// happened to it, and it need not wait out another pass when its turn comes.
func (s *Sweeper) settled(stale []approvals.Request, now time.Time) map[string]bool {
	s.behindMu.Lock()
	defer s.behindMu.Unlock()
	if s.behind == nil {
		s.behind = make(map[string]sighting, len(stale))
	}
	out := make(map[string]bool, len(stale))
	for _, r := range stale {
		cur := sighting{lag{r.State, r.CardState, r.NotifiedState, r.CardTS}, now, now}
		if p, ok := s.behind[r.ID]; ok && p.lag == cur.lag {
			cur.since = p.since
		}
		s.behind[r.ID] = cur
		out[r.ID] = now.Sub(cur.since) >= reconcileSettle
	}
	keep := 2 * syncBackoffMax * s.syncRetry
	for id, p := range s.behind {
		if now.Sub(p.seen) > keep {
			delete(s.behind, id)
		}
	}
	return out
}
