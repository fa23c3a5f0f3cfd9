package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"devin-chatops/approvals"
	"devin-chatops/audit"
)

var _ approvals.GrantStore = (*DB)(nil)

const grantColumns = `id, request_id, action, item, team, role, org, requester, duration_ms, started_at, ends_at,
	remind_at, reminded, extension_id, state, outcome, done_at, attempts, next_attempt_at, claimed_by, claimed_until,
	card_channel, card_ts, notified`

// grantChanges writes a request transition's grant changes in its transaction: new
// grants (a re-run never duplicates one: the ID is the request's and the item's), an
// extension and the grants a `team remove` ended, each only while the grant is active.
func grantChanges(ctx context.Context, tx txn, ch approvals.Change) error {
	for _, g := range ch.Grants {
		if _, err := tx.ExecContext(ctx, `INSERT INTO grants (id, request_id, action, item, team, role, org, requester,
			duration_ms, started_at, ends_at, remind_at, state, card_channel, card_ts)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			g.ID, g.RequestID, string(g.Action), g.Item, g.Team, g.Role, g.Org, g.Requester, g.Duration.Milliseconds(),
			g.StartedAt.UnixMilli(), g.EndsAt.UnixMilli(), g.RemindAt.UnixMilli(), string(approvals.GrantActive),
			g.CardChannel, g.CardTS); err != nil {
			return fmt.Errorf("store grant %s: %w", g.ID, err)
		}
	}
	if e := ch.ExtendGrant; e != nil {
		// The reminder is offered again for the new end, and the Extend button works
		// again.
		if _, err := tx.ExecContext(ctx, `UPDATE grants SET ends_at = ?, remind_at = ?, reminded = FALSE, extension_id = ''
			WHERE id = ? AND state = ?`, e.EndsAt.UnixMilli(), e.RemindAt.UnixMilli(), e.ID, string(approvals.GrantActive)); err != nil {
			return fmt.Errorf("extend grant %s: %w", e.ID, err)
		}
	}
	for _, id := range ch.EndGrants {
		if _, err := tx.ExecContext(ctx, `UPDATE grants SET state = ?, outcome = ?, done_at = ? WHERE id = ? AND state = ?`,
			string(approvals.GrantEnded), ch.EndedBy, zeroMillis(ch.DoneAt), id, string(approvals.GrantActive)); err != nil {
			return fmt.Errorf("end grant %s: %w", id, err)
		}
	}
	return nil
}

// GetGrant returns approvals.ErrGrantNotFound for an unknown ID.
func (db *DB) GetGrant(ctx context.Context, id string) (approvals.Grant, error) {
	gs, err := db.queryGrants(ctx, `WHERE id = ?`, id)
	if err != nil {
		return approvals.Grant{}, err
	}
	if len(gs) == 0 {
		return approvals.Grant{}, fmt.Errorf("grant %s: %w", id, approvals.ErrGrantNotFound)
	}
	return gs[0], nil
}

// ListGrants returns the grants in any of states (all when none), soonest end first.
func (db *DB) ListGrants(ctx context.Context, states ...approvals.GrantState) ([]approvals.Grant, error) {
	if len(states) == 0 {
		return db.queryGrants(ctx, `ORDER BY ends_at, id`)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ")
	args := make([]any, len(states))
	for i, s := range states {
		args[i] = string(s)
	}
	return db.queryGrants(ctx, `WHERE state IN (`+marks+`) ORDER BY ends_at, id`, args...)
}

// ClaimGrant: see approvals.GrantStore. One conditional UPDATE takes the grant and
// returns the row as it took it (RETURNING), so no other process's change can slip
// between the claim and the read.
func (db *DB) ClaimGrant(ctx context.Context, id, owner string, now, until time.Time) (approvals.Grant, bool, error) {
	gs, err := db.scanGrants(ctx, `UPDATE grants SET state = ?, claimed_by = ?, claimed_until = ?
		WHERE id = ? AND ((state = ? AND ends_at <= ? AND next_attempt_at <= ?) OR (state = ? AND claimed_until < ?))
		RETURNING `+grantColumns,
		string(approvals.GrantRevoking), owner, until.UnixMilli(), id,
		string(approvals.GrantActive), now.UnixMilli(), now.UnixMilli(), string(approvals.GrantRevoking), now.UnixMilli())
	if err != nil {
		return approvals.Grant{}, false, fmt.Errorf("claim grant %s: %w", id, err)
	}
	if len(gs) == 0 {
		return approvals.Grant{}, false, nil
	}
	return gs[0], true, nil
}

// FinishGrant: see approvals.GrantStore.
func (db *DB) FinishGrant(ctx context.Context, id, owner string, to approvals.GrantState, outcome string, at time.Time, events ...audit.Event) (bool, error) {
	if to != approvals.GrantRevoked && to != approvals.GrantFailed {
		return false, fmt.Errorf("finish grant %s: %w: revoking -> %s", id, approvals.ErrInvalidTransition, to)
	}
	done := false
	err := db.inTx(ctx, func(tx txn) error {
		done = false // a retried transaction starts over
		var requestID string
		if err := tx.QueryRowContext(ctx, `SELECT request_id FROM grants WHERE id = ?`, id).Scan(&requestID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE grants SET state = ?, outcome = ?, done_at = ?, claimed_by = ''
			WHERE id = ? AND state = ? AND claimed_by = ?`, string(to), clipError(outcome), at.UnixMilli(),
			id, string(approvals.GrantRevoking), owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		done = true
		return db.insertEvents(ctx, tx, requestID, events)
	})
	if err != nil {
		return false, fmt.Errorf("finish grant %s: %w", id, err)
	}
	return done, nil
}

// RetryGrant: see approvals.GrantStore.
func (db *DB) RetryGrant(ctx context.Context, id, owner string, attempts int, next time.Time, lastErr string) (bool, error) {
	return db.execOne(ctx, "retry grant "+id, `UPDATE grants SET state = ?, attempts = ?, next_attempt_at = ?, outcome = ?, claimed_by = ''
		WHERE id = ? AND state = ? AND claimed_by = ?`, string(approvals.GrantActive), attempts, next.UnixMilli(), clipError(lastErr),
		id, string(approvals.GrantRevoking), owner)
}

// NextGrantDue: see approvals.GrantStore.
func (db *DB) NextGrantDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := db.sql.QueryRowContext(ctx, `SELECT MIN(t) FROM (
		SELECT `+db.dialect.greatest("ends_at", "next_attempt_at")+` AS t FROM grants WHERE state = ?
		UNION ALL SELECT remind_at FROM grants WHERE state = ? AND NOT reminded
		UNION ALL SELECT claimed_until + 1 FROM grants WHERE state = ?
		UNION ALL SELECT done_at FROM grants WHERE state IN (?, ?, ?) AND NOT notified) AS due`,
		string(approvals.GrantActive), string(approvals.GrantActive), string(approvals.GrantRevoking),
		string(approvals.GrantRevoked), string(approvals.GrantFailed), string(approvals.GrantEnded)).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next grant due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(next.Int64).UTC(), true, nil
}

// MarkGrantReminded: see approvals.GrantStore.
func (db *DB) MarkGrantReminded(ctx context.Context, id string, reminded bool) (bool, error) {
	return db.execOne(ctx, "mark grant "+id+" reminded", `UPDATE grants SET reminded = ? WHERE id = ? AND reminded = ?`, reminded, id, !reminded)
}

// MarkGrantNotified: see approvals.GrantStore.
func (db *DB) MarkGrantNotified(ctx context.Context, id string, notified bool) (bool, error) {
	return db.execOne(ctx, "mark grant "+id+" notified", `UPDATE grants SET notified = ? WHERE id = ? AND notified = ?`, notified, id, !notified)
}

// SetGrantExtension: see approvals.GrantStore.
func (db *DB) SetGrantExtension(ctx context.Context, grantID, from, to string) (bool, error) {
	return db.execOne(ctx, "set grant "+grantID+" extension", `UPDATE grants SET extension_id = ? WHERE id = ? AND extension_id = ?`, to, grantID, from)
}

// execOne runs a single-row compare-and-swap and reports whether it swapped.
func (db *DB) execOne(ctx context.Context, what, query string, args ...any) (bool, error) {
	res, err := db.sql.ExecContext(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return n == 1, nil
}

func (db *DB) queryGrants(ctx context.Context, where string, args ...any) ([]approvals.Grant, error) {
	return db.scanGrants(ctx, `SELECT `+grantColumns+` FROM grants `+where, args...)
}

// scanGrants runs query, which yields grantColumns, and reads every row.
func (db *DB) scanGrants(ctx context.Context, query string, args ...any) ([]approvals.Grant, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read grants: %w", err)
	}
	defer rows.Close()
	var out []approvals.Grant
	for rows.Next() {
		var g approvals.Grant
		var action, state string
		var dur, started, ends, remind, next, until int64
		var done sql.NullInt64
		if err := rows.Scan(&g.ID, &g.RequestID, &action, &g.Item, &g.Team, &g.Role, &g.Org, &g.Requester, &dur, &started, &ends,
			&remind, &g.Reminded, &g.ExtensionID, &state, &g.Outcome, &done, &g.Attempts, &next, &g.ClaimedBy, &until,
			&g.CardChannel, &g.CardTS, &g.Notified); err != nil {
			return nil, fmt.Errorf("read grants: %w", err)
		}
		g.Action, g.State, g.Duration = approvals.Action(action), approvals.GrantState(state), time.Duration(dur)*time.Millisecond
		g.StartedAt, g.EndsAt, g.RemindAt = time.UnixMilli(started).UTC(), time.UnixMilli(ends).UTC(), time.UnixMilli(remind).UTC()
		g.NextAttemptAt, g.ClaimedUntil, g.DoneAt = time.UnixMilli(next).UTC(), time.UnixMilli(until).UTC(), fromMillis(done)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read grants: %w", err)
	}
	return out, nil
}
