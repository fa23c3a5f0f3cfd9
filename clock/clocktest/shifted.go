package clocktest

import (
	"context"
	"sync/atomic"
	"time"

	"devin-chatops/clock"
)

// Shifted is the wall clock moved by an offset the test sets, for end-to-end tests
// where real goroutines wait in real time but some "later" must be reached at once.
type Shifted struct {
	offset atomic.Int64
}

var _ clock.Clock = (*Shifted)(nil)

// Shift sets the offset from the wall clock.
func (s *Shifted) Shift(d time.Duration) { s.offset.Store(int64(d)) }

// Now is the wall clock plus the offset.
func (s *Shifted) Now() time.Time { return time.Now().Add(time.Duration(s.offset.Load())) }

// Sleep waits in real time.
func (s *Shifted) Sleep(ctx context.Context, d time.Duration) error {
	return clock.System().Sleep(ctx, d)
}
