package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
)

func TestNextExpiry(t *testing.T) {
	ctx := context.Background()
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		name    string
		pending []time.Duration // expiries of pending requests
		decided []time.Duration // expiries of requests no longer pending
		want    time.Duration
		wantOK  bool
	}{
		{name: "nothing stored"},
		{name: "nothing pending", decided: []time.Duration{time.Second}},
		{name: "one", pending: []time.Duration{time.Hour}, want: time.Hour, wantOK: true},
		{name: "the earliest pending", pending: []time.Duration{time.Hour, 5 * time.Second, time.Minute}, want: 5 * time.Second, wantOK: true},
		{name: "a decided one does not count", pending: []time.Duration{time.Hour}, decided: []time.Duration{time.Second}, want: time.Hour, wantOK: true},
		{name: "already past", pending: []time.Duration{-time.Minute, time.Minute}, want: -time.Minute, wantOK: true},
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db := b.open(t)
				n := 0
				add := func(exp time.Duration, state approvals.State) {
					n++
					r := sampleRequest(string(rune('A'+n)) + "1")
					r.ExpiresAt = at(exp)
					require.NoError(t, db.CreateRequest(ctx, r))
					if state != approvals.StatePending {
						ok, err := db.Transition(ctx, r.ID, approvals.StatePending, state, approvals.Change{DecidedBy: "U1", DecidedAt: t0})
						require.NoError(t, err)
						require.True(t, ok)
					}
				}
				for _, d := range tt.pending {
					add(d, approvals.StatePending)
				}
				for _, d := range tt.decided {
					add(d, approvals.StateDenied)
				}
				next, ok, err := db.NextExpiry(ctx)
				require.NoError(t, err)
				assert.Equal(t, tt.wantOK, ok)
				if tt.wantOK {
					assert.Equal(t, at(tt.want), next)
				} else {
					assert.True(t, next.IsZero())
				}
			})
		}
	})
}
