package usage

import (
	"math"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
)

// This file holds the chart's axes: the day and value tickers and their labels.

// chartDays is the x axis, billing days from the cycle's start. It is the Ticker of
// every panel: a tick per day and a date every few days, few enough that the dates
// never touch. Only the bottom panel writes the dates (labels set).
type chartDays struct {
	span   int
	origin time.Time
	labels bool
}

// chartMinorTicksUpTo is the longest axis that still gets a tick for every day.
const chartMinorTicksUpTo = 62

// step is the distance in days between two dates on the axis: a week on a monthly
// cycle, so that the dates fall on the same weekday.
func (d chartDays) step() int {
	const maxDates = 8
	for _, s := range []int{1, 2, 7, 14, 28} {
		if d.span <= s*maxDates {
			return s
		}
	}
	return (d.span + maxDates - 1) / maxDates
}

// Ticks implements plot.Ticker.
func (d chartDays) Ticks(_, _ float64) []plot.Tick {
	step := d.step()
	var ticks []plot.Tick
	for i := range d.span {
		dated := i%step == 0
		if !dated && d.span > chartMinorTicksUpTo {
			continue
		}
		t := plot.Tick{Value: float64(i) + 0.5}
		if dated && d.labels {
			t.Label = d.label(i)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// dated are the x of the days with a date, where the grid draws its vertical lines.
func (d chartDays) dated() []float64 {
	var xs []float64
	for i := 0; i < d.span; i += d.step() {
		xs = append(xs, float64(i)+0.5)
	}
	return xs
}

func (d chartDays) label(i int) string {
	if d.origin.IsZero() {
		return "day " + strconv.Itoa(i+1)
	}
	return chartDate(d.origin.Add(time.Duration(i) * Day))
}

// chartValueTicks labels an ACU axis compactly ("1.5k"), so that the y axes stay
// narrow and the plots keep their width.
type chartValueTicks struct{}

// Ticks implements plot.Ticker.
func (chartValueTicks) Ticks(lo, hi float64) []plot.Tick {
	return chartRelabel(lo, hi, chartCompact)
}

// chartPercentTicks labels a percent axis.
type chartPercentTicks struct{}

// Ticks implements plot.Ticker.
func (chartPercentTicks) Ticks(lo, hi float64) []plot.Tick {
	return chartRelabel(lo, hi, chartPercent)
}

// chartRelabel is gonum's default ticks, written with format.
func chartRelabel(lo, hi float64, format func(float64) string) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if !t.IsMinor() {
			ticks[i].Label = format(t.Value)
		}
	}
	return ticks
}

// chartCompact is v with a k or M suffix and at most two decimals.
func chartCompact(v float64) string {
	suffix := ""
	switch {
	case math.Abs(v) >= 1e6:
		v, suffix = v/1e6, "M"
	case math.Abs(v) >= 1e3:
		v, suffix = v/1e3, "k"
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) + suffix
}

func chartPercent(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + "%"
}

// chartNumber is v, non-negative, rounded to a whole number with thousands
// separators.
func chartNumber(v float64) string {
	digits := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
