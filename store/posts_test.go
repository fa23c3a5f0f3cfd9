package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/audit"
)

func TestPostClaimLifecycle(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		lease := time.Minute
		claim := func(owner string, now time.Time) bool {
			t.Helper()
			ok, err := db.ClaimPost(ctx, "slot/1", "report", "", t0, owner, now, now.Add(lease))
			require.NoError(t, err)
			return ok
		}
		assert.True(t, claim("A", t0), "a new key is taken")
		assert.False(t, claim("B", t0.Add(time.Second)), "not while A holds it")
		assert.True(t, claim("A", t0.Add(time.Second)), "A may renew")

		// A failed attempt releases the claim until the retry is due.
		ok, err := db.RetryPost(ctx, "slot/1", "B", 1, t0.Add(5*time.Minute), "not B's")
		require.NoError(t, err)
		assert.False(t, ok, "only the holder may record its failure")
		ok, err = db.RetryPost(ctx, "slot/1", "A", 1, t0.Add(5*time.Minute), "Devin API unavailable")
		require.NoError(t, err)
		assert.True(t, ok)
		next, found, err := db.NextOpenPost(ctx, "report")
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, t0.Add(5*time.Minute).UnixMilli(), next.UnixMilli())
		assert.False(t, claim("B", t0.Add(2*time.Minute)), "not before the retry is due")
		open, err := db.OpenPosts(ctx, "report", t0.Add(5*time.Minute))
		require.NoError(t, err)
		require.Len(t, open, 1)
		assert.Equal(t, 1, open[0].Attempts)
		assert.Equal(t, "Devin API unavailable", open[0].LastError)
		assert.True(t, claim("B", t0.Add(5*time.Minute)), "B takes the due retry")

		next, _, err = db.NextOpenPost(ctx, "report")
		require.NoError(t, err)
		assert.Equal(t, t0.Add(5*time.Minute+lease).UnixMilli(), next.UnixMilli(), "B's live claim holds it until its lease ends")
		ok, err = db.MarkPosting(ctx, "slot/1", "A", t0.Add(5*time.Minute))
		require.NoError(t, err)
		assert.False(t, ok, "A lost the claim and may not post")
		ok, err = db.RetryPost(ctx, "slot/1", "A", 2, t0.Add(6*time.Minute), "late failure")
		require.NoError(t, err)
		assert.False(t, ok, "A's late failure does not reopen B's post")
		ok, err = db.MarkPosting(ctx, "slot/1", "B", t0.Add(5*time.Minute))
		require.NoError(t, err)
		assert.True(t, ok)

		// B crashes here. Nobody may take the post again: Slack may have it.
		assert.False(t, claim("C", t0.Add(time.Hour)))
		open, err = db.OpenPosts(ctx, "report", t0.Add(time.Hour))
		require.NoError(t, err)
		assert.Empty(t, open)

		ok, err = db.MarkPosted(ctx, "slot/1", "B", t0.Add(time.Hour))
		require.NoError(t, err)
		assert.True(t, ok)
		p, found, err := db.GetPost(ctx, "slot/1")
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, PostPosted, p.State)
		assert.Equal(t, t0.Add(time.Hour).UnixMilli(), p.PostedAt.UnixMilli())
	})
}

func TestLatestPostAndRecordPost(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		_, found, err := db.LatestPost(ctx, "report")
		require.NoError(t, err)
		assert.False(t, found)
		for i, key := range []string{"b", "a", "c"} {
			_, err := db.ClaimPost(ctx, key, "report", "", t0.Add(time.Duration(i)*time.Hour), "A", t0, t0.Add(time.Minute))
			require.NoError(t, err)
		}
		p, found, err := db.LatestPost(ctx, "report")
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, "c", p.Key)

		ev := audit.Event{Kind: audit.KindCommand, Detail: "alert"}
		created, err := db.RecordPost(ctx, "alert/x", "alert", "text", t0, t0, ev)
		require.NoError(t, err)
		assert.True(t, created)
		created, err = db.RecordPost(ctx, "alert/x", "alert", "text", t0, t0, ev)
		require.NoError(t, err)
		assert.False(t, created, "recorded once")
		due, err := db.Due(ctx, t0, 10)
		require.NoError(t, err)
		assert.Len(t, due, 1, "the audit event was stored once, with its outbox entry")
	})
}

// Two processes on one database race for the same slot: one wins.
func TestPostClaimRaceAcrossConnections(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		u := b.fresh(t)
		dbA, dbB := openURL(t, u), openURL(t, u)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			db := dbA
			if i%2 == 1 {
				db = dbB
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := db.ClaimPost(ctx, "slot/race", "report", "", t0, string(rune('A'+i)), t0, t0.Add(time.Minute))
				assert.NoError(t, err)
				if ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load())
	})
}
