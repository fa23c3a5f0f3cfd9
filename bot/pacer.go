package bot

import (
	"sync"
	"time"
)

// pacer is a set of token buckets, one per key (a channel ID), that hands out
// reservations: each call takes a token now and learns how long to wait before using
// it. Reserving instead of polling keeps callers of one channel in FIFO order and
// lets callers of other channels proceed without touching that channel's queue.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration // one token per interval
	burst    float64
	buckets  map[string]*bucket
}

type bucket struct {
	tokens float64 // may go negative: that many reservations are queued
	last   time.Time
}

// pacerPruneAt is the bucket count above which idle (full) buckets are dropped. A full
// bucket behaves exactly like a missing one, so dropping it changes nothing.
const pacerPruneAt = 1024

func newPacer(interval time.Duration, burst int) *pacer {
	return &pacer{
		interval: interval,
		burst:    float64(max(burst, 1)),
		buckets:  make(map[string]*bucket),
	}
}

// reserve takes one token for key at time now and returns how long the caller must
// wait before sending.
func (p *pacer) reserve(key string, now time.Time) time.Duration {
	if p.interval <= 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.refillLocked(key, now)
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens * float64(p.interval))
}

// cancel returns a reserved token, for a caller that gave up (its context ended)
// before sending: otherwise the abandoned slot would delay everyone queued behind it.
func (p *pacer) cancel(key string, now time.Time) {
	if p.interval <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.refillLocked(key, now)
	b.tokens = min(b.tokens+1, p.burst)
}

func (p *pacer) refillLocked(key string, now time.Time) *bucket {
	b, ok := p.buckets[key]
	if !ok {
		if len(p.buckets) >= pacerPruneAt {
			p.pruneLocked(now)
		}
		b = &bucket{tokens: p.burst, last: now}
		p.buckets[key] = b
		return b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(p.burst, b.tokens+float64(elapsed)/float64(p.interval))
		b.last = now
	}
	return b
}

func (p *pacer) pruneLocked(now time.Time) {
	for k, b := range p.buckets {
		if b.tokens+float64(now.Sub(b.last))/float64(p.interval) >= p.burst {
			delete(p.buckets, k)
		}
	}
}
