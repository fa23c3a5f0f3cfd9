package slackui

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNumber(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0", 500: "500", 1234.56: "1,234.6", 1234567.04: "1,234,567", -1500.5: "-1,500.5",
		0.04: "0", -0.04: "0", 999.96: "1,000", math.NaN(): "?", math.Inf(1): "?",
	} {
		assert.Equal(t, want, Number(f), "%v", f)
	}
}
