package bot

import "time"

// ackLog remembers the envelopes acked within the last window (Slack's 3 s ack
// deadline), so they can be acked again on a new connection.
//
// Why: on a reconnect slack-go closes the old socket while its response sender may
// still take queued acks off the channel; those writes fail on the closed socket and
// the acks are lost (a write_error event may or may not reach us, since slack-go drops
// events once the old connection's context is cancelled). Seen in
// TestSocketDisconnectMidBurstReconnectsAndAcksEverything. Acking again on the new
// connection is harmless: Slack ignores an ack for an envelope already acked.
//
// It is used only from the event loop goroutine and needs no lock.
type ackLog struct {
	window  time.Duration
	max     int
	entries []ackEntry // oldest first
}

type ackEntry struct {
	envelopeID string
	at         time.Time
}

func newAckLog(window time.Duration, maxEntries int) *ackLog {
	return &ackLog{window: window, max: maxEntries}
}

func (l *ackLog) add(envelopeID string, at time.Time) {
	l.prune(at)
	if len(l.entries) >= l.max {
		l.entries = l.entries[1:]
	}
	l.entries = append(l.entries, ackEntry{envelopeID: envelopeID, at: at})
}

// recent drops what is older than the window and returns the envelope IDs left.
func (l *ackLog) recent(now time.Time) []string {
	l.prune(now)
	ids := make([]string, len(l.entries))
	for j, e := range l.entries {
		ids[j] = e.envelopeID
	}
	return ids
}

func (l *ackLog) prune(now time.Time) {
	i := 0
	for i < len(l.entries) && now.Sub(l.entries[i].at) >= l.window {
		i++
	}
	if i > 0 {
		l.entries = append(l.entries[:0], l.entries[i:]...)
	}
}
