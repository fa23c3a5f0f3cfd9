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
// stays executing and the next start's Recover runs it again (safely: the actions are
// idempotent).
var errInterrupted = errors.New("execution interrupted by shutdown; the next start resumes it")

// Books is the approval domain's record of executions (*approvals.Service).
type Books interface {
	BeginExecution(ctx context.Context, id string, resume bool) (approvals.Request, bool, error)
	FinishExecution(ctx context.Context, id string, outcomes []approvals.ItemOutcome) error
}

// Runner executes approved requests: it takes them from the Queue, makes itself their
// executor in the domain, runs the registered Action and records what it did.
type Runner struct {
	books   Books
	actions Actions
	queue   *Queue
	log     *slog.Logger
	timeout time.Duration
	locks   keylock.Set // executing one request
	observe ExecutionObserver
}

// ExecutionObserver counts executions by action and outcome (the metrics registry).
// outcome is done or failed (what was recorded), interrupted (stopped by shutdown,
// left for the next start) or error (the outcome could not be recorded).
type ExecutionObserver interface {
	Executed(action, outcome string)
}

// RunnerOption configures a Runner.
type RunnerOption func(*Runner)

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
	x := &Runner{books: books, actions: actions, queue: queue, log: logger, timeout: timeout, observe: noExecObserver{}}
	for _, o := range opts {
		o(x)
	}
	return x
}

// Run runs the queued requests, at most execConcurrency at a time, until ctx ends;
// call it once, beside the sweeper. When ctx ends it starts nothing new and returns
// once the executions in flight have stopped: their API calls are cancelled with ctx,
// and only the recording of work already done runs on, for at most finishTimeout.
func (x *Runner) Run(ctx context.Context) { x.RunDraining(ctx, ctx) }

// RunDraining is Run for a graceful shutdown: when take ends the workers start
// nothing new, but the executions in flight run on until they finish or exec ends
// (which cancels their API calls and leaves them executing, for the next start, or
// another replica, to resume). It returns once every worker has stopped.
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
	err := x.execute(ctx, id, false)
	switch {
	case err == nil:
	case errors.Is(err, errInterrupted), ctx.Err() != nil:
		x.log.InfoContext(ctx, "execution stopped by shutdown; the next start finishes it", "request_id", id, "err", err)
	default:
		x.log.ErrorContext(ctx, "execution not finished; the sweeper or the next start retries it", "request_id", id, "err", err)
	}
}

// execute runs an approved request: BeginExecution (the compare-and-swap that makes
// exactly one caller the executor), the API calls, then FinishExecution with the
// per-item outcomes. resume re-runs a request found executing after a restart; that is
// safe because the actions are idempotent on the API side.
//
// ctx is the process's: the API calls end with it (and after the execution timeout).
// If it ends before they are through, nothing is recorded and errInterrupted is
// returned: the request stays executing, and the next start's Recover runs it again.
// Once the calls are through, recording their outcome runs detached from ctx, for at
// most finishTimeout.
func (x *Runner) execute(ctx context.Context, id string, resume bool) error {
	unlock := x.locks.Lock(id)
	defer unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	r, mine, err := x.books.BeginExecution(ctx, id, resume)
	if err != nil || !mine {
		return err
	}

	execCtx, cancel := context.WithTimeout(ctx, x.timeout)
	outcomes, execErr := x.actions.Execute(execCtx, r)
	cancel()
	outcomes = completeOutcomes(r.Items, outcomes, execErr)
	if ctx.Err() != nil && (execErr != nil || !approvals.AllOK(outcomes)) {
		// A failure now may be the cancellation's doing: record nothing, so the
		// request is run again rather than reported failed for a shutdown.
		x.observe.Executed(string(r.Action), "interrupted")
		return errInterrupted
	}
	if execErr != nil {
		x.log.WarnContext(ctx, "execution reported an error", "request_id", id, "err", audit.Redact(execErr.Error()))
	}

	// The API calls are through; what they did must be recorded even if shutdown has
	// begun meanwhile.
	ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := x.books.FinishExecution(ctx, id, outcomes); err != nil {
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
