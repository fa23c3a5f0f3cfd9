package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"devin-chatops/approvals"
	"devin-chatops/audit"
)

// The benchmarks run on each backend as in production: SQLite on a file (WAL,
// synchronous=NORMAL), PostgreSQL on TEST_DATABASE_URL (skipped without it). Each
// operation writes one audit event, as the approval service does.

func benchEachBackend(b *testing.B, fn func(b *testing.B, url string)) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) { fn(b, be.fresh(b)) })
	}
}

func BenchmarkCreateRequest(b *testing.B) {
	ctx := context.Background()
	benchEachBackend(b, func(b *testing.B, url string) {
		db := openURL(b, url)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			r := sampleRequest(fmt.Sprintf("B%09d", i))
			if err := db.CreateRequest(ctx, r, audit.Event{Kind: audit.KindRequest, Actor: "UREQ", Items: r.Items}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkTransition(b *testing.B) {
	ctx := context.Background()
	benchEachBackend(b, func(b *testing.B, url string) {
		db := openURL(b, url)
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
	})
}

// BenchmarkSubmitApproveParallel: a request submitted and approved per operation, from
// goroutines spread over several replicas of one database, as a scaled-out bot would.
func BenchmarkSubmitApproveParallel(b *testing.B) {
	ctx := context.Background()
	benchEachBackend(b, func(b *testing.B, url string) {
		replicas := make([]*DB, 4)
		for i := range replicas {
			replicas[i] = openURL(b, url)
		}
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := next.Add(1)
				db := replicas[n%int64(len(replicas))]
				r := sampleRequest(fmt.Sprintf("P%09d", n))
				if err := db.CreateRequest(ctx, r, audit.Event{Kind: audit.KindRequest, Actor: "UREQ"}); err != nil {
					b.Error(err)
					return
				}
				ok, err := db.Transition(ctx, r.ID, approvals.StatePending, approvals.StateApproved,
					approvals.Change{DecidedBy: "UA", DecidedAt: t0}, audit.Event{Kind: audit.KindApproved, Actor: "UA"})
				if err != nil || !ok {
					b.Error(ok, err)
					return
				}
			}
		})
	})
}

// BenchmarkOutboxClaim: an echoer's claim and delivery of one audit event.
func BenchmarkOutboxClaim(b *testing.B) {
	ctx := context.Background()
	benchEachBackend(b, func(b *testing.B, url string) {
		db := openURL(b, url)
		for i := 0; i < b.N; i++ {
			if err := db.AppendAudit(ctx, audit.Event{ID: fmt.Sprintf("E%09d", i), Kind: audit.KindCommand, At: t0}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id := fmt.Sprintf("E%09d", i)
			ok, err := db.Claim(ctx, id, "echoer", t0, t0.Add(time.Minute))
			if err != nil || !ok {
				b.Fatal(ok, err)
			}
			if err := db.Delivered(ctx, id, t0); err != nil {
				b.Fatal(err)
			}
		}
	})
}
