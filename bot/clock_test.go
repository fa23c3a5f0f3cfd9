package bot

import (
	"context"
	"sync"
	"time"
)

// fakeClock is a controllable Clock. In auto mode Sleep advances the time at once (for
// one sequential caller: every wait becomes visible as a jump in Now). In manual mode
// Sleep blocks until Advance moves the time past its deadline, so a test can prove
// that a caller is waiting and that another caller is not.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	auto    bool
	sleeps  []time.Duration
	waiters []*sleeper
}

type sleeper struct {
	until time.Time
	done  chan struct{}
}

func newAutoClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), auto: true}
}

func newManualClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	if c.auto || d <= 0 {
		if d > 0 {
			c.now = c.now.Add(d)
		}
		c.mu.Unlock()
		return nil
	}
	s := &sleeper{until: c.now.Add(d), done: make(chan struct{})}
	c.waiters = append(c.waiters, s)
	c.mu.Unlock()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		for i, w := range c.waiters {
			if w == s {
				c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Advance moves the time forward and wakes the sleepers whose deadline has passed.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !c.now.Before(w.until) {
			close(w.done)
			continue
		}
		kept = append(kept, w)
	}
	c.waiters = kept
}

// Waiters is the number of goroutines blocked in Sleep.
func (c *fakeClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// Sleeps returns every duration passed to Sleep so far.
func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}
