package executor

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"devin-chatops/apiclient"
	"devin-chatops/approvals"
	"devin-chatops/audit"
	"devin-chatops/clock"
	"devin-chatops/internal/keylock"
)

// execConcurrency bounds the executions one process runs at once: each holds API
// connections and rate-limit budget, and the Slack handlers must stay free for clicks.
const execConcurrency = 4

// finishTimeout bounds the bookkeeping after an execution's API calls: recording the
// outcome, updating the card, telling the requester. It runs detached from shutdown,
// so that work the APIs have done is recorded, but must not hold the process for long.
const finishTimeout = 10 * time.Second

// errInterrupted: the execution's API calls were cut short by shutdown. The request
// stays executing with its lease handed back, and another replica (or the next start)
// takes it over at once (safely: the actions check what is done before acting).
var errInterrupted = errors.New("execution interrupted by shutdown; handed back for another process to finish")

// errLeaseLost: the heartbeat found that another process took the execution over
// (this one stalled past its lease); the API calls were cancelled and nothing recorded.
var errLeaseLost = errors.New("execution lease lost: another process took the request over")

// Books is the approval domain's record of executions (*approvals.Service).
type Books interface {
	BeginExecution(ctx context.Context, id string, lease approvals.Lease) (approvals.Request, bool, error)
	RenewLease(ctx context.Context, id string, lease approvals.Lease) (bool, error)
	ReleaseLease(ctx context.Context, id, owner string) (bool, error)
	FinishExecution(ctx context.Context, id, owner string, outcomes []approvals.ItemOutcome) error
}

// Runner executes approved requests: it takes them from the Queue, makes itself their
// executor in the domain under a lease that a heartbeat renews, runs the registered
// Action and records what it did.
type Runner struct {
	books   Books
	actions Actions
	queue   *Queue
	log     *slog.Logger
	timeout time.Duration
	locks   keylock.Set // executing one request

	lease   leaseConfig
	held    heldLeases
	observe ExecutionObserver
}

// ExecutionObserver counts executions by action and outcome (the metrics registry).
// outcome is done or failed (what was recorded), interrupted (stopped by shutdown and
// handed back), lost (the lease went to another process) or error (the outcome could
// not be recorded).
type ExecutionObserver interface {
	Executed(action, outcome string)
}

// WithExecutionObserver counts every execution into o.
func WithExecutionObserver(o ExecutionObserver) RunnerOption {
	return func(x *Runner) { x.observe = o }
}

type noExecObserver struct{}

func (noExecObserver) Executed(string, string) {}

// NewRunner builds a Runner. timeout bounds one execution's API calls (default 10
// minutes).
func NewRunner(books Books, actions Actions, queue *Queue, timeout time.Duration, logger *slog.Logger, opts ...RunnerOption) *Runner {
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	if logger == nil {
		logger = slog.Default()
	}
	x := &Runner{books: books, actions: actions, queue: queue, log: logger, timeout: timeout,
		lease: leaseConfig{owner: newOwner(), ttl: DefaultLease, clock: clock.System()}, observe: noExecObserver{}}
	for _, o := range opts {
		o(x)
	}
	x.held.init()
	return x
}

// Owner is the ID this runner holds execution leases under.
func (x *Runner) Owner() string { return x.lease.owner }

// Run runs the queued requests, at most execConcurrency at a time, until ctx ends;
// call it once, beside the sweeper. When ctx ends it starts nothing new and returns
// once the executions in flight have stopped: their API calls are cancelled with ctx,
// only the recording of work already done runs on, for at most finishTimeout, and the
// leases of executions not finished are handed back.
func (x *Runner) Run(ctx context.Context) { x.RunDraining(ctx, ctx) }

// RunDraining is Run for a graceful shutdown: when take ends the workers start
// nothing new, but the executions in flight run on (their leases renewed) until they
// finish or exec ends, which cancels their API calls and hands their leases back, for
// another replica (or the next start) to resume at once. It returns once every worker
// has stopped.
func (x *Runner) RunDraining(take, exec context.Context) {
	var wg sync.WaitGroup
	for range execConcurrency {
		wg.Go(func() {
			for {
				select {
				case <-take.Done():
					return
				case id := <-x.queue.jobs:
					if take.Err() == nil {
						x.runQueued(exec, id)
					}
					x.queue.finished(id)
				}
			}
		})
	}
	<-take.Done()
	x.queue.stop()
	wg.Wait()
}

// runQueued executes one queued request and logs how it ended.
func (x *Runner) runQueued(ctx context.Context, id string) {
	err := x.execute(ctx, id)
	switch {
	case err == nil:
	case errors.Is(err, errInterrupted), ctx.Err() != nil:
		x.log.InfoContext(ctx, "execution stopped by shutdown; handed back", "request_id", id, "err", err)
	case errors.Is(err, errLeaseLost), errors.Is(err, approvals.ErrLeaseLost):
		// Already logged loudly where it was found.
	default:
		x.log.ErrorContext(ctx, "execution not finished; the sweeper or another replica retries it", "request_id", id, "err", err)
	}
}

// execute runs a request: BeginExecution (the compare-and-swap that makes exactly one
// process the executor, approved -> executing, or the takeover of an execution whose
// lease ran out), the API calls while a heartbeat renews the lease, then
// FinishExecution with the per-item outcomes, which records them only while this
// runner still holds the lease. A taken-over request comes back Resumed, and the
// actions check what its earlier run did before acting.
//
// ctx is the process's: the API calls end with it (and after the execution timeout).
// If it ends before they are through, nothing is recorded, the lease is handed back and
// errInterrupted is returned. Once the calls are through, recording their outcome runs
// detached from ctx, for at most finishTimeout.
func (x *Runner) execute(ctx context.Context, id string) error {
	unlock := x.locks.Lock(id)
	defer unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	owner := x.lease.owner
	until := x.lease.until()
	r, mine, err := x.books.BeginExecution(ctx, id, approvals.Lease{Owner: owner, Until: until})
	if err != nil || !mine {
		return err
	}
	if until, err = x.confirmLease(ctx, id, until); err != nil {
		if errors.Is(err, errLeaseLost) {
			x.observe.Executed(string(r.Action), "lost")
		}
		return err
	}

	execCtx, cancel := context.WithTimeout(ctx, x.timeout)
	defer cancel()
	hb := x.startHeartbeat(ctx, id, until, cancel)
	defer x.held.drop(id)
	outcomes, execErr := x.actions.Execute(execCtx, r)
	cancel()
	lost := hb.stop()
	outcomes = completeOutcomes(r.Items, outcomes, execErr)
	detached, done := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer done()
	if lost {
		x.observe.Executed(string(r.Action), "lost")
		return errLeaseLost
	}
	if (ctx.Err() != nil || hb.released()) && (execErr != nil || !approvals.AllOK(outcomes)) {
		// A failure now may be the cancellation's doing: record nothing, and hand the
		// request back so that another process runs it again rather than report it
		// failed for a shutdown.
		_ = x.release(detached, id) // logged there; the lease runs out anyway
		x.observe.Executed(string(r.Action), "interrupted")
		return errInterrupted
	}
	if execErr != nil {
		x.log.WarnContext(ctx, "execution reported an error", "request_id", id, "err", audit.Redact(execErr.Error()))
	}

	// The API calls are through; what they did must be recorded even if shutdown has
	// begun meanwhile.
	err = x.books.FinishExecution(detached, id, owner, outcomes)
	switch {
	case errors.Is(err, approvals.ErrLeaseLost):
		x.log.ErrorContext(ctx, "EXECUTION LEASE LOST: this process ran the request's actions but another took it over; "+
			"its outcome is not recorded here, the new owner records its own", "request_id", id, "owner", owner)
		x.observe.Executed(string(r.Action), "lost")
		return err
	case err != nil:
		x.observe.Executed(string(r.Action), "error")
		return err
	}
	outcome := approvals.StateDone
	if !approvals.AllOK(outcomes) {
		outcome = approvals.StateFailed
	}
	x.observe.Executed(string(r.Action), string(outcome))
	return nil
}

// completeOutcomes returns one outcome per item, in the request's order: the action's
// where it gave one, otherwise failed with the reason the call as a whole failed.
// Actions report in item order; an outcome for another item than the one at its
// position is not trusted.
func completeOutcomes(items []string, got []approvals.ItemOutcome, execErr error) []approvals.ItemOutcome {
	reason := "no result was reported for this item"
	if execErr != nil {
		reason = apiclient.UserMessage(execErr)
	}
	out := make([]approvals.ItemOutcome, len(items))
	for i, it := range items {
		var o approvals.ItemOutcome
		if i < len(got) && key(got[i].Item) == key(it) {
			o = got[i]
		}
		if o.Status == "" {
			o = approvals.ItemOutcome{Status: approvals.OutcomeFailed, Reason: reason}
		}
		o.Item = it
		if o.Status == approvals.OutcomeFailed && o.Reason == "" {
			o.Reason = reason
		}
		out[i] = o
	}
	return out
}
