package usage

import "testing"

// BenchmarkReport40Orgs2000Users builds the whole report, Block Kit and chart, from
// already-fetched data of 40 orgs and 2,000 users: what one /devin usage costs the
// bot besides the API calls. Budget: under 50 ms/op on the CI machine.
//
//	go test ./usage -run '^$' -bench BenchmarkReport40Orgs2000Users -count 3
func BenchmarkReport40Orgs2000Users(b *testing.B) {
	d, now := bigData()
	b.ReportAllocs()
	for b.Loop() {
		r := Build(d, now, Options{})
		_ = Message(r)
		if _, err := Chart(r); err != nil {
			b.Fatal(err)
		}
	}
}
