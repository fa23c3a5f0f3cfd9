package usage

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
)

// encodeChart writes img as a PNG with a palette. A chart is a few flat colours and
// their anti-aliased edges, so its 256 most frequent colours cover it; an edge
// pixel whose colour is not among them takes the nearest, which does not show.
// With a palette the encoder skips its per-row filter search and compresses one
// byte a pixel instead of three: the encoding takes a third of the time of a
// true-colour one and the file is half the size.
func encodeChart(img image.Image) ([]byte, error) {
	if rgba, ok := img.(*image.RGBA); ok {
		img = chartPaletted(rgba)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("usage: encoding the chart: %w", err)
	}
	return buf.Bytes(), nil
}

// chartPaletted is img with a palette of its most frequent colours. img is opaque
// (the canvas starts white), so alpha is left out.
func chartPaletted(img *image.RGBA) *image.Paletted {
	colors := chartByFrequency(chartCountColors(img))
	n := min(len(colors), 256)
	palette := make(color.Palette, n)
	for i, c := range colors[:n] {
		palette[i] = chartPixelColor(c)
	}
	index := chartIndex(colors, n)

	out := image.NewPaletted(img.Rect, palette)
	w := img.Rect.Dx()
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		row := img.Pix[img.PixOffset(img.Rect.Min.X, y):]
		dst := out.Pix[out.PixOffset(out.Rect.Min.X, y):][:w]
		// Pixels come in runs of one colour: one map lookup a run.
		last, i := uint32(1<<24), uint8(0)
		for x := range dst {
			if c := chartPixel(row[4*x:]); c != last {
				last, i = c, index[c]
			}
			dst[x] = i
		}
	}
	return out
}

// chartPixel is the colour of the RGBA pixel at the start of pix as 0xBBGGRR: the
// pixel's four bytes read as one little-endian word, without the alpha. It is half
// the time of making the palette, so one load beats three.
func chartPixel(pix []byte) uint32 {
	return binary.LittleEndian.Uint32(pix) & 0xffffff
}

// chartPixelColor is the colour of a chartPixel.
func chartPixelColor(bgr uint32) color.RGBA {
	return color.RGBA{R: uint8(bgr), G: uint8(bgr >> 8), B: uint8(bgr >> 16), A: 0xff}
}

// chartCountColors is how many pixels of img have each colour.
func chartCountColors(img *image.RGBA) map[uint32]int {
	// A chart has a few thousand colours, most of them on anti-aliased edges.
	counts := make(map[uint32]int, 1<<12)
	w := img.Rect.Dx()
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		row := img.Pix[img.PixOffset(img.Rect.Min.X, y):][:4*w]
		run, last := 0, uint32(0)
		for x := 0; x < len(row); x += 4 {
			c := chartPixel(row[x:])
			if run > 0 && c != last {
				counts[last] += run
				run = 0
			}
			last = c
			run++
		}
		counts[last] += run
	}
	return counts
}

// chartByFrequency are the colours, most frequent first; ties go by colour, so
// that the same image gets the same palette and the same bytes.
func chartByFrequency(counts map[uint32]int) []uint32 {
	type counted struct {
		color uint32
		n     int
	}
	all := make([]counted, 0, len(counts))
	for c, n := range counts {
		all = append(all, counted{c, n})
	}
	slices.SortFunc(all, func(a, b counted) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.color, b.color))
	})
	colors := make([]uint32, len(all))
	for i, c := range all {
		colors[i] = c.color
	}
	return colors
}

// chartIndex maps each colour to its palette entry: the first n colours are the
// palette, the others take the nearest of them.
func chartIndex(colors []uint32, n int) map[uint32]uint8 {
	index := make(map[uint32]uint8, len(colors))
	for i, c := range colors[:n] {
		index[c] = uint8(i)
	}
	palette := make([][3]int, n)
	for i, c := range colors[:n] {
		palette[i] = chartChannels(c)
	}
	for _, c := range colors[n:] {
		index[c] = chartNearest(palette, chartChannels(c))
	}
	return index
}

// chartChannels are the three bytes of a colour.
func chartChannels(c uint32) [3]int {
	return [3]int{int(c & 0xff), int(c >> 8 & 0xff), int(c >> 16 & 0xff)}
}

// chartNearest is the index of the palette entry nearest to c.
func chartNearest(palette [][3]int, c [3]int) uint8 {
	best, bestDist := 0, math.MaxInt
	for i, p := range palette {
		x, y, z := p[0]-c[0], p[1]-c[1], p[2]-c[2]
		if d := x*x + y*y + z*z; d < bestDist {
			best, bestDist = i, d
		}
	}
	return uint8(best)
}
