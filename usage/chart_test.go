package usage

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// chartSampleStart is the start of the sample cycle, a Wednesday's billing day.
func chartSampleStart() time.Time {
	return time.Date(2025, 12, 3, 8, 0, 0, 0, time.UTC)
}

// chartSample is a report on a 31-day cycle with `days` days of data: about 1,500
// ACUs a weekday and a few hundred on weekends, an enterprise limit, and `orgs`
// limited organizations at decreasing shares of their limits.
func chartSample(days, orgs int) Report {
	cycle := chartSampleStart()
	r := Report{
		Cycle:      Cycle{Start: cycle, End: cycle.Add(31 * Day)},
		DayCount:   31,
		DayIndex:   days,
		Limit:      new(40000.0),
		Thresholds: []float64{80, 100},
	}
	var total float64
	for i := range days {
		start := cycle.Add(time.Duration(i) * Day)
		acus := 1500 + 180*math.Sin(float64(i)*1.7)
		if wd := start.Weekday(); wd == time.Saturday || wd == time.Sunday {
			acus = 350 + 60*math.Cos(float64(i))
		}
		total += acus
		r.Days = append(r.Days, DayPoint{Start: start, Date: start.Format(time.DateOnly), ACUs: acus, Cumulative: total})
	}
	r.Total = total
	if days > 0 {
		r.DataEnd = cycle.Add(time.Duration(days) * Day)
		r.BurnRate = total / float64(days)
		r.Projected = total + r.BurnRate*float64(31-days)
		r.Projectable = true
	}
	names := []string{
		"Platform Engineering", "Mobile Apps", "Data Science & Machine Learning Research",
		"Payments", "Developer Experience", "Security", "Growth", "Internal Tools",
	}
	for o := range orgs {
		// At the last day, the first org is at 95% of its limit and each next one lower.
		share := 0.95 - 0.11*float64(o)
		t := OrgTrend{ID: fmt.Sprintf("org-%d", o), Name: names[o%len(names)], Limit: 10000}
		for i := range r.Days {
			t.Cumulative = append(t.Cumulative, r.Days[i].Cumulative/total*share*t.Limit)
		}
		r.OrgTrends = append(r.OrgTrends, t)
	}
	return r
}

// decodeChart checks that b is a PNG of the chart's size and small enough for Slack.
func decodeChart(t *testing.T, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, chartWidth, img.Bounds().Dx())
	assert.Equal(t, chartHeight, img.Bounds().Dy())
	assert.Less(t, len(b), 200<<10, "PNG size")
}

func TestChartIsAPNGOfTheChartSize(t *testing.T) {
	b, err := Chart(chartSample(12, 5))
	require.NoError(t, err)
	decodeChart(t, b)
}

func TestChartWithoutData(t *testing.T) {
	for name, r := range map[string]Report{
		"zero report":        {},
		"cycle without days": {Cycle: Cycle{Start: chartSampleStart(), End: chartSampleStart().Add(31 * Day)}},
		"open cycle":         {Cycle: Cycle{Start: chartSampleStart()}},
		"limit only":         {Cycle: Cycle{Start: chartSampleStart()}, Limit: new(40000.0)},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := Chart(r)
			require.NoError(t, err)
			decodeChart(t, b)
		})
	}
}

func TestChartFullCycleWithEightOrgs(t *testing.T) {
	r := chartSample(31, 8)
	scope := OrgRow{ID: "org-0", Name: "Platform Engineering"}
	r.Scope = &scope
	b, err := Chart(r)
	require.NoError(t, err)
	decodeChart(t, b)
}

func TestChartOrgsAreCappedAndNeedALimit(t *testing.T) {
	r := chartSample(12, 8)
	r.OrgTrends[1].Limit = 0
	r.OrgTrends[4].Limit = math.NaN()
	r.OrgTrends = append(r.OrgTrends, chartSample(12, 3).OrgTrends...)

	orgs := chartOrgs(r)
	require.Len(t, orgs, chartMaxOrgs)
	assert.Equal(t, "Platform Engineering", orgs[0].name)
	assert.Equal(t, "Data Science & Machine…", orgs[1].name, "Mobile Apps has no limit; long names are clipped")
	assert.Equal(t, "Payments", orgs[2].name)
	assert.Equal(t, "Security", orgs[3].name, "Developer Experience has no usable limit")
	assert.InDelta(t, 95, orgs[0].percent[11], 1e-9)
}

func TestChartPanels(t *testing.T) {
	panels, err := newChartData(chartSample(12, 0)).panels()
	require.NoError(t, err)
	assert.Len(t, panels, 2, "no org panel without org trends")

	panels, err = newChartData(chartSample(12, 5)).panels()
	require.NoError(t, err)
	require.Len(t, panels, 3)
	assert.Len(t, panels[2].keys, 5)
	assert.Equal(t, "Platform Engineering", panels[2].keys[0].label, "the legend starts with the org closest to its limit")
	assert.Equal(t, []string{"so far 13,516", "projected 34,917"}, []string{panels[1].keys[0].label, panels[1].keys[1].label})
}

// The panels share the x axis: whatever their y labels, their data areas line up.
func TestChartPanelsAlign(t *testing.T) {
	r := chartSample(12, 5)
	r.OrgTrends[0].Cumulative[11] = 25000 // a wider y label on the org panel: "250%"
	panels, err := newChartData(r).panels()
	require.NoError(t, err)
	c := draw.New(vgimg.NewWith(vgimg.UseWH(chartLength(chartWidth), chartLength(chartHeight)), vgimg.UseDPI(chartDPI)))
	_, areas := chartLayout(c, panels)
	chartAlign(panels, areas)
	first := panels[0].plot.DataCanvas(areas[0])
	for i, p := range panels[1:] {
		data := p.plot.DataCanvas(areas[i+1])
		assert.InDelta(t, float64(first.Min.X), float64(data.Min.X), 0.01, "left edge of panel %d", i+1)
		assert.InDelta(t, float64(first.Max.X), float64(data.Max.X), 0.01, "right edge of panel %d", i+1)
	}
}

func TestChartSurvivesBadNumbers(t *testing.T) {
	r := chartSample(12, 5)
	r.Days[0].ACUs = math.NaN()
	r.Days[1].ACUs = -300
	r.Days[2].ACUs = math.Inf(1)
	r.Days[3].Cumulative = math.NaN()
	r.Days[4].Cumulative = math.Inf(-1)
	r.Projected = math.NaN()
	r.Limit = new(math.Inf(1))
	r.OrgTrends[0].Cumulative[5] = math.NaN()
	r.OrgTrends[1].Cumulative = r.OrgTrends[1].Cumulative[:3] // shorter than Days
	r.OrgTrends[2].Limit = -1
	r.Thresholds = []float64{math.NaN(), -5, 80, 150}
	r.Cycle.End = r.Cycle.Start.Add(-Day) // an end before the start

	require.NotPanics(t, func() {
		b, err := Chart(r)
		require.NoError(t, err)
		decodeChart(t, b)
	})
	d := newChartData(r)
	assert.False(t, d.hasLimit)
	assert.False(t, d.hasProjected)
	assert.Equal(t, []float64{80}, d.thresholds)
	assert.Equal(t, 12, d.days.span, "an end before the start shows the days with data")
}

func TestChartAxisSpansTheCycle(t *testing.T) {
	r := chartSample(12, 0)
	d := newChartData(r)
	assert.Equal(t, 31, d.days.span, "the days to come are on the axis")

	r.Cycle.End = time.Time{}
	d = newChartData(r)
	assert.Equal(t, 12, d.days.span, "an open cycle ends at the last day")

	labels := chartLabels(chartDays{span: 31, origin: chartSampleStart(), labels: true})
	assert.Equal(t, []string{"Dec 3", "Dec 10", "Dec 17", "Dec 24", "Dec 31"}, labels)
	assert.Empty(t, chartLabels(chartDays{span: 31, origin: chartSampleStart()}), "upper panels have no dates")
}

func chartLabels(d chartDays) []string {
	var labels []string
	for _, t := range d.Ticks(0, float64(d.span)) {
		if !t.IsMinor() {
			labels = append(labels, t.Label)
		}
	}
	return labels
}

func TestChartTitle(t *testing.T) {
	r := chartSample(12, 0)
	assert.Equal(t, "Devin ACUs · Dec 3 – Dec 14", chartTitle(r, r.Cycle.Start))
	r.Scope = &OrgRow{ID: "org-1", Name: "Payments"}
	assert.Equal(t, "Devin ACUs · Dec 3 – Dec 14 · Payments", chartTitle(r, r.Cycle.Start))
	assert.Equal(t, "Devin ACUs", chartTitle(Report{}, time.Time{}))
}

func TestChartNumbers(t *testing.T) {
	assert.Equal(t, "0", chartNumber(0))
	assert.Equal(t, "999", chartNumber(999.4))
	assert.Equal(t, "40,000", chartNumber(40000))
	assert.Equal(t, "1,234,568", chartNumber(1234567.8))
	assert.Equal(t, "1.5k", chartCompact(1500))
	assert.Equal(t, "20k", chartCompact(20000))
	assert.Equal(t, "250", chartCompact(250))
	assert.Equal(t, "80%", chartPercent(80))
}

func TestChartIsDeterministic(t *testing.T) {
	a, err := Chart(chartSample(12, 5))
	require.NoError(t, err)
	b, err := Chart(chartSample(12, 5))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(a, b), "the same report draws the same bytes")
}

// TestChartSample writes the sample chart to the file USAGE_CHART_SAMPLE names, to
// look at it: USAGE_CHART_SAMPLE=/tmp/usage-chart.png go test ./usage -run Sample
func TestChartSample(t *testing.T) {
	path := os.Getenv("USAGE_CHART_SAMPLE")
	if path == "" {
		t.Skip("USAGE_CHART_SAMPLE is not set")
	}
	b, err := Chart(chartSample(12, 5))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))
	t.Logf("%s: %d bytes", path, len(b))
}

// Reports for several channels may be drawn at once.
func TestChartConcurrently(t *testing.T) {
	want, err := Chart(chartSample(12, 5))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			got, err := Chart(chartSample(12, 5))
			assert.NoError(t, err)
			assert.True(t, bytes.Equal(want, got))
		})
	}
	wg.Wait()
}
