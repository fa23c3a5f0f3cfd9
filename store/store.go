// Package store is the bot's durable state: approval requests, votes, the audit log and
// its outbox, scheduled posts and grants. It runs on SQLite (pure Go, modernc.org/sqlite;
// the embedded default, one replica) or PostgreSQL (pgx; any number of replicas on one
// database), with one implementation: the SQL is written in the subset both accept
// (plain UPDATE … WHERE state = ? compare-and-swap, INSERT … ON CONFLICT DO NOTHING,
// RETURNING, integer millisecond times) and dialect.go rewrites what differs.
//
// Every state change that must happen once is a single conditional UPDATE (or INSERT …
// ON CONFLICT DO NOTHING) whose affected-row count says who won. That is exactly-once
// under PostgreSQL's default READ COMMITTED too: an UPDATE that finds its row locked by
// a concurrent writer waits, then re-evaluates its WHERE against the committed row, so
// of N replicas racing for one row only one sees the old state.
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

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver; pure Go, so CGO_ENABLED=0 builds work

	"devin-chatops/clock"
)

// DB is the store. It implements approvals.Store and audit.Outbox. It is safe for
// concurrent use, also by several processes sharing one database (an SQLite file on one
// host, or a PostgreSQL database for replicas on several).
type DB struct {
	sql     conn
	dialect dialect
	clock   clock.Clock
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

// pgMaxOpenConns bounds each replica's PostgreSQL pool.
const pgMaxOpenConns = 10

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
//	postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=…   PostgreSQL (also postgresql://);
//	                     any query parameter pgx knows, or a run-time parameter such as
//	                     search_path
//
// Several processes may Open one database at once: the migrations run once, under a
// lock (see migrate).
func Open(ctx context.Context, databaseURL string, opts ...Option) (*DB, error) {
	target, err := parseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	var sqlDB *sql.DB
	switch target.dialect {
	case dialectPostgres:
		sqlDB = stdlib.OpenDB(*target.pgConfig)
		// Every replica has its own pool against the server's max_connections (100 by
		// default): a bounded pool keeps N replicas from exhausting it. The store never
		// holds one connection while waiting for another, so a full pool only queues.
		sqlDB.SetMaxOpenConns(pgMaxOpenConns)
		sqlDB.SetMaxIdleConns(pgMaxOpenConns / 2)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	default:
		if sqlDB, err = sql.Open("sqlite", target.dsn); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
	}
	if target.memory {
		// Every new connection to ":memory:" is a new, empty database: keep exactly one
		// connection, forever, so everything sees the same data.
		sqlDB.SetMaxOpenConns(1)
		sqlDB.SetMaxIdleConns(1)
		sqlDB.SetConnMaxLifetime(0)
		sqlDB.SetConnMaxIdleTime(0)
	}
	db := &DB{sql: conn{db: sqlDB, d: target.dialect}, dialect: target.dialect, clock: clock.System()}
	for _, o := range opts {
		o(db)
	}
	// Switching a fresh SQLite file to WAL and the first migration take locks that
	// SQLite does not wait for with busy_timeout, so replicas starting together on a new
	// file can see SQLITE_BUSY here: retry for a few seconds before giving up.
	// (PostgreSQL's migrations wait on their advisory lock instead.)
	var err2 error
	for attempt := 0; attempt < 50; attempt++ {
		if err2 = sqlDB.PingContext(ctx); err2 == nil {
			if err2 = migrate(ctx, sqlDB, target.dialect, steps(target.dialect, migrations()), db.clock.Now); err2 == nil {
				return db, nil
			}
		}
		if !isBusy(err2) || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(10+attempt*10) * time.Millisecond)
	}
	sqlDB.Close()
	return nil, fmt.Errorf("open %s database: %w", target.dialect, err2)
}

// target is a parsed DATABASE_URL.
type target struct {
	dialect  dialect
	dsn      string // SQLite
	memory   bool   // SQLite :memory:
	pgConfig *pgx.ConnConfig
}

// parseURL turns DATABASE_URL into what the driver needs. Errors never echo the URL: a
// PostgreSQL URL carries a password.
func parseURL(databaseURL string) (target, error) {
	scheme, rest, found := strings.Cut(databaseURL, ":")
	if !found {
		return target{}, errors.New("DATABASE_URL must look like sqlite:PATH or postgres://USER@HOST/DB")
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
	case "postgres", "postgresql":
		if !strings.HasPrefix(rest, "//") {
			return target{}, errors.New("DATABASE_URL postgres: must look like postgres://USER:PASSWORD@HOST:PORT/DB")
		}
		cfg, err := pgx.ParseConfig(databaseURL)
		if err != nil {
			// pgx's message quotes the URL (password masked, but the rest is still the
			// operator's); say what is wrong without it.
			return target{}, errors.New("DATABASE_URL postgres: the URL cannot be parsed (not shown: it may carry a password); check its form and query parameters")
		}
		return target{dialect: dialectPostgres, pgConfig: cfg}, nil
	default:
		return target{}, fmt.Errorf("DATABASE_URL scheme %q is not supported: use sqlite:PATH or postgres://…", scheme)
	}
	path := strings.TrimPrefix(rest, "//")
	switch {
	case path == "":
		return target{}, errors.New("DATABASE_URL sqlite: needs a file path, e.g. sqlite:devin-chatops.db")
	case path == memoryPath:
		return target{dsn: memoryPath + "?" + memoryPragmas, memory: true}, nil
	case strings.Contains(path, "?"):
		// The driver would read the query as its own parameters and could override ours.
		return target{}, errors.New("DATABASE_URL sqlite: path must not contain '?'")
	}
	return target{dsn: path + "?" + filePragmas}, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.sql.db.Close() }

// inTx runs fn in a transaction and commits it when fn returns nil. A transaction that
// meets a conflict the engine resolves by failing it (see retryable) is run again from
// the start, so fn must set everything it reports afresh on each call.
func (db *DB) inTx(ctx context.Context, fn func(tx txn) error) error {
	var err error
	for attempt := 0; attempt < txAttempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (after %v)", err, ctx.Err())
			case <-time.After(retryPause(attempt)):
			}
		}
		if err = db.tryTx(ctx, fn); !retryable(err) {
			return err
		}
	}
	return err
}

func (db *DB) tryTx(ctx context.Context, fn func(tx txn) error) error {
	sqlTx, err := db.sql.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(txn{tx: sqlTx, d: db.dialect}); err != nil {
		_ = sqlTx.Rollback() // the error from fn is the one worth reporting
		return err
	}
	if err := sqlTx.Commit(); err != nil {
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
