package approvals

import (
	"context"
	"errors"
	"sync"
	"time"
)

// execConcurrency bounds the executions one process runs at once: each holds API
// connections and rate-limit budget, and the Slack handlers must stay free for clicks.
const execConcurrency = 4

// execQueueSize bounds the approved requests waiting for a worker. A request that finds
// the queue full stays approved in the store and the sweeper queues it again
// (approvedGrace), so nothing is lost, only delayed.
const execQueueSize = 256

// finishTimeout bounds the bookkeeping after an execution's API calls: recording the
// outcome, updating the card, telling the requester. It runs detached from shutdown,
// so that work the APIs have done is recorded, but must not hold the process for long.
const finishTimeout = 10 * time.Second

// approvedGrace is how long a request may stay approved before the sweeper hands it to
// the execution pool again: longer than a click takes to queue it, so the sweeper only
// picks up the ones whose start failed (a store error on approved -> executing, a full
// queue, a process that stopped in between).
const approvedGrace = time.Minute

// errInterrupted: the execution's API calls were cut short by shutdown. The request
// stays executing and the next start's Recover runs it again (safely: the actions are
// idempotent).
var errInterrupted = errors.New("execution interrupted by shutdown; the next start resumes it")

// execPool queues approved requests for RunExecutor's workers, each request once.
type execPool struct {
	jobs chan string

	mu      sync.Mutex
	active  map[string]bool // queued or running
	stopped bool
}

func newExecPool() *execPool {
	return &execPool{jobs: make(chan string, execQueueSize), active: map[string]bool{}}
}

type queueResult int

const (
	queued queueResult = iota
	alreadyQueued
	notQueued // the queue is full or the pool has stopped
)

// enqueue hands an approved request to the execution pool without waiting for it.
func (s *Service) enqueue(id string) queueResult {
	p := s.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return notQueued
	}
	if p.active[id] {
		return alreadyQueued
	}
	select {
	case p.jobs <- id:
		p.active[id] = true
		return queued
	default:
		return notQueued
	}
}

func (p *execPool) finished(id string) {
	p.mu.Lock()
	delete(p.active, id)
	p.mu.Unlock()
}

// stop refuses new work and forgets the queued requests: they are still approved in
// the store, where the next start (or another replica's sweeper) finds them.
func (p *execPool) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	for {
		select {
		case id := <-p.jobs:
			delete(p.active, id)
		default:
			return
		}
	}
}

// RunExecutor runs the approved requests that clicks and the sweeper queue, at most
// execConcurrency at a time, until ctx ends; call it once, beside RunSweeper. When ctx
// ends it starts nothing new and returns once the executions in flight have stopped:
// their API calls are cancelled with ctx, and only the recording of work already done
// runs on, for at most finishTimeout.
func (s *Service) RunExecutor(ctx context.Context) {
	var wg sync.WaitGroup
	for range execConcurrency {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case id := <-s.pool.jobs:
					if ctx.Err() == nil {
						s.runQueued(ctx, id)
					}
					s.pool.finished(id)
				}
			}
		})
	}
	<-ctx.Done()
	s.pool.stop()
	wg.Wait()
}

// runQueued executes one queued request and logs how it ended.
func (s *Service) runQueued(ctx context.Context, id string) {
	err := s.execute(ctx, id, false)
	switch {
	case err == nil:
	case errors.Is(err, errInterrupted), ctx.Err() != nil:
		s.log.InfoContext(ctx, "execution stopped by shutdown; the next start finishes it", "request_id", id, "err", err)
	default:
		s.log.ErrorContext(ctx, "execution not finished; the sweeper or the next start retries it", "request_id", id, "err", err)
	}
}

// requeueApproved hands to the pool the requests approved more than approvedGrace ago
// whose execution never started. The approved -> executing compare-and-swap keeps this
// safe beside a click (or another replica) that is starting the same request.
func (s *Service) requeueApproved(ctx context.Context) error {
	reqs, err := s.store.ListRequests(ctx, StateApproved)
	if err != nil {
		return err
	}
	now := s.now()
	var stuck int
	for _, r := range reqs {
		if now.Sub(r.DecidedAt) < approvedGrace {
			continue
		}
		switch s.enqueue(r.ID) {
		case queued:
			s.log.WarnContext(ctx, "approved request was not started; queued for execution again", "request_id", r.ID, "decided_at", r.DecidedAt)
		case notQueued:
			stuck++
		}
	}
	if stuck > 0 && ctx.Err() == nil {
		return errors.New("approved requests waiting: the execution queue is full")
	}
	return nil
}
