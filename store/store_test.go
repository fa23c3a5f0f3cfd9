package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/audit"
	"devin-chatops/auditecho"
	"devin-chatops/clock/clocktest"
	"devin-chatops/slackui"
)

// t0 is millisecond-aligned: the store keeps times to the millisecond.
var t0 = time.Date(2025, 3, 4, 10, 2, 0, 0, time.UTC)

func openMemory(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), "sqlite::memory:", WithClock(clocktest.New(t0)))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func openFile(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), "sqlite:"+path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func sampleRequest(id string) approvals.Request {
	return approvals.Request{
		ID: id, Action: approvals.ActionInvite, Requester: "UREQ",
		Items: []string{"a@b.com", "c@d.com"}, Role: "member", Org: "eng", Reason: "new hires",
		OriginChannel: "CORIGIN", State: approvals.StatePending,
		CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour),
	}
}

func TestOpenURLs(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		url     string
		wantErr string
	}{
		{"postgres URL that does not parse", "postgres://bot:s3cret@db.internal:notaport/chatops", "cannot be parsed"},
		{"postgres unknown parameter value", "postgresql://bot:s3cret@db.internal/chatops?sslmode=maybe", "cannot be parsed"},
		{"postgres without //", "postgres:bot:s3cret@db", "must look like postgres://"},
		{"postgres server not there", "postgres://bot:s3cret@127.0.0.1:1/chatops?connect_timeout=5", "open postgres database"},
		{"unknown scheme", "mysql://bot:s3cret@db/x", `scheme "mysql" is not supported`},
		{"no scheme", "devin.db", "sqlite:PATH"},
		{"empty path", "sqlite:", "needs a file path"},
		{"query in path", "sqlite:x.db?_pragma=journal_mode(DELETE)", "must not contain '?'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(ctx, tt.url)
			require.Error(t, err)
			assert.Nil(t, db)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "s3cret", "errors never echo credentials")
		})
	}

	t.Run("sqlite:// with an absolute path", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "abs.db")
		db, err := Open(ctx, "sqlite://"+path)
		require.NoError(t, err)
		require.NoError(t, db.Close())
		assert.FileExists(t, path)
	})
}

func TestFileDatabaseSettings(t *testing.T) {
	db := openFile(t, filepath.Join(t.TempDir(), "p.db"))
	ctx := context.Background()
	pragma := func(name string) string {
		var v string
		require.NoError(t, db.sql.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v))
		return v
	}
	assert.Equal(t, "wal", pragma("journal_mode"))
	assert.Equal(t, "5000", pragma("busy_timeout"))
	assert.Equal(t, "1", pragma("foreign_keys"))
	assert.Equal(t, "1", pragma("synchronous"), "NORMAL")
}

func TestMemoryDatabaseIsSharedAndPrivate(t *testing.T) {
	ctx := context.Background()
	a, b := openMemory(t), openMemory(t)
	require.NoError(t, a.CreateRequest(ctx, sampleRequest("R1")))
	// Several goroutines, one database: the single connection is what makes this hold.
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.GetRequest(ctx, "R1")
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	_, err := b.GetRequest(ctx, "R1")
	assert.ErrorIs(t, err, approvals.ErrNotFound, "each :memory: store is its own database")
}

func TestMigrationsIdempotentAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "restart.db")

	first, err := Open(ctx, "sqlite:"+path)
	require.NoError(t, err)
	require.NoError(t, first.CreateRequest(ctx, sampleRequest("RPEND01")))
	r2 := sampleRequest("RDONE01")
	r2.CreatedAt = t0.Add(time.Minute)
	require.NoError(t, first.CreateRequest(ctx, r2))
	ok, err := first.Transition(ctx, "RDONE01", approvals.StatePending, approvals.StateDenied, approvals.Change{DecidedBy: "UA"})
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, first.Close())

	// A restart: a new *DB on the same file runs the migrations again, which must be a no-op.
	for range 2 {
		again, err := Open(ctx, "sqlite:"+path)
		require.NoError(t, err)
		var versions, count int
		require.NoError(t, again.sql.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&count, &versions))
		assert.Equal(t, len(migrations()), count)
		assert.Equal(t, len(migrations()), versions)
		pending, err := again.ListRequests(ctx, approvals.StatePending)
		require.NoError(t, err)
		require.Len(t, pending, 1)
		assert.Equal(t, sampleRequest("RPEND01"), pending[0])
		require.NoError(t, again.Close())
	}
}

func TestMigrateAppliesOnlyNewOnes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		sqlDB, d := openRaw(t, b.fresh(t))
		now := func() time.Time { return t0 }

		steps := []string{`CREATE TABLE a (x INTEGER)`}
		require.NoError(t, migrate(ctx, sqlDB, d, steps, now))
		steps = append(steps, `CREATE TABLE b (y INTEGER); INSERT INTO b (y) VALUES (1)`)
		require.NoError(t, migrate(ctx, sqlDB, d, steps, now))
		require.NoError(t, migrate(ctx, sqlDB, d, steps, now))
		var n int
		require.NoError(t, sqlDB.QueryRowContext(ctx, `SELECT COUNT(*) FROM b`).Scan(&n))
		assert.Equal(t, 1, n, "each migration runs exactly once, multi-statement included")

		err := migrate(ctx, sqlDB, d, steps[:1], now)
		assert.ErrorContains(t, err, "newer than this binary")

		t.Run("a failing migration leaves no trace", func(t *testing.T) {
			bad := append(append([]string(nil), steps...), `CREATE TABLE c (z INTEGER); SELECT * FROM nope`)
			require.Error(t, migrate(ctx, sqlDB, d, bad, now))
			var version int
			require.NoError(t, sqlDB.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&version))
			assert.Equal(t, 2, version)
			assert.Empty(t, tableColumns(t, sqlDB, d, "c"))
		})
		if d == dialectPostgres {
			t.Run("the migration lock is released", func(t *testing.T) {
				var held int
				require.NoError(t, sqlDB.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_locks
					WHERE locktype = 'advisory' AND classid = $1`, migrationLockKey).Scan(&held))
				assert.Zero(t, held)
			})
		}
	})
}

func TestRequestRoundTrip(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		r := sampleRequest("R1")
		r.DecidedAt = t0.Add(time.Minute)
		r.Outcomes = []approvals.ItemOutcome{{Item: "a@b.com", Status: approvals.OutcomeInvited}}
		r.Params = map[string]string{"limit": "2000", "login": "octocat"}
		r.Plan = []string{"limit now 1,000, after 2,000"}
		require.NoError(t, db.CreateRequest(ctx, r))
		got, err := db.GetRequest(ctx, "R1")
		require.NoError(t, err)
		assert.Equal(t, r, got)

		t.Run("state defaults to pending", func(t *testing.T) {
			r := sampleRequest("R2")
			r.State = ""
			require.NoError(t, db.CreateRequest(ctx, r))
			got, err := db.GetRequest(ctx, "R2")
			require.NoError(t, err)
			assert.Equal(t, approvals.StatePending, got.State)
		})
		t.Run("duplicate ID", func(t *testing.T) {
			err := db.CreateRequest(ctx, sampleRequest("R1"), audit.Event{Kind: audit.KindRequest})
			require.ErrorIs(t, err, approvals.ErrDuplicateID)
			events, err := db.AuditEvents(ctx, "R1")
			require.NoError(t, err)
			assert.Empty(t, events, "a refused create writes no event")
		})
		t.Run("unknown ID", func(t *testing.T) {
			_, err := db.GetRequest(ctx, "RNOPE00")
			require.ErrorIs(t, err, approvals.ErrNotFound)
		})
		t.Run("empty ID", func(t *testing.T) {
			require.Error(t, db.CreateRequest(ctx, sampleRequest("")))
		})
		t.Run("set card", func(t *testing.T) {
			require.NoError(t, db.SetCard(ctx, "R1", "CAPPROVALS", "1700000000.000100"))
			got, err := db.GetRequest(ctx, "R1")
			require.NoError(t, err)
			assert.Equal(t, "CAPPROVALS", got.CardChannel)
			assert.Equal(t, "1700000000.000100", got.CardTS)
			require.ErrorIs(t, db.SetCard(ctx, "RNOPE00", "C", "1"), approvals.ErrNotFound)
		})
	})
}

func TestListRequests(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		// Created out of order on purpose: the list is by creation time, not insertion.
		for i, id := range []string{"RC", "RA", "RB"} {
			r := sampleRequest(id)
			r.CreatedAt = t0.Add(time.Duration(3-i) * time.Minute)
			require.NoError(t, db.CreateRequest(ctx, r))
		}
		_, err := db.Transition(ctx, "RA", approvals.StatePending, approvals.StateApproved, approvals.Change{})
		require.NoError(t, err)

		ids := func(rs []approvals.Request) []string {
			var out []string
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		tests := []struct {
			name   string
			states []approvals.State
			want   []string
		}{
			{"all, oldest first", nil, []string{"RB", "RA", "RC"}},
			{"pending only", []approvals.State{approvals.StatePending}, []string{"RB", "RC"}},
			{"several states", []approvals.State{approvals.StateApproved, approvals.StatePending}, []string{"RB", "RA", "RC"}},
			{"none match", []approvals.State{approvals.StateDone}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := db.ListRequests(ctx, tt.states...)
				require.NoError(t, err)
				assert.Equal(t, tt.want, ids(got))
			})
		}
	})
}

func TestTransitionCAS(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		require.NoError(t, db.CreateRequest(ctx, sampleRequest("R1"), audit.Event{Kind: audit.KindRequest, Actor: "UREQ"}))

		t.Run("wrong from: no swap, no event", func(t *testing.T) {
			ok, err := db.Transition(ctx, "R1", approvals.StateApproved, approvals.StateExecuting, approvals.Change{},
				audit.Event{Kind: audit.KindExecuting})
			require.NoError(t, err)
			assert.False(t, ok)
			events, err := db.AuditEvents(ctx, "R1")
			require.NoError(t, err)
			require.Len(t, events, 1)
			assert.Equal(t, audit.KindRequest, events[0].Kind)
			got, _ := db.GetRequest(ctx, "R1")
			assert.Equal(t, approvals.StatePending, got.State)
		})
		t.Run("edge not in the state machine", func(t *testing.T) {
			_, err := db.Transition(ctx, "R1", approvals.StatePending, approvals.StateDone, approvals.Change{})
			require.ErrorIs(t, err, approvals.ErrInvalidTransition)
		})
		t.Run("unknown request", func(t *testing.T) {
			ok, err := db.Transition(ctx, "RNOPE00", approvals.StatePending, approvals.StateApproved, approvals.Change{})
			require.ErrorIs(t, err, approvals.ErrNotFound)
			assert.False(t, ok)
		})
		t.Run("full life cycle writes change fields and events", func(t *testing.T) {
			decided := t0.Add(3 * time.Minute)
			ok, err := db.Transition(ctx, "R1", approvals.StatePending, approvals.StateApproved,
				approvals.Change{DecidedBy: "UA", DecidedAt: decided}, audit.Event{Kind: audit.KindApproved, Actor: "UA"})
			require.NoError(t, err)
			require.True(t, ok)

			ok, err = db.Transition(ctx, "R1", approvals.StatePending, approvals.StateDenied, approvals.Change{DenyReason: "late"})
			require.NoError(t, err)
			assert.False(t, ok, "a second decision loses")

			ok, err = db.Transition(ctx, "R1", approvals.StateApproved, approvals.StateExecuting, approvals.Change{})
			require.NoError(t, err)
			require.True(t, ok)

			outcomes := []approvals.ItemOutcome{
				{Item: "a@b.com", Status: approvals.OutcomeInvited},
				{Item: "c@d.com", Status: approvals.OutcomeFailed, Reason: "invalid email"},
			}
			ok, err = db.Transition(ctx, "R1", approvals.StateExecuting, approvals.StateDone,
				approvals.Change{DoneAt: decided.Add(time.Second), Outcomes: outcomes}, audit.Event{Kind: audit.KindDone})
			require.NoError(t, err)
			require.True(t, ok)

			got, err := db.GetRequest(ctx, "R1")
			require.NoError(t, err)
			assert.Equal(t, approvals.StateDone, got.State)
			assert.Equal(t, "UA", got.DecidedBy, "zero Change fields leave earlier values alone")
			assert.Equal(t, decided, got.DecidedAt)
			assert.Equal(t, decided.Add(time.Second), got.DoneAt)
			assert.Empty(t, got.DenyReason, "the losing transition wrote nothing")
			assert.Equal(t, outcomes, got.Outcomes)

			events, err := db.AuditEvents(ctx, "R1")
			require.NoError(t, err)
			var kinds []audit.Kind
			for _, e := range events {
				kinds = append(kinds, e.Kind)
				assert.Equal(t, "R1", e.RequestID, "request ID is filled in")
				assert.NotEmpty(t, e.ID)
				assert.Equal(t, t0, e.At, "time is filled in from the store's clock")
			}
			assert.Equal(t, []audit.Kind{audit.KindRequest, audit.KindApproved, audit.KindDone}, kinds)
		})
	})
}

func TestConcurrentTransitionHasOneWinner(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		u := b.fresh(t)
		// Two handles on one database stand in for two bot replicas; each goroutine
		// holds its own connection from its replica's pool.
		replicas := []*DB{openURL(t, u), openURL(t, u)}
		require.NoError(t, replicas[0].CreateRequest(ctx, sampleRequest("RRACE00")))

		const racers = 20
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				voter := fmt.Sprintf("U%02d", i)
				ok, err := replicas[i%2].Transition(ctx, "RRACE00", approvals.StatePending, approvals.StateApproved,
					approvals.Change{DecidedBy: voter, DecidedAt: t0},
					audit.Event{Kind: audit.KindApproved, Actor: voter})
				assert.NoError(t, err)
				if ok {
					wins.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()

		assert.Equal(t, int32(1), wins.Load(), "exactly one transition wins")
		events, err := replicas[1].AuditEvents(ctx, "RRACE00")
		require.NoError(t, err)
		require.Len(t, events, 1, "exactly one audit event is written")
		got, err := replicas[1].GetRequest(ctx, "RRACE00")
		require.NoError(t, err)
		assert.Equal(t, approvals.StateApproved, got.State)
		assert.Equal(t, events[0].Actor, got.DecidedBy, "the winner's change and event belong together")
		due, err := replicas[0].Due(ctx, t0, 100)
		require.NoError(t, err)
		assert.Len(t, due, 1, "and exactly one outbox entry")
	})
}

func TestAddVote(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		require.NoError(t, db.CreateRequest(ctx, sampleRequest("R1")))

		steps := []struct {
			name      string
			vote      approvals.Vote
			wantAdded bool
		}{
			{"first vote", approvals.Vote{RequestID: "R1", Voter: "UA", Approve: true, At: t0.Add(2 * time.Second)}, true},
			{"second voter", approvals.Vote{RequestID: "R1", Voter: "UB", Approve: false, Reason: "no", At: t0.Add(time.Second)}, true},
			{"same voter again is a duplicate", approvals.Vote{RequestID: "R1", Voter: "UA", Approve: false, At: t0.Add(3 * time.Second)}, false},
		}
		for _, st := range steps {
			added, err := db.AddVote(ctx, st.vote, audit.Event{Kind: audit.KindVote, Actor: st.vote.Voter})
			require.NoError(t, err, st.name)
			assert.Equal(t, st.wantAdded, added, st.name)
		}

		votes, err := db.Votes(ctx, "R1")
		require.NoError(t, err)
		assert.Equal(t, []approvals.Vote{
			{RequestID: "R1", Voter: "UB", Approve: false, Reason: "no", At: t0.Add(time.Second)},
			{RequestID: "R1", Voter: "UA", Approve: true, At: t0.Add(2 * time.Second)},
		}, votes, "in the order cast; the duplicate did not overwrite the first vote")

		events, err := db.AuditEvents(ctx, "R1")
		require.NoError(t, err)
		assert.Len(t, events, 2, "the duplicate vote wrote no event")

		_, err = db.AddVote(ctx, approvals.Vote{RequestID: "RNOPE00", Voter: "UA", Approve: true})
		require.ErrorIs(t, err, approvals.ErrNotFound)
	})
}

func TestExpireDue(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		mk := func(id string, expires time.Time) approvals.Request {
			r := sampleRequest(id)
			r.ExpiresAt = expires
			return r
		}
		require.NoError(t, db.CreateRequest(ctx, mk("RLATE", t0.Add(2*time.Hour))))
		require.NoError(t, db.CreateRequest(ctx, mk("REXACT", t0.Add(time.Hour))))
		require.NoError(t, db.CreateRequest(ctx, mk("REARLY", t0.Add(30*time.Minute))))
		require.NoError(t, db.CreateRequest(ctx, mk("RAPPROVED", t0)))
		_, err := db.Transition(ctx, "RAPPROVED", approvals.StatePending, approvals.StateApproved, approvals.Change{})
		require.NoError(t, err)

		now := t0.Add(time.Hour)
		var made []string
		expired, err := db.ExpireDue(ctx, now, func(r approvals.Request) audit.Event {
			assert.Equal(t, approvals.StateExpired, r.State)
			made = append(made, r.ID)
			return audit.Event{Kind: audit.KindExpired, Detail: "expired unanswered"}
		})
		require.NoError(t, err)
		var ids []string
		for _, r := range expired {
			ids = append(ids, r.ID)
			assert.Equal(t, approvals.StateExpired, r.State)
		}
		assert.Equal(t, []string{"REARLY", "REXACT"}, ids, "ExpiresAt <= now, earliest first; approved ones untouched")
		assert.Equal(t, ids, made)

		for id, want := range map[string]approvals.State{
			"REARLY": approvals.StateExpired, "REXACT": approvals.StateExpired,
			"RLATE": approvals.StatePending, "RAPPROVED": approvals.StateApproved,
		} {
			got, err := db.GetRequest(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, want, got.State, id)
		}
		events, err := db.AuditEvents(ctx, "REARLY")
		require.NoError(t, err)
		require.Len(t, events, 1)
		assert.Equal(t, audit.KindExpired, events[0].Kind)

		again, err := db.ExpireDue(ctx, now, nil)
		require.NoError(t, err)
		assert.Empty(t, again, "a second sweep finds nothing")
	})
}

func TestAppendAudit(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		at := t0.Add(time.Minute)
		in := audit.Event{
			ID: "E1", Kind: audit.KindRefused, Actor: "UX", Command: "approve R1", Items: []string{"x"},
			Detail: "not an approver", Outcome: "refused", At: at, RequestID: "R1",
			RequestedAt: t0, DecidedAt: at, DoneAt: at,
		}
		require.NoError(t, db.AppendAudit(ctx, in, audit.Event{Kind: audit.KindCommand, Command: "help"}))
		require.NoError(t, db.AppendAudit(ctx))

		events, err := db.AuditEvents(ctx, "R1")
		require.NoError(t, err)
		assert.Equal(t, []audit.Event{in}, events, "events round-trip")

		require.Error(t, db.AppendAudit(ctx, audit.Event{ID: "E1", Kind: audit.KindCommand}), "event IDs are unique")
		due, err := db.Due(ctx, t0, 10)
		require.NoError(t, err)
		assert.Len(t, due, 2, "the failed append left no outbox entry")
	})
}

func TestOutboxOrderRetryDelivered(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		for i := 1; i <= 4; i++ {
			require.NoError(t, db.AppendAudit(ctx, audit.Event{ID: fmt.Sprintf("E%d", i), Kind: audit.KindCommand, At: t0}))
		}
		ids := func(ps []audit.Pending) []string {
			var out []string
			for _, p := range ps {
				out = append(out, p.Event.ID)
			}
			return out
		}
		due := func(now time.Time, limit int) []string {
			ps, err := db.Due(ctx, now, limit)
			require.NoError(t, err)
			return ids(ps)
		}

		assert.Equal(t, []string{"E1", "E2", "E3", "E4"}, due(t0, 10), "oldest first")
		assert.Equal(t, []string{"E1", "E2"}, due(t0, 2), "limit")
		assert.Empty(t, due(t0, 0))

		require.NoError(t, db.Delivered(ctx, "E1", t0))
		require.NoError(t, db.Retry(ctx, "E2", 1, t0.Add(time.Minute), "slack down"))
		assert.Empty(t, due(t0, 10), "E2 waits for its retry and holds back E3 and E4")

		ps, err := db.Due(ctx, t0.Add(time.Minute), 10)
		require.NoError(t, err)
		assert.Equal(t, []string{"E2", "E3", "E4"}, ids(ps), "E1 is never returned again")
		assert.Equal(t, 1, ps[0].Attempts)
		assert.Zero(t, ps[1].Attempts)

		require.NoError(t, db.Delivered(ctx, "E2", t0.Add(time.Minute)))
		require.NoError(t, db.Retry(ctx, "E2", 5, t0.Add(time.Hour), "late retry after delivery"))
		assert.Equal(t, []string{"E3", "E4"}, due(t0, 10), "a retry cannot resurrect a delivered event")
	})
}

// failingPoster fails its first `failures` posts, then records what it posts.
type failingPoster struct {
	mu       sync.Mutex
	failures int
	posted   []string
}

func (p *failingPoster) Post(_ context.Context, _ string, m slackui.Message) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failures > 0 {
		p.failures--
		return "", errors.New("slack: service_unavailable")
	}
	p.posted = append(p.posted, m.Text)
	return "1.0", nil
}

func TestEchoerDeliversEveryEventOnceInOrder(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		const events = 6
		for i := range events {
			require.NoError(t, db.CreateRequest(ctx, sampleRequest(fmt.Sprintf("R%06d", i)),
				audit.Event{Kind: audit.KindRequest, Actor: "UREQ"}))
		}
		clock := clocktest.New(t0)
		poster := &failingPoster{failures: 4}
		echo := auditecho.NewEchoer(db, poster, "CAUDIT", clock, slog.New(slog.NewTextHandler(io.Discard, nil)),
			auditecho.WithBatchSize(4))

		// Each pass either delivers or fails on the oldest event; advancing the clock past the
		// longest backoff makes every retry due on the next pass.
		for pass := 0; pass < 20; pass++ {
			_, _ = echo.Flush(ctx)
			clock.Advance(10 * time.Minute)
		}
		require.Len(t, poster.posted, events, "every event delivered exactly once")
		for i, text := range poster.posted {
			assert.Contains(t, text, fmt.Sprintf("`R%06d`", i), "in order")
		}
		left, err := db.Due(ctx, clock.Now(), 100)
		require.NoError(t, err)
		assert.Empty(t, left)
	})
}

func TestConcurrentFirstOpenMigratesOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		u := b.fresh(t)
		const replicas = 6
		dbs := make([]*DB, replicas)
		errs := make([]error, replicas)
		var wg sync.WaitGroup
		for i := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dbs[i], errs[i] = Open(ctx, u)
			}()
		}
		wg.Wait()
		for i := range replicas {
			require.NoError(t, errs[i])
			if dbs[i] != nil {
				t.Cleanup(func() { dbs[i].Close() })
			}
		}
		var count int
		require.NoError(t, dbs[0].sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&count))
		assert.Equal(t, len(migrations()), count)
	})
}
