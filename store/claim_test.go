package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/audit"
)

func TestOutboxClaim(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		require.NoError(t, db.AppendAudit(ctx,
			audit.Event{ID: "E1", Kind: audit.KindCommand, At: t0},
			audit.Event{ID: "E2", Kind: audit.KindCommand, At: t0}))
		lease := 30 * time.Second
		claim := func(id, owner string, now time.Time) bool {
			t.Helper()
			ok, err := db.Claim(ctx, id, owner, now, now.Add(lease))
			require.NoError(t, err)
			return ok
		}

		assert.True(t, claim("E1", "A", t0), "an unclaimed event is taken")
		assert.False(t, claim("E1", "B", t0.Add(time.Second)), "another owner is refused while leased")
		assert.False(t, claim("E1", "B", t0.Add(lease)), "the lease holds up to its end")
		assert.True(t, claim("E1", "A", t0.Add(10*time.Second)), "the owner may renew")
		assert.False(t, claim("E1", "B", t0.Add(lease+time.Second)), "the renewal moved the lease on")
		assert.True(t, claim("E1", "B", t0.Add(10*time.Second+lease+time.Millisecond)), "an expired lease is taken over")
		assert.False(t, claim("E1", "A", t0.Add(time.Minute)), "the old owner has lost it")

		assert.False(t, claim("ENOPE", "A", t0), "an unknown event is refused")

		require.NoError(t, db.Delivered(ctx, "E1", t0.Add(time.Minute)))
		assert.False(t, claim("E1", "B", t0.Add(time.Minute)), "a delivered event is refused, even to its owner")
		assert.False(t, claim("E1", "C", t0.Add(time.Hour)), "and to anybody later")

		require.True(t, claim("E2", "A", t0))
		require.NoError(t, db.Retry(ctx, "E2", 1, t0.Add(time.Minute), "slack down"))
		assert.False(t, claim("E2", "B", t0.Add(time.Second)), "not before the retry is due")
		assert.True(t, claim("E2", "B", t0.Add(time.Minute)), "a retry releases the claim to whoever comes first")
	})
}

func TestOutboxRelease(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		require.NoError(t, db.AppendAudit(ctx,
			audit.Event{ID: "E1", Kind: audit.KindCommand, At: t0},
			audit.Event{ID: "E2", Kind: audit.KindCommand, At: t0}))
		lease := 30 * time.Second
		claim := func(id, owner string, now time.Time) bool {
			t.Helper()
			ok, err := db.Claim(ctx, id, owner, now, now.Add(lease))
			require.NoError(t, err)
			return ok
		}
		release := func(id, owner string) bool {
			t.Helper()
			ok, err := db.Release(ctx, id, owner)
			require.NoError(t, err)
			return ok
		}

		require.True(t, claim("E1", "A", t0))
		assert.False(t, release("E1", "B"), "only the owner may release")
		assert.False(t, claim("E1", "B", t0.Add(time.Second)), "a refused release leaves the claim")
		assert.True(t, release("E1", "A"))
		assert.True(t, claim("E1", "B", t0.Add(time.Second)), "released: another owner takes it before the lease ends")
		assert.False(t, release("E1", "A"), "the old owner cannot release the new owner's claim")
		assert.False(t, claim("E1", "A", t0.Add(2*time.Second)), "B still holds it")
		assert.False(t, release("ENOPE", "A"), "an unknown event")

		require.True(t, claim("E2", "A", t0))
		require.NoError(t, db.Delivered(ctx, "E2", t0))
		assert.False(t, release("E2", "A"), "a delivered event is not touched")
		due, err := db.Due(ctx, t0.Add(time.Hour), 10)
		require.NoError(t, err)
		require.Len(t, due, 1, "releasing never brings a delivered event back")
		assert.Equal(t, "E1", due[0].Event.ID)
	})
}
