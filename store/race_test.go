package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/audit"
)

// Several replicas on one database race for every piece of work that must happen once.
// Each replica is its own *DB (its own pool); the racers run at once, so on PostgreSQL
// they hold separate server connections and meet in the engine's row locks.

const (
	raceReplicas = 4
	racers       = 20
)

// race runs fn from racers goroutines spread over the replicas, released together,
// and returns how many got true.
func race(t *testing.T, replicas []*DB, fn func(db *DB, i int) (bool, error)) int {
	t.Helper()
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := fn(replicas[i%len(replicas)], i)
			assert.NoError(t, err, "racer %d", i)
			if ok {
				wins.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	return int(wins.Load())
}

func openReplicas(t *testing.T, b backend) []*DB {
	t.Helper()
	u := b.fresh(t)
	out := make([]*DB, raceReplicas)
	for i := range out {
		out[i] = openURL(t, u)
	}
	return out
}

func owner(i int) string { return fmt.Sprintf("replica-%02d", i) }

func TestRacesHaveOneWinner(t *testing.T) {
	ctx := context.Background()
	lease := time.Minute
	forEachBackend(t, func(t *testing.T, b backend) {
		t.Run("outbox claim", func(t *testing.T) {
			dbs := openReplicas(t, b)
			require.NoError(t, dbs[0].AppendAudit(ctx, audit.Event{ID: "ERACE", Kind: audit.KindCommand, At: t0}))
			wins := race(t, dbs, func(db *DB, i int) (bool, error) {
				return db.Claim(ctx, "ERACE", owner(i), t0, t0.Add(lease))
			})
			assert.Equal(t, 1, wins)
		})
		t.Run("outbox claim of a lapsed lease", func(t *testing.T) {
			dbs := openReplicas(t, b)
			require.NoError(t, dbs[0].AppendAudit(ctx, audit.Event{ID: "ELAPSE", Kind: audit.KindCommand, At: t0}))
			ok, err := dbs[0].Claim(ctx, "ELAPSE", "crashed", t0, t0.Add(lease))
			require.NoError(t, err)
			require.True(t, ok)
			later := t0.Add(lease + time.Second)
			wins := race(t, dbs, func(db *DB, i int) (bool, error) {
				return db.Claim(ctx, "ELAPSE", owner(i), later, later.Add(lease))
			})
			assert.Equal(t, 1, wins, "one replica takes over a crashed echoer's event")
		})
		t.Run("report slot", func(t *testing.T) {
			dbs := openReplicas(t, b)
			wins := race(t, dbs, func(db *DB, i int) (bool, error) {
				return db.ClaimPost(ctx, "report/2025-03-04T10:00", "report", "", t0, owner(i), t0, t0.Add(lease),
					audit.Event{Kind: audit.KindCommand, Actor: owner(i)})
			})
			assert.Equal(t, 1, wins)
			due, err := dbs[0].Due(ctx, t0, 100)
			require.NoError(t, err)
			assert.Len(t, due, 1, "the winner's audit event only")
		})
		t.Run("alert record", func(t *testing.T) {
			dbs := openReplicas(t, b)
			wins := race(t, dbs, func(db *DB, i int) (bool, error) {
				return db.RecordPost(ctx, "alert/eng/2025-03/80", "alert", "80%", t0, t0)
			})
			assert.Equal(t, 1, wins)
		})
		t.Run("post goes out once", func(t *testing.T) {
			dbs := openReplicas(t, b)
			// The claim has lapsed: every replica may take it over, and then only the
			// one holding it may mark it posting.
			ok, err := dbs[0].ClaimPost(ctx, "report/x", "report", "", t0, "crashed", t0, t0.Add(lease))
			require.NoError(t, err)
			require.True(t, ok)
			later := t0.Add(lease + time.Second)
			wins := race(t, dbs, func(db *DB, i int) (bool, error) {
				ok, err := db.ClaimPost(ctx, "report/x", "report", "", t0, owner(i), later, later.Add(lease))
				if err != nil || !ok {
					return false, err
				}
				return db.MarkPosting(ctx, "report/x", owner(i), later)
			})
			assert.Equal(t, 1, wins)
		})
		t.Run("grant revocation", func(t *testing.T) {
			dbs := openReplicas(t, b)
			end := t0.Add(time.Hour)
			grantedRequest(t, dbs[0], end)
			var holder atomic.Value
			wins := race(t, dbs, func(db *DB, i int) (bool, error) {
				g, ok, err := db.ClaimGrant(ctx, "RG1-0", owner(i), end, end.Add(lease))
				if ok {
					holder.Store(g)
					assert.Equal(t, owner(i), g.ClaimedBy, "the row as the claim left it")
					assert.Equal(t, approvals.GrantRevoking, g.State)
				}
				return ok, err
			})
			require.Equal(t, 1, wins)
			g := holder.Load().(approvals.Grant)
			wins = race(t, dbs, func(db *DB, i int) (bool, error) {
				return db.FinishGrant(ctx, g.ID, g.ClaimedBy, approvals.GrantRevoked, approvals.GrantOutcomeRemoved, end,
					audit.Event{Kind: audit.KindCommand, Actor: owner(i)})
			})
			assert.Equal(t, 1, wins, "the revocation is recorded once")
			events, err := dbs[0].AuditEvents(ctx, "RG1")
			require.NoError(t, err)
			assert.Len(t, events, 1, "with one audit event")
		})
		t.Run("approval", func(t *testing.T) {
			dbs := openReplicas(t, b)
			require.NoError(t, dbs[0].CreateRequest(ctx, sampleRequest("RAPPRV")))
			wins := race(t, dbs, func(db *DB, i int) (bool, error) {
				return db.Transition(ctx, "RAPPRV", approvals.StatePending, approvals.StateApproved,
					approvals.Change{DecidedBy: owner(i), DecidedAt: t0}, audit.Event{Kind: audit.KindApproved, Actor: owner(i)})
			})
			assert.Equal(t, 1, wins)
			events, err := dbs[0].AuditEvents(ctx, "RAPPRV")
			require.NoError(t, err)
			assert.Len(t, events, 1)
		})
		t.Run("one vote per voter", func(t *testing.T) {
			dbs := openReplicas(t, b)
			require.NoError(t, dbs[0].CreateRequest(ctx, sampleRequest("RVOTE")))
			wins := race(t, dbs, func(db *DB, i int) (bool, error) {
				return db.AddVote(ctx, approvals.Vote{RequestID: "RVOTE", Voter: "UAPPROVER", Approve: true, At: t0},
					audit.Event{Kind: audit.KindApproved, Actor: owner(i)})
			})
			assert.Equal(t, 1, wins)
		})
		t.Run("expiry against approval", func(t *testing.T) {
			dbs := openReplicas(t, b)
			r := sampleRequest("REXPIRE")
			r.ExpiresAt = t0
			require.NoError(t, dbs[0].CreateRequest(ctx, r))
			wins := race(t, dbs, func(db *DB, i int) (bool, error) {
				if i%2 == 0 {
					expired, err := db.ExpireDue(ctx, t0, nil)
					return len(expired) == 1, err
				}
				return db.Transition(ctx, "REXPIRE", approvals.StatePending, approvals.StateApproved,
					approvals.Change{DecidedBy: owner(i), DecidedAt: t0})
			})
			assert.Equal(t, 1, wins, "an expiry sweep on every replica and the clicks: one moves it")
		})
	})
}
