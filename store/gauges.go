package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"devin-chatops/approvals"
)

// The metrics' scrape-time reads. Each is one aggregate over an index
// (requests_state_created, outbox_undelivered, grants_state_ends), so a scrape stays
// cheap however long the history grows.

// PendingRequests is how many requests wait for a decision and when the oldest was
// submitted (zero time when none).
func (db *DB) PendingRequests(ctx context.Context) (int, time.Time, error) {
	var (
		n      int
		oldest sql.NullInt64
	)
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM requests WHERE state = ?`,
		string(approvals.StatePending)).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, fmt.Errorf("count pending requests: %w", err)
	}
	if !oldest.Valid {
		return n, time.Time{}, nil
	}
	return n, time.UnixMilli(oldest.Int64).UTC(), nil
}

// OutboxBacklog is how many audit lines are not yet echoed.
func (db *DB) OutboxBacklog(ctx context.Context) (int, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count audit outbox backlog: %w", err)
	}
	return n, nil
}

// ActiveGrants is how many time-boxed grants are in force.
func (db *DB) ActiveGrants(ctx context.Context) (int, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM grants WHERE state = ?`,
		string(approvals.GrantActive)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count active grants: %w", err)
	}
	return n, nil
}
