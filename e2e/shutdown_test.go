package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
	"devin-chatops/store"
)

// shStartExecution submits an invitation, has Alice approve it and returns once the
// Devin API holds the invitation (for latency), the execution in flight.
func shStartExecution(t *testing.T, env *harness.Env, email string, latency time.Duration) string {
	t.Helper()
	id, _ := apSubmit(t, env, harness.Requester, "invite "+email)
	card := apCard(t, env, id, "Approval needed: ")
	env.Devin.SetLatencyOp(latency, devinsandbox.OpInvite)
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apEventually(t, "the invitation is in flight", func() bool {
		return env.Devin.CountOp(devinsandbox.OpInvite) == 1
	})
	return id
}

// SIGTERM during an execution: the socket closes at once (Slack sends new envelopes
// elsewhere), the execution in flight finishes within the grace period and is recorded,
// and the process then exits.
func TestShutdownLetsTheExecutionInFlightFinish(t *testing.T) {
	dbURL := "sqlite:" + t.TempDir() + "/db"
	opts := harness.Options{DatabaseURL: dbURL}
	opts.App.ShutdownGrace = 20 * time.Second
	env := apStart(t, opts)
	id := shStartExecution(t, env, "graceful@example.com", 1500*time.Millisecond)

	stopped := make(chan error, 1)
	go func() { stopped <- env.StopBot() }()
	apEventually(t, "the socket is closed first", func() bool { return !env.App.Bot.Connected() })
	select {
	case err := <-stopped:
		require.NoError(t, err)
	case <-time.After(apWait):
		t.Fatal("the bot did not stop within the grace period")
	}

	// The process is gone; its database says the work was finished and recorded.
	db, err := store.Open(apCtx(t), dbURL)
	require.NoError(t, err)
	defer db.Close()
	r, err := db.GetRequest(apCtx(t), id)
	require.NoError(t, err)
	assert.Equal(t, approvals.StateDone, r.State, "the execution in flight finished before the exit")
	_, ok := env.Devin.MemberByEmail("graceful@example.com")
	assert.True(t, ok)
	evs, err := db.AuditEvents(apCtx(t), id)
	require.NoError(t, err)
	assert.Contains(t, apKinds(evs), audit.KindDone)
	cur, _ := apCurrentCard(env, id)
	assert.Contains(t, cur.Text, "Done: ", "the card was updated before the exit")
	assert.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpInvite), "sent once")
}

// An execution that outlasts the grace period is cancelled, left executing, and the
// next process finishes it once: nothing is lost.
func TestShutdownHandsBackAnExecutionPastTheGrace(t *testing.T) {
	dbURL := "sqlite:" + t.TempDir() + "/db"
	opts := harness.Options{DatabaseURL: dbURL}
	opts.App.ShutdownGrace = 200 * time.Millisecond
	env := apStart(t, opts)
	id := shStartExecution(t, env, "past.grace@example.com", 5*time.Second)

	stopped := env.App
	require.NoError(t, env.StopBot())
	require.NoError(t, testutil.GatherAndCompare(stopped.Metrics.Gatherer(), strings.NewReader(`
# HELP chatops_executions_total Executions of approved requests by action and outcome (done, failed, interrupted, lost, error).
# TYPE chatops_executions_total counter
chatops_executions_total{action="invite",outcome="interrupted"} 1
`), "chatops_executions_total"), "counted as interrupted, not failed")
	db, err := store.Open(apCtx(t), dbURL)
	require.NoError(t, err)
	r, err := db.GetRequest(apCtx(t), id)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.Equal(t, approvals.StateExecuting, r.State, "not waited for past the grace period; left for the next start")

	env.Devin.SetLatencyOp(0, devinsandbox.OpInvite)
	require.NoError(t, env.Restart(apCtx(t)))
	apCard(t, env, id, "Done: ")
	apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	assert.Equal(t, 1, apKindLines(env, id, audit.KindDone), "finished once")
	_, ok := env.Devin.MemberByEmail("past.grace@example.com")
	assert.True(t, ok)
}
