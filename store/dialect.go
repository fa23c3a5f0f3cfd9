package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
)

// dialect is what differs between the two engines the store runs on. The store's SQL is
// written once, in the portable subset both accept (`?` placeholders, ON CONFLICT …
// DO NOTHING, RETURNING, integer millisecond times); the dialect rewrites placeholders
// for PostgreSQL and supplies the few expressions that are spelled differently.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// greatest is the SQL for the larger of two values: SQLite's scalar MAX, PostgreSQL's
// GREATEST (its MAX is only an aggregate).
func (d dialect) greatest(a, b string) string {
	if d == dialectPostgres {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "MAX(" + a + ", " + b + ")"
}

// rebindCache keeps the PostgreSQL form of each query: the store's queries are a small
// fixed set, and rebinding them on every call would be wasted work on the hot path.
var rebindCache sync.Map // string -> string

// rebind turns `?` placeholders into PostgreSQL's `$1, $2, …`, leaving question marks
// inside quoted literals and identifiers alone.
func (d dialect) rebind(query string) string {
	if d != dialectPostgres || !strings.Contains(query, "?") {
		return query
	}
	if q, ok := rebindCache.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	q := b.String()
	rebindCache.Store(query, q)
	return q
}

// retryable reports whether err is a conflict that a fresh attempt of the whole
// transaction may not meet: SQLite's busy/locked (the busy_timeout ran out), or
// PostgreSQL's serialization failure and deadlock (under READ COMMITTED the store's
// compare-and-swap UPDATEs do not fail this way, but two transactions touching the same
// rows in different orders can deadlock, and PostgreSQL aborts one of them).
func retryable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return isBusy(err)
}

func isBusy(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// txAttempts bounds the retries of a transaction that keeps meeting conflicts.
const txAttempts = 8

// retryPause is the wait before the attempt-th retry: short and growing, since the
// conflicting transaction is usually done within milliseconds.
func retryPause(attempt int) time.Duration {
	return time.Duration(5*(attempt+1)*(attempt+1)) * time.Millisecond
}

// textArgs makes every string argument storable on both engines: PostgreSQL refuses
// text with a NUL byte or invalid UTF-8 (SQLSTATE 22021) where SQLite stores it, so an
// error text from an API could fail a whole transition on one engine only. Such
// bytes become U+FFFD on both; args is copied only when one needs it.
func textArgs(args []any) []any {
	var out []any
	for i, a := range args {
		s, ok := a.(string)
		if !ok || (utf8.ValidString(s) && strings.IndexByte(s, 0) < 0) {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	}
	if out == nil {
		return args
	}
	return out
}

// conn is the database handle with the dialect applied: every query goes through
// rebind, so the rest of the store writes `?` whatever the engine, and its string
// arguments through textArgs.
type conn struct {
	db *sql.DB
	d  dialect
}

func (c conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, c.d.rebind(query), textArgs(args)...)
}

func (c conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.db.QueryContext(ctx, c.d.rebind(query), textArgs(args)...)
}

func (c conn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.db.QueryRowContext(ctx, c.d.rebind(query), textArgs(args)...)
}

// txn is a transaction with the dialect applied.
type txn struct {
	tx *sql.Tx
	d  dialect
}

func (t txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.rebind(query), textArgs(args)...)
}

func (t txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.rebind(query), textArgs(args)...)
}

func (t txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.rebind(query), textArgs(args)...)
}
