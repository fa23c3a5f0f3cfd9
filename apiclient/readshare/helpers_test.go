package readshare_test

import (
	"context"
	"sync"
	"testing"
)

// gate counts the calls a fake API receives, by method, and holds each until opened
// (when it was made closed), so a test can have callers pile up behind one call.
type gate struct {
	mu    sync.Mutex
	calls map[string]int
	open  chan struct{}
}

func newGate(closed bool) *gate {
	g := &gate{calls: map[string]int{}, open: make(chan struct{})}
	if !closed {
		close(g.open)
	}
	return g
}

func (g *gate) enter(ctx context.Context, method string) error {
	g.mu.Lock()
	g.calls[method]++
	g.mu.Unlock()
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gate) count(method string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[method]
}

// concurrently runs n calls of read (the i-th with i) at once and returns the function
// that waits for their answers.
func concurrently[T any](n int, read func(i int) (T, error)) func(t *testing.T) []T {
	out := make([]T, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { out[i], errs[i] = read(i) })
	}
	return func(t *testing.T) []T {
		t.Helper()
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("read failed: %v", err)
			}
		}
		return out
	}
}

func ptr[T any](v T) *T { return &v }
