package usage

import (
	"image/color"
	"unicode/utf8"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// This file holds the chart's styles and the layout of the stacked panels.

// Colours, as 0xRRGGBB.
const (
	chartBlue      = 0x3b6ea8
	chartRed       = 0xc01f2f
	chartAmber     = 0xd98c00
	chartGridColor = 0xe2e2e2
	chartAxisColor = 0x808080
	chartTextColor = 0x202020
	chartFaint     = 0x707070
	chartFuture    = 0xf4f4f4
	chartBlack     = 0x000000
)

func chartRGB(rgb uint32) color.RGBA {
	return color.RGBA{R: uint8(rgb >> 16), G: uint8(rgb >> 8), B: uint8(rgb), A: 0xff}
}

// chartOrgColor is the colour of the i-th org line: colours apart from each other
// and from the limit's red and the threshold's amber.
func chartOrgColor(i int) color.Color {
	palette := [chartMaxOrgs]uint32{
		0x1f77b4, // blue
		0xff7f0e, // orange
		0x2ca02c, // green
		0x9467bd, // purple
		0x8c564b, // brown
		0xe377c2, // pink
		0x17becf, // cyan
		0x7f7f7f, // grey
	}
	return chartRGB(palette[i%len(palette)])
}

func chartSolid(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(1.8)}
}

func chartDashed(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
}

func chartLimitStyle() draw.LineStyle {
	return draw.LineStyle{Color: chartRGB(chartRed), Width: vg.Points(1.2)}
}

func chartThresholdStyle() draw.LineStyle {
	return draw.LineStyle{Color: chartRGB(chartAmber), Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
}

// chartText is the chart's text style. gonum/plot embeds the Liberation fonts, so
// no system font is needed: the container image is FROM scratch.
func chartText(size float64, bold bool, c color.Color) text.Style {
	f := font.Font{Typeface: "Liberation", Variant: "Sans"}
	if bold {
		f.Weight = xfont.WeightBold
	}
	return text.Style{Color: c, Font: font.From(f, vg.Points(size)), Handler: plot.DefaultTextHandler}
}

// chartAxis styles an axis, keeping the alignment plot.New gave its tick labels.
func chartAxis(a *plot.Axis, ticks plot.Ticker) {
	label := chartText(9, false, chartRGB(chartTextColor))
	label.XAlign, label.YAlign = a.Tick.Label.XAlign, a.Tick.Label.YAlign
	a.Tick.Label = label
	a.Tick.Marker = ticks
	a.Tick.Length = vg.Points(4)
	a.Tick.Color = chartRGB(chartAxisColor)
	a.Color = chartRGB(chartAxisColor)
	// Zero sits on the axis: the bars stand on it and the lines start from it.
	a.Padding = 0
}

// Layout, in points (vg.Length's unit).
const (
	chartMargin    vg.Length = 8
	chartTitleGap  vg.Length = 7
	chartPanelGap  vg.Length = 6
	chartRowHeight vg.Length = 14
	chartThumb     vg.Length = 18
	chartThumbGap  vg.Length = 4
	chartKeyGap    vg.Length = 12
)

// drawChart lays the title and the panels out top to bottom and draws them.
func drawChart(c draw.Canvas, title string, panels []chartPanel) {
	c = draw.Crop(c, chartMargin, -chartMargin, chartMargin, -chartMargin)
	c = drawChartTitle(c, title)
	headers, areas := chartLayout(c, panels)
	chartAlign(panels, areas)
	for i, p := range panels {
		drawChartHeader(headers[i], p.name, p.keys)
		p.plot.Draw(areas[i])
	}
}

// drawChartTitle draws the title at the top left and returns the canvas below it.
func drawChartTitle(c draw.Canvas, title string) draw.Canvas {
	style := chartText(13, true, chartRGB(chartBlack))
	style.XAlign, style.YAlign = draw.XLeft, draw.YTop
	title = chartFit(style, title, c.Max.X-c.Min.X)
	c.FillText(style, vg.Point{X: c.Min.X, Y: c.Max.Y}, title)
	return draw.Crop(c, 0, 0, 0, -(style.Height(title) + chartTitleGap))
}

// chartFit clips s until it fits in width, in case a long scope name with wide
// letters still overflows.
func chartFit(style text.Style, s string, width vg.Length) string {
	for n := utf8.RuneCountInString(s); n > 1 && style.Width(s) > width; n-- {
		s = chartClip(s, n-1)
	}
	return s
}

// chartLayout splits c between the panels: each a header as high as its legend
// needs, then the plot, sized by the panel's weight. The bottom panel also gets the
// room of the dates under it, so that its plot is not the smallest.
func chartLayout(c draw.Canvas, panels []chartPanel) (headers, areas []draw.Canvas) {
	width := c.Max.X - c.Min.X
	dates := chartText(9, false, chartRGB(chartBlack)).Height("Dec 30") + vg.Points(2)
	heights := make([]vg.Length, len(panels))
	free := c.Max.Y - c.Min.Y - dates - chartPanelGap*vg.Length(len(panels)-1)
	var weights float64
	for i, p := range panels {
		heights[i] = chartRowHeight * vg.Length(chartHeaderRows(width, p.name, p.keys))
		free -= heights[i]
		weights += p.weight
	}
	top := c.Max.Y
	for i, p := range panels {
		h := free * vg.Length(p.weight/weights)
		if i == len(panels)-1 {
			h += dates
		}
		headers = append(headers, chartBand(c, top-heights[i], top))
		areas = append(areas, chartBand(c, top-heights[i]-h, top-heights[i]))
		top -= heights[i] + h + chartPanelGap
	}
	return headers, areas
}

// chartBand is the horizontal band [y0, y1] of c.
func chartBand(c draw.Canvas, y0, y1 vg.Length) draw.Canvas {
	return draw.Crop(c, 0, 0, y0-c.Min.Y, y1-c.Max.Y)
}

// chartAlign narrows each panel's canvas so that all the data areas have the same
// left and right edges, whatever the width of each y axis' labels: the panels share
// the x axis, so a day must be at the same x in all of them.
func chartAlign(panels []chartPanel, areas []draw.Canvas) {
	var left, right vg.Length
	for i, p := range panels {
		data := p.plot.DataCanvas(areas[i])
		left = max(left, data.Min.X-areas[i].Min.X)
		right = max(right, areas[i].Max.X-data.Max.X)
	}
	for i, p := range panels {
		data := p.plot.DataCanvas(areas[i])
		areas[i] = draw.Crop(areas[i],
			left-(data.Min.X-areas[i].Min.X),
			(areas[i].Max.X-data.Max.X)-right,
			0, 0)
	}
}

// chartPlace is where a header item goes: x from the header's left, and its row.
type chartPlace struct {
	x   vg.Length
	row int
}

// chartPlaceKeys flows a header, the panel's name then the legend keys, left to
// right, wrapping at width; it returns the places of the keys.
func chartPlaceKeys(width vg.Length, name string, keys []chartKey) []chartPlace {
	nameStyle, keyStyle := chartHeaderStyles()
	places := make([]chartPlace, len(keys))
	x, row := nameStyle.Width(name)+chartKeyGap, 0
	for i, k := range keys {
		w := chartThumb + chartThumbGap + keyStyle.Width(k.label)
		if x > 0 && x+w > width {
			x, row = 0, row+1
		}
		places[i] = chartPlace{x: x, row: row}
		x += w + chartKeyGap
	}
	return places
}

func chartHeaderStyles() (name, key text.Style) {
	name = chartText(10, true, chartRGB(chartBlack))
	key = chartText(9, false, chartRGB(chartTextColor))
	name.YAlign, key.YAlign = draw.YCenter, draw.YCenter
	return name, key
}

func chartHeaderRows(width vg.Length, name string, keys []chartKey) int {
	places := chartPlaceKeys(width, name, keys)
	if len(places) == 0 {
		return 1
	}
	return places[len(places)-1].row + 1
}

// drawChartHeader draws a panel's name and its legend above the plot rather than
// in it, so that the legend never hides a line.
func drawChartHeader(c draw.Canvas, name string, keys []chartKey) {
	rowY := func(row int) vg.Length {
		return c.Max.Y - chartRowHeight*(vg.Length(row)+0.5)
	}
	nameStyle, keyStyle := chartHeaderStyles()
	c.FillText(nameStyle, vg.Point{X: c.Min.X, Y: rowY(0)}, name)
	for i, at := range chartPlaceKeys(c.Max.X-c.Min.X, name, keys) {
		x, y := c.Min.X+at.x, rowY(at.row)
		thumb := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x, Y: y - chartRowHeight/4},
			Max: vg.Point{X: x + chartThumb, Y: y + chartRowHeight/4},
		}}
		keys[i].thumb.Thumbnail(&thumb)
		c.FillText(keyStyle, vg.Point{X: x + chartThumb + chartThumbGap, Y: y}, keys[i].label)
	}
}
