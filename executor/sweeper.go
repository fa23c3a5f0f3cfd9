package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"devin-chatops/approvals"
	"devin-chatops/clock"
)

// approvedGrace is how long a request may stay approved before the sweeper hands it to
// the execution queue again: longer than a click takes to queue it, so the sweeper only
// picks up the ones whose start failed (a store error on approved -> executing, a full
// queue, a process that stopped in between).
const approvedGrace = time.Minute

// Domain is what the sweeper asks of the approval domain (*approvals.Service): expire,
// and bring Slack up to date with one request.
type Domain interface {
	ExpireDue(ctx context.Context) ([]approvals.Request, error)
	ShowCard(ctx context.Context, id string) error
	SyncCard(ctx context.Context, id string, onlyStale bool) error
	TellRequester(ctx context.Context, id string) error
}

// Store is what the sweeper reads and records directly (*store.DB).
type Store interface {
	ListRequests(ctx context.Context, states ...approvals.State) ([]approvals.Request, error)
	ListStale(ctx context.Context, limit int) ([]approvals.Request, error)
	DeferSync(ctx context.Context, id string, next time.Time) error
	// ClaimSync makes this process the one that brings the request up to date in
	// Slack until until, unless another has (seen: its NextSyncAt as listed).
	ClaimSync(ctx context.Context, id string, seen, until time.Time) (bool, error)
}

// Sweeper is the background pass that keeps requests moving whatever failed before:
// it expires due requests, re-queues approved ones that never started, and makes Slack
// show what the store holds. At start-up (Recover) it also finishes what a previous
// process left behind.
type Sweeper struct {
	domain    Domain
	store     Store
	runner    *Runner
	clock     clock.Clock
	log       *slog.Logger
	syncRetry time.Duration

	backstops []func(context.Context) error // extra passes each sweep makes (the revoker's)

	behindMu sync.Mutex
	behind   map[string]sighting // what the last reconcile pass found lagging in Slack
}

// NewSweeper builds a Sweeper. syncRetry is how long it waits before it tries again to
// bring a request up to date in Slack after a failed try; the wait doubles with each
// further failure, up to 30 times syncRetry. Give it the sweep interval (default 1
// minute).
func NewSweeper(domain Domain, store Store, runner *Runner, clk clock.Clock, syncRetry time.Duration, logger *slog.Logger) *Sweeper {
	if syncRetry <= 0 {
		syncRetry = time.Minute
	}
	if logger == nil {
		logger = slog.Default()
	}
	clk = clock.OrSystem(clk)
	return &Sweeper{domain: domain, store: store, runner: runner, clock: clk, log: logger, syncRetry: syncRetry}
}

// Recover finishes what a previous process left behind; call it once at start-up,
// before the bot takes clicks. Requests past their expiry are expired; approved ones
// are executed; executing ones whose lease has run out (their process died mid-way, or
// handed them back at shutdown) are taken over and run again, which is safe because
// the actions check what is done before acting, while those whose lease still holds
// are left to the live process that holds it; then Slack is reconciled at once (pending
// requests without a card get it, whatever their age; stale cards are re-rendered and
// untold requesters told). When ctx ends it starts nothing more: the requests it did
// not reach are left as they are for the next start.
func (s *Sweeper) Recover(ctx context.Context) error {
	var errs []error
	if _, err := s.domain.ExpireDue(ctx); err != nil {
		errs = append(errs, err)
	}
	reqs, err := s.store.ListRequests(ctx, approvals.StateApproved, approvals.StateExecuting)
	if err != nil {
		errs = append(errs, err)
	}
	for _, r := range reqs {
		if err := ctx.Err(); err != nil {
			// Shutting down: what is left is still approved or executing in the store.
			return fmt.Errorf("recover approval requests: %w", err)
		}
		// An execution whose lease still holds is being run by a live process (another
		// replica on the same database); the takeover's compare-and-swap decides again.
		if r.State == approvals.StateExecuting && r.LeaseUntil.After(s.clock.Now()) {
			continue
		}
		s.log.InfoContext(ctx, "recovering request", "request_id", r.ID, "state", r.State)
		if err := s.runner.execute(ctx, r.ID); err != nil {
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

// Backstop adds a pass each sweep makes, for a loop whose own timer may have missed
// something (the revoker's Pass). Call it before Run.
func (s *Sweeper) Backstop(pass func(context.Context) error) { s.backstops = append(s.backstops, pass) }

// Sweep runs one round: expire due requests, queue for execution the approved requests
// whose execution never started (see approvedGrace) and the executing ones whose lease
// ran out (their replica died), then Reconcile.
func (s *Sweeper) Sweep(ctx context.Context) error {
	_, err := s.domain.ExpireDue(ctx)
	for _, pass := range s.backstops {
		err = errors.Join(err, pass(ctx))
	}
	if qerr := s.requeueApproved(ctx); qerr != nil {
		err = errors.Join(err, fmt.Errorf("queue approved requests: %w", qerr))
	}
	return errors.Join(err, s.Reconcile(ctx))
}

// Run calls Sweep every interval until ctx is done.
func (s *Sweeper) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "approval sweep incomplete", "err", err)
		}
		if s.clock.Sleep(ctx, every) != nil {
			return
		}
	}
}

// requeueApproved hands to the queue the requests approved more than approvedGrace ago
// whose execution never started, and the executing ones whose lease ran out. The
// approved -> executing compare-and-swap, and the takeover's, keep this safe beside a
// click (or another replica) that is starting or taking over the same request.
func (s *Sweeper) requeueApproved(ctx context.Context) error {
	reqs, err := s.store.ListRequests(ctx, approvals.StateApproved, approvals.StateExecuting)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	var stuck int
	for _, r := range reqs {
		if r.State == approvals.StateApproved && now.Sub(r.DecidedAt) < approvedGrace ||
			r.State == approvals.StateExecuting && r.LeaseUntil.After(now) {
			continue
		}
		switch s.runner.queue.offer(r.ID) {
		case queued:
			if r.State == approvals.StateApproved {
				s.log.WarnContext(ctx, "approved request was not started; queued for execution again", "request_id", r.ID, "decided_at", r.DecidedAt)
			} else {
				s.log.WarnContext(ctx, "execution lease ran out; queued to take the request over", "request_id", r.ID,
					"owner", r.ExecOwner, "lease_until", r.LeaseUntil)
			}
		case notQueued:
			stuck++
		}
	}
	if stuck > 0 && ctx.Err() == nil {
		return errors.New("approved requests waiting: the execution queue is full")
	}
	return nil
}
