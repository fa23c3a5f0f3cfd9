package clocktest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAutoSleepAdvancesAndRecords(t *testing.T) {
	f := NewAuto(time.Time{})
	start := f.Now()
	var seen []int
	f.OnSleep(func(n int, _ time.Duration) { seen = append(seen, n) })
	require.NoError(t, f.Sleep(context.Background(), 2*time.Second))
	require.NoError(t, f.Sleep(context.Background(), 3*time.Second))
	assert.Equal(t, 5*time.Second, f.Now().Sub(start))
	assert.Equal(t, []time.Duration{2 * time.Second, 3 * time.Second}, f.Sleeps())
	assert.Equal(t, []int{1, 2}, seen)
}

func TestManualSleepBlocksUntilAdvanced(t *testing.T) {
	f := New(time.Time{})
	done := make(chan error, 1)
	go func() { done <- f.Sleep(context.Background(), time.Minute) }()
	require.Eventually(t, func() bool { return f.Waiters() == 1 }, time.Second, time.Millisecond)
	f.Advance(59 * time.Second)
	select {
	case <-done:
		t.Fatal("woke before its deadline")
	case <-time.After(20 * time.Millisecond):
	}
	f.Advance(time.Second)
	require.NoError(t, <-done)
	assert.Zero(t, f.Waiters())
}

func TestSleepEndsWithItsContext(t *testing.T) {
	f := New(time.Time{})
	ctx, cancel := context.WithCancel(context.Background())
	f.OnSleep(func(int, time.Duration) { cancel() })
	assert.ErrorIs(t, f.Sleep(ctx, time.Hour), context.Canceled)
	assert.Zero(t, f.Waiters())
	assert.ErrorIs(t, NewAuto(time.Time{}).Sleep(ctx, time.Second), context.Canceled)
}
