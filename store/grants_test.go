package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
)

// grantedRequest stores an executed team add with one grant ending at end.
func grantedRequest(t *testing.T, db *DB, end time.Time) approvals.Grant {
	t.Helper()
	ctx := context.Background()
	r := sampleRequest("RG1")
	r.Action, r.Items, r.Team, r.State = approvals.ActionTeamAdd, []string{"temp-dev"}, "ent:platform", approvals.StateExecuting
	require.NoError(t, db.CreateRequest(ctx, r))
	g := approvals.Grant{ID: "RG1-0", RequestID: "RG1", Action: approvals.ActionTeamAdd, Item: "temp-dev", Team: "ent:platform",
		Requester: "UREQ", Duration: time.Minute, StartedAt: end.Add(-time.Minute), EndsAt: end, RemindAt: end.Add(-6 * time.Second),
		State: approvals.GrantActive}
	ok, err := db.Transition(ctx, "RG1", approvals.StateExecuting, approvals.StateDone, approvals.Change{DoneAt: end.Add(-time.Minute), Grants: []approvals.Grant{g}})
	require.NoError(t, err)
	require.True(t, ok)
	got, err := db.GetGrant(ctx, "RG1-0")
	require.NoError(t, err)
	return got
}

func TestGrantClaimOnceAndTakeOverAfterACrash(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		end := t0.Add(time.Hour)
		g := grantedRequest(t, db, end)
		assert.Equal(t, approvals.GrantActive, g.State)
		lease := time.Minute

		_, ok, err := db.ClaimGrant(ctx, g.ID, "A", end.Add(-time.Second), end.Add(lease))
		require.NoError(t, err)
		assert.False(t, ok, "not before its end")

		_, ok, err = db.ClaimGrant(ctx, g.ID, "A", end, end.Add(lease))
		require.NoError(t, err)
		require.True(t, ok, "due at its end")
		_, ok, err = db.ClaimGrant(ctx, g.ID, "B", end.Add(time.Second), end.Add(time.Second+lease))
		require.NoError(t, err)
		assert.False(t, ok, "A holds it: B may not revoke too")

		// A crashes mid-revocation; its claim lapses and B takes over.
		later := end.Add(lease + time.Second)
		_, ok, err = db.ClaimGrant(ctx, g.ID, "B", later, later.Add(lease))
		require.NoError(t, err)
		require.True(t, ok, "a lapsed claim is taken over")

		done, err := db.FinishGrant(ctx, g.ID, "A", approvals.GrantRevoked, approvals.GrantOutcomeRemoved, later)
		require.NoError(t, err)
		assert.False(t, done, "A, back from the dead, cannot record a revocation it no longer holds")
		done, err = db.FinishGrant(ctx, g.ID, "B", approvals.GrantRevoked, approvals.GrantOutcomeAlreadyGone, later)
		require.NoError(t, err)
		assert.True(t, done)

		got, err := db.GetGrant(ctx, g.ID)
		require.NoError(t, err)
		assert.Equal(t, approvals.GrantRevoked, got.State)
		assert.Equal(t, approvals.GrantOutcomeAlreadyGone, got.Outcome)
		_, ok, err = db.ClaimGrant(ctx, g.ID, "C", later.Add(time.Hour), later.Add(2*time.Hour))
		require.NoError(t, err)
		assert.False(t, ok, "a revoked grant is never claimed again")
	})
}

func TestGrantRetryHandsItBack(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		end := t0.Add(time.Hour)
		g := grantedRequest(t, db, end)
		_, ok, err := db.ClaimGrant(ctx, g.ID, "A", end, end.Add(time.Minute))
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = db.RetryGrant(ctx, g.ID, "B", 1, end.Add(time.Minute), "not B's")
		require.NoError(t, err)
		assert.False(t, ok, "only the holder hands it back")
		ok, err = db.RetryGrant(ctx, g.ID, "A", 1, end.Add(2*time.Minute), "GitHub API is having trouble (500)")
		require.NoError(t, err)
		require.True(t, ok)
		_, ok, err = db.ClaimGrant(ctx, g.ID, "B", end.Add(time.Minute), end.Add(2*time.Minute))
		require.NoError(t, err)
		assert.False(t, ok, "not before the retry is due")
		next, found, err := db.NextGrantDue(ctx)
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, g.RemindAt.UnixMilli(), next.UnixMilli(), "the reminder not sent yet comes first")
		ok, err = db.MarkGrantReminded(ctx, g.ID, true)
		require.NoError(t, err)
		require.True(t, ok)
		next, _, err = db.NextGrantDue(ctx)
		require.NoError(t, err)
		assert.Equal(t, end.Add(2*time.Minute).UnixMilli(), next.UnixMilli(), "then the retry")

		ok, err = db.SetGrantExtension(ctx, g.ID, "", "RX1")
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = db.SetGrantExtension(ctx, g.ID, "", "RX2")
		require.NoError(t, err)
		assert.False(t, ok, "a second Extend click files nothing")
	})
}
