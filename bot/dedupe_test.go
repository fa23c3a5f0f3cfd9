package bot

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDedupeRemembersKeysForTTL(t *testing.T) {
	clock := newManualClock()
	d := newDedupe(10*time.Minute, 100, clock)

	assert.False(t, d.Seen("env-1"), "first delivery")
	assert.True(t, d.Seen("env-1"), "immediate redelivery")

	clock.Advance(5 * time.Minute) // Slack's last event retry
	assert.True(t, d.Seen("env-1"), "5-minute retry is still a duplicate")
	assert.False(t, d.Seen("env-2"), "other keys are independent")

	clock.Advance(5*time.Minute - time.Nanosecond)
	assert.True(t, d.Seen("env-1"), "just before the TTL ends")

	clock.Advance(time.Nanosecond)
	assert.False(t, d.Seen("env-1"), "after the TTL the key is new again")
	assert.True(t, d.Seen("env-1"), "and is remembered afresh")
}

func TestDedupeExpiredEntriesAreFreed(t *testing.T) {
	clock := newManualClock()
	d := newDedupe(time.Minute, 1000, clock)
	for i := range 500 {
		d.Seen(fmt.Sprintf("k%d", i))
	}
	require.Equal(t, 500, d.Len())

	clock.Advance(time.Minute)
	d.Seen("fresh")
	assert.Equal(t, 1, d.Len(), "expired keys are pruned")
	assert.LessOrEqual(t, len(d.order), 2, "the FIFO is compacted too")
}

func TestDedupeIsBounded(t *testing.T) {
	clock := newManualClock()
	d := newDedupe(time.Hour, 3, clock)
	for _, k := range []string{"a", "b", "c", "d"} {
		assert.False(t, d.Seen(k))
	}
	assert.Equal(t, 3, d.Len())
	assert.False(t, d.Seen("a"), "the oldest key was evicted to make room")
	assert.True(t, d.Seen("d"), "recent keys are kept")
}

func TestDedupeIgnoresEmptyKey(t *testing.T) {
	d := newDedupe(time.Hour, 3, newManualClock())
	assert.False(t, d.Seen(""))
	assert.False(t, d.Seen(""))
	assert.Zero(t, d.Len())
}
