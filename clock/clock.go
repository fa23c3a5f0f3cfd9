// Package clock is the one time source of the bot: every package that reads the time
// or waits takes a Clock, so tests can drive time instead of sleeping.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and waits.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, whichever comes first, and returns
	// ctx.Err() in the second case. A d <= 0 returns at once.
	Sleep(ctx context.Context, d time.Duration) error
}

// System is the wall clock.
func System() Clock { return system{} }

type system struct{}

func (system) Now() time.Time { return time.Now() }

func (system) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// OrSystem returns c, or the wall clock when c is nil, for constructors whose clock
// is optional.
func OrSystem(c Clock) Clock {
	if c == nil {
		return System()
	}
	return c
}
