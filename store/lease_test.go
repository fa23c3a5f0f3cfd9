package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/audit"
)

func TestExecutionLease(t *testing.T) { forEachDB(t, testExecutionLease) }

func testExecutionLease(t *testing.T, db *DB) {
	ctx := context.Background()
	require.NoError(t, db.CreateRequest(ctx, sampleRequest("RL")))
	ok, err := db.Transition(ctx, "RL", approvals.StatePending, approvals.StateApproved, approvals.Change{DecidedBy: "UA", DecidedAt: t0})
	require.NoError(t, err)
	require.True(t, ok)
	lease := func(owner string, until time.Time) approvals.Lease {
		return approvals.Lease{Owner: owner, Until: until}
	}

	ok, err = db.Transition(ctx, "RL", approvals.StateApproved, approvals.StateExecuting, approvals.Change{Lease: lease("A", t0.Add(30*time.Second))})
	require.NoError(t, err)
	require.True(t, ok)
	r, err := db.GetRequest(ctx, "RL")
	require.NoError(t, err)
	assert.Equal(t, "A", r.ExecOwner)
	assert.Equal(t, t0.Add(30*time.Second), r.LeaseUntil, "taken with the begin")

	takeOver := func(owner string, now time.Time) bool {
		t.Helper()
		ok, err := db.TakeOver(ctx, "RL", lease(owner, now.Add(30*time.Second)), now, audit.Event{Kind: audit.KindExecuting, Actor: owner})
		require.NoError(t, err)
		return ok
	}
	assert.False(t, takeOver("B", t0.Add(29*time.Second)), "not while the lease holds")
	ok, err = db.RenewLease(ctx, "RL", lease("A", t0.Add(50*time.Second)))
	require.NoError(t, err)
	assert.True(t, ok, "the owner renews")
	ok, err = db.RenewLease(ctx, "RL", lease("B", t0.Add(time.Hour)))
	require.NoError(t, err)
	assert.False(t, ok, "nobody else does")
	assert.False(t, takeOver("B", t0.Add(49*time.Second)), "the renewal moved the end")
	assert.True(t, takeOver("B", t0.Add(50*time.Second)), "taken over once it ran out")
	assert.False(t, takeOver("C", t0.Add(51*time.Second)), "and B now holds it")
	evs, err := db.AuditEvents(ctx, "RL")
	require.NoError(t, err)
	require.Len(t, evs, 1, "the takeover's event is written with it, once")
	assert.Equal(t, "B", evs[0].Actor)

	ok, err = db.RenewLease(ctx, "RL", lease("A", t0.Add(time.Hour)))
	require.NoError(t, err)
	assert.False(t, ok, "A has lost it")
	ok, err = db.ReleaseLease(ctx, "RL", "A", t0.Add(52*time.Second))
	require.NoError(t, err)
	assert.False(t, ok, "A cannot hand back what it lost")
	ok, err = db.Transition(ctx, "RL", approvals.StateExecuting, approvals.StateDone, approvals.Change{Lease: lease("A", time.Time{})})
	require.NoError(t, err)
	assert.False(t, ok, "nor record an outcome over B's")

	ok, err = db.ReleaseLease(ctx, "RL", "B", t0.Add(55*time.Second))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.True(t, takeOver("C", t0.Add(55*time.Second)), "a handed-back lease is taken at once")
	ok, err = db.Transition(ctx, "RL", approvals.StateExecuting, approvals.StateDone, approvals.Change{Lease: lease("C", time.Time{})})
	require.NoError(t, err)
	assert.True(t, ok, "the holder records the outcome")
	r, err = db.GetRequest(ctx, "RL")
	require.NoError(t, err)
	assert.Empty(t, r.ExecOwner, "and the lease is cleared")
	assert.True(t, r.LeaseUntil.IsZero())
	assert.False(t, takeOver("D", t0.Add(time.Hour)), "a finished request is never taken over")
}

// Two handles on one file (two replicas) take over a lapsed execution at once: one wins.
func TestConcurrentTakeOverHasOneWinner(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) { testConcurrentTakeOver(t, b.fresh(t)) })
}

func testConcurrentTakeOver(t *testing.T, url string) {
	ctx := context.Background()
	replicas := []*DB{openURL(t, url), openURL(t, url)}
	require.NoError(t, replicas[0].CreateRequest(ctx, sampleRequest("RT")))
	for _, to := range []approvals.State{approvals.StateApproved, approvals.StateExecuting} {
		from := approvals.StatePending
		if to == approvals.StateExecuting {
			from = approvals.StateApproved
		}
		ok, err := replicas[0].Transition(ctx, "RT", from, to, approvals.Change{Lease: approvals.Lease{Owner: "dead", Until: t0}})
		require.NoError(t, err)
		require.True(t, ok)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			owner := string(rune('a' + i))
			ok, err := replicas[i%2].TakeOver(ctx, "RT", approvals.Lease{Owner: owner, Until: t0.Add(time.Minute)}, t0.Add(time.Second),
				audit.Event{Kind: audit.KindExecuting, Actor: owner})
			assert.NoError(t, err)
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load())
	evs, err := replicas[1].AuditEvents(ctx, "RT")
	require.NoError(t, err)
	assert.Len(t, evs, 1)
}

// The expiry timer and the sweeper of two replicas expire a request once: one
// transition, one audit event.
func TestConcurrentExpireDueExpiresOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) { testConcurrentExpireDue(t, b.fresh(t)) })
}

func testConcurrentExpireDue(t *testing.T, url string) {
	ctx := context.Background()
	replicas := []*DB{openURL(t, url), openURL(t, url)}
	for _, id := range []string{"RE1", "RE2", "RE3"} {
		require.NoError(t, replicas[0].CreateRequest(ctx, sampleRequest(id)))
	}
	var mu sync.Mutex
	moved := map[string]int{}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			got, err := replicas[i%2].ExpireDue(ctx, t0.Add(25*time.Hour), func(r approvals.Request) audit.Event {
				return audit.Event{Kind: audit.KindExpired}
			})
			assert.NoError(t, err)
			mu.Lock()
			for _, r := range got {
				moved[r.ID]++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	assert.Equal(t, map[string]int{"RE1": 1, "RE2": 1, "RE3": 1}, moved, "each expired by exactly one caller")
	for _, id := range []string{"RE1", "RE2", "RE3"} {
		evs, err := replicas[1].AuditEvents(ctx, id)
		require.NoError(t, err)
		assert.Len(t, evs, 1, id)
	}
}
