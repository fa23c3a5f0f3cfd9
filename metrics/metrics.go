// Package metrics defines what /metrics shows: the Slack runtime's counters, the
// approval flow's numbers, the API and Slack calls, and the stored state read at
// scrape time. Each App owns one Registry (never the library's global one), so tests
// and several bots in one process keep their numbers apart. Other packages see only
// the narrow hooks they call, through interfaces they define themselves.
package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds one bot's metrics and serves them.
type Registry struct {
	reg *prometheus.Registry

	// Runtime are the Slack runtime's counters, bumped by the bot directly.
	Runtime *Runtime

	decisions   *prometheus.HistogramVec
	executions  *prometheus.CounterVec
	apiCalls    *prometheus.CounterVec
	slackCalls  *prometheus.CounterVec
	slack429    *prometheus.CounterVec
	revocations *prometheus.CounterVec
}

// Runtime are the Socket Mode runtime's counters and its ack latency. Their names are
// the ones /metrics has always shown.
type Runtime struct {
	EnvelopesReceived prometheus.Counter
	EnvelopesAcked    prometheus.Counter
	AckFailures       prometheus.Counter
	AcksResent        prometheus.Counter
	DuplicatesDropped prometheus.Counter
	HandlerErrors     prometheus.Counter
	HandlerPanics     prometheus.Counter
	QueueFull         prometheus.Counter
	Reconnects        prometheus.Counter
	AckLatency        prometheus.Histogram
}

// Option configures a Registry.
type Option func(*prometheus.Registry)

// WithProcessCollectors adds the Go runtime's and the process's standard metrics
// (go_*, process_*). The app turns them on; unit tests of single packages leave them
// off so their scrapes show only what they test.
func WithProcessCollectors() Option {
	return func(r *prometheus.Registry) {
		r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
}

// New builds a Registry with every metric registered at zero.
func New(opts ...Option) *Registry {
	reg := prometheus.NewRegistry()
	for _, o := range opts {
		o(reg)
	}
	f := factory{reg}
	r := &Registry{reg: reg, Runtime: &Runtime{
		EnvelopesReceived: f.counter("chatops_envelopes_received_total", "Socket Mode envelopes received."),
		EnvelopesAcked:    f.counter("chatops_envelopes_acked_total", "Socket Mode envelopes acknowledged."),
		AckFailures:       f.counter("chatops_ack_failures_total", "Acks that could not be queued in time."),
		AcksResent:        f.counter("chatops_acks_resent_total", "Recent acks sent again after a reconnect, in case the swap lost them."),
		DuplicatesDropped: f.counter("chatops_duplicates_dropped_total", "Redelivered envelopes or events not handled again."),
		HandlerErrors:     f.counter("chatops_handler_errors_total", "Handler panics and failed replies."),
		HandlerPanics:     f.counter("chatops_handler_panics_total", "Handler panics recovered."),
		QueueFull:         f.counter("chatops_queue_full_total", "Envelopes turned away because the work queue was full."),
		Reconnects:        f.counter("chatops_socket_reconnects_total", "Socket Mode connections opened after the first."),
		// Buckets in seconds, up to Slack's 3 s ack deadline.
		AckLatency: f.histogram("chatops_ack_latency_seconds", "Time from receiving an envelope to queueing its ack.",
			[]float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 3}),
	}}
	// Approvers answer in minutes to days; the buckets run from a second to three days.
	r.decisions = f.histogramVec("chatops_decision_latency_seconds",
		"Time from a request's submission to its approval or denial.",
		[]float64{1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 72 * 3600}, "decision")
	r.executions = f.counterVec("chatops_executions_total",
		"Executions of approved requests by action and outcome (done, failed, interrupted, lost, error).", "action", "outcome")
	r.apiCalls = f.counterVec("chatops_api_calls_total",
		"HTTP attempts to the Devin and GitHub APIs by API, status (code or \"transport\") and whether the attempt was a retry.",
		"api", "status", "retry")
	r.slackCalls = f.counterVec("chatops_slack_calls_total",
		"Slack Web API calls and response_url posts by method and outcome (ok or error), retries included once.", "method", "outcome")
	r.slack429 = f.counterVec("chatops_slack_rate_limited_total",
		"Slack answers of 429 (rate limited) by method.", "method")
	r.revocations = f.counterVec("chatops_grant_revocations_total",
		"Time-boxed grants taken back, by outcome (revoked, failed, ...).", "outcome")
	return r
}

// Handler serves the registry in the Prometheus text format. A collector that fails
// (the database did not answer) leaves its metrics out of that scrape rather than
// failing the whole scrape.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Gatherer is the registry, for tests that read values.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// WatchBot registers the runtime's gauges, read from the bot when scraped. Call it
// once per registry.
func (r *Registry) WatchBot(queueDepth func() int, connected func() bool) {
	f := factory{r.reg}
	f.gaugeFunc("chatops_queue_depth", "Work items waiting for a worker.", func() float64 { return float64(queueDepth()) })
	f.gaugeFunc("chatops_socket_connected", "1 while the Socket Mode connection is up.", func() float64 {
		if connected() {
			return 1
		}
		return 0
	})
}

// Decided observes a decision (approved or denied) taken d after the submission.
func (r *Registry) Decided(decision string, d time.Duration) {
	r.decisions.WithLabelValues(decision).Observe(max(d, 0).Seconds())
}

// Executed counts an execution of action that ended with outcome.
func (r *Registry) Executed(action, outcome string) {
	r.executions.WithLabelValues(action, outcome).Inc()
}

// APICall counts one HTTP attempt to api ("Devin API", "GitHub API"); status 0 means
// the request got no HTTP answer.
func (r *Registry) APICall(api string, status int, retry bool) {
	s := "transport"
	if status > 0 {
		s = strconv.Itoa(status)
	}
	r.apiCalls.WithLabelValues(apiLabel(api), s, strconv.FormatBool(retry)).Inc()
}

// SlackCall counts one finished Slack call of method.
func (r *Registry) SlackCall(method string, ok bool) {
	outcome := "error"
	if ok {
		outcome = "ok"
	}
	r.slackCalls.WithLabelValues(method, outcome).Inc()
}

// SlackRateLimited counts one 429 answer to method.
func (r *Registry) SlackRateLimited(method string) { r.slack429.WithLabelValues(method).Inc() }

// Revoked counts a revocation that ended with outcome.
func (r *Registry) Revoked(outcome string) { r.revocations.WithLabelValues(outcome).Inc() }

// apiLabel turns an API's display name into a short label: "Devin API" -> "devin".
func apiLabel(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), " api")
}

// factory registers metrics on one registry.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

func (f factory) gaugeFunc(name, help string, fn func() float64) {
	f.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}
