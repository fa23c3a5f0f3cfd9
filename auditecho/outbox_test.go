package auditecho

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/audit"
	"devin-chatops/clock/clocktest"
	"devin-chatops/slackui"
)

// memOutbox is a FIFO outbox with the same contract as the store's, for unit tests.
type memOutbox struct {
	mu      sync.Mutex
	entries []*memEntry
}

type memEntry struct {
	p         audit.Pending
	next      time.Time
	delivered bool
	lastErr   string
	claimedBy string
	until     time.Time
}

func (o *memOutbox) add(events ...audit.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range events {
		o.entries = append(o.entries, &memEntry{p: audit.Pending{Event: e}})
	}
}

func (o *memOutbox) Due(_ context.Context, now time.Time, limit int) ([]audit.Pending, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []audit.Pending
	for _, e := range o.entries {
		if e.delivered {
			continue
		}
		if len(out) == limit || e.next.After(now) {
			break
		}
		out = append(out, e.p)
	}
	return out, nil
}

func (o *memOutbox) find(id string) *memEntry {
	for _, e := range o.entries {
		if e.p.Event.ID == id {
			return e
		}
	}
	return nil
}

func (o *memOutbox) Claim(_ context.Context, id, owner string, now, until time.Time) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.find(id)
	if e == nil || e.delivered || e.next.After(now) ||
		(e.claimedBy != "" && e.claimedBy != owner && !e.until.Before(now)) {
		return false, nil
	}
	e.claimedBy, e.until = owner, until
	return true, nil
}

func (o *memOutbox) Delivered(_ context.Context, id string, _ time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.find(id).delivered = true
	return nil
}

func (o *memOutbox) Retry(_ context.Context, id string, attempts int, next time.Time, lastErr string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.find(id)
	e.p.Attempts, e.next, e.lastErr, e.claimedBy = attempts, next, lastErr, ""
	return nil
}

func (o *memOutbox) Release(_ context.Context, id, owner string) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.find(id)
	if e == nil || e.delivered || e.claimedBy != owner {
		return false, nil
	}
	e.claimedBy, e.until = "", time.Time{}
	return true, nil
}

// flakyPoster fails its first `failures` posts, then records what it posts.
type flakyPoster struct {
	mu       sync.Mutex
	failures int
	err      error
	posted   []string
	notify   chan struct{}
}

func (p *flakyPoster) Post(_ context.Context, channel string, m slackui.Message) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failures > 0 {
		p.failures--
		return "", p.err
	}
	p.posted = append(p.posted, channel+"|"+m.Text)
	if p.notify != nil {
		p.notify <- struct{}{}
	}
	return "1.0", nil
}

func (p *flakyPoster) texts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.posted...)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func noJitter(time.Duration) time.Duration { return 0 }

func TestEchoerBackoff(t *testing.T) {
	tests := []struct {
		name     string
		attempts int
		jitter   func(time.Duration) time.Duration
		want     time.Duration
	}{
		{"first failure waits half the base without jitter", 1, noJitter, 500 * time.Millisecond},
		{"first failure waits the base with full jitter", 1, func(d time.Duration) time.Duration { return d }, time.Second},
		{"doubles per attempt", 4, func(d time.Duration) time.Duration { return d }, 8 * time.Second},
		{"capped at max", 30, func(d time.Duration) time.Duration { return d }, 5 * time.Minute},
		{"huge attempt count does not overflow", 1 << 20, noJitter, 150 * time.Second},
		{"jitter beyond its span is clamped", 1, func(d time.Duration) time.Duration { return 10 * d }, time.Second},
		{"negative jitter is clamped", 1, func(time.Duration) time.Duration { return -time.Hour }, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEchoer(&memOutbox{}, &flakyPoster{}, "CAUDIT", nil, quietLogger(), WithJitter(tt.jitter))
			assert.Equal(t, tt.want, e.backoff(tt.attempts))
		})
	}
}

func TestEchoerDefaultJitterStaysInRange(t *testing.T) {
	e := NewEchoer(&memOutbox{}, &flakyPoster{}, "CAUDIT", nil, quietLogger(), WithBackoff(time.Second, time.Minute))
	for attempts := 1; attempts < 12; attempts++ {
		d := e.backoff(attempts)
		full := min(time.Second<<(attempts-1), time.Minute)
		assert.GreaterOrEqual(t, d, full/2)
		assert.LessOrEqual(t, d, full)
	}
}

func TestEchoerRetriesInOrderUntilDelivered(t *testing.T) {
	ctx := context.Background()
	clock := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	box := &memOutbox{}
	box.add(audit.Event{ID: "E1", RequestID: "R1", Kind: audit.KindRequest}, audit.Event{ID: "E2", RequestID: "R2", Kind: audit.KindRequest})
	poster := &flakyPoster{failures: 3, err: errors.New("slack down: token xoxb-123-456-abcdef")}
	e := NewEchoer(box, poster, "CAUDIT", clock, quietLogger(), WithJitter(noJitter))

	for i := 1; i <= 3; i++ {
		n, err := e.Flush(ctx)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "xoxb", "errors never carry tokens")
		assert.Equal(t, 0, n)
		first := box.find("E1")
		assert.Equal(t, i, first.p.Attempts)
		assert.NotContains(t, first.lastErr, "xoxb")
		assert.Contains(t, first.lastErr, "[redacted]")

		// Not due yet: nothing is attempted, and E2 does not overtake E1.
		n, err = e.Flush(ctx)
		require.NoError(t, err)
		assert.Equal(t, 0, n)
		clock.Advance(time.Hour)
	}
	n, err := e.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	n, err = e.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, n, "delivered events are not re-sent")
	posted := poster.texts()
	require.Len(t, posted, 2)
	assert.Contains(t, posted[0], "CAUDIT|")
	assert.Contains(t, posted[0], "`R1`")
	assert.Contains(t, posted[1], "`R2`")
}

func TestEchoerShutdownIsNotAnAttempt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	box := &memOutbox{}
	box.add(audit.Event{ID: "E1", Kind: audit.KindCommand})
	e := NewEchoer(box, &flakyPoster{failures: 1, err: context.Canceled}, "CAUDIT", nil, quietLogger())
	_, err := e.Flush(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, box.find("E1").p.Attempts)
}

func TestEchoerRunDeliversOnKick(t *testing.T) {
	box := &memOutbox{}
	poster := &flakyPoster{notify: make(chan struct{}, 10)}
	// A poll interval far longer than the test: only Kick can explain a prompt delivery.
	e := NewEchoer(box, poster, "CAUDIT", nil, quietLogger(), WithPollInterval(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()

	box.add(audit.Event{ID: "E1", RequestID: "R1", Kind: audit.KindCommand})
	e.Kick()
	select {
	case <-poster.notify:
	case <-time.After(5 * time.Second):
		t.Fatal("Kick did not wake the echoer")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
	assert.Len(t, poster.texts(), 1)
}

func TestEchoerRunDrainsBacklogInBatches(t *testing.T) {
	box := &memOutbox{}
	for i := range 7 {
		box.add(audit.Event{ID: string(rune('a' + i)), Kind: audit.KindCommand})
	}
	poster := &flakyPoster{notify: make(chan struct{}, 10)}
	e := NewEchoer(box, poster, "CAUDIT", nil, quietLogger(), WithPollInterval(time.Hour), WithBatchSize(2))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Run(ctx)
	for range 7 {
		select {
		case <-poster.notify:
		case <-time.After(5 * time.Second):
			t.Fatalf("backlog not drained: %d posted", len(poster.texts()))
		}
	}
}

// shutdownPoster stands for SIGTERM arriving while a post waits for its turn: it ends
// the echoer's context (stop) and fails with err, as the poster does when it gives up.
type shutdownPoster struct {
	stop  context.CancelFunc
	err   error
	posts int
}

func (p *shutdownPoster) Post(context.Context, string, slackui.Message) (string, error) {
	p.posts++
	p.stop()
	return "", p.err
}

// An echoer stopped with a post Slack certainly did not act on hands its claim back at
// once, so another replica echoes the line without waiting for the lease; a post that
// may have reached Slack keeps the claim, so the line is not echoed twice.
func TestEchoerShutdownHandsBackClaimOnlyWhenNotSent(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		released bool
	}{
		{"given up before sending", &slackui.Error{Method: "chat.postMessage", Err: context.Canceled, NotSent: true}, true},
		{"refused by Slack", &slackui.Error{Kind: slackui.RateLimited, Method: "chat.postMessage", Err: errors.New("429"), NotSent: true}, true},
		{"cut off mid-request", &slackui.Error{Method: "chat.postMessage", Err: context.Canceled}, false},
		{"answered 5xx", &slackui.Error{Method: "chat.postMessage", Err: errors.New("502 Bad Gateway")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
			box := &memOutbox{}
			box.add(audit.Event{ID: "E1", RequestID: "R1", Kind: audit.KindCommand})
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			a := NewEchoer(box, &shutdownPoster{stop: stop, err: tt.err}, "CAUDIT", clock, quietLogger(), WithClaimLease(time.Minute))

			n, err := a.Flush(ctx)
			require.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, 0, n)
			entry := box.find("E1")
			assert.Equal(t, 0, entry.p.Attempts, "shutting down is not an attempt")
			assert.False(t, entry.delivered)
			if tt.released {
				assert.Empty(t, entry.claimedBy, "claim handed back")
			} else {
				assert.Equal(t, a.owner, entry.claimedBy, "a post that may have reached Slack keeps its claim")
			}

			// The other replica, a moment later and well within A's lease.
			clock.Advance(time.Second)
			poster := &flakyPoster{}
			b := NewEchoer(box, poster, "CAUDIT", clock, quietLogger(), WithClaimLease(time.Minute))
			n, err = b.Flush(context.Background())
			require.NoError(t, err)
			if tt.released {
				assert.Equal(t, 1, n, "the other replica echoes the line at once")
				assert.Len(t, poster.texts(), 1)
				return
			}
			assert.Equal(t, 0, n, "not echoed a second time while the claim holds")
			assert.Empty(t, poster.texts())
		})
	}
}

// claimCutOff commits the claim and then reports the context's end, as a database call
// cancelled after the row was written does.
type claimCutOff struct {
	*memOutbox
	stop context.CancelFunc
}

func (o claimCutOff) Claim(ctx context.Context, id, owner string, now, until time.Time) (bool, error) {
	if _, err := o.memOutbox.Claim(ctx, id, owner, now, until); err != nil {
		return false, err
	}
	o.stop()
	return false, ctx.Err()
}

func TestEchoerShutdownDuringClaimHandsItBack(t *testing.T) {
	box := &memOutbox{}
	box.add(audit.Event{ID: "E1", Kind: audit.KindCommand})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	poster := &flakyPoster{}
	e := NewEchoer(claimCutOff{memOutbox: box, stop: stop}, poster, "CAUDIT", nil, quietLogger())
	_, err := e.Flush(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, poster.texts(), "nothing posted")
	assert.Empty(t, box.find("E1").claimedBy, "the claim the cancelled call took is handed back")
}
