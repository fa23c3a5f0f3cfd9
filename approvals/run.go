package approvals

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"devin-chatops/apiclient"
	"devin-chatops/audit"
)

// execute runs an approved request: approved -> executing (the compare-and-swap that
// makes exactly one caller the executor), the API calls, then executing -> done or
// failed with the per-item outcomes. resume re-runs a request found executing after a
// restart; that is safe because the three actions are idempotent on the API side.
//
// ctx is the process's: the API calls end with it (and after the execution timeout).
// If it ends before they are through, nothing is recorded and errInterrupted is
// returned: the request stays executing, and the next start's Recover runs it again.
// Once the calls are through, recording their outcome (and updating the card, telling
// the requester) runs detached from ctx, for at most finishTimeout.
func (s *Service) execute(ctx context.Context, id string, resume bool) error {
	unlock := s.execLocks.lock(id)
	defer unlock()
	if err := ctx.Err(); err != nil {
		return err
	}

	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return err
	}
	started := audit.Event{
		RequestID: id, Kind: audit.KindExecuting, Command: commandLine(r), Items: r.Items,
		RequestedAt: r.CreatedAt, DecidedAt: r.DecidedAt,
	}
	switch {
	case r.State == StateApproved:
		ok, err := s.store.Transition(ctx, id, StateApproved, StateExecuting, Change{}, started)
		if err != nil {
			return err
		}
		if !ok {
			return nil // another process is the executor
		}
	case r.State == StateExecuting && resume:
		started.Detail = "resumed after a restart"
		if err := s.store.AppendAudit(ctx, started); err != nil {
			return err
		}
	default:
		return nil // already finished, or not ours to run
	}
	s.kick()
	s.refreshCard(ctx, id)
	s.log.InfoContext(ctx, "executing request", "request_id", id, "action", r.Action, "items", len(r.Items), "resumed", resume)

	execCtx, cancel := context.WithTimeout(ctx, s.execTimeout)
	outcomes, execErr := s.exec.Execute(execCtx, r)
	cancel()
	outcomes = completeOutcomes(r.Items, outcomes, execErr)
	if ctx.Err() != nil && (execErr != nil || !allOK(outcomes)) {
		// A failure now may be the cancellation's doing: record nothing, so the
		// request is run again rather than reported failed for a shutdown.
		return errInterrupted
	}
	if execErr != nil {
		s.log.WarnContext(ctx, "execution reported an error", "request_id", id, "err", audit.Redact(execErr.Error()))
	}

	// The API calls are through; what they did must be recorded even if shutdown has
	// begun meanwhile.
	ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()

	final, kind := StateDone, audit.KindDone
	if !allOK(outcomes) {
		final, kind = StateFailed, audit.KindFailed
	}
	doneAt := s.now().UTC()
	ev := audit.Event{
		Kind: kind, Command: commandLine(r), Items: r.Items, Outcome: Summary(outcomes),
		Detail:      failureDetail(outcomes),
		RequestedAt: r.CreatedAt, DecidedAt: r.DecidedAt, DoneAt: doneAt,
	}
	ok, err := s.store.Transition(ctx, id, StateExecuting, final, Change{Outcomes: outcomes, DoneAt: doneAt}, ev)
	if err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}
	if !ok {
		return nil // another process recorded its outcome first
	}
	s.kick()
	s.log.InfoContext(ctx, "request executed", "request_id", id, "state", final, "outcome", ev.Outcome)
	s.refreshCard(ctx, id)
	s.notifyRequester(ctx, id)
	return nil
}

func allOK(outcomes []ItemOutcome) bool {
	for _, o := range outcomes {
		if !OutcomeOK(o.Status) {
			return false
		}
	}
	return true
}

// completeOutcomes returns one outcome per item, in the request's order: the
// executor's where it gave one (matched ignoring case), otherwise failed with the
// reason the call as a whole failed.
func completeOutcomes(items []string, got []ItemOutcome, execErr error) []ItemOutcome {
	byItem := make(map[string]ItemOutcome, len(got))
	for _, o := range got {
		byItem[strings.ToLower(strings.TrimSpace(o.Item))] = o
	}
	reason := "no result was reported for this item"
	if execErr != nil {
		reason = apiclient.UserMessage(execErr)
	}
	out := make([]ItemOutcome, 0, len(items))
	for _, it := range items {
		o, ok := byItem[strings.ToLower(strings.TrimSpace(it))]
		if !ok || o.Status == "" {
			o = ItemOutcome{Status: OutcomeFailed, Reason: reason}
		}
		o.Item = it
		if o.Status == OutcomeFailed && o.Reason == "" {
			o.Reason = reason
		}
		out = append(out, o)
	}
	return out
}

// failureDetail names the first few failures for the audit line.
func failureDetail(outcomes []ItemOutcome) string {
	const shown = 3
	var parts []string
	n := 0
	for _, o := range outcomes {
		if o.Status != OutcomeFailed {
			continue
		}
		if n < shown {
			parts = append(parts, o.Item+": "+o.Reason)
		}
		n++
	}
	if n > shown {
		parts = append(parts, fmt.Sprintf("and %d more failures", n-shown))
	}
	return strings.Join(parts, "; ")
}

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
		RequestID: r.ID, Kind: audit.KindExpired, Command: commandLine(r), Items: r.Items,
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
// updates their cards to "Expired" without buttons and tells their requesters. It
// returns the requests it expired.
func (s *Service) ExpireDue(ctx context.Context) ([]Request, error) {
	expired, err := s.store.ExpireDue(ctx, s.now(), expiredEvent)
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
func (s *Service) Reconcile(ctx context.Context) error {
	return s.reconcile(ctx, false)
}

// reconcile is Reconcile; atStartup (Recover) acts on every stale request at once and
// posts missing cards whatever their age: a previous process left them behind.
func (s *Service) reconcile(ctx context.Context, atStartup bool) error {
	stale, err := s.store.ListStale(ctx, reconcileBatch)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	now := s.now()
	cardMinAge, settled := cardGrace, s.settled(stale, now)
	if atStartup {
		cardMinAge, settled = 0, nil
	}
	tried, failed := 0, 0
	for _, r := range stale {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if settled != nil && !settled[r.ID] {
			continue
		}
		tried++
		var errs []error
		switch {
		case r.CardTS == "":
			// Only a pending request is worth a card; an expired one is left to the DM.
			if r.State == StatePending && now.Sub(r.CreatedAt) >= cardMinAge && r.ExpiresAt.After(now) {
				if err := s.postCard(ctx, r.ID); err != nil {
					errs = append(errs, err)
				}
			}
		case r.CardState != r.State:
			if err := s.syncCard(ctx, r.ID, true); err != nil {
				errs = append(errs, err)
			}
		}
		if r.State.Final() && r.NotifiedState != r.State {
			if err := s.sendOutcome(ctx, r.ID); err != nil {
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
func (s *Service) deferSync(ctx context.Context, r Request, now time.Time) time.Time {
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
	state, cardState, notifiedState State
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
func (s *Service) settled(stale []Request, now time.Time) map[string]bool {
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

// Recover finishes what a previous process left behind; call it once at start-up,
// before the bot takes clicks. Requests past their expiry are expired; approved ones
// are executed; executing ones (the process died mid-way) are executed again, which is
// safe because the actions are idempotent; then Slack is reconciled at once (pending
// requests without a card get it, whatever their age; stale cards are re-rendered and
// untold requesters told). When ctx ends it starts nothing more: the requests it did
// not reach are left as they are for the next start.
func (s *Service) Recover(ctx context.Context) error {
	var errs []error
	if _, err := s.ExpireDue(ctx); err != nil {
		errs = append(errs, err)
	}
	reqs, err := s.store.ListRequests(ctx, StateApproved, StateExecuting)
	if err != nil {
		errs = append(errs, err)
	}
	for _, r := range reqs {
		if err := ctx.Err(); err != nil {
			// Shutting down: what is left is still approved or executing in the store.
			return fmt.Errorf("recover approval requests: %w", err)
		}
		s.log.InfoContext(ctx, "recovering request", "request_id", r.ID, "state", r.State)
		if err := s.execute(ctx, r.ID, r.State == StateExecuting); err != nil {
			errs = append(errs, fmt.Errorf("request %s: %w", r.ID, err))
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("recover approval requests: %w", err)
	}
	if err := s.reconcile(ctx, true); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("recover approval requests: %w", err)
	}
	return nil
}

// Sweep runs one round of the sweeper: expire due requests, queue for execution the
// approved requests whose execution never started (see approvedGrace), then Reconcile
// (post the cards whose first post failed, fix stale cards, tell untold requesters).
func (s *Service) Sweep(ctx context.Context) error {
	_, err := s.ExpireDue(ctx)
	if qerr := s.requeueApproved(ctx); qerr != nil {
		err = errors.Join(err, fmt.Errorf("queue approved requests: %w", qerr))
	}
	return errors.Join(err, s.Reconcile(ctx))
}

// RunSweeper calls Sweep every interval until ctx is done.
func (s *Service) RunSweeper(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "approval sweep incomplete", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
