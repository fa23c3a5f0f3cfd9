package slackui

import (
	"math"
	"strconv"
	"strings"
)

// groupThousands puts commas between groups of three digits of a decimal number.
func groupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}

// Number formats an amount with at most one decimal: 1234.56 -> "1,234.6", 500 -> "500".
func Number(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "?"
	}
	r := math.Round(f*10) / 10
	if r == 0 {
		r = 0 // no "-0"
	}
	return groupThousands(strconv.FormatFloat(r, 'f', -1, 64))
}
