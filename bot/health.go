package bot

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// HealthHandler serves the process probes and metrics:
//
//	/healthz  200 "ok" while the process runs (liveness)
//	/readyz   200 "ok" while the socket is up and the tokens are valid, else 503 and why
//	/metrics  Prometheus text exposition of the bot's counters
func (b *Bot) HealthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writePlain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if reason := b.notReadyReason(); reason != "" {
			writePlain(w, http.StatusServiceUnavailable, reason)
			return
		}
		writePlain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		b.metrics.write(w, len(b.queue), b.Connected())
	})
	return mux
}

func (b *Bot) notReadyReason() string {
	switch {
	case b.tokensRejected.Load():
		return "slack rejected a token"
	case !b.TokensValid():
		return "slack tokens not verified yet"
	case !b.Connected():
		return "socket mode not connected"
	default:
		return ""
	}
}

func writePlain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body+"\n")
}

// metrics are the bot's counters. They are hand-written in the Prometheus text format
// to avoid a client-library dependency for a handful of numbers.
type metrics struct {
	envelopesReceived atomic.Uint64
	envelopesAcked    atomic.Uint64
	ackFailures       atomic.Uint64
	acksResent        atomic.Uint64
	duplicatesDropped atomic.Uint64
	handlerErrors     atomic.Uint64
	handlerPanics     atomic.Uint64
	queueFull         atomic.Uint64
	reconnects        atomic.Uint64
	ackLatency        *histogram
}

func newMetrics() *metrics {
	// Ack latency buckets in seconds, up to Slack's 3 s deadline.
	return &metrics{ackLatency: newHistogram(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 3)}
}

// histogram is a cumulative Prometheus histogram over fixed upper bounds.
type histogram struct {
	bounds []float64
	mu     sync.Mutex
	counts []uint64
	count  uint64
	sum    float64
}

func newHistogram(bounds ...float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds))}
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, ub := range h.bounds {
		if s <= ub {
			h.counts[i]++
		}
	}
	h.count++
	h.sum += s
}

func (m *metrics) write(w io.Writer, queueDepth int, connected bool) {
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	gauge := func(name, help string, v int) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
	}
	counter("chatops_envelopes_received_total", "Socket Mode envelopes received.", m.envelopesReceived.Load())
	counter("chatops_envelopes_acked_total", "Socket Mode envelopes acknowledged.", m.envelopesAcked.Load())
	counter("chatops_ack_failures_total", "Acks that could not be queued in time.", m.ackFailures.Load())
	counter("chatops_acks_resent_total", "Recent acks sent again after a reconnect, in case the swap lost them.", m.acksResent.Load())
	counter("chatops_duplicates_dropped_total", "Redelivered envelopes or events not handled again.", m.duplicatesDropped.Load())
	counter("chatops_handler_errors_total", "Handler panics and failed replies.", m.handlerErrors.Load())
	counter("chatops_handler_panics_total", "Handler panics recovered.", m.handlerPanics.Load())
	counter("chatops_queue_full_total", "Envelopes turned away because the work queue was full.", m.queueFull.Load())
	counter("chatops_socket_reconnects_total", "Socket Mode connections opened after the first.", m.reconnects.Load())
	gauge("chatops_queue_depth", "Work items waiting for a worker.", queueDepth)
	up := 0
	if connected {
		up = 1
	}
	gauge("chatops_socket_connected", "1 while the Socket Mode connection is up.", up)

	h := m.ackLatency
	h.mu.Lock()
	counts, count, sum := slices.Clone(h.counts), h.count, h.sum
	h.mu.Unlock()
	const name = "chatops_ack_latency_seconds"
	fmt.Fprintf(w, "# HELP %s Time from receiving an envelope to queueing its ack.\n# TYPE %s histogram\n", name, name)
	for i, ub := range h.bounds {
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", name, strconv.FormatFloat(ub, 'g', -1, 64), counts[i])
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n",
		name, count, name, strconv.FormatFloat(sum, 'g', -1, 64), name, count)
}
