package approvalslack_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/audit"
	"devin-chatops/clock/clocktest"
	"devin-chatops/store"
)

// lostStore fails NextExpiry while failNext > 0.
type lostStore struct {
	*store.DB
	failNext atomic.Int32
}

func (l *lostStore) NextExpiry(ctx context.Context) (time.Time, bool, error) {
	if l.failNext.Add(-1) >= 0 {
		return time.Time{}, false, errors.New("database is locked")
	}
	return l.DB.NextExpiry(ctx)
}

// runExpiry runs svc's expiry timer until the end of the test.
func runExpiry(t *testing.T, svc *stack) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.RunExpiry(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// sleptFor waits until n timers are asleep on the fake clock, the latest sleep (past
// the first `after` sleeps) being d: the timer has armed itself for d.
func sleptFor(t *testing.T, c *clocktest.Fake, after, n int, d time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		s := c.Sleeps()
		return len(s) > after && s[len(s)-1] == d && c.Waiters() == n
	}, 2*time.Second, time.Millisecond, "expected a sleep of %v; sleeps so far %v", d, c.Sleeps())
}

func TestExpiryTimer(t *testing.T) {
	t.Run("expires at expires_at, armed by the submission", func(t *testing.T) {
		e := newEnv(t, func(c *approvals.Config) { c.TTL = 5 * time.Second })
		runExpiry(t, e.svc)
		sleptFor(t, e.clock, 0, 1, time.Hour) // nothing pending: a long wait

		before := len(e.clock.Sleeps())
		r := e.submit(inviteSub())
		sleptFor(t, e.clock, before, 1, 5*time.Second)

		e.clock.Advance(5*time.Second - time.Millisecond)
		assert.Equal(t, approvals.StatePending, e.get(r.ID).State, "not a moment early")
		e.clock.Advance(time.Millisecond)
		require.Eventually(t, func() bool { return e.get(r.ID).State == approvals.StateExpired }, 2*time.Second, time.Millisecond)

		// Its card loses its buttons and the requester is told, at once.
		require.Eventually(t, func() bool { return len(e.poster.dmsTo(requester)) == 1 }, 2*time.Second, time.Millisecond)
		card := e.poster.card(e.get(r.ID).CardTS)
		assert.Nil(t, actionsBlock(t, card))
		assert.Contains(t, texts(t, card), "Expired: invite to Devin")
		assert.Equal(t, []audit.Kind{audit.KindRequest, audit.KindExpired}, kinds(e.events(r.ID)))
		assert.Equal(t, e.get(r.ID).ExpiresAt, e.events(r.ID)[1].At, "expired exactly at expires_at on the fake clock")
		sleptFor(t, e.clock, 0, 1, time.Hour) // nothing pending again
	})

	t.Run("armed at start-up for what is pending, one request after the other", func(t *testing.T) {
		e := newEnv(t, func(c *approvals.Config) { c.TTL = time.Hour })
		first := e.submit(inviteSub("one@example.com"))
		e.clock.Advance(10 * time.Minute)
		second := e.submit(inviteSub("two@example.com"))
		e.clock.Advance(10 * time.Minute)

		runExpiry(t, e.svc)
		sleptFor(t, e.clock, 0, 1, 40*time.Minute)
		before := len(e.clock.Sleeps())
		e.clock.Advance(40 * time.Minute)
		require.Eventually(t, func() bool { return e.get(first.ID).State == approvals.StateExpired }, 2*time.Second, time.Millisecond)
		sleptFor(t, e.clock, before, 1, 10*time.Minute)
		assert.Equal(t, approvals.StatePending, e.get(second.ID).State)

		e.clock.Advance(10 * time.Minute)
		require.Eventually(t, func() bool { return e.get(second.ID).State == approvals.StateExpired }, 2*time.Second, time.Millisecond)
	})

	t.Run("a request already past its expiry at start-up expires at once", func(t *testing.T) {
		e := newEnv(t, func(c *approvals.Config) { c.TTL = time.Minute })
		r := e.submit(inviteSub())
		e.clock.Advance(time.Hour)
		runExpiry(t, e.svc)
		require.Eventually(t, func() bool { return e.get(r.ID).State == approvals.StateExpired }, 2*time.Second, time.Millisecond)
	})

	t.Run("a decision before the expiry disarms it", func(t *testing.T) {
		e := newEnv(t, func(c *approvals.Config) { c.TTL = 5 * time.Second })
		runExpiry(t, e.svc)
		sleptFor(t, e.clock, 0, 1, time.Hour)
		before := len(e.clock.Sleeps())
		r := e.submit(inviteSub())
		sleptFor(t, e.clock, before, 1, 5*time.Second)
		e.svc.HandleDenySubmission(context.Background(), "UA", r.ID, "")
		require.Equal(t, approvals.StateDenied, e.get(r.ID).State)

		e.clock.Advance(5 * time.Second)
		sleptFor(t, e.clock, 0, 1, time.Hour)
		assert.Equal(t, approvals.StateDenied, e.get(r.ID).State)
		assert.NotContains(t, kinds(e.events(r.ID)), audit.KindExpired)
	})

	t.Run("a store error is retried a second later", func(t *testing.T) {
		e := newEnv(t, func(c *approvals.Config) { c.TTL = 5 * time.Second })
		lost := &lostStore{DB: e.db}
		svc := e.newService(lost, e.exec)
		runExpiry(t, svc)
		sleptFor(t, e.clock, 0, 1, time.Hour)
		lost.failNext.Store(2)
		r, err := svc.Submit(context.Background(), inviteSub())
		require.NoError(t, err)
		sleptFor(t, e.clock, 1, 1, time.Second)
		e.clock.Advance(time.Second)
		sleptFor(t, e.clock, 2, 1, time.Second)
		e.clock.Advance(time.Second)
		sleptFor(t, e.clock, 3, 1, 3*time.Second) // armed for what is left of the TTL
		e.clock.Advance(3 * time.Second)
		require.Eventually(t, func() bool { return e.get(r.ID).State == approvals.StateExpired }, 2*time.Second, time.Millisecond)
		assert.Equal(t, 2, e.logs.count(slog.LevelWarn, "cannot read the next expiry; trying again shortly"))
	})

	t.Run("two processes on one database expire a request once", func(t *testing.T) {
		e := newEnv(t, func(c *approvals.Config) { c.TTL = 5 * time.Second })
		other := e.newService(e.open(), e.exec)
		r := e.submit(inviteSub())
		runExpiry(t, e.svc)
		runExpiry(t, other)
		require.Eventually(t, func() bool { return e.clock.Waiters() == 2 }, 2*time.Second, time.Millisecond)
		for _, d := range e.clock.Sleeps() {
			assert.Equal(t, 5*time.Second, d, "both armed for it")
		}

		e.clock.Advance(5 * time.Second)
		require.Eventually(t, func() bool { return e.get(r.ID).State == approvals.StateExpired }, 2*time.Second, time.Millisecond)
		// The process that lost the race pauses, then both wait for the next request.
		require.Eventually(t, func() bool {
			e.clock.Advance(time.Second)
			idle := 0
			for _, d := range e.clock.Sleeps() {
				if d == time.Hour {
					idle++
				}
			}
			return e.clock.Waiters() == 2 && idle == 2
		}, 2*time.Second, time.Millisecond)
		assert.Equal(t, []audit.Kind{audit.KindRequest, audit.KindExpired}, kinds(e.events(r.ID)), "audited once")
		assert.Len(t, e.poster.dmsTo(requester), 1, "told once")
	})
}
