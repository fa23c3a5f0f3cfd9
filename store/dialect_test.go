package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/audit"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"none", `SELECT 1`, `SELECT 1`},
		{"in order", `UPDATE t SET a = ?, b = ? WHERE id = ?`, `UPDATE t SET a = $1, b = $2 WHERE id = $3`},
		{"literals kept", `SELECT '?' || "q?" , ? FROM t WHERE x = 'it''s ?' AND y = ?`,
			`SELECT '?' || "q?" , $1 FROM t WHERE x = 'it''s ?' AND y = $2`},
		{"ten and more", `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, dialectPostgres.rebind(tt.in))
			assert.Equal(t, tt.want, dialectPostgres.rebind(tt.in), "from the cache too")
			assert.Equal(t, tt.in, dialectSQLite.rebind(tt.in), "SQLite takes ? as it is")
		})
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"sqlite busy", errors.New("database is locked (5) (SQLITE_BUSY)"), true},
		{"postgres serialization failure", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "40001"}), true},
		{"postgres deadlock", &pgconn.PgError{Code: "40P01"}, true},
		{"postgres unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"other", errors.New("no such table: nope"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, retryable(tt.err))
		})
	}
}

// The two spellings of the schema history leave the same tables with the same columns
// in the same order, of the same types (but for the outbox's sequence, a rowid alias in
// SQLite and a 64-bit identity in PostgreSQL).
func TestMigrationsMatchAcrossDialects(t *testing.T) {
	ctx := context.Background()
	sqliteDB, _ := openRaw(t, backends[0].fresh(t))
	pgDB, _ := openRaw(t, freshPostgres(t))
	require.NoError(t, migrate(ctx, sqliteDB, dialectSQLite, steps(dialectSQLite, migrations()), nowT0))
	require.NoError(t, migrate(ctx, pgDB, dialectPostgres, steps(dialectPostgres, migrations()), nowT0))
	for _, table := range []string{"schema_migrations", "requests", "votes", "audit_events", "outbox", "posts", "grants"} {
		lite := tableColumns(t, sqliteDB, dialectSQLite, table)
		pg := tableColumns(t, pgDB, dialectPostgres, table)
		require.NotEmpty(t, lite, table)
		if table == "audit_events" {
			assert.Equal(t, "seq integer", lite[0])
			assert.Equal(t, "seq bigint", pg[0])
			lite, pg = lite[1:], pg[1:]
		}
		assert.Equal(t, lite, pg, table)
	}
}

// PostgreSQL refuses text with a NUL byte or invalid UTF-8 where SQLite stores it: an
// API's error text carrying one must not fail a write on one engine only. Both store
// U+FFFD in its place.
func TestTextWithNULOrInvalidUTF8IsStoredOnEveryEngine(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		r := sampleRequest("R1")
		r.Reason = "a\x00b\xffc"
		require.NoError(t, db.CreateRequest(ctx, r))
		got, err := db.GetRequest(ctx, "R1")
		require.NoError(t, err)
		require.Equal(t, "a\uFFFDb\uFFFDc", got.Reason)
		require.NoError(t, db.AppendAudit(ctx, audit.Event{Kind: audit.KindCommand, Detail: "bad \x00 byte"}))
	})
}
