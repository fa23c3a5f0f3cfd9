package share_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/clock/clocktest"
	"devin-chatops/internal/share"
)

// answer is what one call of a fakeCall returns, or panics with.
type answer struct {
	val   []int
	err   error
	panic any
}

// fakeCall is the shared function: it counts its calls, waits for release (when set)
// and gives the n-th call answers[n] (the last one again once they run out).
type fakeCall struct {
	answers []answer
	release chan struct{}

	mu     sync.Mutex
	calls  int
	ctxErr []error // the call's context error when it answered
}

func newFakeCall(gated bool, answers ...answer) *fakeCall {
	f := &fakeCall{answers: answers}
	if gated {
		f.release = make(chan struct{})
	}
	return f
}

func (f *fakeCall) fn(ctx context.Context) ([]int, error) {
	f.mu.Lock()
	a := f.answers[min(f.calls, len(f.answers)-1)]
	f.calls++
	f.mu.Unlock()
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	f.ctxErr = append(f.ctxErr, ctx.Err())
	f.mu.Unlock()
	if a.panic != nil {
		panic(a.panic)
	}
	return slices.Clone(a.val), a.err
}

func (f *fakeCall) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func newGroup(ttl time.Duration, clk *clocktest.Fake) *share.Group[string, []int] {
	return share.New[string](share.Options[[]int]{TTL: ttl, Clock: clk, Clone: slices.Clone[[]int]})
}

// result is what one caller of Do got.
type result struct {
	val []int
	err error
}

// callers starts n callers of Do for key and returns their results once they are all done.
func callers(ctx context.Context, g *share.Group[string, []int], key string, n int, fn func(context.Context) ([]int, error)) func() []result {
	out := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { out[i].val, out[i].err = g.Do(ctx, key, fn) })
	}
	return func() []result { wg.Wait(); return out }
}

func TestConcurrentCallersShareOneCall(t *testing.T) {
	tests := []struct {
		name string
		ttl  time.Duration
	}{
		{"keeping results", 5 * time.Second},
		{"keeping nothing", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newGroup(tt.ttl, clocktest.New(time.Time{}))
				f := newFakeCall(true, answer{val: []int{1, 2, 3}})
				other := newFakeCall(true, answer{val: []int{9}})
				wait := callers(t.Context(), g, "members", 50, f.fn)
				waitOther := callers(t.Context(), g, "orgs", 5, other.fn)
				synctest.Wait() // every caller is now waiting for its key's call

				assert.Equal(t, 1, f.count())
				assert.Equal(t, 1, other.count(), "another key has its own call")
				close(f.release)
				close(other.release)
				for _, r := range wait() {
					require.NoError(t, r.err)
					assert.Equal(t, []int{1, 2, 3}, r.val)
				}
				for _, r := range waitOther() {
					require.NoError(t, r.err)
					assert.Equal(t, []int{9}, r.val)
				}
			})
		})
	}
}

func TestErrorIsSharedButNotKept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		g := newGroup(time.Minute, clocktest.New(time.Time{}))
		f := newFakeCall(true, answer{err: boom}, answer{val: []int{7}})
		wait := callers(t.Context(), g, "k", 10, f.fn)
		synctest.Wait()
		close(f.release)
		for _, r := range wait() {
			require.ErrorIs(t, r.err, boom)
			assert.Nil(t, r.val)
		}
		assert.Equal(t, 1, f.count(), "the waiters of one call share its error")

		got, err := g.Do(t.Context(), "k", f.fn)
		require.NoError(t, err)
		assert.Equal(t, []int{7}, got)
		assert.Equal(t, 2, f.count(), "an error is not kept: the next caller calls again")
	})
}

func TestResultExpiresAfterTTL(t *testing.T) {
	const ttl = 5 * time.Second
	tests := []struct {
		name      string
		ttl       time.Duration
		after     time.Duration
		wantCalls int
	}{
		{"at once", ttl, 0, 1},
		{"just before the TTL", ttl, ttl - time.Nanosecond, 1},
		{"at the TTL", ttl, ttl, 2},
		{"no TTL", 0, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clocktest.New(time.Time{})
			g := newGroup(tt.ttl, clk)
			f := newFakeCall(false, answer{val: []int{1}}, answer{val: []int{2}})
			first, err := g.Do(t.Context(), "k", f.fn)
			require.NoError(t, err)
			assert.Equal(t, []int{1}, first)

			clk.Advance(tt.after)
			second, err := g.Do(t.Context(), "k", f.fn)
			require.NoError(t, err)
			assert.Equal(t, tt.wantCalls, f.count())
			assert.Equal(t, []int{tt.wantCalls}, second, "the answer of the latest call")
		})
	}
}

func TestCancelledWaiterReturnsItsContextError(t *testing.T) {
	tests := []struct {
		name   string
		cancel int // which of the callers, in arrival order, gives up
	}{
		{"the caller who started the call", 0},
		{"a caller who joined it", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newGroup(time.Minute, clocktest.New(time.Time{}))
				f := newFakeCall(true, answer{val: []int{4}})
				var (
					ctxs    [3]context.Context
					cancels [3]context.CancelFunc
					waits   [3]func() []result
				)
				for i := range ctxs {
					ctxs[i], cancels[i] = context.WithCancel(t.Context())
					defer cancels[i]()
					waits[i] = callers(ctxs[i], g, "k", 1, f.fn)
					synctest.Wait() // in this order
				}

				cancels[tt.cancel]()
				gaveUp := waits[tt.cancel]() // returns before the call ends
				require.ErrorIs(t, gaveUp[0].err, context.Canceled)
				assert.Nil(t, gaveUp[0].val)

				close(f.release)
				for i, w := range waits {
					if i == tt.cancel {
						continue
					}
					r := w()[0]
					require.NoError(t, r.err, "caller %d", i)
					assert.Equal(t, []int{4}, r.val)
				}
				assert.Equal(t, 1, f.count())
				assert.Equal(t, []error{nil}, f.ctxErr, "the shared call did not see the cancellation")
			})
		})
	}
}

func TestAlreadyCancelledCallerStartsNothing(t *testing.T) {
	g := newGroup(time.Minute, clocktest.New(time.Time{}))
	f := newFakeCall(false, answer{val: []int{1}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := g.Do(ctx, "k", f.fn)
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, f.count())
}

func TestSharedCallIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := share.New[string](share.Options[[]int]{Timeout: time.Second, Clone: slices.Clone[[]int]})
		f := newFakeCall(true, answer{val: []int{1}}) // never released
		start := time.Now()
		_, err := g.Do(context.Background(), "k", f.fn)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start), "the call ends at the Group's timeout")
	})
}

func TestForget(t *testing.T) {
	t.Run("drops a kept result", func(t *testing.T) {
		g := newGroup(time.Minute, clocktest.New(time.Time{}))
		f := newFakeCall(false, answer{val: []int{1}}, answer{val: []int{2}})
		_, err := g.Do(t.Context(), "k", f.fn)
		require.NoError(t, err)
		g.Forget()
		got, err := g.Do(t.Context(), "k", f.fn)
		require.NoError(t, err)
		assert.Equal(t, []int{2}, got)
		assert.Equal(t, 2, f.count())
	})
	t.Run("detaches the call in flight", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := newGroup(time.Minute, clocktest.New(time.Time{}))
			f := newFakeCall(true, answer{val: []int{1}}, answer{val: []int{2}}, answer{val: []int{3}})
			before := callers(t.Context(), g, "k", 3, f.fn)
			synctest.Wait()
			g.Forget() // say, an invitation went through while the listing ran
			after := callers(t.Context(), g, "k", 3, f.fn)
			synctest.Wait()
			assert.Equal(t, 2, f.count(), "callers after a Forget do not join a call started before it")

			close(f.release)
			for _, r := range before() {
				assert.Equal(t, []int{1}, r.val, "the earlier callers still get their answer")
			}
			for _, r := range after() {
				assert.Equal(t, []int{2}, r.val)
			}
			got, err := g.Do(t.Context(), "k", f.fn)
			require.NoError(t, err)
			assert.Equal(t, []int{2}, got, "the answer kept is the one read after the Forget")
			assert.Equal(t, 2, f.count())
		})
	})
}

func TestResultsAreCopies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(time.Minute, clocktest.New(time.Time{}))
		f := newFakeCall(true, answer{val: []int{1, 2}})
		wait := callers(t.Context(), g, "k", 2, f.fn)
		synctest.Wait()
		close(f.release)
		rs := wait()
		rs[0].val[0] = 99
		assert.Equal(t, []int{1, 2}, rs[1].val, "waiters of one call get copies")

		kept, err := g.Do(t.Context(), "k", f.fn)
		require.NoError(t, err)
		assert.Equal(t, []int{1, 2}, kept, "the kept result is untouched")
		kept[1] = 98
		again, err := g.Do(t.Context(), "k", f.fn)
		require.NoError(t, err)
		assert.Equal(t, []int{1, 2}, again)
		assert.Equal(t, 1, f.count())
	})
}

func TestPanicIsRaisedInEveryWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(time.Minute, clocktest.New(time.Time{}))
		f := newFakeCall(true, answer{panic: "bad data"}, answer{val: []int{5}})
		panics := make([]any, 3)
		var wg sync.WaitGroup
		for i := range panics {
			wg.Go(func() {
				defer func() { panics[i] = recover() }()
				_, _ = g.Do(t.Context(), "k", f.fn)
			})
		}
		synctest.Wait()
		close(f.release)
		wg.Wait()
		for _, p := range panics {
			var pe *share.PanicError
			require.ErrorAs(t, p.(error), &pe)
			assert.Equal(t, "bad data", pe.Value)
			assert.Contains(t, string(pe.Stack), "fakeCall", "the stack is the panicking call's")
		}

		got, err := g.Do(t.Context(), "k", f.fn)
		require.NoError(t, err)
		assert.Equal(t, []int{5}, got, "a panic is not kept")
	})
}

func TestNewNeedsCloneForReferences(t *testing.T) {
	type plain struct {
		N  int
		S  string
		At time.Time
		A  [2]float64
	}
	type withPointer struct {
		N *int
	}
	tests := []struct {
		name   string
		new    func()
		panics bool
	}{
		{"int", func() { share.New[string](share.Options[int]{}) }, false},
		{"string", func() { share.New[string](share.Options[string]{}) }, false},
		{"struct of values and a time", func() { share.New[string](share.Options[plain]{}) }, false},
		{"slice", func() { share.New[string](share.Options[[]int]{}) }, true},
		{"map", func() { share.New[string](share.Options[map[string]int]{}) }, true},
		{"pointer", func() { share.New[string](share.Options[*plain]{}) }, true},
		{"struct with a pointer", func() { share.New[string](share.Options[withPointer]{}) }, true},
		{"array of slices", func() { share.New[string](share.Options[[2][]int]{}) }, true},
		{"interface", func() { share.New[string](share.Options[any]{}) }, true},
		{"slice with a clone", func() { share.New[string](share.Options[[]int]{Clone: slices.Clone[[]int]}) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.panics {
				assert.Panics(t, tt.new)
			} else {
				assert.NotPanics(t, tt.new)
			}
		})
	}
}
