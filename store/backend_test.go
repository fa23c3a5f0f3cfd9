package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"devin-chatops/clock/clocktest"
)

// The store's contract tests run against every backend: SQLite always, PostgreSQL when
// TEST_DATABASE_URL names a server the tests may create schemas in (.ci/run starts
// one). Without it the PostgreSQL cases are skipped, loudly: TestMain says so once, and
// each case says so in -v output.

const pgEnv = "TEST_DATABASE_URL"

func TestMain(m *testing.M) {
	if os.Getenv(pgEnv) == "" {
		fmt.Fprintln(os.Stderr, "store: PostgreSQL tests SKIPPED: "+pgEnv+" is not set (e.g. postgres://postgres@localhost:5432/postgres?sslmode=disable; .ci/run sets it)")
	}
	os.Exit(m.Run())
}

// backend is one engine the tests run on.
type backend struct {
	name string
	// fresh returns the URL of a new, empty database of this engine, removed when the
	// test ends; several Opens of it share the data, as replicas do.
	fresh func(t testing.TB) string
}

var backends = []backend{
	{name: "sqlite", fresh: func(t testing.TB) string {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}},
	{name: "postgres", fresh: freshPostgres},
}

// forEachBackend runs fn once per backend, as subtests named after the engine.
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// forEachDB runs fn once per backend with a fresh database whose clock is t0.
func forEachDB(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	forEachBackend(t, func(t *testing.T, b backend) { fn(t, b.open(t)) })
}

// open opens a fresh database of b; its clock is t0 unless opts set another. SQLite's
// is in memory (fast); PostgreSQL's a new schema.
func (b backend) open(t testing.TB, opts ...Option) *DB {
	t.Helper()
	u := memoryURL
	if b.name != "sqlite" {
		u = b.fresh(t)
	}
	return openURL(t, u, opts...)
}

const memoryURL = "sqlite::memory:"

// openURL opens databaseURL with the clock at t0 (unless opts set another) and closes it
// when the test ends.
func openURL(t testing.TB, databaseURL string, opts ...Option) *DB {
	t.Helper()
	db, err := Open(context.Background(), databaseURL, append([]Option{WithClock(clocktest.New(t0))}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

var (
	pgAdminOnce sync.Once
	pgAdmin     *sql.DB
	pgAdminErr  error
)

// freshPostgres creates a uniquely named schema on the TEST_DATABASE_URL server and
// returns that URL with search_path set to it, so tests in parallel never see each
// other's tables. The schema is dropped when the test ends.
func freshPostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(pgEnv)
	if base == "" {
		t.Skip("PostgreSQL SKIPPED: " + pgEnv + " is not set")
	}
	pgAdminOnce.Do(func() {
		pgAdmin, pgAdminErr = sql.Open("pgx", base)
	})
	require.NoError(t, pgAdminErr)
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	schema := "store_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	_, err = pgAdmin.ExecContext(ctx, `CREATE SCHEMA `+schema)
	require.NoError(t, err, "create a test schema on %s", pgEnv)
	t.Cleanup(func() {
		_, err := pgAdmin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		if err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err, "parse %s", pgEnv)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openRaw opens databaseURL without migrating it, for tests of the migrations.
func openRaw(t testing.TB, databaseURL string) (*sql.DB, dialect) {
	t.Helper()
	tg, err := parseURL(databaseURL)
	require.NoError(t, err)
	var db *sql.DB
	if tg.dialect == dialectPostgres {
		db = stdlib.OpenDB(*tg.pgConfig)
	} else {
		db, err = sql.Open("sqlite", tg.dsn)
		require.NoError(t, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, tg.dialect
}

// tableColumns lists table's columns in order, with their declared types lower-cased;
// empty when there is no such table.
func tableColumns(t testing.TB, db *sql.DB, d dialect, table string) []string {
	t.Helper()
	query := `SELECT name, type FROM pragma_table_info(?) ORDER BY cid`
	if d == dialectPostgres {
		query = `SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`
	}
	rows, err := db.QueryContext(context.Background(), d.rebind(query), table)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, typ string
		require.NoError(t, rows.Scan(&name, &typ))
		out = append(out, name+" "+strings.ToLower(typ))
	}
	require.NoError(t, rows.Err())
	return out
}

func nowT0() time.Time { return t0 }
