// Package clocktest is the one fake clock of every test.
package clocktest

import (
	"context"
	"sync"
	"time"

	"devin-chatops/clock"
)

// Fake is a clock.Clock under a test's control. In auto mode (NewAuto) Sleep moves
// the time forward at once, so one sequential caller's waits show as jumps in Now and
// are recorded in Sleeps. In manual mode (New) Sleep blocks until Advance moves the
// time past its deadline, so a test can prove that a caller is waiting.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	auto    bool
	sleeps  []time.Duration
	waiters []*sleeper
	onSleep func(n int, d time.Duration)
}

var _ clock.Clock = (*Fake)(nil)

type sleeper struct {
	until time.Time
	done  chan struct{}
}

// Epoch is the time fakes start at unless told otherwise.
var Epoch = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// New returns a manual fake clock set to start (Epoch when zero).
func New(start time.Time) *Fake {
	if start.IsZero() {
		start = Epoch
	}
	return &Fake{now: start}
}

// NewAuto returns a fake clock whose Sleep advances the time at once.
func NewAuto(start time.Time) *Fake {
	f := New(start)
	f.auto = true
	return f
}

// OnSleep sets a hook called after the n-th (1-based) Sleep of d was recorded and
// before it returns; a hook that cancels the sleeper's context makes that Sleep
// return the context's error.
func (f *Fake) OnSleep(hook func(n int, d time.Duration)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onSleep = hook
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Sleep records d and, in auto mode, advances the time by it; in manual mode it
// blocks until Advance reaches the deadline or ctx ends.
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	n, hook := len(f.sleeps), f.onSleep
	if f.auto || d <= 0 {
		if d > 0 {
			f.now = f.now.Add(d)
		}
		f.mu.Unlock()
		if hook != nil {
			hook(n, d)
		}
		return ctx.Err()
	}
	s := &sleeper{until: f.now.Add(d), done: make(chan struct{})}
	f.waiters = append(f.waiters, s)
	f.mu.Unlock()
	if hook != nil {
		hook(n, d)
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		f.mu.Lock()
		for i, w := range f.waiters {
			if w == s {
				f.waiters = append(f.waiters[:i], f.waiters[i+1:]...)
				break
			}
		}
		f.mu.Unlock()
		return ctx.Err()
	}
}

// Advance moves the time forward and wakes the sleepers whose deadline has passed.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	kept := f.waiters[:0]
	for _, w := range f.waiters {
		if !f.now.Before(w.until) {
			close(w.done)
			continue
		}
		kept = append(kept, w)
	}
	f.waiters = kept
}

// Set moves the time to t (forward or back) and wakes the sleepers now due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	d := t.Sub(f.now)
	f.mu.Unlock()
	f.Advance(d)
}

// Waiters is the number of goroutines blocked in Sleep.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// Sleeps returns every duration passed to Sleep so far.
func (f *Fake) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}
