package bot

import (
	"sync"
	"time"

	"devin-chatops/clock"
)

// dedupe remembers keys (envelope and event IDs) for a fixed TTL so that a redelivery
// is recognised. Slack delivers at least once: it retries events after 0 s, 1 min and
// 5 min, so the TTL must cover at least those 5 minutes.
//
// Because every key lives for the same TTL, insertion order is also expiry order: a
// FIFO of keys is enough to prune, and the oldest entries go first when the cap is hit.
type dedupe struct {
	mu    sync.Mutex
	ttl   time.Duration
	max   int
	clock clock.Clock
	seen  map[string]time.Time // key -> expiry
	order []dedupeEntry        // FIFO, oldest first; order[head:] is live
	head  int
}

type dedupeEntry struct {
	key    string
	expiry time.Time
}

func newDedupe(ttl time.Duration, maxEntries int, clk clock.Clock) *dedupe {
	return &dedupe{
		ttl:   ttl,
		max:   maxEntries,
		clock: clk,
		seen:  make(map[string]time.Time),
	}
}

// Seen records key and reports whether it was already recorded within the TTL.
// An empty key is never a duplicate: there is nothing to compare.
func (d *dedupe) Seen(key string) bool {
	if key == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	d.pruneLocked(now)
	if exp, ok := d.seen[key]; ok && now.Before(exp) {
		return true
	}
	for len(d.seen) >= d.max {
		d.evictOldestLocked()
	}
	exp := now.Add(d.ttl)
	d.seen[key] = exp
	d.order = append(d.order, dedupeEntry{key: key, expiry: exp})
	return false
}

// Len is the number of remembered keys.
func (d *dedupe) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}

func (d *dedupe) pruneLocked(now time.Time) {
	for d.head < len(d.order) && !now.Before(d.order[d.head].expiry) {
		d.dropHeadLocked()
	}
	d.compactLocked()
}

func (d *dedupe) evictOldestLocked() {
	if d.head >= len(d.order) {
		return
	}
	d.dropHeadLocked()
	d.compactLocked()
}

func (d *dedupe) dropHeadLocked() {
	e := d.order[d.head]
	// Only delete if the map still points at this entry; the key may have been
	// re-recorded later with a newer expiry after it lapsed.
	if exp, ok := d.seen[e.key]; ok && exp.Equal(e.expiry) {
		delete(d.seen, e.key)
	}
	d.order[d.head] = dedupeEntry{}
	d.head++
}

// compactLocked reclaims the consumed prefix of the FIFO once it dominates, so memory
// stays proportional to the live entries.
func (d *dedupe) compactLocked() {
	if d.head > 0 && d.head >= len(d.order)/2 {
		n := copy(d.order, d.order[d.head:])
		clear(d.order[n:])
		d.order = d.order[:n]
		d.head = 0
	}
}
