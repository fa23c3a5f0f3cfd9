package usage

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// december is a 31-day cycle with billing days from 08:00 UTC.
var december = Cycle{
	Start: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
	End:   time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC),
}

func lim(v float64) *float64 { return &v }

// dayN is the start of the cycle's n-th billing day (1-based).
func dayN(n int) time.Time { return december.Start.Add(time.Duration(n-1) * Day) }

// daily spreads per-day figures over the cycle's first days: daily(10, 20) is 10 on
// Dec 1 and 20 on Dec 2.
func daily(vs ...float64) map[string]float64 {
	m := map[string]float64{}
	for i, v := range vs {
		m[dayKey(dayN(i+1))] = v
	}
	return m
}

func sum(m map[string]float64) float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}

func TestBuild(t *testing.T) {
	members := map[string]Member{
		"u1": {ID: "u1", Name: "Ada Lovelace", Email: "ada@example.com"},
		"u2": {ID: "u2", Name: "Grace Hopper", Email: "grace@example.com"},
	}
	orgs := []Org{
		{ID: "o-plat", Name: "Platform", Limit: lim(1000)},
		{ID: "o-res", Name: "Research"},
		{ID: "o-idle", Name: "Idle", Limit: lim(50)},
	}
	tests := []struct {
		name  string
		data  Data
		now   time.Time
		check func(t *testing.T, r Report)
	}{
		{
			name: "an empty cycle",
			data: Data{Cycle: december, Orgs: orgs, OrgsKnown: true, MembersKnown: true},
			now:  dayN(5).Add(3 * time.Hour),
			check: func(t *testing.T, r Report) {
				assert.Zero(t, r.Total)
				assert.Empty(t, r.Days)
				assert.True(t, r.DataEnd.IsZero())
				assert.Equal(t, 5, r.DayIndex)
				assert.Equal(t, 31, r.DayCount)
				assert.Zero(t, r.BurnRate)
				assert.True(t, r.Projectable, "four days without usage project zero")
				assert.Zero(t, r.Projected)
				assert.Empty(t, r.Users)
				assert.Nil(t, r.Previous)
				// The limited orgs are listed even without usage, so their limits show.
				require.Len(t, r.Orgs, 2)
				assert.Equal(t, "Idle", r.Orgs[0].Name)
				assert.Equal(t, "Platform", r.Orgs[1].Name)
			},
		},
		{
			name: "the first day of a cycle",
			data: Data{
				Cycle:       december,
				Consumption: Consumption{Total: 40, ByDate: daily(40), ByOrg: map[string]float64{"o-plat": 40}, ByUser: map[string]float64{"u1": 40}},
				Previous:    &Cycle{Start: december.Start.AddDate(0, -1, 0), End: december.Start},
				PreviousConsumption: &Consumption{ByDate: map[string]float64{
					dayKey(december.Start.AddDate(0, -1, 0)): 80, dayKey(december.Start.AddDate(0, -1, 1)): 500,
				}},
				Orgs: orgs, OrgsKnown: true, Members: members, MembersKnown: true,
			},
			now: dayN(1).Add(2 * time.Hour),
			check: func(t *testing.T, r Report) {
				assert.Equal(t, 1, r.DayIndex)
				require.Len(t, r.Days, 1)
				assert.Equal(t, "2026-12-01", r.Days[0].Date)
				assert.False(t, r.Projectable, "two hours of data project nothing")
				assert.Equal(t, 40.0, r.Projected)
				assert.Nil(t, r.Orgs[0].PassesOn)
				require.NotNil(t, r.Previous)
				assert.Equal(t, 1, r.Previous.Day)
				// Two hours into day 1: the same two hours of the previous cycle's day 1.
				assert.InDelta(t, 80.0/12, r.Previous.Previous, 1e-9, "only the elapsed part of the previous cycle's first day")
				assert.InDelta(t, 40-80.0/12, r.Previous.Change, 1e-9)
			},
		},
		{
			name: "an org without a limit",
			data: Data{
				Cycle:       december,
				Consumption: Consumption{Total: 300, ByDate: daily(100, 100, 100), ByOrg: map[string]float64{"o-res": 300}},
				Recent:      &Consumption{ByOrg: map[string]float64{"o-res": 300}},
				Orgs:        orgs, OrgsKnown: true,
			},
			now: dayN(3).Add(12 * time.Hour),
			check: func(t *testing.T, r Report) {
				var res OrgRow
				for _, o := range r.Orgs {
					if o.ID == "o-res" {
						res = o
					}
				}
				assert.True(t, res.Known)
				assert.Nil(t, res.Limit)
				assert.Zero(t, res.Percent)
				assert.Zero(t, res.Threshold)
				assert.Nil(t, res.PassesOn)
				// 300 ACUs over 2.5 days: 120 a day, 28.5 days to go.
				assert.InDelta(t, 120, res.BurnRate, 1e-9)
				assert.InDelta(t, 300+120*28.5, res.Projected, 1e-6)
			},
		},
		{
			name: "an org over its limit, one nearing it and one projected to pass it",
			data: Data{
				Cycle: december,
				Consumption: Consumption{
					Total:  1400,
					ByDate: daily(200, 200, 200, 200, 200, 200, 200),
					ByOrg:  map[string]float64{"o-plat": 1100, "o-idle": 41, "o-res": 259},
				},
				Recent: &Consumption{ByOrg: map[string]float64{"o-plat": 1100, "o-idle": 41, "o-res": 259}},
				Orgs:   orgs, OrgsKnown: true,
			},
			now: dayN(8).Add(time.Minute),
			check: func(t *testing.T, r Report) {
				require.Len(t, r.Orgs, 3)
				plat, res, idle := r.Orgs[0], r.Orgs[1], r.Orgs[2]
				assert.Equal(t, "Platform", plat.Name)
				assert.InDelta(t, 110, plat.Percent, 1e-9)
				assert.Equal(t, 100.0, plat.Threshold)
				assert.Nil(t, plat.PassesOn, "already past it")
				assert.Equal(t, "Research", res.Name)
				assert.Equal(t, "Idle", idle.Name)
				assert.InDelta(t, 82, idle.Percent, 1e-9)
				assert.Equal(t, 80.0, idle.Threshold)
				// 41 ACUs in 7 days is ~5.86 a day: the remaining 9 ACUs take ~1.54 days.
				require.NotNil(t, idle.PassesOn)
				rate := 41.0 / 7
				assert.WithinDuration(t, dayN(8).Add(time.Duration(9/rate*float64(Day))), *idle.PassesOn, time.Second)
				assert.Zero(t, r.Unattributed)
			},
		},
		{
			name: "a user who left and ACUs not attributed to any org",
			data: Data{
				Cycle:       december,
				Consumption: Consumption{Total: 100, ByDate: daily(60, 40), ByOrg: map[string]float64{"o-plat": 70}, ByUser: map[string]float64{"u1": 20, "gone": 50, "u2": 30}},
				Orgs:        orgs, OrgsKnown: true, Members: members, MembersKnown: true,
			},
			now: dayN(2).Add(time.Hour),
			check: func(t *testing.T, r Report) {
				require.Len(t, r.Users, 3)
				assert.Equal(t, UserRow{ID: "gone", ACUs: 50, Left: true}, r.Users[0])
				assert.Equal(t, UserRow{ID: "u2", Name: "Grace Hopper", Email: "grace@example.com", ACUs: 30}, r.Users[1])
				assert.False(t, r.Users[2].Left)
				assert.InDelta(t, 30, r.Unattributed, 1e-9, "orgs and the unattributed add up to the total")
			},
		},
		{
			name: "an unread members listing is not a departure",
			data: Data{
				Cycle:       december,
				Consumption: Consumption{Total: 10, ByDate: daily(10), ByUser: map[string]float64{"u9": 10}},
			},
			now: dayN(1).Add(time.Hour),
			check: func(t *testing.T, r Report) {
				require.Len(t, r.Users, 1)
				assert.False(t, r.Users[0].Left)
			},
		},
		{
			name: "days with no data count as zero",
			data: Data{
				Cycle:       december,
				Consumption: Consumption{Total: 30, ByDate: map[string]float64{dayKey(dayN(1)): 10, dayKey(dayN(4)): 20}},
			},
			now: dayN(4).Add(6 * time.Hour),
			check: func(t *testing.T, r Report) {
				require.Len(t, r.Days, 4)
				got := []float64{}
				cum := []float64{}
				for _, d := range r.Days {
					got, cum = append(got, d.ACUs), append(cum, d.Cumulative)
				}
				assert.Equal(t, []float64{10, 0, 0, 20}, got)
				assert.Equal(t, []float64{10, 10, 10, 30}, cum)
				// 30 ACUs over 3.25 days.
				assert.InDelta(t, 30/3.25, r.BurnRate, 1e-9)
			},
		},
		{
			name: "a cycle whose data stops two days before now",
			data: Data{
				Cycle:       december,
				Consumption: Consumption{Total: 1000, ByDate: daily(100, 100, 100, 100, 100, 100, 100, 100, 100, 100)},
			},
			now: dayN(13).Add(5 * time.Hour),
			check: func(t *testing.T, r Report) {
				assert.Equal(t, 13, r.DayIndex)
				require.Len(t, r.Days, 10, "no invented days after the data")
				assert.Equal(t, dayN(11), r.DataEnd)
				// The rate is the last seven days of data, not diluted by the missing ones,
				// and the projection runs from where the data ends.
				assert.InDelta(t, 100, r.BurnRate, 1e-9)
				assert.InDelta(t, 1000+100*21, r.Projected, 1e-6)
			},
		},
		{
			name: "the enterprise's limit and the date it is passed",
			data: Data{
				Cycle:           december,
				Consumption:     Consumption{Total: 700, ByDate: daily(100, 100, 100, 100, 100, 100, 100)},
				EnterpriseLimit: lim(1500),
			},
			now: dayN(8),
			check: func(t *testing.T, r Report) {
				require.NotNil(t, r.PassesOn)
				assert.Equal(t, dayN(16), *r.PassesOn)
			},
		},
		{
			name: "one org's report runs against its limit",
			data: Data{
				Cycle:       december,
				Consumption: Consumption{Total: 300, ByDate: daily(100, 100, 100), ByUser: map[string]float64{"u1": 300}},
				Scope:       &orgs[0],
				Members:     members, MembersKnown: true,
			},
			now: dayN(4),
			check: func(t *testing.T, r Report) {
				require.NotNil(t, r.Scope)
				assert.Equal(t, "Platform", r.Scope.Name)
				assert.InDelta(t, 30, r.Scope.Percent, 1e-9)
				assert.Empty(t, r.Orgs)
				require.NotNil(t, r.Scope.PassesOn)
				assert.Equal(t, dayN(11), *r.Scope.PassesOn)
				assert.Equal(t, r.Scope.PassesOn, r.PassesOn)
			},
		},
		{
			name: "bad figures from the API do not poison the sums",
			data: Data{
				Cycle:       december,
				Consumption: Consumption{Total: 10, ByDate: map[string]float64{dayKey(dayN(1)): 10, "garbage": 5, dayKey(dayN(40)): 7}, ByOrg: map[string]float64{"x": -3}},
			},
			now: dayN(2),
			check: func(t *testing.T, r Report) {
				require.Len(t, r.Days, 1)
				assert.Equal(t, 10.0, r.Days[0].Cumulative)
				assert.InDelta(t, 10, r.Unattributed, 1e-9)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Build(tc.data, tc.now, Options{})
			tc.check(t, r)
		})
	}
}

func TestBuildEdgesFoundInReview(t *testing.T) {
	t.Run("the same pace in both cycles compares as no change at 09:00", func(t *testing.T) {
		prev := Cycle{Start: december.Start.AddDate(0, -1, 0), End: december.Start}
		pc := Consumption{ByDate: map[string]float64{}}
		for i := range 30 {
			pc.ByDate[dayKey(prev.Start.Add(time.Duration(i)*Day))] = 100
		}
		// 09:00 UTC on day 7: one hour of today, at the same hourly pace.
		d := Data{Cycle: december, Consumption: Consumption{Total: 600 + 100.0/24, ByDate: daily(100, 100, 100, 100, 100, 100, 100.0/24)},
			Previous: &prev, PreviousConsumption: &pc}
		r := Build(d, dayN(7).Add(time.Hour), Options{})
		require.NotNil(t, r.Previous)
		assert.InDelta(t, 0, r.Previous.Change, 1e-9)
	})
	t.Run("an org idle since some days is not data ending", func(t *testing.T) {
		small := Org{ID: "o-small", Name: "Small", Limit: lim(100)}
		d := Data{Cycle: december, Scope: &small,
			Consumption: Consumption{Total: 90, ByDate: daily(10, 10, 10, 10, 10, 10, 10, 10, 10)},
			DataThrough: dayKey(dayN(16))}
		r := Build(d, dayN(16).Add(time.Hour), Options{})
		assert.Len(t, r.Days, 16, "the idle days count, as zeros")
		assert.Zero(t, r.BurnRate, "nothing used in the last seven days")
		assert.Nil(t, r.PassesOn)
	})
	t.Run("a pass date is never in the past", func(t *testing.T) {
		small := Org{ID: "o-small", Name: "Small", Limit: lim(100)}
		d := Data{Cycle: december, Scope: &small, Consumption: Consumption{Total: 90, ByDate: daily(10, 10, 10, 10, 10, 10, 10, 10, 10)}}
		now := dayN(16).Add(time.Hour)
		r := Build(d, now, Options{})
		require.NotNil(t, r.PassesOn)
		assert.Equal(t, now, *r.PassesOn)
	})
	t.Run("a blocked org without usage is not alerting", func(t *testing.T) {
		d := Data{Cycle: december, Orgs: []Org{{ID: "o-0", Name: "Blocked", Limit: lim(0)}}, OrgsKnown: true}
		r := Build(d, dayN(3), Options{})
		require.Len(t, r.Orgs, 1)
		assert.Zero(t, r.Orgs[0].Threshold)
	})
	t.Run("under a day of data shows no rate", func(t *testing.T) {
		r := Build(Data{Cycle: december, Consumption: Consumption{Total: 20, ByDate: daily(20)}}, dayN(1).Add(2*time.Hour), Options{})
		assert.Zero(t, r.BurnRate)
	})
}

func TestBuildTopUsersAreTen(t *testing.T) {
	byUser := map[string]float64{}
	for i := range 25 {
		byUser[fmt.Sprintf("u%02d", i)] = float64(i + 1)
	}
	r := Build(Data{Cycle: december, Consumption: Consumption{Total: sum(byUser), ByDate: daily(sum(byUser)), ByUser: byUser}}, dayN(2), Options{})
	require.Len(t, r.Users, 10)
	assert.Equal(t, "u24", r.Users[0].ID)
	assert.Equal(t, "u15", r.Users[9].ID)
}

func TestRecentWindow(t *testing.T) {
	start, end := RecentWindow(december, daily(1, 1, 1, 1, 1, 1, 1, 1, 1, 1), dayN(13))
	assert.Equal(t, dayN(4), start)
	assert.Equal(t, dayN(11), end)
	start, end = RecentWindow(december, daily(1, 1), dayN(2).Add(time.Hour))
	assert.Equal(t, dayN(1), start)
	assert.Equal(t, dayN(2).Add(time.Hour), end)
	start, end = RecentWindow(december, nil, dayN(2))
	assert.True(t, start.IsZero() && end.IsZero())
}
