package executor

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/audit"
)

// takerThatOutlivesShutdown removes the item, and shutdown begins as its answer
// arrives: the removal is done, whatever the context says now.
type takerThatOutlivesShutdown struct {
	stop  context.CancelFunc
	calls int
}

func (k *takerThatOutlivesShutdown) TakeBack(context.Context, approvals.Grant) (string, error) {
	k.calls++
	k.stop()
	return approvals.GrantOutcomeRemoved, nil
}

// A revocation whose API call succeeded just as shutdown began is recorded as this
// process's removal, not left for the next process, which would find the item gone
// and audit it as removed "by someone else".
func TestRevocationDoneAsShutdownBeginsIsRecorded(t *testing.T) {
	e := newLeaseEnv(t)
	now := e.clock.Now()
	e.approved("R1")
	ok, err := e.db.Transition(t.Context(), "R1", approvals.StateApproved, approvals.StateExecuting, approvals.Change{})
	require.NoError(t, err)
	require.True(t, ok)
	g := approvals.Grant{ID: "R1-0", RequestID: "R1", Action: approvals.ActionInvite, Item: "R1@example.com",
		Requester: "UR", Duration: time.Hour, StartedAt: now, EndsAt: now.Add(time.Hour), RemindAt: now.Add(time.Hour),
		State: approvals.GrantActive}
	ok, err = e.db.Transition(t.Context(), "R1", approvals.StateExecuting, approvals.StateDone, approvals.Change{
		Outcomes: []approvals.ItemOutcome{{Item: "R1@example.com", Status: approvals.OutcomeInvited}},
		DoneAt:   now, Grants: []approvals.Grant{g},
	})
	require.NoError(t, err)
	require.True(t, ok)
	e.clock.Advance(time.Hour)

	ctx, stop := context.WithCancel(t.Context())
	taker := &takerThatOutlivesShutdown{stop: stop}
	v := NewRevoker(e.db, nil, map[approvals.Action]Taker{approvals.ActionInvite: taker}, nil, e.clock,
		RevokerConfig{Owner: "replica-a"}, slog.New(slog.DiscardHandler))
	require.NoError(t, v.revoke(ctx, "R1-0"))

	assert.Equal(t, 1, taker.calls)
	got, err := e.db.GetGrant(t.Context(), "R1-0")
	require.NoError(t, err)
	assert.Equal(t, approvals.GrantRevoked, got.State, "the removal is recorded")
	assert.Equal(t, approvals.GrantOutcomeRemoved, got.Outcome)
	assert.Contains(t, e.kinds("R1"), audit.KindRevoked)
}
