package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"devin-chatops/audit"
)

// Post states.
const (
	PostClaimed = "claimed" // someone owns it (or will), not yet sent
	PostPosting = "posting" // being sent: after a crash, never sent again
	PostPosted  = "posted"
)

// Post is a message the bot posts on its own, at most once: a scheduled report slot
// or an alert.
type Post struct {
	Key, Kind, State string
	// Payload is what to post, when it was fixed at claim time (an alert's text).
	Payload       string
	At            time.Time
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	PostedAt      time.Time
	// ClaimedBy holds the post until ClaimedUntil ("" for nobody).
	ClaimedBy    string
	ClaimedUntil time.Time
}

// AvailableAt is when someone other than its holder may take the post: its next
// attempt, or the end of a live claim, whichever is later.
func (p Post) AvailableAt() time.Time {
	at := p.NextAttemptAt
	if p.ClaimedBy != "" && p.ClaimedUntil.After(at) {
		at = p.ClaimedUntil
	}
	return at
}

// ClaimPost takes the post key for owner until until. A new key is inserted with the
// given audit events, in one transaction, and is owner's; an existing one is taken over
// only while it is still unsent, due (next attempt at or before now) and its previous
// claim has lapsed or is owner's own. It is a compare-and-swap: of several processes
// only one gets true.
func (db *DB) ClaimPost(ctx context.Context, key, kind, payload string, at time.Time, owner string, now, until time.Time, events ...audit.Event) (bool, error) {
	claimed := false
	err := db.inTx(ctx, func(tx txn) error {
		claimed = false // a retried transaction starts over
		res, err := tx.ExecContext(ctx, `INSERT INTO posts (key, kind, state, payload, at, claimed_by, claimed_until, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
			key, kind, PostClaimed, payload, at.UnixMilli(), owner, until.UnixMilli(), now.UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			claimed = true
			return db.insertEvents(ctx, tx, "", events)
		}
		res, err = tx.ExecContext(ctx, `UPDATE posts SET claimed_by = ?, claimed_until = ?
			WHERE key = ? AND state = ? AND next_attempt_at <= ?
			AND (claimed_by = '' OR claimed_by = ? OR claimed_until < ?)`,
			owner, until.UnixMilli(), key, PostClaimed, now.UnixMilli(), owner, now.UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim post %s: %w", key, err)
	}
	return claimed, nil
}

// RecordPost records key as already posted (by the audit echo, say), with its audit
// events, unless it exists. It reports whether it was new.
func (db *DB) RecordPost(ctx context.Context, key, kind, payload string, at, now time.Time, events ...audit.Event) (bool, error) {
	created := false
	err := db.inTx(ctx, func(tx txn) error {
		created = false // a retried transaction starts over
		res, err := tx.ExecContext(ctx, `INSERT INTO posts (key, kind, state, payload, at, created_at, posted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
			key, kind, PostPosted, payload, at.UnixMilli(), now.UnixMilli(), now.UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			created = true
			return db.insertEvents(ctx, tx, "", events)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record post %s: %w", key, err)
	}
	return created, nil
}

// MarkPosting records that owner is about to send the post: from here on it is never
// sent again, even if owner crashes. False when owner no longer holds the claim.
func (db *DB) MarkPosting(ctx context.Context, key, owner string, now time.Time) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE posts SET state = ?
		WHERE key = ? AND state = ? AND claimed_by = ? AND claimed_until >= ?`,
		PostPosting, key, PostClaimed, owner, now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("mark post %s posting: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark post %s posting: %w", key, err)
	}
	return n == 1, nil
}

// MarkPosted records that owner sent the post (or gave up on it). False when owner
// no longer holds it: someone else took it over and decides.
func (db *DB) MarkPosted(ctx context.Context, key, owner string, at time.Time) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE posts SET state = ?, posted_at = ?, claimed_by = '', last_error = ''
		WHERE key = ? AND state <> ? AND claimed_by = ?`, PostPosted, at.UnixMilli(), key, PostPosted, owner)
	if err != nil {
		return false, fmt.Errorf("mark post %s posted: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark post %s posted: %w", key, err)
	}
	return n == 1, nil
}

// RetryPost records a failed attempt of owner's that did not reach Slack and when the
// next may be made, releasing the claim. False when owner no longer holds the post:
// its failure must not undo what the new holder did.
func (db *DB) RetryPost(ctx context.Context, key, owner string, attempts int, next time.Time, lastErr string) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE posts SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, claimed_by = ''
		WHERE key = ? AND state <> ? AND claimed_by = ?`, PostClaimed, attempts, next.UnixMilli(), clipError(lastErr), key, PostPosted, owner)
	if err != nil {
		return false, fmt.Errorf("retry post %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("retry post %s: %w", key, err)
	}
	return n == 1, nil
}

// NextOpenPost is when the earliest unsent post of kind may next be taken by anyone:
// false when there is none.
func (db *DB) NextOpenPost(ctx context.Context, kind string) (time.Time, bool, error) {
	ps, err := db.queryPosts(ctx, `WHERE kind = ? AND state = ?`, kind, PostClaimed)
	if err != nil || len(ps) == 0 {
		return time.Time{}, false, err
	}
	next := ps[0].AvailableAt()
	for _, p := range ps[1:] {
		if at := p.AvailableAt(); at.Before(next) {
			next = at
		}
	}
	return next, true, nil
}

// OpenPosts are the unsent posts of kind that someone may take now: unclaimed or with
// a lapsed claim, and due. Oldest first.
func (db *DB) OpenPosts(ctx context.Context, kind string, now time.Time) ([]Post, error) {
	return db.queryPosts(ctx, `WHERE kind = ? AND state = ? AND next_attempt_at <= ?
		AND (claimed_by = '' OR claimed_until < ?) ORDER BY at, key`, kind, PostClaimed, now.UnixMilli(), now.UnixMilli())
}

// LatestPost is the post of kind with the latest at, whatever its state.
func (db *DB) LatestPost(ctx context.Context, kind string) (Post, bool, error) {
	ps, err := db.queryPosts(ctx, `WHERE kind = ? ORDER BY at DESC, key DESC LIMIT 1`, kind)
	if err != nil || len(ps) == 0 {
		return Post{}, false, err
	}
	return ps[0], true, nil
}

// GetPost is the post with key.
func (db *DB) GetPost(ctx context.Context, key string) (Post, bool, error) {
	ps, err := db.queryPosts(ctx, `WHERE key = ?`, key)
	if err != nil || len(ps) == 0 {
		return Post{}, false, err
	}
	return ps[0], true, nil
}

// PostsOfKind are every post of kind, oldest first (for tests and operators).
func (db *DB) PostsOfKind(ctx context.Context, kind string) ([]Post, error) {
	return db.queryPosts(ctx, `WHERE kind = ? ORDER BY at, key`, kind)
}

func (db *DB) queryPosts(ctx context.Context, where string, args ...any) ([]Post, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT key, kind, state, payload, at, attempts, next_attempt_at, last_error, posted_at,
		claimed_by, claimed_until FROM posts `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read posts: %w", err)
	}
	defer rows.Close()
	var out []Post
	for rows.Next() {
		var p Post
		var at, next, until int64
		var posted sql.NullInt64
		if err := rows.Scan(&p.Key, &p.Kind, &p.State, &p.Payload, &at, &p.Attempts, &next, &p.LastError, &posted,
			&p.ClaimedBy, &until); err != nil {
			return nil, fmt.Errorf("read posts: %w", err)
		}
		p.At, p.NextAttemptAt, p.PostedAt = time.UnixMilli(at).UTC(), time.UnixMilli(next).UTC(), fromMillis(posted)
		p.ClaimedUntil = time.UnixMilli(until).UTC()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read posts: %w", err)
	}
	return out, nil
}

// clipError keeps stored error text short.
func clipError(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 500 {
		return string(r[:500])
	}
	return s
}
