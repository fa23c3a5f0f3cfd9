package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"devin-chatops/approvals"
	"devin-chatops/audit"
)

// The compiler checks that DB keeps up with the interfaces the other packages define
// (auditecho's Outbox is checked in its tests: the store does not import Slack code).
var _ approvals.ServiceStore = (*DB)(nil)

const requestColumns = `id, action, requester, items, role, org, team, reason, origin_channel, state,
	created_at, expires_at, decided_at, done_at, decided_by, deny_reason, card_channel, card_ts, outcomes,
	card_state, notified_state, sync_attempts, next_sync_at, params, plan`

// requestSelect is what a read of a request selects: the columns CreateRequest writes,
// then the execution lease (migration 8), which only execution sets.
const requestSelect = requestColumns + `, exec_owner, lease_until`

// CreateRequest stores a new request and its events. State defaults to pending.
func (db *DB) CreateRequest(ctx context.Context, r approvals.Request, events ...audit.Event) error {
	if r.ID == "" {
		return errors.New("create request: empty ID")
	}
	if r.State == "" {
		r.State = approvals.StatePending
	}
	items, err := marshalList(r.Items)
	if err != nil {
		return fmt.Errorf("create request %s: %w", r.ID, err)
	}
	outcomes, err := marshalList(r.Outcomes)
	if err != nil {
		return fmt.Errorf("create request %s: %w", r.ID, err)
	}
	params, err := marshalParams(r.Params)
	if err != nil {
		return fmt.Errorf("create request %s: %w", r.ID, err)
	}
	plan, err := marshalList(r.Plan)
	if err != nil {
		return fmt.Errorf("create request %s: %w", r.ID, err)
	}
	return db.inTx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO requests (`+requestColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`,
			r.ID, string(r.Action), r.Requester, items, r.Role, r.Org, r.Team, r.Reason, r.OriginChannel, string(r.State),
			r.CreatedAt.UnixMilli(), r.ExpiresAt.UnixMilli(), millis(r.DecidedAt), millis(r.DoneAt),
			r.DecidedBy, r.DenyReason, r.CardChannel, r.CardTS, outcomes, string(r.CardState), string(r.NotifiedState),
			r.SyncAttempts, zeroMillis(r.NextSyncAt), params, plan)
		if err != nil {
			return fmt.Errorf("create request %s: %w", r.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("create request %s: %w", r.ID, err)
		} else if n == 0 {
			return fmt.Errorf("create request %s: %w", r.ID, approvals.ErrDuplicateID)
		}
		return db.insertEvents(ctx, tx, r.ID, events)
	})
}

// GetRequest returns the request with that ID, or approvals.ErrNotFound.
func (db *DB) GetRequest(ctx context.Context, id string) (approvals.Request, error) {
	r, err := scanRequest(db.sql.QueryRowContext(ctx, `SELECT `+requestSelect+` FROM requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return approvals.Request{}, fmt.Errorf("request %s: %w", id, approvals.ErrNotFound)
	}
	if err != nil {
		return approvals.Request{}, fmt.Errorf("get request %s: %w", id, err)
	}
	return r, nil
}

// ListRequests returns the requests in any of states (every request when none are
// given), oldest first.
func (db *DB) ListRequests(ctx context.Context, states ...approvals.State) ([]approvals.Request, error) {
	query := `SELECT ` + requestSelect + ` FROM requests`
	args := make([]any, 0, len(states))
	if len(states) > 0 {
		query += ` WHERE state IN (?` + strings.Repeat(", ?", len(states)-1) + `)`
		for _, s := range states {
			args = append(args, string(s))
		}
	}
	query += ` ORDER BY created_at, id`
	out, err := db.queryRequests(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return out, nil
}

// SetCard records where the request's approval card was posted.
func (db *DB) SetCard(ctx context.Context, id, channel, ts string) error {
	return db.updateOne(ctx, "set card", id, `UPDATE requests SET card_channel = ?, card_ts = ? WHERE id = ?`, channel, ts, id)
}

// updateOne runs an UPDATE of request id; ErrNotFound when no row matched.
func (db *DB) updateOne(ctx context.Context, what, id, query string, args ...any) error {
	res, err := db.sql.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s %s: %w", what, id, err)
	} else if n == 0 {
		return fmt.Errorf("%s %s: %w", what, id, approvals.ErrNotFound)
	}
	return nil
}

// MarkCardShown records that the request's card now shows state.
func (db *DB) MarkCardShown(ctx context.Context, id string, state approvals.State) error {
	return db.setColumn(ctx, "mark card shown", "card_state", id, string(state))
}

// MarkNotified records that the requester has been told the request ended in state.
func (db *DB) MarkNotified(ctx context.Context, id string, state approvals.State) error {
	return db.setColumn(ctx, "mark notified", "notified_state", id, string(state))
}

// setColumn sets one column of one request; column is always a constant of this package.
// A request that is up to date in Slack afterwards has its sync backoff cleared, so the
// next time it falls behind the sweeper starts again from the first, short wait.
func (db *DB) setColumn(ctx context.Context, what, column, id, value string) error {
	err := db.inTx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE requests SET `+column+` = ? WHERE id = ?`, value, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return approvals.ErrNotFound
		}
		where, args := staleCondition()
		_, err = tx.ExecContext(ctx, `UPDATE requests SET sync_attempts = 0, next_sync_at = 0
			WHERE id = ? AND (sync_attempts <> 0 OR next_sync_at <> 0) AND NOT `+where, append([]any{id}, args...)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, id, err)
	}
	return nil
}

// DeferSync records that a sweep could not bring the request up to date in Slack: one
// more failed attempt, and no new try before next.
func (db *DB) DeferSync(ctx context.Context, id string, next time.Time) error {
	return db.updateOne(ctx, "defer sync", id,
		`UPDATE requests SET sync_attempts = sync_attempts + 1, next_sync_at = ? WHERE id = ?`, zeroMillis(next), id)
}

// staleCondition is the SQL predicate (with its arguments) of a request that Slack does
// not show as it is: a card that shows another state than the request's, a final
// request whose requester has not been told, a pending request without a card.
func staleCondition() (string, []any) {
	return `((card_ts <> '' AND card_state <> state)
		   OR (state IN (?, ?, ?, ?, ?) AND notified_state <> state)
		   OR (state = ? AND card_ts = ''))`, []any{
			string(approvals.StateDenied), string(approvals.StateExpired), string(approvals.StateDone), string(approvals.StateFailed),
			string(approvals.StateCancelled),
			string(approvals.StatePending),
		}
}

// ListStale returns at most limit (all when limit <= 0) of the requests Slack does not
// show as they are (see staleCondition) whose next sync is due by the store's clock
// (see DeferSync): the ones never deferred first, oldest first, then the deferred ones
// by when they became due, so a request Slack keeps refusing cannot crowd out the rest.
//
// This scans the table, which is fine at the volume of approval requests (people ask
// for them); a partial index on the same predicate would serve a much larger table.
func (db *DB) ListStale(ctx context.Context, limit int) ([]approvals.Request, error) {
	where, args := staleCondition()
	query := `SELECT ` + requestSelect + ` FROM requests
		WHERE ` + where + ` AND next_sync_at <= ?
		ORDER BY next_sync_at, created_at, id`
	args = append(args, db.clock.Now().UnixMilli())
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	out, err := db.queryRequests(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list stale requests: %w", err)
	}
	return out, nil
}

// queryRequests runs a SELECT of requestSelect and scans every row.
func (db *DB) queryRequests(ctx context.Context, query string, args ...any) ([]approvals.Request, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []approvals.Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AddVote records v unless its voter already voted on the request; the events are written
// with it, and only if it was added.
func (db *DB) AddVote(ctx context.Context, v approvals.Vote, events ...audit.Event) (bool, error) {
	if v.At.IsZero() {
		v.At = db.clock.Now()
	}
	added := false
	err := db.inTx(ctx, func(tx txn) error {
		added = false // a retried transaction starts over
		if err := requireRequest(ctx, tx, v.RequestID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO votes (request_id, voter, approve, reason, voted_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (request_id, voter) DO NOTHING`,
			v.RequestID, v.Voter, v.Approve, v.Reason, v.At.UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil // this voter already voted: keep the first vote, write no event
		}
		added = true
		return db.insertEvents(ctx, tx, v.RequestID, events)
	})
	if err != nil {
		return false, fmt.Errorf("add vote on %s: %w", v.RequestID, err)
	}
	return added, nil
}

// Votes returns the request's votes in the order they were cast (ties, within the same
// millisecond, by voter so the order is stable).
func (db *DB) Votes(ctx context.Context, id string) ([]approvals.Vote, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT request_id, voter, approve, reason, voted_at
		FROM votes WHERE request_id = ? ORDER BY voted_at, voter`, id)
	if err != nil {
		return nil, fmt.Errorf("votes %s: %w", id, err)
	}
	defer rows.Close()
	var out []approvals.Vote
	for rows.Next() {
		var v approvals.Vote
		var at int64
		if err := rows.Scan(&v.RequestID, &v.Voter, &v.Approve, &v.Reason, &at); err != nil {
			return nil, fmt.Errorf("votes %s: %w", id, err)
		}
		v.At = time.UnixMilli(at).UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("votes %s: %w", id, err)
	}
	return out, nil
}

// Transition moves the request from `from` to `to` if, and only if, it is in `from` now.
func (db *DB) Transition(ctx context.Context, id string, from, to approvals.State, ch approvals.Change, events ...audit.Event) (bool, error) {
	if !approvals.CanTransition(from, to) {
		return false, fmt.Errorf("transition %s: %w: %s -> %s", id, approvals.ErrInvalidTransition, from, to)
	}
	set := []string{"state = ?"}
	args := []any{string(to)}
	if ch.DecidedBy != "" {
		set, args = append(set, "decided_by = ?"), append(args, ch.DecidedBy)
	}
	if !ch.DecidedAt.IsZero() {
		set, args = append(set, "decided_at = ?"), append(args, ch.DecidedAt.UnixMilli())
	}
	if !ch.DoneAt.IsZero() {
		set, args = append(set, "done_at = ?"), append(args, ch.DoneAt.UnixMilli())
	}
	if ch.DenyReason != "" {
		set, args = append(set, "deny_reason = ?"), append(args, ch.DenyReason)
	}
	if len(ch.Outcomes) > 0 {
		outcomes, err := marshalList(ch.Outcomes)
		if err != nil {
			return false, fmt.Errorf("transition %s: %w", id, err)
		}
		set, args = append(set, "outcomes = ?"), append(args, outcomes)
	}
	set, args = leaseChange(set, args, from, to, ch.Lease)
	args = append(args, id, string(from))
	query := `UPDATE requests SET ` + strings.Join(set, ", ") + ` WHERE id = ? AND state = ?`
	if from == approvals.StateExecuting && ch.Lease.Owner != "" {
		query += ` AND exec_owner = ?`
		args = append(args, ch.Lease.Owner)
	}

	swapped := false
	err := db.inTx(ctx, func(tx txn) error {
		swapped = false // a retried transaction starts over
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			// Lost the race, or never existed: tell the two apart for the caller.
			return requireRequest(ctx, tx, id)
		}
		swapped = true
		if err := grantChanges(ctx, tx, ch); err != nil {
			return err
		}
		return db.insertEvents(ctx, tx, id, events)
	})
	if err != nil {
		return false, fmt.Errorf("transition %s %s -> %s: %w", id, from, to, err)
	}
	return swapped, nil
}

// ExpireDue moves every pending request whose ExpiresAt <= now to expired and returns the
// requests it moved. Each row is its own compare-and-swap and transaction, so an approval
// racing the expiry wins or loses cleanly and one failure does not undo earlier expiries.
func (db *DB) ExpireDue(ctx context.Context, now time.Time, mkEvent func(approvals.Request) audit.Event) ([]approvals.Request, error) {
	// The rows are read in full before any transition: SQLite allows one writer, and a
	// transition while this read is open would wait on it.
	due, err := db.queryRequests(ctx, `SELECT `+requestSelect+` FROM requests
		WHERE state = ? AND expires_at <= ? ORDER BY expires_at, id`,
		string(approvals.StatePending), now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("expire due: %w", err)
	}

	var expired []approvals.Request
	for _, r := range due {
		r.State = approvals.StateExpired
		var events []audit.Event
		if mkEvent != nil {
			events = append(events, mkEvent(r))
		}
		ok, err := db.Transition(ctx, r.ID, approvals.StatePending, approvals.StateExpired, approvals.Change{}, events...)
		if err != nil {
			return expired, fmt.Errorf("expire due: %w", err)
		}
		if ok {
			expired = append(expired, r)
		}
	}
	return expired, nil
}

// NextExpiry returns the earliest expiry among pending requests; ok is false when
// nothing is pending. It reads one row through the (state, expires_at) index, so the
// expiry timer can ask after every submission.
func (db *DB) NextExpiry(ctx context.Context) (next time.Time, ok bool, err error) {
	var ms sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, `SELECT MIN(expires_at) FROM requests WHERE state = ?`,
		string(approvals.StatePending)).Scan(&ms); err != nil {
		return time.Time{}, false, fmt.Errorf("next expiry: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(ms.Int64).UTC(), true, nil
}

// requireRequest returns approvals.ErrNotFound unless the request exists.
func requireRequest(ctx context.Context, tx txn, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM requests WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return approvals.ErrNotFound
	}
	return err
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}

func scanRequest(row rowScanner) (approvals.Request, error) {
	var (
		r                              approvals.Request
		action, state, items, outcomes string
		cardState, notifiedState       string
		params, plan                   string
		created, expires, nextSync     int64
		leaseUntil                     int64
		decided, done                  sql.NullInt64
	)
	err := row.Scan(&r.ID, &action, &r.Requester, &items, &r.Role, &r.Org, &r.Team, &r.Reason, &r.OriginChannel, &state,
		&created, &expires, &decided, &done, &r.DecidedBy, &r.DenyReason, &r.CardChannel, &r.CardTS, &outcomes,
		&cardState, &notifiedState, &r.SyncAttempts, &nextSync, &params, &plan, &r.ExecOwner, &leaseUntil)
	if err != nil {
		return approvals.Request{}, err
	}
	r.Action, r.State = approvals.Action(action), approvals.State(state)
	r.CardState, r.NotifiedState = approvals.State(cardState), approvals.State(notifiedState)
	r.CreatedAt, r.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	r.DecidedAt, r.DoneAt = fromMillis(decided), fromMillis(done)
	if nextSync != 0 {
		r.NextSyncAt = time.UnixMilli(nextSync).UTC()
	}
	if leaseUntil != 0 {
		r.LeaseUntil = time.UnixMilli(leaseUntil).UTC()
	}
	if r.Items, err = unmarshalList[string](items); err != nil {
		return approvals.Request{}, fmt.Errorf("request %s items: %w", r.ID, err)
	}
	if r.Outcomes, err = unmarshalList[approvals.ItemOutcome](outcomes); err != nil {
		return approvals.Request{}, fmt.Errorf("request %s outcomes: %w", r.ID, err)
	}
	if r.Plan, err = unmarshalList[string](plan); err != nil {
		return approvals.Request{}, fmt.Errorf("request %s plan: %w", r.ID, err)
	}
	if params != "" && params != "{}" {
		if err := json.Unmarshal([]byte(params), &r.Params); err != nil {
			return approvals.Request{}, fmt.Errorf("request %s params: %w", r.ID, err)
		}
	}
	return r, nil
}
