// Package usage builds the Devin consumption report: from API results already
// fetched and a point in time, the figures (totals, organizations against their
// limits, top users, the daily trend, burn rate, projections, the comparison with the
// previous cycle), their Block Kit rendering and a PNG chart. Nothing here does I/O:
// the same input always gives the same report, so the report can be tested and
// benchmarked on its own.
package usage

import "time"

// Day is one billing day. Billing days start at 08:00 UTC (midnight PST), as on
// Devin's dashboard.
const Day = 24 * time.Hour

// dayOffset is where a billing day starts within a UTC day.
const dayOffset = 8 * time.Hour

// Cycle is a billing cycle: [Start, End), both on billing-day boundaries. A zero End
// is a cycle whose end the API did not give.
type Cycle struct {
	Start, End time.Time
}

// Org is an organization as the report needs it.
type Org struct {
	ID, Name string
	// Limit is the org's cycle ACU limit; nil means none.
	Limit *float64
}

// Member is an enterprise member, to put a name and an email on a user ID.
type Member struct {
	ID, Name, Email string
}

// Consumption is ACU consumption over a period, as the daily-consumption endpoint
// gives it. ByDate keys are billing days, "YYYY-MM-DD".
type Consumption struct {
	Total  float64
	ByDate map[string]float64
	ByOrg  map[string]float64
	ByUser map[string]float64
	// UsersApprox, when set, says the per-user figures are not proven to be the top
	// ones (the API's per-user reads stopped at a budget).
	UsersApprox *UsersApprox
}

// UsersApprox says how a top-users ranking falls short of exact.
type UsersApprox struct {
	// Partial are users whose figure counts only their Devin sessions' ACUs.
	Partial []string
	// MoreCalls is how many more per-member calls an exact ranking takes; AtLeast
	// when members without sessions could add more.
	MoreCalls int
	AtLeast   bool
}

// Data is everything a report is built from.
type Data struct {
	Cycle Cycle
	// Consumption covers Cycle up to now.
	Consumption Consumption
	// Recent covers the last seven billing days up to the end of the data, for the
	// per-org and per-user burn rates; nil when it could not be read.
	Recent *Consumption
	// Previous is the cycle before Cycle and its consumption; nil when there is none.
	Previous            *Cycle
	PreviousConsumption *Consumption

	// Orgs are every organization; OrgsKnown is false when they could not be read,
	// so names and limits are missing rather than "none".
	Orgs      []Org
	OrgsKnown bool
	// Members by user ID; MembersKnown is false when the listing could not be read,
	// so a user missing from it has not necessarily left.
	Members      map[string]Member
	MembersKnown bool
	// EnterpriseLimit is the enterprise's cycle ACU limit, when the API gives one.
	EnterpriseLimit *float64
	// OrgDaily is the daily ACUs (by "YYYY-MM-DD") of some organizations with a
	// limit, by org ID, for their trend on the chart; orgs not in it have none.
	OrgDaily map[string]map[string]float64

	// Scope, when set, is the one organization the report is about: Consumption and
	// Recent then hold that org's figures only.
	Scope *Org
	// DataThrough, when set, is the last billing day the API has data for, known from
	// elsewhere: a one-org report takes it from the enterprise's series, since the
	// org's own series lists only the days it used ACUs, and idle days at its end are
	// not missing data.
	DataThrough string

	// Notes are short sentences about what could not be read, shown at the end.
	Notes []string
}

// Options tune a report.
type Options struct {
	// Thresholds are the alert thresholds in percent of a limit, ascending (default
	// 80, 100).
	Thresholds []float64
	// TopUsers is how many users the report lists (default 10).
	TopUsers int
}

// DayPoint is one billing day of the report's trend.
type DayPoint struct {
	Start time.Time // 08:00 UTC
	Date  string    // "YYYY-MM-DD"
	ACUs  float64
	// Cumulative is the cycle's ACUs up to and including this day.
	Cumulative float64
}

// OrgRow is one organization's line in the report.
type OrgRow struct {
	ID, Name string
	ACUs     float64
	// Limit is the org's cycle limit, nil for none; Known is false when the org was
	// not in the organizations listing (its name and limit are unknown).
	Limit *float64
	Known bool
	// Percent of the limit used; 0 without a limit.
	Percent float64
	// Threshold is the highest alert threshold reached (0 for none).
	Threshold float64
	// BurnRate is the org's ACUs per day over the recent window (0 when unknown).
	BurnRate float64
	// Projected is the org's projected ACUs at the cycle's end.
	Projected float64
	// PassesOn is when the org is projected to reach its limit, when that falls
	// before the cycle's end and it has not reached it yet.
	PassesOn *time.Time
}

// UserRow is one of the top users.
type UserRow struct {
	ID, Name, Email string
	ACUs            float64
	// Left is true when the members listing was read and the user is not in it.
	Left bool
}

// Comparison is this cycle against the same day of the previous one.
type Comparison struct {
	// Day is the billing day of the cycle both totals run to (1-based).
	Day int
	// Previous is the previous cycle's ACUs over its first Day days.
	Previous float64
	// Change is Total - Previous; Percent is Change against Previous (0 when
	// Previous is 0).
	Change, Percent float64
}

// Report is a built usage report.
type Report struct {
	Cycle Cycle
	Now   time.Time
	// Scope is the organization the report is about, or nil for the enterprise.
	Scope *OrgRow

	// Days are the billing days of the cycle from its start to the last day with
	// data (days without data count as zero).
	Days []DayPoint
	// DataEnd is the end of the last billing day with data (the data's end is
	// min(now, that)); zero when there is no data at all.
	DataEnd time.Time
	// DayIndex is the billing day of the cycle now falls in (1-based) and DayCount
	// the number of days in the cycle (0 when the cycle has no end).
	DayIndex, DayCount int

	Total float64
	// Unattributed is the ACUs not attributed to any organization (Cascade,
	// Terminal), so that the org lines and this add up to Total.
	Unattributed float64
	Orgs         []OrgRow
	Users        []UserRow

	// BurnRate is ACUs per day over the last seven days of data; Projected the
	// total projected at the cycle's end. Projectable is false when there is too
	// little data (less than a day) or the cycle has no end.
	BurnRate    float64
	Projected   float64
	Projectable bool

	// Limit is the limit the totals run against: the enterprise's, or the scoped
	// org's; nil for none. PassesOn is when Projected crosses it.
	Limit    *float64
	PassesOn *time.Time

	Previous *Comparison
	// OrgTrends are the limited orgs whose daily figures were read, closest to
	// their limit first, for the chart.
	OrgTrends []OrgTrend
	// Thresholds are the alert thresholds the report marks, ascending.
	Thresholds []float64
	Notes      []string
}

// OrgTrend is one limited organization's cumulative ACUs over Report.Days.
type OrgTrend struct {
	ID, Name string
	Limit    float64
	// Cumulative is aligned with Report.Days.
	Cumulative []float64
}
