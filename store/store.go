// Package store is the SQLite (pure Go, modernc.org/sqlite) implementation of the bot's
// durable state: approval requests, votes, the audit log and its outbox.
//
// The SQL is kept portable on purpose (plain UPDATE … WHERE state = ? compare-and-swap,
// INSERT … ON CONFLICT DO NOTHING, integer times) so that a PostgreSQL implementation
// only needs its own DSN handling and DDL.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver; pure Go, so CGO_ENABLED=0 builds work

	"devin-chatops/clock"
)

// DB is the store. It implements approvals.Store and audit.Outbox. It is safe for
// concurrent use, also by several processes sharing one database file.
type DB struct {
	sql   *sql.DB
	clock clock.Clock
}

// Option adjusts a DB opened by Open.
type Option func(*DB)

// WithClock sets the clock used to stamp audit events that arrive without a time and
// to decide which stale requests are due for another Slack sync (default the wall
// clock). Give it the approval service's clock.
func WithClock(c clock.Clock) Option {
	return func(db *DB) {
		if c != nil {
			db.clock = c
		}
	}
}

const memoryPath = ":memory:"

// filePragmas make a file database safe for several connections and processes: WAL lets
// readers run beside the writer, busy_timeout makes a writer wait for the lock instead of
// failing, and synchronous=NORMAL is durable in WAL mode except for the very last commits
// on power loss. _txlock=immediate takes the write lock at BEGIN, so two transactions
// that read then write cannot deadlock on the lock upgrade (SQLite would fail one of them
// at once, without waiting for busy_timeout).
const filePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"

const memoryPragmas = "_pragma=foreign_keys(1)&_txlock=immediate"

// Open connects to databaseURL and brings its schema up to date. Accepted forms:
//
//	sqlite:PATH          a database file (created if missing), e.g. sqlite:devin-chatops.db
//	sqlite:///abs/path   the same with an absolute path
//	sqlite::memory:      a private in-memory database, for tests
//
// postgres:// URLs are recognised but not supported yet.
func Open(ctx context.Context, databaseURL string, opts ...Option) (*DB, error) {
	dsn, memory, err := parseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	sqlDB, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if memory {
		// Every new connection to ":memory:" is a new, empty database: keep exactly one
		// connection, forever, so everything sees the same data.
		sqlDB.SetMaxOpenConns(1)
		sqlDB.SetMaxIdleConns(1)
		sqlDB.SetConnMaxLifetime(0)
		sqlDB.SetConnMaxIdleTime(0)
	}
	db := &DB{sql: sqlDB, clock: clock.System()}
	for _, o := range opts {
		o(db)
	}
	// Switching a fresh file to WAL and the first migration take locks that SQLite does
	// not wait for with busy_timeout, so replicas starting together on a new file can see
	// SQLITE_BUSY here: retry for a few seconds before giving up.
	var err2 error
	for attempt := 0; attempt < 50; attempt++ {
		if err2 = sqlDB.PingContext(ctx); err2 == nil {
			if err2 = migrate(ctx, sqlDB, migrations(), db.clock.Now); err2 == nil {
				return db, nil
			}
		}
		if !isBusy(err2) || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(10+attempt*10) * time.Millisecond)
	}
	sqlDB.Close()
	if isBusy(err2) {
		return nil, fmt.Errorf("open database: %w", err2)
	}
	return nil, err2
}

func isBusy(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// parseURL turns DATABASE_URL into a driver DSN. Errors never echo the URL: a PostgreSQL
// URL carries a password.
func parseURL(databaseURL string) (dsn string, memory bool, err error) {
	scheme, rest, found := strings.Cut(databaseURL, ":")
	if !found {
		return "", false, errors.New("DATABASE_URL must look like sqlite:PATH")
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
	case "postgres", "postgresql":
		return "", false, errors.New("PostgreSQL support is not built yet: use DATABASE_URL=sqlite:PATH")
	default:
		return "", false, fmt.Errorf("DATABASE_URL scheme %q is not supported: use sqlite:PATH", scheme)
	}
	path := strings.TrimPrefix(rest, "//")
	switch {
	case path == "":
		return "", false, errors.New("DATABASE_URL sqlite: needs a file path, e.g. sqlite:devin-chatops.db")
	case path == memoryPath:
		return memoryPath + "?" + memoryPragmas, true, nil
	case strings.Contains(path, "?"):
		// The driver would read the query as its own parameters and could override ours.
		return "", false, errors.New("DATABASE_URL sqlite: path must not contain '?'")
	}
	return path + "?" + filePragmas, false, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// inTx runs fn in a transaction and commits it when fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error from fn is the one worth reporting
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Times are stored as integer Unix milliseconds (UTC by definition): they compare and
// sort correctly in SQL on any engine, unlike RFC 3339 text whose fraction varies in
// length. A zero time.Time is stored as NULL.

func millis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// zeroMillis is millis for a NOT NULL column: a zero time.Time is stored as 0.
func zeroMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

// newEventID returns a random 128-bit identifier for an audit event.
func newEventID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new event ID: %w", err)
	}
	return "E" + hex.EncodeToString(b[:]), nil
}
