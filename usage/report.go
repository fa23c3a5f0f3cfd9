package usage

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// DefaultThresholds are the alert thresholds when none are configured, in percent.
var defaultThresholds = []float64{80, 100}

const (
	defaultTopUsers = DefaultTopUsers
	// recentDays is the burn-rate window.
	recentDays = 7
	// maxOrgTrends caps the orgs drawn on the chart.
	maxOrgTrends = 8
)

// DefaultTopUsers is how many users a report lists unless told otherwise; fetchers
// ask the API for that many.
const DefaultTopUsers = 10

// DayStart is the start of the billing day containing t: the latest 08:00 UTC at or
// before t.
func DayStart(t time.Time) time.Time {
	u := t.UTC()
	s := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC).Add(dayOffset)
	if u.Before(s) {
		s = s.AddDate(0, 0, -1)
	}
	return s
}

// dayKey is the "YYYY-MM-DD" name of the billing day starting at start.
func dayKey(start time.Time) string { return start.UTC().Format(time.DateOnly) }

// parseDay reads a "YYYY-MM-DD" billing day as its start, 08:00 UTC.
func parseDay(key string) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, key)
	if err != nil {
		return time.Time{}, false
	}
	return d.Add(dayOffset), true
}

// days is the length of d in days, as a fraction.
func days(d time.Duration) float64 { return float64(d) / float64(Day) }

// finite is v, or 0 for NaN and infinities, so one bad figure from an API cannot
// poison every sum it enters.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// Build computes the report from fetched data at now. It is pure: no I/O, no clock.
func Build(d Data, now time.Time, opts Options) Report {
	now = now.UTC()
	thresholds := normalThresholds(opts.Thresholds)
	top := opts.TopUsers
	if top <= 0 {
		top = defaultTopUsers
	}
	r := Report{Cycle: d.Cycle, Now: now, Thresholds: thresholds, Notes: d.Notes}

	start := DayStart(d.Cycle.Start)
	if d.Cycle.End.After(start) {
		r.DayCount = int(math.Round(days(d.Cycle.End.Sub(start))))
	}
	r.DayIndex = dayIndex(start, now, r.DayCount)

	// The trend: every day from the cycle's start to the last day with data, before
	// now and the cycle's end. Days inside that span without data count as zero.
	byDate := d.Consumption.ByDate
	last := time.Time{}
	for key := range byDate {
		day, ok := parseDay(key)
		if !ok || day.Before(start) || day.After(now) || (!d.Cycle.End.IsZero() && !day.Before(d.Cycle.End)) {
			continue
		}
		if day.After(last) {
			last = day
		}
	}
	if through, ok := parseDay(d.DataThrough); ok && through.After(last) && !through.Before(start) && !through.After(now) &&
		(d.Cycle.End.IsZero() || through.Before(d.Cycle.End)) {
		last = through
	}
	cum := 0.0
	if !last.IsZero() {
		for day := start; !day.After(last); day = day.Add(Day) {
			v := max(finite(byDate[dayKey(day)]), 0)
			cum += v
			r.Days = append(r.Days, DayPoint{Start: day, Date: dayKey(day), ACUs: v, Cumulative: cum})
		}
		r.DataEnd = last.Add(Day)
	}

	r.Total = max(finite(d.Consumption.Total), 0)
	if r.Total == 0 && cum > 0 {
		r.Total = cum
	}

	// The burn rate runs over the last seven days of data, up to now at most (today is
	// a partial day), and the projection from there to the cycle's end. Less than a day
	// of data projects nothing: one morning's figure times thirty misleads.
	windowStart, windowEnd := window(r.Days, r.DataEnd, now)
	span := days(windowEnd.Sub(windowStart))
	if span > 0 {
		sum := 0.0
		for _, p := range r.Days {
			if !p.Start.Before(windowStart) {
				sum += p.ACUs
			}
		}
		// Under a day the rate is a morning's figure, not a pace: none is shown.
		if span >= 1 {
			r.BurnRate = sum / span
		}
	}
	remaining := 0.0
	if !d.Cycle.End.IsZero() {
		from := windowEnd
		if from.IsZero() {
			from = now
		}
		if from.Before(start) {
			from = start
		}
		remaining = max(days(d.Cycle.End.Sub(from)), 0)
	}
	switch {
	case d.Cycle.End.IsZero():
	case span >= 1:
		r.Projectable = true
		r.Projected = r.Total + r.BurnRate*remaining
	case r.DataEnd.IsZero() && now.Sub(start) >= Day:
		// A cycle a day old with no usage at all projects zero: a fact, not a guess.
		r.Projectable = true
	}
	if !r.Projectable {
		r.Projected = r.Total
	}

	recent, recentSpan := d.Recent, span
	if d.Scope != nil {
		row := orgRow(*d.Scope, true, r.Total, recentRate(recent, d.Scope.ID, r.BurnRate, recentSpan, true), thresholds, r, windowEnd, remaining)
		r.Scope = &row
		r.Limit = d.Scope.Limit
	} else {
		r.Limit = d.EnterpriseLimit
		r.Orgs, r.Unattributed = orgRows(d, r, thresholds, recent, recentSpan, windowEnd, remaining)
	}
	if r.Limit != nil && r.Projectable {
		r.PassesOn = notBefore(passDate(r.Total, *r.Limit, r.BurnRate, windowEnd, d.Cycle.End), now)
	}
	r.Users = topUsers(d, top)
	if n := approxNote(d.Consumption.UsersApprox, r.Users); n != "" {
		r.Notes = append(slices.Clone(r.Notes), n)
	}
	r.Previous = compare(d, r)
	r.OrgTrends = orgTrends(d, r)
	return r
}

// RecentWindow is the period the burn rate runs over: the last seven billing days of
// data (of byDate, within the cycle), ending at now when today is the last of them.
// Fetchers read the per-org and per-user figures of this same window. Both are zero
// when there is no data.
func RecentWindow(c Cycle, byDate map[string]float64, now time.Time) (start, end time.Time) {
	r := Build(Data{Cycle: c, Consumption: Consumption{ByDate: byDate}}, now, Options{})
	return window(r.Days, r.DataEnd, now.UTC())
}

// window is the burn-rate window over the trend's days.
func window(ds []DayPoint, dataEnd, now time.Time) (start, end time.Time) {
	if len(ds) == 0 {
		return time.Time{}, time.Time{}
	}
	end = dataEnd
	if end.After(now) {
		end = now
	}
	return ds[max(len(ds)-recentDays, 0)].Start, end
}

// normalThresholds sorts the thresholds and drops the meaningless ones.
func normalThresholds(ts []float64) []float64 {
	if len(ts) == 0 {
		return slices.Clone(defaultThresholds)
	}
	out := make([]float64, 0, len(ts))
	for _, t := range ts {
		if t > 0 && !math.IsInf(t, 0) && !math.IsNaN(t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// dayIndex is the billing day of the cycle now falls in, 1-based, capped to the
// cycle's length.
func dayIndex(start, now time.Time, count int) int {
	if now.Before(start) {
		return 0
	}
	i := int(DayStart(now).Sub(start)/Day) + 1
	if count > 0 {
		i = min(i, count)
	}
	return i
}

// recentRate is an org's burn rate: its ACUs in the recent window over the window's
// length. Without the window's figures a scoped report falls back on its own rate.
func recentRate(recent *Consumption, orgID string, scopedRate, span float64, scoped bool) float64 {
	if scoped {
		return scopedRate
	}
	if recent == nil || span <= 0 {
		return 0
	}
	return max(finite(recent.ByOrg[orgID]), 0) / max(span, 1)
}

// orgRow fills one organization's line.
func orgRow(o Org, known bool, acus, rate float64, thresholds []float64, r Report, windowEnd time.Time, remaining float64) OrgRow {
	row := OrgRow{ID: o.ID, Name: o.Name, ACUs: acus, Limit: o.Limit, Known: known, BurnRate: rate}
	row.Projected = acus
	if r.Projectable {
		row.Projected = acus + rate*remaining
	}
	if o.Limit == nil {
		return row
	}
	limit := *o.Limit
	switch {
	case limit > 0:
		row.Percent = acus / limit * 100
	case acus > 0:
		row.Percent = math.Inf(1)
	}
	for _, t := range thresholds {
		// A limit of 0 blocks the org on purpose: only usage despite it is news.
		if row.Percent >= t || (limit <= 0 && acus > 0 && t <= 100) {
			row.Threshold = t
		}
	}
	if r.Projectable && acus < limit {
		row.PassesOn = notBefore(passDate(acus, limit, rate, windowEnd, r.Cycle.End), r.Now)
	}
	return row
}

// passDate is when a figure growing by rate per day from used at from reaches limit,
// if before end; nil otherwise.
func passDate(used, limit, rate float64, from, end time.Time) *time.Time {
	if used >= limit || rate <= 0 || end.IsZero() {
		return nil
	}
	at := from.Add(time.Duration((limit - used) / rate * float64(Day)))
	if !at.Before(end) {
		return nil
	}
	return &at
}

// notBefore moves a projected date that falls before now (the data ends some days
// back) to now: a limit projected to have been passed already may be passed today.
func notBefore(t *time.Time, now time.Time) *time.Time {
	if t != nil && t.Before(now) {
		return &now
	}
	return t
}

// orgRows lists every org that used ACUs or has a limit, most used first, and what is
// left unattributed.
func orgRows(d Data, r Report, thresholds []float64, recent *Consumption, span float64, windowEnd time.Time, remaining float64) ([]OrgRow, float64) {
	known := make(map[string]Org, len(d.Orgs))
	for _, o := range d.Orgs {
		known[o.ID] = o
	}
	rows := make([]OrgRow, 0, len(d.Consumption.ByOrg)+len(d.Orgs))
	seen := make(map[string]bool, len(d.Consumption.ByOrg))
	attributed := 0.0
	for id, acus := range d.Consumption.ByOrg {
		acus = max(finite(acus), 0)
		attributed += acus
		o, ok := known[id]
		if !ok {
			o = Org{ID: id}
		}
		seen[id] = true
		rows = append(rows, orgRow(o, ok, acus, recentRate(recent, id, 0, span, false), thresholds, r, windowEnd, remaining))
	}
	for _, o := range d.Orgs {
		if !seen[o.ID] && o.Limit != nil {
			rows = append(rows, orgRow(o, true, 0, 0, thresholds, r, windowEnd, remaining))
		}
	}
	slices.SortFunc(rows, func(a, b OrgRow) int {
		return cmp.Or(cmp.Compare(b.ACUs, a.ACUs), cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	unattributed := r.Total - attributed
	if unattributed < 0.05 {
		unattributed = 0 // rounding, not consumption
	}
	return rows, unattributed
}

// topUsers are the n users with the most ACUs, named from the members listing.
func topUsers(d Data, n int) []UserRow {
	rows := make([]UserRow, 0, len(d.Consumption.ByUser))
	for id, acus := range d.Consumption.ByUser {
		if acus = finite(acus); acus > 0 {
			rows = append(rows, UserRow{ID: id, ACUs: acus})
		}
	}
	slices.SortFunc(rows, func(a, b UserRow) int { return cmp.Or(cmp.Compare(b.ACUs, a.ACUs), cmp.Compare(a.ID, b.ID)) })
	rows = rows[:min(len(rows), n)]
	for i := range rows {
		m, ok := d.Members[rows[i].ID]
		rows[i].Name, rows[i].Email = m.Name, m.Email
		rows[i].Left = d.MembersKnown && !ok
	}
	return rows
}

// approxNote says, when the ranking is not exact, how many shown figures count only
// Devin sessions and what reading the rest would cost.
func approxNote(a *UsersApprox, rows []UserRow) string {
	if a == nil || len(rows) == 0 {
		return ""
	}
	partial := 0
	for _, r := range rows {
		if slices.Contains(a.Partial, r.ID) {
			partial++
		}
	}
	unread := a.MoreCalls > 0 || a.AtLeast
	if partial == 0 && !unread {
		return "" // the partial figures are not among those shown, and nobody unread could be
	}
	note := "Top users are approximate: "
	if partial > 0 {
		note += "the figures of " + plural(partial, "user", "users") + " count only Devin sessions, not other products (Cascade, Terminal)"
		if !unread {
			// People who left the enterprise: v3 has no figure of theirs to read.
			return note + "."
		}
		note += "; "
	}
	more := plural(a.MoreCalls, "call", "calls")
	if a.AtLeast {
		more = "at least " + more
	}
	return note + "reading every member who could still rank among them would take " + more + " to Devin's API."
}

// compare sets this cycle against the previous one over the same number of days.
func compare(d Data, r Report) *Comparison {
	if d.Previous == nil || d.PreviousConsumption == nil || len(r.Days) == 0 {
		return nil
	}
	n := len(r.Days)
	// When the last day is today, only its elapsed part counts on both sides, so that a
	// 09:00 report does not set a fraction of today against a whole day.
	lastShare := 1.0
	if last := r.Days[n-1].Start; r.Now.Before(last.Add(Day)) {
		lastShare = min(max(days(r.Now.Sub(last)), 0), 1)
	}
	pstart := DayStart(d.Previous.Start)
	prev := 0.0
	for i := range n {
		day := pstart.Add(time.Duration(i) * Day)
		if !d.Previous.End.IsZero() && !day.Before(d.Previous.End) {
			break
		}
		v := max(finite(d.PreviousConsumption.ByDate[dayKey(day)]), 0)
		if i == n-1 {
			v *= lastShare
		}
		prev += v
	}
	cur := r.Days[n-1].Cumulative
	c := &Comparison{Day: n, Previous: prev, Change: cur - prev}
	if prev > 0 {
		c.Percent = c.Change / prev * 100
	}
	return c
}

// orgTrends are the cumulative daily figures of the limited orgs that were read,
// closest to their limit first.
func orgTrends(d Data, r Report) []OrgTrend {
	if len(d.OrgDaily) == 0 || len(r.Days) == 0 {
		return nil
	}
	var trends []OrgTrend
	var pct []float64
	for _, row := range r.Orgs {
		daily, ok := d.OrgDaily[row.ID]
		if !ok || row.Limit == nil || *row.Limit <= 0 {
			continue
		}
		t := OrgTrend{ID: row.ID, Name: row.Name, Limit: *row.Limit, Cumulative: make([]float64, len(r.Days))}
		sum := 0.0
		for i, p := range r.Days {
			sum += max(finite(daily[p.Date]), 0)
			t.Cumulative[i] = sum
		}
		trends = append(trends, t)
		pct = append(pct, row.Percent)
	}
	idx := make([]int, len(trends))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(pct[b], pct[a]) })
	out := make([]OrgTrend, 0, min(len(idx), maxOrgTrends))
	for _, i := range idx[:min(len(idx), maxOrgTrends)] {
		out = append(out, trends[i])
	}
	return out
}
