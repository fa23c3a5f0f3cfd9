package usage

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The chart is chartWidth x chartHeight pixels. The DPI only sets how big text and
// lines are against that: at 180 a 9-point tick label is 22 px high, which stays
// readable when Slack shows the image at a phone's width.
const (
	chartWidth  = 1200
	chartHeight = 900
	chartDPI    = 180
)

const (
	// chartMaxOrgs bounds the org panel: past eight lines the colours stop being
	// told apart and the legend crowds out the plot.
	chartMaxOrgs = 8
	// chartMaxName clips org and scope names, so that a legend entry never takes a
	// whole row and the title fits.
	chartMaxName = 24
	// chartMaxDays bounds the x axis: a cycle end far off must not squeeze the days
	// with data into a sliver.
	chartMaxDays = 400
	// chartMaxPercent is the highest top of the org panel: an org far over its
	// limit leaves the panel rather than flattening every other line.
	chartMaxPercent = 300
)

// Chart draws r as a PNG of 1200x900 pixels, three panels over the billing days of
// the cycle: the daily ACUs; the cumulative ACUs with the projection to the cycle's
// end and the limit; and, when r has org trends, each limited organization's
// cumulative ACUs in percent of its limit. The x axis is the whole cycle when its
// end is known, so the days still to come are visible.
//
// Figures that are not finite non-negative numbers are drawn as zero, or left out
// (a limit, a projection); a report without days gives the axes and a note.
func Chart(r Report) (out []byte, err error) {
	// The chart is an attachment to a report: a panic deep in the plotting library
	// must cost the picture, not the bot.
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("usage: drawing the chart: %v", p)
		}
	}()

	d := newChartData(r)
	panels, err := d.panels()
	if err != nil {
		return nil, fmt.Errorf("usage: drawing the chart: %w", err)
	}
	img := vgimg.NewWith(
		vgimg.UseWH(chartLength(chartWidth), chartLength(chartHeight)),
		vgimg.UseDPI(chartDPI),
	)
	drawChart(draw.New(img), d.title, panels)
	return encodeChart(img.Image())
}

// chartLength is px pixels as a vg length at the chart's DPI.
func chartLength(px int) vg.Length {
	return vg.Length(px) / chartDPI * vg.Inch
}

// chartData is a Report reduced to what the chart draws, every figure finite and
// non-negative, so that nothing past newChartData has to think about bad input.
type chartData struct {
	title string
	// days is the x axis: day i is drawn centred on x = i+0.5.
	days chartDays
	// daily and cumulative are the days with data, from the cycle's start.
	daily, cumulative []float64
	// projected is the cumulative at the cycle's end, when hasProjected.
	projected    float64
	hasProjected bool
	limit        float64
	hasLimit     bool
	orgs         []chartOrg
	// thresholds are the alert thresholds below 100%, each drawn as a dashed line.
	thresholds []float64
}

// chartOrg is one organization's line in the org panel.
type chartOrg struct {
	name    string
	percent []float64
}

func newChartData(r Report) chartData {
	origin := r.Cycle.Start
	if origin.IsZero() && len(r.Days) > 0 {
		origin = r.Days[0].Start
	}
	d := chartData{
		title:      chartTitle(r, origin),
		days:       chartDays{span: chartSpan(r, origin), origin: origin},
		daily:      make([]float64, len(r.Days)),
		cumulative: make([]float64, len(r.Days)),
		orgs:       chartOrgs(r),
		thresholds: chartThresholds(r.Thresholds),
	}
	for i, p := range r.Days {
		d.daily[i] = chartClamp(p.ACUs)
		d.cumulative[i] = chartClamp(p.Cumulative)
	}
	// A projection starts from a day with data and needs days left to run over.
	if r.Projectable && chartUsable(r.Projected) && len(r.Days) > 0 && len(r.Days) < d.days.span {
		d.projected, d.hasProjected = r.Projected, true
	}
	if r.Limit != nil && chartUsable(*r.Limit) && *r.Limit > 0 {
		d.limit, d.hasLimit = *r.Limit, true
	}
	return d
}

// chartUsable reports whether v can be drawn as it is.
func chartUsable(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0
}

// chartClamp makes v drawable: what is not a finite non-negative number is drawn as
// zero rather than stretching or breaking an axis.
func chartClamp(v float64) float64 {
	if !chartUsable(v) {
		return 0
	}
	return v
}

// chartSpan is how many billing days the x axis shows: the whole cycle when its end
// is known, else the days with data.
func chartSpan(r Report, origin time.Time) int {
	n := len(r.Days)
	if !origin.IsZero() && r.Cycle.End.After(origin) {
		days := math.Round(float64(r.Cycle.End.Sub(origin)) / float64(Day))
		n = max(n, int(min(days, chartMaxDays)))
	}
	return max(n, 1)
}

// chartTitle is "Devin ACUs · <cycle start> – <last day> · <scope>".
func chartTitle(r Report, origin time.Time) string {
	title := "Devin ACUs"
	if !origin.IsZero() {
		title += " · " + chartDate(origin)
		if last, ok := chartLastDay(r, origin); ok && chartDate(last) != chartDate(origin) {
			title += " – " + chartDate(last)
		}
	}
	if r.Scope != nil {
		name := r.Scope.Name
		if name == "" {
			name = r.Scope.ID
		}
		title += " · " + chartClip(name, chartMaxName)
	}
	return title
}

// chartLastDay is the start of the last day with data.
func chartLastDay(r Report, origin time.Time) (time.Time, bool) {
	n := len(r.Days)
	if n == 0 {
		return time.Time{}, false
	}
	if last := r.Days[n-1].Start; !last.IsZero() {
		return last, true
	}
	return origin.Add(time.Duration(n-1) * Day), true
}

// chartDate is a billing day's date as a label. Billing days start at 08:00 UTC, so
// the UTC date is the day's date.
func chartDate(t time.Time) string {
	return t.UTC().Format("Jan 2")
}

// chartClip shortens s to at most n runes, marking the cut.
func chartClip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimRightFunc(string([]rune(s)[:n-1]), unicode.IsSpace) + "…"
}

// chartOrgs are the org lines, closest to their limit first as the report orders
// them. An org without a positive limit has no percentage and is left out.
func chartOrgs(r Report) []chartOrg {
	var orgs []chartOrg
	for _, t := range r.OrgTrends {
		if len(orgs) == chartMaxOrgs {
			break
		}
		if !chartUsable(t.Limit) || t.Limit <= 0 {
			continue
		}
		name := t.Name
		if name == "" {
			name = t.ID
		}
		n := min(len(t.Cumulative), len(r.Days))
		percent := make([]float64, n)
		for i, v := range t.Cumulative[:n] {
			percent[i] = chartClamp(v / t.Limit * 100)
		}
		orgs = append(orgs, chartOrg{name: chartClip(name, chartMaxName), percent: percent})
	}
	return orgs
}

// chartThresholds are the thresholds drawn under the 100% line.
func chartThresholds(ts []float64) []float64 {
	var out []float64
	for _, t := range ts {
		if chartUsable(t) && t > 0 && t < 100 {
			out = append(out, t)
		}
	}
	return out
}

// chartPanel is one of the stacked plots, with its header: a name and the legend.
type chartPanel struct {
	plot *plot.Plot
	name string
	keys []chartKey
	// weight is the panel's share of the height.
	weight float64
}

// chartKey is a legend entry.
type chartKey struct {
	label string
	thumb plot.Thumbnailer
}

func (d chartData) panels() ([]chartPanel, error) {
	cumulative, err := d.cumulativePanel()
	if err != nil {
		return nil, err
	}
	panels := []chartPanel{d.dailyPanel(), cumulative}
	if len(d.orgs) > 0 {
		orgs, err := d.orgPanel()
		if err != nil {
			return nil, err
		}
		panels = append(panels, orgs)
	}
	// Only the bottom panel writes the dates of the shared x axis.
	dated := d.days
	dated.labels = true
	panels[len(panels)-1].plot.X.Tick.Marker = dated
	return panels, nil
}

// newPlot is a panel's plot: the shared x axis, the grid, and the days still to
// come shaded.
func (d chartData) newPlot() *plot.Plot {
	p := plot.New()
	// The canvas is already white; the shade and the grid are the background.
	p.BackgroundColor = nil
	chartAxis(&p.X, d.days)
	p.X.Min, p.X.Max = 0, float64(d.days.span)
	if n := len(d.daily); n < d.days.span {
		p.Add(chartShade{from: float64(n), to: float64(d.days.span)})
	}
	p.Add(chartGrid{xs: d.days.dated()})
	return p
}

func (d chartData) dailyPanel() chartPanel {
	p := d.newPlot()
	chartAxis(&p.Y, chartValueTicks{})
	p.Add(chartBars{values: d.daily, color: chartRGB(chartBlue)})
	if len(d.daily) == 0 {
		p.Add(chartNote{text: "no usage yet"})
	}
	p.Y.Min, p.Y.Max = 0, chartTop(chartMax(d.daily), 10)
	return chartPanel{plot: p, name: "Daily ACUs", weight: 1}
}

func (d chartData) cumulativePanel() (chartPanel, error) {
	p := d.newPlot()
	chartAxis(&p.Y, chartValueTicks{})
	top := chartMax(d.cumulative)
	if d.hasLimit {
		top = max(top, d.limit)
		p.Add(chartRule{y: d.limit, style: chartLimitStyle(), label: "limit " + chartNumber(d.limit)})
	}
	var keys []chartKey
	if d.hasProjected {
		line, err := d.projectionLine()
		if err != nil {
			return chartPanel{}, err
		}
		top = max(top, d.projected)
		p.Add(line) // under the cumulative line, which it starts from
		keys = append(keys, chartKey{label: "projected " + chartNumber(d.projected), thumb: line})
	}
	if n := len(d.cumulative); n > 0 {
		line, err := chartLine(d.cumulative, chartSolid(chartRGB(chartBlue)))
		if err != nil {
			return chartPanel{}, fmt.Errorf("cumulative line: %w", err)
		}
		chartAddLine(p, line)
		keys = slices.Insert(keys, 0, chartKey{label: "so far " + chartNumber(d.cumulative[n-1]), thumb: line})
	}
	p.Y.Min, p.Y.Max = 0, chartTop(top, 10)
	return chartPanel{plot: p, name: "Cumulative ACUs", keys: keys, weight: 1.4}, nil
}

// projectionLine runs from the last day with data to the last day of the cycle.
func (d chartData) projectionLine() (*plotter.Line, error) {
	n := len(d.cumulative)
	line, err := plotter.NewLine(plotter.XYs{
		{X: float64(n) - 0.5, Y: d.cumulative[n-1]},
		{X: float64(d.days.span) - 0.5, Y: d.projected},
	})
	if err != nil {
		return nil, fmt.Errorf("projection line: %w", err)
	}
	line.LineStyle = chartDashed(chartRGB(chartBlue))
	return line, nil
}

func (d chartData) orgPanel() (chartPanel, error) {
	p := d.newPlot()
	chartAxis(&p.Y, chartPercentTicks{})
	p.Add(chartRule{y: 100, style: chartLimitStyle(), label: "100%"})
	for _, t := range d.thresholds {
		p.Add(chartRule{y: t, style: chartThresholdStyle(), label: chartPercent(t)})
	}
	top := 100.0
	keys := make([]chartKey, len(d.orgs))
	// Added last first, so that the org closest to its limit is drawn on top.
	for i := len(d.orgs) - 1; i >= 0; i-- {
		o := d.orgs[i]
		line, err := chartLine(o.percent, chartSolid(chartOrgColor(i)))
		if err != nil {
			return chartPanel{}, fmt.Errorf("line of org %q: %w", o.name, err)
		}
		chartAddLine(p, line)
		top = max(top, chartMax(o.percent))
		keys[i] = chartKey{label: o.name, thumb: line}
	}
	p.Y.Min, p.Y.Max = 0, min(chartTop(top, 100), chartMaxPercent)
	return chartPanel{plot: p, name: "Organizations, % of limit", keys: keys, weight: 1.4}, nil
}

// chartLine is values drawn on the days' centres.
func chartLine(values []float64, style draw.LineStyle) (*plotter.Line, error) {
	xys := make(plotter.XYs, len(values))
	for i, v := range values {
		xys[i] = plotter.XY{X: float64(i) + 0.5, Y: v}
	}
	line, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	line.LineStyle = style
	return line, nil
}

// chartAddLine adds line to p with a dot where its data ends, which is also all
// there is to see of a line on the cycle's first day.
func chartAddLine(p *plot.Plot, line *plotter.Line) {
	p.Add(line)
	if n := len(line.XYs); n > 0 {
		last := line.XYs[n-1]
		p.Add(chartDot{x: last.X, y: last.Y, color: line.Color})
	}
}

func chartMax(values []float64) float64 {
	var m float64
	for _, v := range values {
		m = max(m, v)
	}
	return m
}

// chartTop is the top of a y axis showing values up to m: some headroom, so that
// the highest line and the rules' labels stay clear of the panel's edge, and floor
// when there is nothing to show.
func chartTop(m, floor float64) float64 {
	if m <= 0 {
		return floor
	}
	return m * 1.12
}
