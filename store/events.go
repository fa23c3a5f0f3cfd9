package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"devin-chatops/audit"
)

const eventColumns = `e.id, e.request_id, e.kind, e.actor, e.command, e.items, e.detail, e.outcome,
	e.at, e.requested_at, e.decided_at, e.done_at`

// AppendAudit stores events that come with no state change (commands, refused clicks),
// each with its outbox entry, all in one transaction.
func (db *DB) AppendAudit(ctx context.Context, events ...audit.Event) error {
	if len(events) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx txn) error {
		return db.insertEvents(ctx, tx, "", events)
	})
}

// AuditEvents returns the events recorded for a request, in the order they were written.
func (db *DB) AuditEvents(ctx context.Context, requestID string) ([]audit.Event, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+eventColumns+` FROM audit_events e
		WHERE e.request_id = ? ORDER BY e.seq`, requestID)
	if err != nil {
		return nil, fmt.Errorf("audit events %s: %w", requestID, err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("audit events %s: %w", requestID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit events %s: %w", requestID, err)
	}
	return out, nil
}

// insertEvents writes events and their outbox entries inside tx. An event without an ID
// or time gets one; one without a request ID gets requestID.
func (db *DB) insertEvents(ctx context.Context, tx txn, requestID string, events []audit.Event) error {
	for _, e := range events {
		if e.ID == "" {
			id, err := newEventID()
			if err != nil {
				return err
			}
			e.ID = id
		}
		if e.At.IsZero() {
			e.At = db.clock.Now()
		}
		if e.RequestID == "" {
			e.RequestID = requestID
		}
		items, err := marshalList(e.Items)
		if err != nil {
			return fmt.Errorf("audit event %s: %w", e.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events
			(id, request_id, kind, actor, command, items, detail, outcome, at, requested_at, decided_at, done_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.RequestID, string(e.Kind), e.Actor, e.Command, items, e.Detail, e.Outcome,
			e.At.UnixMilli(), millis(e.RequestedAt), millis(e.DecidedAt), millis(e.DoneAt)); err != nil {
			return fmt.Errorf("audit event %s: %w", e.ID, err)
		}
		// next_attempt_at 0: due at once, whatever the echoer's clock says.
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (event_id, attempts, next_attempt_at) VALUES (?, 0, 0)`, e.ID); err != nil {
			return fmt.Errorf("outbox %s: %w", e.ID, err)
		}
	}
	return nil
}

// Due returns undelivered events in the order they were written, at most limit, stopping
// before the first one whose next attempt is after now: the echo is a FIFO, so an event
// waiting for a retry holds back the ones written after it.
func (db *DB) Due(ctx context.Context, now time.Time, limit int) ([]audit.Pending, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+eventColumns+`, o.attempts, o.next_attempt_at
		FROM outbox o JOIN audit_events e ON e.id = o.event_id
		WHERE o.delivered_at IS NULL
		ORDER BY e.seq
		LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox due: %w", err)
	}
	defer rows.Close()
	nowMillis := now.UnixMilli()
	var out []audit.Pending
	for rows.Next() {
		var p audit.Pending
		var next int64
		e, err := scanEvent(rows, &p.Attempts, &next)
		if err != nil {
			return nil, fmt.Errorf("outbox due: %w", err)
		}
		if next > nowMillis {
			break
		}
		p.Event = e
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox due: %w", err)
	}
	return out, nil
}

// Delivered marks the event as echoed. Marking it twice keeps the first time.
func (db *DB) Delivered(ctx context.Context, eventID string, at time.Time) error {
	if _, err := db.sql.ExecContext(ctx, `UPDATE outbox SET delivered_at = ?, last_error = ''
		WHERE event_id = ? AND delivered_at IS NULL`, at.UnixMilli(), eventID); err != nil {
		return fmt.Errorf("outbox delivered %s: %w", eventID, err)
	}
	return nil
}

// Claim takes the lease on an undelivered event for owner until until, if nobody else
// holds an unexpired one (owner may renew its own). It is a compare-and-swap: of several
// echoers on one database only one gets true. An event not yet due at now (waiting for
// a retry) or already delivered is refused.
func (db *DB) Claim(ctx context.Context, eventID, owner string, now, until time.Time) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE outbox SET claimed_by = ?, claimed_until = ?
		WHERE event_id = ? AND delivered_at IS NULL AND next_attempt_at <= ?
		AND (claimed_by = '' OR claimed_by = ? OR claimed_until < ?)`,
		owner, until.UnixMilli(), eventID, now.UnixMilli(), owner, now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("outbox claim %s: %w", eventID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("outbox claim %s: %w", eventID, err)
	}
	return n == 1, nil
}

// Release hands back owner's claim on an undelivered event at once, for an echoer that
// claimed it and then stopped before its post could reach Slack: another echoer may
// post it without waiting for the lease to run out. It is a compare-and-swap on the
// owner, so a claim that has lapsed and been taken over by another echoer is left
// alone; it reports whether a claim was released.
func (db *DB) Release(ctx context.Context, eventID, owner string) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE outbox SET claimed_by = '', claimed_until = 0
		WHERE event_id = ? AND claimed_by = ? AND delivered_at IS NULL`, eventID, owner)
	if err != nil {
		return false, fmt.Errorf("outbox release %s: %w", eventID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("outbox release %s: %w", eventID, err)
	}
	return n == 1, nil
}

// Retry records a failed attempt and when the next may be made, and releases the claim
// so that whichever echoer comes first after the backoff makes it.
func (db *DB) Retry(ctx context.Context, eventID string, attempts int, next time.Time, lastErr string) error {
	if _, err := db.sql.ExecContext(ctx, `UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, claimed_by = ''
		WHERE event_id = ? AND delivered_at IS NULL`, attempts, next.UnixMilli(), lastErr, eventID); err != nil {
		return fmt.Errorf("outbox retry %s: %w", eventID, err)
	}
	return nil
}

// scanEvent reads eventColumns, then any extra columns into extra.
func scanEvent(row rowScanner, extra ...any) (audit.Event, error) {
	var (
		e                            audit.Event
		kind, items                  string
		at                           int64
		requested, decided, doneTime sql.NullInt64
	)
	dest := append([]any{&e.ID, &e.RequestID, &kind, &e.Actor, &e.Command, &items, &e.Detail, &e.Outcome,
		&at, &requested, &decided, &doneTime}, extra...)
	if err := row.Scan(dest...); err != nil {
		return audit.Event{}, err
	}
	e.Kind = audit.Kind(kind)
	e.At = time.UnixMilli(at).UTC()
	e.RequestedAt, e.DecidedAt, e.DoneAt = fromMillis(requested), fromMillis(decided), fromMillis(doneTime)
	var err error
	if e.Items, err = unmarshalList[string](items); err != nil {
		return audit.Event{}, fmt.Errorf("event %s items: %w", e.ID, err)
	}
	return e, nil
}
