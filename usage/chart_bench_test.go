package usage

import "testing"

// BenchmarkChart draws a full cycle's chart: 31 days and eight org trends, the most
// the chart ever draws.
func BenchmarkChart(b *testing.B) {
	r := chartSample(31, 8)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Chart(r); err != nil {
			b.Fatal(err)
		}
	}
}
