package approvals

import (
	"fmt"
	"time"
)

// The parameters of a time-boxed request (`--for`).
const (
	// ParamGrantFor is how long the access lasts once the request has executed, as Go
	// writes a duration ("168h0m0s"). Only invite and team add carry it.
	ParamGrantFor = "grant_for"
	// ParamExtends is the grant an Extend request prolongs: its end moves by the
	// request's ParamGrantFor when the request executes while the grant is active.
	ParamExtends = "extends"
)

// DefaultGrantMax is GRANT_MAX's default: 90 days.
const DefaultGrantMax = 90 * 24 * time.Hour

// GrantFor is how long the request's access is to last, and whether it is time-boxed
// at all. An unreadable or non-positive parameter counts as not time-boxed.
func (r Request) GrantFor() (time.Duration, bool) {
	raw := r.Param(ParamGrantFor)
	if raw == "" {
		return 0, false
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return 0, false
	}
	return d, true
}

// GrantForParam encodes d for ParamGrantFor.
func GrantForParam(d time.Duration) string { return d.String() }

// FormatDuration says a grant's length the way `--for` takes it, in the largest whole
// unit: "2 weeks", "7 days", "12 hours", "90 minutes"; odd lengths fall back to Go's
// notation.
func FormatDuration(d time.Duration) string {
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	unit := func(n int64, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	switch {
	case d <= 0:
		return "0 minutes"
	case d%week == 0:
		return unit(int64(d/week), "week", "weeks")
	case d%day == 0:
		return unit(int64(d/day), "day", "days")
	case d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour", "hours")
	case d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute", "minutes")
	}
	return d.Round(time.Second).String()
}
