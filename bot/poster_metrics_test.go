package bot

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/metrics"
	"devin-chatops/slackui"
)

// The poster counts each call once, when it has succeeded or given up, and every 429.
func TestPosterCountsCallsAnd429s(t *testing.T) {
	reg := metrics.New()
	p, api := newTestPoster(t, newAutoClock(), WithPostObserver(reg))
	api.Script("chat.postMessage", scripted{status: http.StatusTooManyRequests, retryAfter: "1"})
	api.Script("chat.update", slackError("channel_not_found"))

	_, err := p.Post(context.Background(), "C1", slackui.Text("hi"))
	require.NoError(t, err)
	require.Error(t, p.Update(context.Background(), "C1", "1.1", slackui.Text("x")))

	count := func(name string, labels ...string) float64 {
		t.Helper()
		mfs, err := reg.Gatherer().Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
		next:
			for _, m := range mf.GetMetric() {
				for i, l := range m.GetLabel() {
					if i >= len(labels) || l.GetValue() != labels[i] {
						continue next
					}
				}
				return m.GetCounter().GetValue()
			}
		}
		return 0
	}
	assert.Equal(t, 1.0, count("chatops_slack_calls_total", "chat.postMessage", "ok"), "the retried post counts once")
	assert.Equal(t, 1.0, count("chatops_slack_calls_total", "chat.update", "error"))
	assert.Equal(t, 1.0, count("chatops_slack_rate_limited_total", "chat.postMessage"))
	assert.Zero(t, count("chatops_slack_rate_limited_total", "chat.update"))
}
