package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fakeState struct {
	pending     int
	oldest      time.Time
	backlog     int
	grants      int
	err         error
	sawDeadline bool
}

func (f *fakeState) PendingRequests(ctx context.Context) (int, time.Time, error) {
	_, f.sawDeadline = ctx.Deadline()
	return f.pending, f.oldest, f.err
}
func (f *fakeState) OutboxBacklog(context.Context) (int, error) { return f.backlog, f.err }
func (f *fakeState) ActiveGrants(context.Context) (int, error)  { return f.grants, nil }

func TestStateGaugesAreReadAtScrapeTime(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := &fakeState{pending: 3, oldest: now.Add(-90 * time.Second), backlog: 7, grants: 2}
	r := New()
	r.WatchState(st, func() time.Time { return now }, time.Second, nil)

	require.NoError(t, testutil.GatherAndCompare(r.Gatherer(), strings.NewReader(`
# HELP chatops_requests_pending Requests waiting for a decision.
# TYPE chatops_requests_pending gauge
chatops_requests_pending 3
# HELP chatops_oldest_pending_request_age_seconds Age of the oldest request waiting for a decision (0 when none).
# TYPE chatops_oldest_pending_request_age_seconds gauge
chatops_oldest_pending_request_age_seconds 90
# HELP chatops_audit_outbox_backlog Audit lines not yet echoed to the audit channel.
# TYPE chatops_audit_outbox_backlog gauge
chatops_audit_outbox_backlog 7
# HELP chatops_grants_active Time-boxed grants in force.
# TYPE chatops_grants_active gauge
chatops_grants_active 2
`), "chatops_requests_pending", "chatops_oldest_pending_request_age_seconds", "chatops_audit_outbox_backlog", "chatops_grants_active"))
	assert.True(t, st.sawDeadline, "the store reads are time-bounded")

	// The next scrape sees the store as it is then.
	st.pending, st.oldest = 0, time.Time{}
	n, err := testutil.GatherAndCount(r.Gatherer(), "chatops_requests_pending")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.NoError(t, testutil.GatherAndCompare(r.Gatherer(), strings.NewReader(`
# HELP chatops_oldest_pending_request_age_seconds Age of the oldest request waiting for a decision (0 when none).
# TYPE chatops_oldest_pending_request_age_seconds gauge
chatops_oldest_pending_request_age_seconds 0
`), "chatops_oldest_pending_request_age_seconds"))
}

// A store that does not answer leaves its gauges out and counts the failure, while
// the rest of the scrape is still served.
func TestStateReadFailureKeepsTheScrapeUp(t *testing.T) {
	r := New()
	r.WatchState(&fakeState{err: errors.New("database is locked"), grants: 4}, time.Now, time.Second, nil)
	r.Runtime.EnvelopesReceived.Inc()

	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	assert.Contains(t, body, "\nchatops_envelopes_received_total 1\n")
	assert.Contains(t, body, "\nchatops_grants_active 4\n")
	assert.Contains(t, body, "\nchatops_state_read_errors_total 2\n", "pending and backlog failed")
	assert.NotContains(t, body, "chatops_requests_pending ")
	assert.NotContains(t, body, "chatops_audit_outbox_backlog ")
}

func TestHooksLabelTheirCounts(t *testing.T) {
	r := New()
	r.APICall("Devin API", 200, false)
	r.APICall("GitHub API", 0, true)
	r.APICall("GitHub API", 0, true)
	r.SlackCall("chat.postMessage", true)
	r.SlackCall("chat.update", false)
	r.SlackRateLimited("chat.update")
	r.Executed("invite", "done")
	r.Revoked("already_gone")
	r.Decided("approved", 90*time.Second)
	r.Decided("denied", -time.Second) // a clock step back counts as 0, not negative

	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"api devin 200 first try", []string{"devin", "200", "false"}, 1},
		{"api github no answer retried", []string{"github", "transport", "true"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, testutil.ToFloat64(r.apiCalls.WithLabelValues(tc.labels...)))
		})
	}
	assert.Equal(t, 1.0, testutil.ToFloat64(r.slackCalls.WithLabelValues("chat.postMessage", "ok")))
	assert.Equal(t, 1.0, testutil.ToFloat64(r.slackCalls.WithLabelValues("chat.update", "error")))
	assert.Equal(t, 1.0, testutil.ToFloat64(r.slack429.WithLabelValues("chat.update")))
	assert.Equal(t, 1.0, testutil.ToFloat64(r.executions.WithLabelValues("invite", "done")))
	assert.Equal(t, 1.0, testutil.ToFloat64(r.revocations.WithLabelValues("already_gone")))
	require.NoError(t, testutil.GatherAndCompare(r.Gatherer(), strings.NewReader(`
# HELP chatops_decision_latency_seconds Time from a request's submission to its approval or denial.
# TYPE chatops_decision_latency_seconds histogram
chatops_decision_latency_seconds_bucket{decision="approved",le="1"} 0
chatops_decision_latency_seconds_bucket{decision="approved",le="10"} 0
chatops_decision_latency_seconds_bucket{decision="approved",le="60"} 0
chatops_decision_latency_seconds_bucket{decision="approved",le="300"} 1
chatops_decision_latency_seconds_bucket{decision="approved",le="900"} 1
chatops_decision_latency_seconds_bucket{decision="approved",le="3600"} 1
chatops_decision_latency_seconds_bucket{decision="approved",le="14400"} 1
chatops_decision_latency_seconds_bucket{decision="approved",le="86400"} 1
chatops_decision_latency_seconds_bucket{decision="approved",le="259200"} 1
chatops_decision_latency_seconds_bucket{decision="approved",le="+Inf"} 1
chatops_decision_latency_seconds_sum{decision="approved"} 90
chatops_decision_latency_seconds_count{decision="approved"} 1
chatops_decision_latency_seconds_bucket{decision="denied",le="1"} 1
chatops_decision_latency_seconds_bucket{decision="denied",le="10"} 1
chatops_decision_latency_seconds_bucket{decision="denied",le="60"} 1
chatops_decision_latency_seconds_bucket{decision="denied",le="300"} 1
chatops_decision_latency_seconds_bucket{decision="denied",le="900"} 1
chatops_decision_latency_seconds_bucket{decision="denied",le="3600"} 1
chatops_decision_latency_seconds_bucket{decision="denied",le="14400"} 1
chatops_decision_latency_seconds_bucket{decision="denied",le="86400"} 1
chatops_decision_latency_seconds_bucket{decision="denied",le="259200"} 1
chatops_decision_latency_seconds_bucket{decision="denied",le="+Inf"} 1
chatops_decision_latency_seconds_sum{decision="denied"} 0
chatops_decision_latency_seconds_count{decision="denied"} 1
`), "chatops_decision_latency_seconds"))
}

// Two registries in one process keep their numbers apart (no global registry).
func TestRegistriesAreIndependent(t *testing.T) {
	a, b := New(WithProcessCollectors()), New(WithProcessCollectors())
	a.Runtime.Reconnects.Inc()
	assert.Equal(t, 1.0, testutil.ToFloat64(a.Runtime.Reconnects))
	assert.Zero(t, testutil.ToFloat64(b.Runtime.Reconnects))
}
