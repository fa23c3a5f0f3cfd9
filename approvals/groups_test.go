package approvals

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/clock"
	"devin-chatops/clock/clocktest"
)

type scriptedGroups struct {
	calls   atomic.Int32
	mu      sync.Mutex
	members map[string][]string
	err     error
	gate    chan struct{} // when set, lookups wait for it
}

func (g *scriptedGroups) Members(ctx context.Context, id string) ([]string, error) {
	g.calls.Add(1)
	if g.gate != nil {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return nil, g.err
	}
	return g.members[id], nil
}

func TestGroupCacheContains(t *testing.T) {
	src := &scriptedGroups{members: map[string][]string{"SA": {"U1"}, "SB": {"U2"}}}
	c := newGroupCache(src, time.Minute, clock.System())
	ctx := context.Background()
	tests := []struct {
		name string
		ids  []string
		user string
		want bool
	}{
		{"direct user", []string{"U9", "SA"}, "U9", true},
		{"member of the first group", []string{"SA", "SB"}, "U1", true},
		{"member of the second group", []string{"SA", "SB"}, "U2", true},
		{"nobody", []string{"SA", "SB", "U9"}, "U3", false},
		{"empty user never matches", []string{"U9", "SA"}, "", false},
		{"W user IDs are users", []string{"W123"}, "W123", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.contains(ctx, tt.ids, tt.user)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestGroupCacheTTLAndFailures(t *testing.T) {
	clk := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	src := &scriptedGroups{members: map[string][]string{"SA": {"U1"}}}
	c := newGroupCache(src, time.Minute, clk)
	ctx := context.Background()

	for range 3 {
		ok, err := c.contains(ctx, []string{"SA"}, "U1")
		require.NoError(t, err)
		assert.True(t, ok)
	}
	assert.EqualValues(t, 1, src.calls.Load(), "cached within the TTL")

	// Removal from the group takes effect once the entry is stale.
	src.mu.Lock()
	src.members["SA"] = nil
	src.mu.Unlock()
	clk.Advance(59 * time.Second)
	ok, _ := c.contains(ctx, []string{"SA"}, "U1")
	assert.True(t, ok, "still cached")
	clk.Advance(time.Second)
	ok, err := c.contains(ctx, []string{"SA"}, "U1")
	require.NoError(t, err)
	assert.False(t, ok, "re-read after the TTL")
	assert.EqualValues(t, 2, src.calls.Load())

	// Failures fail closed and are not cached.
	clk.Advance(time.Hour)
	src.mu.Lock()
	src.err = errors.New("ratelimited")
	src.members["SA"] = []string{"U1"}
	src.mu.Unlock()
	ok, err = c.contains(ctx, []string{"SA"}, "U1")
	require.ErrorIs(t, err, ErrGroupLookup)
	assert.False(t, ok)
	ok, err = c.contains(ctx, []string{"U1", "SA"}, "U1")
	require.NoError(t, err, "a direct match needs no lookup")
	assert.True(t, ok)

	src.mu.Lock()
	src.err = nil
	src.mu.Unlock()
	ok, err = c.contains(ctx, []string{"SA"}, "U1")
	require.NoError(t, err)
	assert.True(t, ok, "the failure was not cached")
}

func TestGroupCacheOneFailingGroupDoesNotHideAnother(t *testing.T) {
	src := &failingOne{bad: "SBAD", members: map[string][]string{"SGOOD": {"U1"}}}
	c := newGroupCache(src, time.Minute, clock.System())
	ok, err := c.contains(context.Background(), []string{"SBAD", "SGOOD"}, "U1")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = c.contains(context.Background(), []string{"SBAD", "SGOOD"}, "U2")
	require.ErrorIs(t, err, ErrGroupLookup, "cannot say no for sure")
	assert.False(t, ok)
}

type failingOne struct {
	bad     string
	members map[string][]string
}

func (f *failingOne) Members(_ context.Context, id string) ([]string, error) {
	if id == f.bad {
		return nil, errors.New("boom")
	}
	return f.members[id], nil
}

func TestGroupCacheSharesConcurrentLookups(t *testing.T) {
	src := &scriptedGroups{members: map[string][]string{"SA": {"U1"}}, gate: make(chan struct{})}
	c := newGroupCache(src, time.Minute, clock.System())
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := c.contains(context.Background(), []string{"SA"}, "U1")
			assert.NoError(t, err)
			assert.True(t, ok)
		}()
	}
	require.Eventually(t, func() bool { return src.calls.Load() == 1 }, time.Second, time.Millisecond)
	close(src.gate)
	wg.Wait()
	assert.EqualValues(t, 1, src.calls.Load())
}

func TestGroupMembersFunc(t *testing.T) {
	f := GroupMembersFunc(func(_ context.Context, id string) ([]string, error) { return []string{id + "-member"}, nil })
	got, err := f.Members(context.Background(), "S1")
	require.NoError(t, err)
	assert.Equal(t, []string{"S1-member"}, got)
}

func TestGroupCacheWithoutSourceFailsClosed(t *testing.T) {
	c := newGroupCache(nil, 0, clock.System())
	ok, err := c.contains(context.Background(), []string{"SA"}, "U1")
	require.ErrorIs(t, err, ErrGroupLookup)
	assert.False(t, ok)
}
