package bot

import (
	"time"

	"devin-chatops/clock/clocktest"
)

// botEpoch is where the bot tests' clocks start.
var botEpoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newAutoClock's Sleep advances the time at once, so one sequential caller's waits
// show as jumps in Now.
func newAutoClock() *clocktest.Fake { return clocktest.NewAuto(botEpoch) }

// newManualClock's Sleep blocks until Advance, so a test can prove that a caller is
// waiting and that another caller is not.
func newManualClock() *clocktest.Fake { return clocktest.New(botEpoch) }
