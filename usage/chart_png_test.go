package usage

import (
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChartPalettedKeepsAFewColoursExactly(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 30, 10))
	colours := []color.RGBA{chartRGB(0xffffff), chartRGB(chartBlue), chartRGB(chartRed)}
	for x := range 30 {
		for y := range 10 {
			img.SetRGBA(x, y, colours[(x/10+y)%3])
		}
	}
	p := chartPaletted(img)
	for x := range 30 {
		for y := range 10 {
			require.Equal(t, img.At(x, y), p.At(x, y), "pixel %d,%d", x, y)
		}
	}
}

func TestChartPalettedTakesTheNearestColourPastTheFirst256(t *testing.T) {
	// 256 shades of red, each on two pixels, and one pixel of a colour close to
	// the darkest: it is the least frequent and takes that red.
	img := image.NewRGBA(image.Rect(0, 0, 513, 1))
	for i := range 256 {
		img.SetRGBA(2*i, 0, color.RGBA{R: uint8(i), A: 0xff})
		img.SetRGBA(2*i+1, 0, color.RGBA{R: uint8(i), A: 0xff})
	}
	img.SetRGBA(512, 0, color.RGBA{R: 1, G: 2, B: 1, A: 0xff})

	p := chartPaletted(img)
	assert.Len(t, p.Palette, 256)
	assert.Equal(t, color.RGBA{R: 1, A: 0xff}, p.At(512, 0))
	assert.Equal(t, color.RGBA{R: 200, A: 0xff}, p.At(400, 0))
}
