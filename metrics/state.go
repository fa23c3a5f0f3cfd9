package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// StateReader answers the gauges that describe stored state. Reading them from the
// database at scrape time, rather than keeping them in memory, makes every replica
// report the same, right, numbers. Each answer must come from an index.
type StateReader interface {
	// PendingRequests is how many requests wait for a decision and when the oldest
	// of them was submitted (zero time when none).
	PendingRequests(ctx context.Context) (n int, oldest time.Time, err error)
	// OutboxBacklog is how many audit lines are not yet echoed to Slack.
	OutboxBacklog(ctx context.Context) (int, error)
	// ActiveGrants is how many time-boxed grants are in force.
	ActiveGrants(ctx context.Context) (int, error)
}

// DefaultStateTimeout bounds the store reads of one scrape.
const DefaultStateTimeout = 2 * time.Second

// WatchState registers the stored-state gauges, read from s on each scrape with at
// most timeout for all of them. now is the clock the oldest request's age is measured
// with. A read that fails is logged and its gauge left out of that scrape; the
// counter chatops_state_read_errors_total says how often that happened.
func (r *Registry) WatchState(s StateReader, now func() time.Time, timeout time.Duration, log *slog.Logger) {
	if timeout <= 0 {
		timeout = DefaultStateTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &stateCollector{
		store: s, now: now, timeout: timeout, log: log,
		pending: prometheus.NewDesc("chatops_requests_pending", "Requests waiting for a decision.", nil, nil),
		oldest: prometheus.NewDesc("chatops_oldest_pending_request_age_seconds",
			"Age of the oldest request waiting for a decision (0 when none).", nil, nil),
		backlog: prometheus.NewDesc("chatops_audit_outbox_backlog", "Audit lines not yet echoed to the audit channel.", nil, nil),
		grants:  prometheus.NewDesc("chatops_grants_active", "Time-boxed grants in force.", nil, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatops_state_read_errors_total", Help: "Scrape-time reads of the stored state that failed.",
		}),
	}
	r.reg.MustRegister(c)
}

type stateCollector struct {
	store   StateReader
	now     func() time.Time
	timeout time.Duration
	log     *slog.Logger

	pending, oldest, backlog, grants *prometheus.Desc
	errors                           prometheus.Counter
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.oldest
	ch <- c.backlog
	ch <- c.grants
	c.errors.Describe(ch)
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if n, oldest, err := c.store.PendingRequests(ctx); c.ok("pending requests", err) {
		age := 0.0
		if n > 0 && !oldest.IsZero() {
			age = max(c.now().Sub(oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(n))
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
	}
	if n, err := c.store.OutboxBacklog(ctx); c.ok("audit outbox backlog", err) {
		ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(n))
	}
	if n, err := c.store.ActiveGrants(ctx); c.ok("active grants", err) {
		ch <- prometheus.MustNewConstMetric(c.grants, prometheus.GaugeValue, float64(n))
	}
	c.errors.Collect(ch)
}

func (c *stateCollector) ok(what string, err error) bool {
	if err == nil {
		return true
	}
	c.errors.Inc()
	c.log.Warn("metrics: reading the stored state failed", "what", what, "error", err)
	return false
}
