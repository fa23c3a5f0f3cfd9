package usage

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// This file holds the plotters gonum/plot lacks: shading, grid, bars, rules, dots, notes.

// chartShade greys the x range [from, to): the days of the cycle still to come.
type chartShade struct{ from, to float64 }

// Plot implements plot.Plotter.
func (s chartShade) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x0, x1 := trX(s.from), trX(s.to)
	c.FillPolygon(chartRGB(chartFuture), []vg.Point{
		{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y},
	})
}

// chartGrid draws vertical lines at the dated days and horizontal ones at the
// labelled y ticks. (plotter.Grid follows the x axis' labels, which only the bottom
// panel has.)
type chartGrid struct{ xs []float64 }

// Plot implements plot.Plotter.
func (g chartGrid) Plot(c draw.Canvas, p *plot.Plot) {
	style := draw.LineStyle{Color: chartRGB(chartGridColor), Width: vg.Points(0.6)}
	trX, trY := p.Transforms(&c)
	for _, x := range g.xs {
		c.StrokeLine2(style, trX(x), c.Min.Y, trX(x), c.Max.Y)
	}
	for _, t := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if y := trY(t.Value); !t.IsMinor() && c.ContainsY(y) {
			c.StrokeLine2(style, c.Min.X, y, c.Max.X, y)
		}
	}
}

// chartBars draws one bar per day, centred on the day. (plotter.BarChart sizes its
// bars in points, not in days of the x axis.)
type chartBars struct {
	values []float64
	color  color.Color
}

// Plot implements plot.Plotter.
func (b chartBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, v := range b.values {
		if v <= 0 {
			continue
		}
		x0, x1 := trX(float64(i)+0.15), trX(float64(i)+0.85)
		y0, y1 := trY(0), trY(v)
		c.FillPolygon(b.color, c.ClipPolygonXY([]vg.Point{
			{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1},
		}))
	}
}

// chartRule is a horizontal line across the panel, labelled at its left end, where
// the cumulative lines are still low. Rules are added before the lines, so that on
// the rare day a line crosses a label, the data stays on top.
type chartRule struct {
	y     float64
	style draw.LineStyle
	label string
}

// Plot implements plot.Plotter.
func (r chartRule) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	y := trY(r.y)
	if !c.ContainsY(y) {
		return
	}
	c.StrokeLine2(r.style, c.Min.X, y, c.Max.X, y)
	style := chartText(8.5, false, r.style.Color)
	style.XAlign, style.YAlign = draw.XLeft, draw.YBottom
	c.FillText(style, vg.Point{X: c.Min.X + vg.Points(3), Y: y + vg.Points(1.5)}, r.label)
}

// chartDot marks a point.
type chartDot struct {
	x, y  float64
	color color.Color
}

// Plot implements plot.Plotter.
func (d chartDot) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	style := draw.GlyphStyle{Color: d.color, Radius: vg.Points(2.6), Shape: draw.CircleGlyph{}}
	c.DrawGlyph(style, vg.Point{X: trX(d.x), Y: trY(d.y)})
}

// chartNote is a line of text in the middle of a panel.
type chartNote struct{ text string }

// Plot implements plot.Plotter.
func (n chartNote) Plot(c draw.Canvas, _ *plot.Plot) {
	style := chartText(12, false, chartRGB(chartFaint))
	style.XAlign, style.YAlign = draw.XCenter, draw.YCenter
	c.FillText(style, c.Center(), n.text)
}
