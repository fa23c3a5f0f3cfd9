package store

import (
	"context"
	"fmt"
	"time"
)

// ClaimSync makes the caller the one process that brings request id up to date in
// Slack until until: it moves the request's next sync time from seen (as the caller
// read it) to until, which takes it off every other sweeper's ListStale meanwhile.
// false: another process claimed it, or it was deferred or brought up to date, since
// the caller read it. MarkCardShown and MarkNotified clear the claim once Slack shows
// the request as it is; DeferSync replaces it after a failure.
func (db *DB) ClaimSync(ctx context.Context, id string, seen, until time.Time) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE requests SET next_sync_at = ? WHERE id = ? AND next_sync_at = ?`,
		zeroMillis(until), id, zeroMillis(seen))
	if err != nil {
		return false, fmt.Errorf("claim sync %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim sync %s: %w", id, err)
	}
	return n > 0, nil
}
