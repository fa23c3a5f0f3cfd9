package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/clock/clocktest"
)

// A deferred request is left out of ListStale until its next try is due, then comes
// after the requests never deferred, whatever their age; being brought up to date
// clears its backoff.
func TestDeferSync(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		clk := clocktest.New(t0)
		db := b.open(t, WithClock(clk))

		// Three approved requests whose cards still show pending, oldest first.
		for i, id := range []string{"ROLDEST", "RMIDDLE", "RNEWEST"} {
			r := sampleRequest(id)
			r.State = approvals.StateApproved
			r.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
			r.CardChannel, r.CardTS, r.CardState = "CAPPROVALS", "1700000000.00000"+string(rune('1'+i)), approvals.StatePending
			require.NoError(t, db.CreateRequest(ctx, r))
		}
		require.Equal(t, []string{"ROLDEST", "RMIDDLE", "RNEWEST"}, staleIDs(t, db, 0))

		require.NoError(t, db.DeferSync(ctx, "ROLDEST", t0.Add(2*time.Minute)))
		require.NoError(t, db.DeferSync(ctx, "RMIDDLE", t0.Add(time.Minute)))
		require.NoError(t, db.DeferSync(ctx, "RMIDDLE", t0.Add(time.Minute)))
		got, err := db.GetRequest(ctx, "RMIDDLE")
		require.NoError(t, err)
		assert.Equal(t, 2, got.SyncAttempts)
		assert.Equal(t, t0.Add(time.Minute), got.NextSyncAt)

		assert.Equal(t, []string{"RNEWEST"}, staleIDs(t, db, 0), "not due yet")
		clk.Advance(time.Minute)
		assert.Equal(t, []string{"RNEWEST", "RMIDDLE"}, staleIDs(t, db, 0), "due exactly now")
		clk.Advance(time.Minute)
		assert.Equal(t, []string{"RNEWEST", "RMIDDLE", "ROLDEST"}, staleIDs(t, db, 0), "never deferred first, then by due time")
		assert.Equal(t, []string{"RNEWEST"}, staleIDs(t, db, 1), "a deferred request does not crowd out the batch")

		t.Run("up to date clears the backoff", func(t *testing.T) {
			require.NoError(t, db.MarkCardShown(ctx, "RMIDDLE", approvals.StateApproved))
			got, err := db.GetRequest(ctx, "RMIDDLE")
			require.NoError(t, err)
			assert.Zero(t, got.SyncAttempts)
			assert.True(t, got.NextSyncAt.IsZero())
		})
		t.Run("still behind keeps it", func(t *testing.T) {
			ok, err := db.Transition(ctx, "ROLDEST", approvals.StateApproved, approvals.StateExecuting, approvals.Change{})
			require.NoError(t, err)
			require.True(t, ok)
			ok, err = db.Transition(ctx, "ROLDEST", approvals.StateExecuting, approvals.StateDone, approvals.Change{DoneAt: t0})
			require.NoError(t, err)
			require.True(t, ok)
			require.NoError(t, db.MarkCardShown(ctx, "ROLDEST", approvals.StateDone)) // the requester is not told yet
			got, err := db.GetRequest(ctx, "ROLDEST")
			require.NoError(t, err)
			assert.Equal(t, 1, got.SyncAttempts)
			assert.Equal(t, t0.Add(2*time.Minute), got.NextSyncAt)
			require.NoError(t, db.MarkNotified(ctx, "ROLDEST", approvals.StateDone))
			got, err = db.GetRequest(ctx, "ROLDEST")
			require.NoError(t, err)
			assert.Zero(t, got.SyncAttempts)
			assert.True(t, got.NextSyncAt.IsZero())
		})
		t.Run("unknown request", func(t *testing.T) {
			require.ErrorIs(t, db.DeferSync(ctx, "RNOPE00", t0), approvals.ErrNotFound)
		})
		t.Run("round trip", func(t *testing.T) {
			r := sampleRequest("RBACKOF")
			r.SyncAttempts, r.NextSyncAt = 3, t0.Add(time.Hour)
			require.NoError(t, db.CreateRequest(ctx, r))
			got, err := db.GetRequest(ctx, "RBACKOF")
			require.NoError(t, err)
			assert.Equal(t, r, got)
		})
	})
}

// A database at schema 2 gains the backoff columns, every request due at once.
func TestMigrateFromSchemaVersion2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	old, err := sql.Open("sqlite", path+"?"+filePragmas)
	require.NoError(t, err)
	require.NoError(t, migrate(ctx, old, dialectSQLite, steps(dialectSQLite, migrations())[:2], func() time.Time { return t0 }))
	_, err = old.ExecContext(ctx, `INSERT INTO requests (id, action, requester, state, created_at, expires_at, card_channel, card_ts, card_state)
		VALUES ('RSTALE0', 'invite', 'UREQ', 'approved', ?, ?, 'CAPPROVALS', '1700000000.000001', 'pending')`,
		t0.UnixMilli(), t0.Add(time.Hour).UnixMilli())
	require.NoError(t, err)
	require.NoError(t, old.Close())

	db := openFile(t, path)
	var version int
	require.NoError(t, db.sql.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&version))
	assert.Equal(t, len(migrations()), version)
	r, err := db.GetRequest(ctx, "RSTALE0")
	require.NoError(t, err)
	assert.Zero(t, r.SyncAttempts)
	assert.True(t, r.NextSyncAt.IsZero())
	assert.Equal(t, []string{"RSTALE0"}, staleIDs(t, db, 0))
}

// ClaimSync lets one of several sweepers bring a request up to date: the first claim on
// what they listed wins, the claim takes the request off ListStale until it ends, and
// bringing the request up to date clears it.
func TestClaimSync(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		clk := clocktest.New(t0)
		db := b.open(t, WithClock(clk))
		r := sampleRequest("RCLAIM1")
		r.State = approvals.StateApproved
		r.CardChannel, r.CardTS, r.CardState = "CAPPROVALS", "1700000000.000001", approvals.StatePending
		require.NoError(t, db.CreateRequest(ctx, r))
		listed, err := db.GetRequest(ctx, "RCLAIM1")
		require.NoError(t, err)

		ok, err := db.ClaimSync(ctx, "RCLAIM1", listed.NextSyncAt, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.True(t, ok, "the first claim wins")
		ok, err = db.ClaimSync(ctx, "RCLAIM1", listed.NextSyncAt, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.False(t, ok, "a second sweeper that listed the same row loses")
		assert.Empty(t, staleIDs(t, db, 0), "claimed: off the list")
		clk.Advance(time.Minute)
		assert.Equal(t, []string{"RCLAIM1"}, staleIDs(t, db, 0), "a claim whose holder died runs out")

		require.NoError(t, db.MarkCardShown(ctx, "RCLAIM1", approvals.StateApproved))
		got, err := db.GetRequest(ctx, "RCLAIM1")
		require.NoError(t, err)
		assert.True(t, got.NextSyncAt.IsZero(), "up to date clears the claim")
		ok, err = db.ClaimSync(ctx, "RNOPE00", time.Time{}, t0)
		require.NoError(t, err)
		assert.False(t, ok, "unknown request")
	})
}
