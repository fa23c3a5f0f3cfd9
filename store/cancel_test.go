package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/audit"
)

// TestCancelRacesApprove: a cancel and an approval of one pending request, from
// two replicas at once, each a compare-and-swap from pending. Exactly one wins, and
// the store holds its state, its decider and its audit event only.
func TestCancelRacesApprove(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		u := b.fresh(t)
		replicas := []*DB{openURL(t, u), openURL(t, u)}
		const rounds = 10
		wins := map[approvals.State]int{}
		for round := range rounds {
			id := fmt.Sprintf("RCR%04d", round)
			require.NoError(t, replicas[0].CreateRequest(ctx, sampleRequest(id)))
			type racer struct {
				to   approvals.State
				by   string
				kind audit.Kind
			}
			racers := []racer{
				{approvals.StateApproved, "UAPPROVER", audit.KindApproved},
				{approvals.StateCancelled, "UREQ", audit.KindCancelled},
			}
			won := make([]bool, len(racers))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, rc := range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					ok, err := replicas[(i+round)%2].Transition(ctx, id, approvals.StatePending, rc.to,
						approvals.Change{DecidedBy: rc.by, DecidedAt: t0}, audit.Event{Kind: rc.kind, Actor: rc.by})
					assert.NoError(t, err)
					won[i] = ok
				}()
			}
			close(start)
			wg.Wait()

			require.NotEqual(t, won[0], won[1], "round %d: exactly one of approve and cancel wins", round)
			winner := racers[0]
			if won[1] {
				winner = racers[1]
			}
			wins[winner.to]++
			got, err := replicas[1].GetRequest(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, winner.to, got.State)
			assert.Equal(t, winner.by, got.DecidedBy)
			events, err := replicas[0].AuditEvents(ctx, id)
			require.NoError(t, err)
			require.Len(t, events, 1, "only the winner's event is written")
			assert.Equal(t, winner.kind, events[0].Kind)
		}
		assert.Equal(t, rounds, wins[approvals.StateApproved]+wins[approvals.StateCancelled])
	})
}

func TestCancelledIsFinal(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		r := sampleRequest("RCANCEL")
		r.ExpiresAt = t0
		require.NoError(t, db.CreateRequest(ctx, r))
		ok, err := db.Transition(ctx, "RCANCEL", approvals.StatePending, approvals.StateCancelled,
			approvals.Change{DecidedBy: "UREQ", DecidedAt: t0}, audit.Event{Kind: audit.KindCancelled, Actor: "UREQ"})
		require.NoError(t, err)
		require.True(t, ok)

		expired, err := db.ExpireDue(ctx, t0.Add(24*time.Hour), nil)
		require.NoError(t, err)
		assert.Empty(t, expired, "expiry leaves a cancelled request alone")

		for _, to := range []approvals.State{approvals.StatePending, approvals.StateApproved, approvals.StateDenied, approvals.StateExpired, approvals.StateExecuting} {
			_, err := db.Transition(ctx, "RCANCEL", approvals.StateCancelled, to, approvals.Change{})
			require.ErrorIs(t, err, approvals.ErrInvalidTransition, "cancelled -> %s", to)
		}
		ok, err = db.Transition(ctx, "RCANCEL", approvals.StatePending, approvals.StateApproved, approvals.Change{DecidedBy: "UA"})
		require.NoError(t, err)
		assert.False(t, ok, "an approval after the cancel loses")

		got, err := db.GetRequest(ctx, "RCANCEL")
		require.NoError(t, err)
		assert.Equal(t, approvals.StateCancelled, got.State)
		assert.Equal(t, "UREQ", got.DecidedBy)
		assert.Equal(t, t0, got.DecidedAt)
	})
}
