package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
)

func staleIDs(t *testing.T, db *DB, limit int) []string {
	t.Helper()
	rs, err := db.ListStale(context.Background(), limit)
	require.NoError(t, err)
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// A database written by the previous version (schema 1) is brought to the current one:
// its requests are taken as shown and told, so the upgrade re-sends nothing, except the
// card a pending request never got.
func TestMigrateFromSchemaVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	old, err := sql.Open("sqlite", path+"?"+filePragmas)
	require.NoError(t, err)
	require.NoError(t, migrate(ctx, old, dialectSQLite, steps(dialectSQLite, migrations())[:1], func() time.Time { return t0 }))
	rows := []struct {
		id, state, cardTS string
	}{
		{"RPENDC0", "pending", "1700000000.000001"},
		{"RPENDN0", "pending", ""},
		{"REXEC00", "executing", "1700000000.000002"},
		{"RDONE00", "done", "1700000000.000003"},
		{"RDENY00", "denied", ""},
	}
	for i, r := range rows {
		_, err := old.ExecContext(ctx, `INSERT INTO requests (id, action, requester, state, created_at, expires_at, card_channel, card_ts)
			VALUES (?, 'invite', 'UREQ', ?, ?, ?, 'CAPPROVALS', ?)`,
			r.id, r.state, t0.Add(time.Duration(i)*time.Minute).UnixMilli(), t0.Add(24*time.Hour).UnixMilli(), r.cardTS)
		require.NoError(t, err)
	}
	require.NoError(t, old.Close())

	for range 2 { // the second open finds nothing to do
		db, err := Open(ctx, "sqlite:"+path)
		require.NoError(t, err)
		var count, version int
		require.NoError(t, db.sql.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&count, &version))
		assert.Equal(t, len(migrations()), count)
		assert.Equal(t, len(migrations()), version)

		want := map[string][2]approvals.State{ // card state, notified state
			"RPENDC0": {approvals.StatePending, ""},
			"RPENDN0": {"", ""},
			"REXEC00": {approvals.StateExecuting, ""},
			"RDONE00": {approvals.StateDone, approvals.StateDone},
			"RDENY00": {"", approvals.StateDenied},
		}
		for id, w := range want {
			r, err := db.GetRequest(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, w[0], r.CardState, id)
			assert.Equal(t, w[1], r.NotifiedState, id)
		}
		assert.Equal(t, []string{"RPENDN0"}, staleIDs(t, db, 0))
		require.NoError(t, db.Close())
	}
}

func TestListStale(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		cases := []struct {
			id            string
			state         approvals.State
			card          bool
			cardState     approvals.State
			notifiedState approvals.State
			stale         bool
		}{
			{"RPSHOWN", approvals.StatePending, true, approvals.StatePending, "", false},
			{"RPUNMRK", approvals.StatePending, true, "", "", true},
			{"RPNOCRD", approvals.StatePending, false, "", "", true},
			{"RAOLDCD", approvals.StateApproved, true, approvals.StatePending, "", true},
			{"REXSHWN", approvals.StateExecuting, true, approvals.StateExecuting, "", false}, // not final: nobody to tell yet
			{"RDNSHWN", approvals.StateDone, true, approvals.StateDone, approvals.StateDone, false},
			{"RDNTOLD", approvals.StateDone, true, approvals.StateDone, "", true},
			{"RFOLDCD", approvals.StateFailed, true, approvals.StateExecuting, approvals.StateFailed, true},
			{"REXPNCD", approvals.StateExpired, false, "", approvals.StateExpired, false},
			{"RDENNCD", approvals.StateDenied, false, "", "", true},
			{"RCANTLD", approvals.StateCancelled, true, approvals.StateCancelled, approvals.StateCancelled, false},
			{"RCANOLD", approvals.StateCancelled, true, approvals.StatePending, approvals.StateCancelled, true},
			{"RCANNTL", approvals.StateCancelled, true, approvals.StateCancelled, "", true}, // final: the requester may need telling
		}
		var want []string
		for i, c := range cases {
			r := sampleRequest(c.id)
			r.State = c.state
			// Newest first on insertion: the list is by creation time.
			r.CreatedAt = t0.Add(-time.Duration(i) * time.Minute)
			if c.card {
				r.CardChannel, r.CardTS = "CAPPROVALS", fmt.Sprintf("1700000000.%06d", i+1)
			}
			require.NoError(t, db.CreateRequest(ctx, r))
			// Set through the methods under test; CreateRequest stores them too.
			require.NoError(t, db.MarkCardShown(ctx, c.id, c.cardState))
			require.NoError(t, db.MarkNotified(ctx, c.id, c.notifiedState))
			got, err := db.GetRequest(ctx, c.id)
			require.NoError(t, err)
			assert.Equal(t, c.cardState, got.CardState, c.id)
			assert.Equal(t, c.notifiedState, got.NotifiedState, c.id)
			if c.stale {
				want = append([]string{c.id}, want...)
			}
		}
		assert.Equal(t, want, staleIDs(t, db, 0), "stale ones, oldest first")
		assert.Equal(t, want[:2], staleIDs(t, db, 2), "limit")

		t.Run("marking brings it up to date", func(t *testing.T) {
			require.NoError(t, db.MarkCardShown(ctx, "RAOLDCD", approvals.StateApproved))
			require.NoError(t, db.MarkNotified(ctx, "RDNTOLD", approvals.StateDone))
			assert.NotContains(t, staleIDs(t, db, 0), "RAOLDCD")
			assert.NotContains(t, staleIDs(t, db, 0), "RDNTOLD")
			ok, err := db.Transition(ctx, "RAOLDCD", approvals.StateApproved, approvals.StateExecuting, approvals.Change{})
			require.NoError(t, err)
			require.True(t, ok)
			assert.Contains(t, staleIDs(t, db, 0), "RAOLDCD", "a transition makes the card stale again")
		})
		t.Run("unknown request", func(t *testing.T) {
			require.ErrorIs(t, db.MarkCardShown(ctx, "RNOPE00", approvals.StateDone), approvals.ErrNotFound)
			require.ErrorIs(t, db.MarkNotified(ctx, "RNOPE00", approvals.StateDone), approvals.ErrNotFound)
		})
		t.Run("created with its marks", func(t *testing.T) {
			r := sampleRequest("RCREATE")
			r.CardState, r.NotifiedState = approvals.StatePending, approvals.StateDone
			require.NoError(t, db.CreateRequest(ctx, r))
			got, err := db.GetRequest(ctx, "RCREATE")
			require.NoError(t, err)
			assert.Equal(t, r, got)
		})
	})
}
