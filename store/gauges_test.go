package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/audit"
)

func TestGaugeReads(t *testing.T) {
	forEachDB(t, testGaugeReads)
}

func testGaugeReads(t *testing.T, db *DB) {
	ctx := context.Background()

	n, oldest, err := db.PendingRequests(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.True(t, oldest.IsZero(), "no pending request, no oldest")

	older := sampleRequest("R000001")
	newer := sampleRequest("R000002")
	newer.CreatedAt = t0.Add(time.Minute)
	decided := sampleRequest("R000003")
	decided.CreatedAt = t0.Add(-time.Hour)
	for _, r := range []approvals.Request{newer, older, decided} {
		require.NoError(t, db.CreateRequest(ctx, r, audit.Event{ID: "E" + r.ID, RequestID: r.ID, Kind: audit.KindRequest, At: r.CreatedAt}))
	}
	ok, err := db.Transition(ctx, decided.ID, approvals.StatePending, approvals.StateDenied, approvals.Change{DecidedBy: "U1", DecidedAt: t0})
	require.NoError(t, err)
	require.True(t, ok)

	n, oldest, err = db.PendingRequests(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, t0, oldest, "the oldest pending one; a decided older one does not count")

	backlog, err := db.OutboxBacklog(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, backlog)
	require.NoError(t, db.Delivered(ctx, "E"+older.ID, t0))
	backlog, err = db.OutboxBacklog(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, backlog)

	active, err := db.ActiveGrants(ctx)
	require.NoError(t, err)
	assert.Zero(t, active)
}

// The scrape-time reads are answered from indexes, never by scanning a table that
// grows with the history. (Checked on SQLite, whose planner says so on an empty table;
// PostgreSQL's has the same indexes from the same migrations.)
func TestGaugeReadsUseIndexes(t *testing.T) {
	db := openMemory(t)
	for _, q := range []struct{ query, index string }{
		{`SELECT COUNT(*), MIN(created_at) FROM requests WHERE state = 'pending'`, "requests_state_created"},
		{`SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL`, "outbox_undelivered"},
		{`SELECT COUNT(*) FROM grants WHERE state = 'active'`, "grants_state_ends"},
	} {
		rows, err := db.sql.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q.query)
		require.NoError(t, err)
		var plan string
		for rows.Next() {
			var id, parent, notUsed int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &notUsed, &detail))
			plan += detail + "\n"
		}
		require.NoError(t, rows.Close())
		assert.Contains(t, plan, q.index, "plan of %s", q.query)
	}
}
