package e2e

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/clock/clocktest"
	"devin-chatops/internal/harness"
)

// scrape reads /metrics over HTTP, the way Prometheus does, and returns each sample
// by its series (name and labels as written, e.g. `x_total{a="b"}`).
func scrape(t *testing.T, env *harness.Env) map[string]float64 {
	t.Helper()
	code, body := roGet(t, "http://"+env.App.Addr(), "/metrics")
	require.Equal(t, http.StatusOK, code, body)
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, "sample line without a value: %q", line)
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, "sample line %q", line)
		out[line[:i]] = v
	}
	return out
}

// sumOf adds the samples of metric name whose labels contain every label given
// (`api="devin"`), so a test need not spell out labels it does not care about.
func sumOf(samples map[string]float64, name string, labels ...string) float64 {
	total := 0.0
	for series, v := range samples {
		if series != name && !strings.HasPrefix(series, name+"{") {
			continue
		}
		if containsAll(series, labels...) {
			total += v
		}
	}
	return total
}

// /metrics follows real actions: the stored-state gauges are read from the database,
// and every hook (decisions, executions, API calls, Slack calls, 429s) counts.
func TestMetricsFollowTheApprovalFlow(t *testing.T) {
	env := apStart(t, harness.Options{})
	m := scrape(t, env)
	assert.Zero(t, m["chatops_requests_pending"])
	assert.Zero(t, m["chatops_oldest_pending_request_age_seconds"])
	assert.Zero(t, m["chatops_grants_active"])
	assert.Contains(t, m, "go_goroutines", "the Go collector is registered")
	assert.Contains(t, m, "process_resident_memory_bytes", "the process collector is registered")
	assert.Contains(t, m, "chatops_envelopes_received_total", "the runtime's counters keep their names")

	first, _ := apSubmit(t, env, harness.Requester, "invite metrics.one@example.com")
	second, _ := apSubmit(t, env, harness.Requester, "invite metrics.two@example.com")
	card := apCard(t, env, first, "Approval needed: ")
	m = scrape(t, env)
	assert.Equal(t, 2.0, m["chatops_requests_pending"])
	assert.GreaterOrEqual(t, m["chatops_oldest_pending_request_age_seconds"], 0.0)
	assert.Less(t, m["chatops_oldest_pending_request_age_seconds"], apWait.Seconds())

	// One 429 from Devin on the invite: the retry is counted as a retry.
	env.Devin.Fail(http.MethodPost, "/members/invite", http.StatusTooManyRequests, 1)
	// One 429 from Slack on the next card update.
	env.Slack.RateLimit("chat.update", 1, time.Second)
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, first, "Done: ")

	deny := apCard(t, env, second, "Approval needed: ")
	env.Slack.FailNext("views.open", "expired_trigger_id", 1)
	apClick(t, env, harness.Bob, deny, approvalslack.ActionIDDeny)
	apCard(t, env, second, "Denied: ")
	apEventually(t, "the audit outbox is drained", func() bool { return apOutboxEmpty(t, env) })
	apEventually(t, "the execution is counted", func() bool {
		return scrape(t, env)[`chatops_executions_total{action="invite",outcome="done"}`] == 1
	})

	m = scrape(t, env)
	assert.Zero(t, m["chatops_requests_pending"])
	assert.Zero(t, m["chatops_oldest_pending_request_age_seconds"])
	assert.Zero(t, m["chatops_audit_outbox_backlog"])
	assert.Equal(t, 1.0, m[`chatops_executions_total{action="invite",outcome="done"}`])
	assert.Equal(t, 1.0, m[`chatops_decision_latency_seconds_count{decision="approved"}`])
	assert.Equal(t, 1.0, m[`chatops_decision_latency_seconds_count{decision="denied"}`])
	assert.Equal(t, 1.0, m[`chatops_api_calls_total{api="devin",retry="false",status="429"}`])
	assert.GreaterOrEqual(t, m[`chatops_api_calls_total{api="devin",retry="true",status="200"}`], 1.0,
		"the invite's retry after the 429")
	assert.Equal(t, 1.0, m[`chatops_slack_rate_limited_total{method="chat.update"}`])
	assert.GreaterOrEqual(t, m[`chatops_slack_calls_total{method="chat.postMessage",outcome="ok"}`], 2.0, "two cards at least")
	assert.Equal(t, 1.0, m[`chatops_slack_calls_total{method="views.open",outcome="error"}`])
	assert.Zero(t, sumOf(m, "chatops_state_read_errors_total"))
}

// A time-boxed grant shows as active, and its revocation is counted by outcome.
func TestMetricsCountGrantsAndRevocations(t *testing.T) {
	offset := &clocktest.Shifted{}
	env := grStart(t, offset, "")
	id := grGranted(t, env, "team add "+harness.TeamPlatform+" temp-dev --for 1m")
	grWait(t, env, id, approvals.GrantActive)
	assert.Equal(t, 1.0, scrape(t, env)["chatops_grants_active"])
	// The execution is counted once its outcome is recorded, which the card may show first.
	apEventually(t, "the execution is counted", func() bool {
		return scrape(t, env)[`chatops_executions_total{action="team_add",outcome="done"}`] == 1
	})

	offset.Shift(2 * time.Minute)
	env.App.Revoker.Kick()
	grWait(t, env, id, approvals.GrantRevoked)
	// Counted once recorded, as the state the test waited for.
	apEventually(t, "the revocation is counted", func() bool {
		return scrape(t, env)[`chatops_grant_revocations_total{outcome="removed"}`] == 1
	})
	assert.Zero(t, scrape(t, env)["chatops_grants_active"])
}
