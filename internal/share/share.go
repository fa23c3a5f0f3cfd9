// Package share lets concurrent callers that ask the same question share one answer.
// A Group runs at most one call per key at a time: whoever asks while it runs waits
// for it, and a successful result is kept for a short time so that the next callers
// get it without a call. It exists because a burst of identical slash commands would
// otherwise make one identical API call each, and wait behind each other for them.
//
// It is a small generic equivalent of golang.org/x/sync/singleflight with what that
// package leaves to its users done under one lock: the cache, its invalidation (a
// Forget also detaches the calls in flight, so an answer read before a change is
// never kept), copies for every caller, and a shared call that outlives the caller
// who started it.
package share

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"

	"devin-chatops/clock"
)

// DefaultTimeout bounds a shared call unless Options says otherwise. It is longer than
// a command's own time limit, so the waiters' limits are what the users see.
const DefaultTimeout = 30 * time.Second

// Options configure a Group.
type Options[V any] struct {
	// TTL is how long a successful result is reused after it arrived. Zero or less
	// keeps nothing: only the callers that waited for a call share its result.
	TTL time.Duration
	// Timeout bounds one shared call (default DefaultTimeout). The call runs detached
	// from the caller that started it, so this is what ends a call nobody waits for.
	Timeout time.Duration
	// Clock tells when a kept result expires (default the wall clock).
	Clock clock.Clock
	// Clone copies a result for each caller, so that no caller can change what the
	// others get. It may be nil only when V holds no pointers, maps, slices or other
	// references: New panics otherwise.
	Clone func(V) V
}

// Group shares calls by key. The zero value is not usable; build one with New. It is
// safe for concurrent use.
type Group[K comparable, V any] struct {
	ttl     time.Duration
	timeout time.Duration
	clock   clock.Clock
	clone   func(V) V

	mu sync.Mutex
	// gen counts Forgets: a call started before the latest one keeps nothing.
	gen     uint64
	flights map[K]*flight[V]
	kept    map[K]kept[V]
}

// flight is one call in progress. Its fields after done are written once, before done
// is closed, and only read after.
type flight[V any] struct {
	done     chan struct{}
	gen      uint64
	val      V
	err      error
	panicked *PanicError
}

type kept[V any] struct {
	val   V
	until time.Time
}

// New builds a Group. It panics when V holds references and o.Clone is nil, since the
// callers would then share, and could change, one result.
func New[K comparable, V any](o Options[V]) *Group[K, V] {
	clone := o.Clone
	if clone == nil {
		if t := reflect.TypeFor[V](); holdsReferences(t) {
			panic(fmt.Sprintf("share.New: %s holds references; give Options.Clone", t))
		}
		clone = func(v V) V { return v }
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Group[K, V]{
		ttl:     o.TTL,
		timeout: timeout,
		clock:   clock.OrSystem(o.Clock),
		clone:   clone,
		flights: map[K]*flight[V]{},
		kept:    map[K]kept[V]{},
	}
}

// Do returns fn's result for key: a kept one if it has not expired, else that of the
// call in flight for key, else that of a new call of fn, which Do starts. Every caller
// gets its own copy.
//
// The call runs on a context detached from ctx (its values stay, its cancellation does
// not) and bounded by the Group's timeout, so a caller who gives up does not fail the
// others; that caller returns at once with its context's error. An error is returned to
// every caller waiting for that call and is never kept. A panic in fn is raised again in
// every waiting caller, as a *PanicError.
func (g *Group[K, V]) Do(ctx context.Context, key K, fn func(ctx context.Context) (V, error)) (V, error) {
	var zero V
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("shared call not started: %w", err)
	}
	g.mu.Lock()
	if k, ok := g.kept[key]; ok {
		if g.clock.Now().Before(k.until) {
			g.mu.Unlock()
			return g.clone(k.val), nil
		}
		delete(g.kept, key)
	}
	f := g.flights[key]
	if f == nil {
		f = &flight[V]{done: make(chan struct{}), gen: g.gen}
		g.flights[key] = f
		go g.run(context.WithoutCancel(ctx), key, f, fn)
	}
	g.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		return zero, fmt.Errorf("waiting for a shared call: %w", ctx.Err())
	}
	if f.panicked != nil {
		panic(f.panicked)
	}
	if f.err != nil {
		return zero, f.err
	}
	return g.clone(f.val), nil
}

// run makes the call of f and hands its result to the waiters, keeping it when it
// succeeded and nothing was forgotten since it started.
func (g *Group[K, V]) run(ctx context.Context, key K, f *flight[V], fn func(context.Context) (V, error)) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			f.panicked = newPanicError(r)
		}
		g.finish(key, f)
	}()
	f.val, f.err = fn(ctx)
}

func (g *Group[K, V]) finish(key K, f *flight[V]) {
	g.mu.Lock()
	defer g.mu.Unlock()
	defer close(f.done)
	if g.flights[key] == f {
		delete(g.flights, key)
	}
	if f.err != nil || f.panicked != nil || f.gen != g.gen || g.ttl <= 0 {
		return
	}
	now := g.clock.Now()
	// Drop what has expired, so keys asked once do not stay for the process's life.
	for k, e := range g.kept {
		if !now.Before(e.until) {
			delete(g.kept, k)
		}
	}
	g.kept[key] = kept[V]{val: f.val, until: now.Add(g.ttl)}
}

// Forget drops every kept result and detaches the calls in flight: their waiters still
// get their results, but those are not kept, and the next caller starts a new call. Call
// it after changing what the calls read, so the next read sees the change.
func (g *Group[K, V]) Forget() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gen++
	clear(g.kept)
	clear(g.flights)
}
