package auditecho

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"devin-chatops/audit"
	"devin-chatops/clock"
	"devin-chatops/slackui"
)

// Outbox is the durable queue of audit events still to be echoed to Slack. Every stored
// event has an outbox entry written in the same transaction, so an event that exists is
// an event that will be echoed.
type Outbox interface {
	// Due returns undelivered events oldest first, at most limit of them. The queue is
	// strictly ordered: it stops before the first undelivered event whose next attempt
	// is after now, so a retried event is never overtaken by a later one.
	Due(ctx context.Context, now time.Time, limit int) ([]audit.Pending, error)
	// Claim takes the lease on an undelivered, due event for owner until until, unless
	// another owner holds an unexpired one (owner may renew its own). Only one of several
	// echoers sharing the outbox gets true, so only that one posts the event.
	Claim(ctx context.Context, eventID, owner string, now, until time.Time) (bool, error)
	// Delivered marks an event as echoed; it is never returned by Due again.
	Delivered(ctx context.Context, eventID string, at time.Time) error
	// Retry records a failed attempt and when the next one may be made.
	Retry(ctx context.Context, eventID string, attempts int, next time.Time, lastErr string) error
	// Release hands back owner's claim on an undelivered event (a compare-and-swap on
	// the owner), so that another echoer may post it before the lease runs out.
	Release(ctx context.Context, eventID, owner string) (bool, error)
}

// Poster posts a message to a Slack channel.
type Poster interface {
	Post(ctx context.Context, channel string, m slackui.Message) (ts string, err error)
}

// Echoer delivers outbox events to the audit channel, one message per event, in order.
// Delivery is at least once: an event is marked delivered only after Slack accepted it,
// so a crash between the two re-sends that one event, but nothing is ever dropped.
//
// Several echoers may share one outbox (replicas on one database): each claims an event
// before posting it and stops its pass when another holds the claim, so every event is
// posted by one of them, and the queue's order is kept.
type Echoer struct {
	outbox  Outbox
	owner   string
	poster  Poster
	channel string
	clock   clock.Clock
	log     *slog.Logger

	poll        time.Duration
	backoffBase time.Duration
	backoffMax  time.Duration
	batch       int
	lease       time.Duration // claimLease unless set
	// jitter returns a random duration in [0, span]; replaceable so tests are deterministic.
	jitter func(span time.Duration) time.Duration

	kick chan struct{}
}

// EchoerOption adjusts an Echoer built by NewEchoer.
type EchoerOption func(*Echoer)

// WithClaimLease sets how long a claim on an event lasts (default one minute): also how
// long the echo waits for an echoer that died holding the head of the queue. It must
// outlast one delivery; tests that kill a replica shorten it.
func WithClaimLease(d time.Duration) EchoerOption {
	return func(e *Echoer) {
		if d > 0 {
			e.lease = d
		}
	}
}

// WithPollInterval sets how often Run looks for due events when not kicked (default 1s).
func WithPollInterval(d time.Duration) EchoerOption {
	return func(e *Echoer) {
		if d > 0 {
			e.poll = d
		}
	}
}

// WithBackoff sets the retry delay after the first failure and its cap (default 1s, 5m).
// The delay doubles with each failed attempt.
func WithBackoff(base, max time.Duration) EchoerOption {
	return func(e *Echoer) {
		if base > 0 {
			e.backoffBase = base
		}
		if max >= e.backoffBase {
			e.backoffMax = max
		}
	}
}

// WithJitter replaces the random part of the backoff: a delay d is d/2 plus f(d/2), and
// f must return a value in [0, span] (it is clamped to that range).
func WithJitter(f func(d time.Duration) time.Duration) EchoerOption {
	return func(e *Echoer) {
		if f != nil {
			e.jitter = f
		}
	}
}

// WithBatchSize sets how many events one pass fetches (default 50).
func WithBatchSize(n int) EchoerOption {
	return func(e *Echoer) {
		if n > 0 {
			e.batch = n
		}
	}
}

// NewEchoer builds an Echoer that posts outbox events to channel. clk defaults to
// the wall clock and logger to slog.Default when nil.
func NewEchoer(outbox Outbox, poster Poster, channel string, clk clock.Clock, logger *slog.Logger, opts ...EchoerOption) *Echoer {
	if logger == nil {
		logger = slog.Default()
	}
	e := &Echoer{
		outbox:      outbox,
		owner:       newOwnerID(),
		poster:      poster,
		channel:     channel,
		clock:       clock.OrSystem(clk),
		log:         logger,
		poll:        time.Second,
		backoffBase: time.Second,
		backoffMax:  5 * time.Minute,
		batch:       50,
		lease:       claimLease,
		jitter: func(span time.Duration) time.Duration {
			if span <= 0 {
				return 0
			}
			return rand.N(span + 1)
		},
		kick: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Kick wakes Run early, typically right after an event was stored. It never blocks.
func (e *Echoer) Kick() {
	select {
	case e.kick <- struct{}{}:
	default: // a wake-up is already pending; one is enough
	}
}

// Run delivers due events until ctx is done, waking every poll interval or on Kick.
func (e *Echoer) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-e.kick:
		}
		// Keep going without sleeping while full batches come back: a backlog after an
		// outage drains at Slack's pace, not one batch per poll.
		for {
			n, err := e.Flush(ctx)
			if err != nil || n < e.batch || ctx.Err() != nil {
				break
			}
		}
		timer.Reset(e.poll)
	}
}

// Flush makes one delivery pass: it posts the due events in order and stops at the first
// failure, which is scheduled for a retry with backoff. It returns how many events were
// delivered and the error that stopped the pass, if any.
func (e *Echoer) Flush(ctx context.Context) (int, error) {
	due, err := e.outbox.Due(ctx, e.clock.Now(), e.batch)
	if err != nil {
		if ctx.Err() != nil {
			// Shutting down (Run may pick a pending kick over ctx.Done): nothing failed.
			return 0, ctx.Err()
		}
		e.log.ErrorContext(ctx, "audit outbox: cannot read due events", "err", audit.Redact(err.Error()))
		return 0, err
	}
	delivered := 0
	for _, p := range due {
		if ctx.Err() != nil {
			// Shutting down: the rest is left for the next process.
			return delivered, ctx.Err()
		}
		now := e.clock.Now()
		ok, err := e.outbox.Claim(ctx, p.Event.ID, e.owner, now, now.Add(e.lease))
		if err != nil {
			if ctx.Err() != nil {
				// Cut off by shutdown, the claim may have been taken all the same:
				// nothing was posted, so hand it back rather than make the next
				// echoer wait for the lease.
				e.release(ctx, p.Event.ID)
				return delivered, ctx.Err()
			}
			e.log.ErrorContext(ctx, "audit outbox: cannot claim event", "event_id", p.Event.ID, "err", audit.Redact(err.Error()))
			return delivered, err
		}
		if !ok {
			// Another echoer holds the head of the queue (or has delivered it since Due
			// read it): leave the rest to it, keeping the order, and look again next poll.
			return delivered, nil
		}
		if err := e.deliver(ctx, p); err != nil {
			return delivered, err
		}
		delivered++
	}
	return delivered, nil
}

// newOwnerID returns a random ID naming one echoer in outbox claims.
func newOwnerID() string {
	var b [12]byte
	_, _ = crand.Read(b[:]) // never fails (crypto/rand.Read panics rather than err)
	return hex.EncodeToString(b[:])
}

func (e *Echoer) deliver(ctx context.Context, p audit.Pending) error {
	// A post under way is seen through when shutdown begins (for at most shutdownGrace):
	// cut off half-way, Slack may still have taken the message, and the next process
	// would echo it a second time. One still waiting for its turn is given up at once.
	postCtx, cancelPost := postContext(ctx, shutdownGrace)
	defer cancelPost()
	_, postErr := e.poster.Post(postCtx, e.channel, slackui.Text(Format(p.Event)))
	if postErr != nil {
		if ctx.Err() != nil {
			// Shutting down is not Slack's fault: do not count it as an attempt. A post
			// Slack certainly did not act on (given up before it was sent, or refused)
			// hands its claim back, so another replica echoes the line at once instead
			// of when the lease runs out; one that may have reached Slack keeps it, or
			// the line could be echoed twice.
			if slackui.NotSent(postErr) {
				e.release(ctx, p.Event.ID)
			}
			return ctx.Err()
		}
		attempts := p.Attempts + 1
		delay := e.backoff(attempts)
		msg := audit.Redact(postErr.Error())
		e.log.WarnContext(ctx, "audit echo failed; will retry",
			"event_id", p.Event.ID, "request_id", p.Event.RequestID,
			"attempts", attempts, "retry_in", delay, "err", msg)
		if err := e.outbox.Retry(ctx, p.Event.ID, attempts, e.clock.Now().Add(delay), msg); err != nil {
			e.log.ErrorContext(ctx, "audit outbox: cannot schedule retry", "event_id", p.Event.ID, "err", audit.Redact(err.Error()))
			return errors.Join(errors.New(msg), err)
		}
		return errors.New(msg)
	}
	// Slack has the message: record that even if shutdown began meanwhile, or the
	// event would be echoed a second time after the restart.
	markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err := e.outbox.Delivered(markCtx, p.Event.ID, e.clock.Now()); err != nil {
		// The message is in Slack but not marked: it will be echoed again, which is the
		// lesser evil compared with losing it.
		e.log.ErrorContext(ctx, "audit outbox: cannot mark delivered", "event_id", p.Event.ID, "err", audit.Redact(err.Error()))
		return err
	}
	return nil
}

// release hands back this echoer's claim on eventID. It runs as shutdown begins, so
// its context outlives ctx; a failure costs only the wait for the lease to lapse.
func (e *Echoer) release(ctx context.Context, eventID string) {
	relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if _, err := e.outbox.Release(relCtx, eventID, e.owner); err != nil {
		e.log.WarnContext(ctx, "audit outbox: cannot hand back claim; another replica echoes the event when it lapses",
			"event_id", eventID, "err", audit.Redact(err.Error()))
	}
}

// backoff is the delay before attempt number attempts+1: base doubled per failure, capped
// at max, with equal jitter (half fixed, half random) so replicas do not retry in step.
func (e *Echoer) backoff(attempts int) time.Duration {
	d := e.backoffBase
	for i := 1; i < attempts && d < e.backoffMax; i++ {
		d *= 2
	}
	if d > e.backoffMax {
		d = e.backoffMax
	}
	half := d / 2
	span := d - half
	return half + max(0, min(e.jitter(span), span))
}

// claimLease is how long an echoer's claim on an event keeps others from posting it. It
// must outlast one delivery (a post under a 30 s HTTP timeout, its shutdown grace, and
// marking it), or another echoer may take the event over and echo it a second time; it
// is also how long the echo waits for an echoer that died holding the head of the queue.
const claimLease = time.Minute

// markTimeout bounds recording a delivery or handing back a claim, which outlive the
// echoer's context.
const markTimeout = 5 * time.Second

// shutdownGrace is how long a post already under way may go on after shutdown began.
const shutdownGrace = 5 * time.Second

// postContext returns the context a post runs under. If an HTTP request of the post
// is under way when parent ends (asked for a connection, no answer yet), it ends grace
// later, so that the request is not cut off half-way; otherwise it ends with parent: a
// post waiting for its turn (pacing, a Retry-After window) has nothing at Slack, and is
// better handed to another replica than waited for during shutdown.
func postContext(parent context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	var inFlight atomic.Int32
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) { inFlight.Add(1) },
		// A request that fails before any answer stays counted: it may be at Slack.
		GotFirstResponseByte: func() { inFlight.Add(-1) },
	})
	stop := context.AfterFunc(parent, func() {
		if inFlight.Load() == 0 {
			cancel()
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-ctx.Done():
		}
	})
	return ctx, func() { stop(); cancel() }
}
