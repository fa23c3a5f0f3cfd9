package devin_test

import (
	"context"
	"testing"

	"devin-chatops/apiclient/devin"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// BenchmarkListMembers10000 lists 10,000 members from the fake: 50 pages of 200 over
// real HTTP on loopback, decoding included.
func BenchmarkListMembers10000(b *testing.B) {
	fake := devinsandbox.New()
	defer fake.Close()
	fake.SeedMembers(10000)
	c, err := devin.New(fake.URL(), fake.APIKey())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ms, err := c.ListMembers(ctx, devin.ListMembersOptions{})
		if err != nil || len(ms) != 10000 {
			b.Fatalf("listed %d members: %v", len(ms), err)
		}
		fake.ResetRequests() // the fake's request log is not what is measured
	}
}
