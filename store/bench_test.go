package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"devin-chatops/approvals"
	"devin-chatops/audit"
)

// The benchmarks use a file database, as in production (WAL, synchronous=NORMAL), and
// write one audit event per operation, as the approval service does.

func BenchmarkCreateRequest(b *testing.B) {
	ctx := context.Background()
	db := openFile(b, filepath.Join(b.TempDir(), "bench.db"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := sampleRequest(fmt.Sprintf("B%09d", i))
		if err := db.CreateRequest(ctx, r, audit.Event{Kind: audit.KindRequest, Actor: "UREQ", Items: r.Items}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTransition(b *testing.B) {
	ctx := context.Background()
	db := openFile(b, filepath.Join(b.TempDir(), "bench.db"))
	for i := 0; i < b.N; i++ {
		if err := db.CreateRequest(ctx, sampleRequest(fmt.Sprintf("B%09d", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ok, err := db.Transition(ctx, fmt.Sprintf("B%09d", i), approvals.StatePending, approvals.StateApproved,
			approvals.Change{DecidedBy: "UA", DecidedAt: t0}, audit.Event{Kind: audit.KindApproved, Actor: "UA"})
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
