package executor

import (
	"sync"
)

// execQueueSize bounds the approved requests waiting for a worker. A request that finds
// the queue full stays approved in the store and the sweeper queues it again
// (approvedGrace), so nothing is lost, only delayed.
const execQueueSize = 256

// Queue holds approved requests for the Runner's workers, each request once. The
// approval domain enqueues on approval; the sweeper on recovery.
type Queue struct {
	jobs chan string

	mu      sync.Mutex
	active  map[string]bool // queued or running
	stopped bool
	idle    *sync.Cond
}

// NewQueue makes an empty queue.
func NewQueue() *Queue {
	q := &Queue{jobs: make(chan string, execQueueSize), active: map[string]bool{}}
	q.idle = sync.NewCond(&q.mu)
	return q
}

type queueResult int

const (
	queued queueResult = iota
	alreadyQueued
	notQueued // the queue is full or the pool has stopped
)

// Enqueue hands an approved request to the workers without waiting for them. It
// reports false only when the request could not be taken (the queue is full, or the
// process is stopping): it stays approved in the store for the sweeper.
func (q *Queue) Enqueue(id string) bool { return q.offer(id) != notQueued }

func (q *Queue) offer(id string) queueResult {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return notQueued
	}
	if q.active[id] {
		return alreadyQueued
	}
	select {
	case q.jobs <- id:
		q.active[id] = true
		return queued
	default:
		return notQueued
	}
}

func (q *Queue) finished(id string) {
	q.mu.Lock()
	delete(q.active, id)
	if len(q.active) == 0 {
		q.idle.Broadcast()
	}
	q.mu.Unlock()
}

// WaitIdle blocks until no request is queued or running: a click has then been
// carried through as far as it goes.
func (q *Queue) WaitIdle() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.active) > 0 {
		q.idle.Wait()
	}
}

// stop refuses new work and forgets the queued requests: they are still approved in
// the store, where the next start (or another replica's sweeper) finds them.
func (q *Queue) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	for {
		select {
		case id := <-q.jobs:
			delete(q.active, id)
		default:
			if len(q.active) == 0 {
				q.idle.Broadcast()
			}
			return
		}
	}
}
