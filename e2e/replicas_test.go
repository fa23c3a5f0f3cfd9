package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"devin-chatops/internal/harness"
)

// TestAuditEchoTwoReplicasOnce runs two bot processes on one database, both echoing the
// audit outbox (as during a rolling restart): each stored event must reach the audit
// channel exactly once.
func TestAuditEchoTwoReplicasOnce(t *testing.T) {
	env := apStart(t, harness.Options{DatabaseURL: "sqlite:" + t.TempDir() + "/db"})
	apReplica(t, env)
	require.Equal(t, 2, env.Slack.Connections())
	// Slow posts keep both echoers' passes overlapping.
	env.Slack.SetLatency("chat.postMessage", 20*time.Millisecond)

	const n = 6
	ids := make([]string, n)
	for i := range ids {
		ids[i], _ = apSubmit(t, env, harness.Requester, fmt.Sprintf("invite replica%d@example.com", i))
	}
	for _, id := range ids {
		apWaitEchoed(t, env, id, nil)
	}
	time.Sleep(300 * time.Millisecond) // room for a late second echo to show up
	for _, id := range ids {
		require.Len(t, apAuditLines(env, id), len(apEvents(t, env, id)), "request %s: one audit line per stored event", id)
	}
}
