package executor

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"devin-chatops/approvals"
	"devin-chatops/clock"
)

// DefaultLease is how long an execution is held without a heartbeat: long enough that
// a slow database round does not lose it, short enough that a replica's death delays
// its executions by little more.
const DefaultLease = 30 * time.Second

// RunnerOption adjusts a Runner built by NewRunner.
type RunnerOption func(*Runner)

// WithLease sets the execution lease: owner names this process in the store (a random
// ID when empty), ttl is how long a lease lasts unless renewed (DefaultLease when
// zero; the heartbeat renews it every ttl/3), and clk times both.
func WithLease(owner string, ttl time.Duration, clk clock.Clock) RunnerOption {
	return func(x *Runner) {
		if owner != "" {
			x.lease.owner = owner
		}
		if ttl > 0 {
			x.lease.ttl = ttl
		}
		x.lease.clock = clock.OrSystem(clk)
	}
}

type leaseConfig struct {
	owner string
	ttl   time.Duration
	clock clock.Clock
}

func (l leaseConfig) until() time.Time { return l.clock.Now().Add(l.ttl) }

// newOwner draws a process's lease owner ID.
func newOwner() string {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return "x" + hex.EncodeToString(b[:])
}

// heldLeases are the executions this runner holds, for Release.
type heldLeases struct {
	mu sync.Mutex
	m  map[string]*heartbeat
}

func (h *heldLeases) init() { h.m = map[string]*heartbeat{} }

func (h *heldLeases) drop(id string) {
	h.mu.Lock()
	delete(h.m, id)
	h.mu.Unlock()
}

func (h *heldLeases) all() map[string]*heartbeat {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]*heartbeat, len(h.m))
	for id, hb := range h.m {
		out[id] = hb
	}
	return out
}

// heartbeat renews one execution's lease every ttl/3 until stopped. When the renewal
// finds the lease gone (another process took the request over) it cancels the
// execution's API calls, so that the two do as little twice as possible.
type heartbeat struct {
	cancelExec context.CancelFunc
	stopLoop   context.CancelFunc
	once       sync.Once
	done       chan struct{}
	lost       atomic.Bool
	handedBack atomic.Bool
}

// startHeartbeat registers the execution of id as held and starts renewing its lease.
func (x *Runner) startHeartbeat(ctx context.Context, id string, until time.Time, cancelExec context.CancelFunc) *heartbeat {
	loopCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	hb := &heartbeat{cancelExec: cancelExec, stopLoop: stop, done: make(chan struct{})}
	x.held.mu.Lock()
	x.held.m[id] = hb
	x.held.mu.Unlock()
	go func() {
		defer close(hb.done)
		x.beat(loopCtx, id, until, hb)
	}()
	return hb
}

func (x *Runner) beat(ctx context.Context, id string, until time.Time, hb *heartbeat) {
	l := x.lease
	for {
		if l.clock.Sleep(ctx, l.ttl/3) != nil {
			return
		}
		next := l.until()
		ok, late, err := x.renew(ctx, id, until, next)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && ok:
			until = next
			continue
		case err == nil:
			x.log.ErrorContext(ctx, "EXECUTION LEASE LOST: another process took this request over; "+
				"stopping this run's API calls, its outcome will not be recorded here", "request_id", id, "owner", l.owner)
		case !late && l.clock.Now().Before(until):
			x.log.WarnContext(ctx, "execution lease not renewed; trying again", "request_id", id, "err", err)
			continue
		default:
			x.log.ErrorContext(ctx, "EXECUTION LEASE LAPSED: it could not be renewed in time, another process may take the request over; "+
				"stopping this run's API calls", "request_id", id, "owner", l.owner, "err", err)
		}
		hb.lost.Store(true)
		hb.cancelExec()
		return
	}
}

// renew extends the lease that runs until until to next. The renewal gets no longer
// than the lease has left (in real time; a heartbeat interval when it has run out
// already, which the owner's check answers): a database that does not answer (this
// process cut off from it) must not keep the execution going once another process may
// have taken it over. late reports that the renewal was cut off for that reason.
func (x *Runner) renew(ctx context.Context, id string, until, next time.Time) (ok, late bool, err error) {
	rctx, cancel := context.WithTimeout(ctx, max(until.Sub(x.lease.clock.Now()), x.lease.ttl/3))
	defer cancel()
	ok, err = x.books.RenewLease(rctx, id, approvals.Lease{Owner: x.lease.owner, Until: next})
	late = err != nil && ctx.Err() == nil && errors.Is(rctx.Err(), context.DeadlineExceeded)
	return ok, late, err
}

// confirmLease renews the lease taken at until-ttl when beginning the execution took
// longer than a heartbeat interval (BeginExecution updates the card, which Slack may
// hold up for as long as it rate-limits): the lease may have run out meanwhile and
// another process taken the request over, and then the actions must not run here as
// well. It returns the lease's end, renewed or not; errLeaseLost when it is gone.
func (x *Runner) confirmLease(ctx context.Context, id string, until time.Time) (time.Time, error) {
	l := x.lease
	if l.clock.Now().Before(until.Add(-l.ttl + l.ttl/3)) {
		return until, nil
	}
	next := l.until()
	ok, late, err := x.renew(ctx, id, until, next)
	switch {
	case err == nil && ok:
		return next, nil
	case err == nil:
		x.log.ErrorContext(ctx, "EXECUTION LEASE LOST before the actions ran: beginning took longer than the lease "+
			"and another process took the request over; not running it here", "request_id", id, "owner", l.owner)
		return until, errLeaseLost
	case !late && l.clock.Now().Before(until):
		return until, nil // the heartbeat tries again while the lease holds
	default:
		return until, fmt.Errorf("execution lease of %s lapsed before the actions ran and could not be renewed: %w", id, err)
	}
}

// stop ends the heartbeat and reports whether the lease was lost.
func (hb *heartbeat) stop() (lost bool) {
	hb.once.Do(hb.stopLoop)
	<-hb.done
	return hb.lost.Load()
}

func (hb *heartbeat) released() bool { return hb.handedBack.Load() }

// ReleaseLeases hands back the executions this process holds and has not finished: their
// API calls are cancelled (what they completed is still recorded) and their leases end
// now, so that another replica takes each over at once instead of waiting for the lease
// to run out. Call it in the shutdown sequence, after the Slack socket stops taking
// work; Run also hands back what its shutdown interrupts, so calling it after Run has
// returned finds nothing left.
func (x *Runner) ReleaseLeases(ctx context.Context) error {
	var errs []error
	for id, hb := range x.held.all() {
		hb.handedBack.Store(true)
		hb.stop()
		hb.cancelExec()
		if err := x.release(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// release ends this runner's lease on id now.
func (x *Runner) release(ctx context.Context, id string) error {
	ok, err := x.books.ReleaseLease(ctx, id, x.lease.owner)
	if err != nil {
		x.log.WarnContext(ctx, "execution lease not handed back; another process takes it over when it runs out",
			"request_id", id, "err", err)
		return fmt.Errorf("release lease of %s: %w", id, err)
	}
	if ok {
		x.log.InfoContext(ctx, "execution handed back", "request_id", id)
	}
	return nil
}
