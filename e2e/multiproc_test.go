package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/config"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
	"devin-chatops/reports"
	"devin-chatops/usage"
)

// TestReplicaProcesses runs the bot as two OS processes on one database, with one fake
// Slack that hands each envelope to one of their two sockets in turn: on SQLite (one
// file) and, with TEST_DATABASE_URL, on PostgreSQL.
func TestReplicaProcesses(t *testing.T) {
	t.Parallel()
	for _, b := range mpBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			t.Run("click storm, grant, reports and alerts", func(t *testing.T) { mpShared(t, b) })
			t.Run("kill -9 mid-execution", func(t *testing.T) { mpKilled(t, b) })
			t.Run("SIGTERM mid-execution hands back", func(t *testing.T) { mpHandedBack(t, b) })
			t.Run("SIGTERM with an audit line waiting hands its claim back", func(t *testing.T) { mpEchoHandedBack(t, b) })
		})
	}
}

// mpShared: 20 concurrent clicks across both replicas execute the request once; a
// time-boxed grant is revoked once; the scheduled report slots and the ACU-limit alerts
// are posted once each; every audit event is echoed once.
func mpShared(t *testing.T, b mpBackend) {
	s := mpStart(t, b, harness.Options{Configure: func(c *config.Config) {
		c.UsageReportChannel = reportChannel
		c.UsageReportSchedule = "@every 2s"
	}})
	env := s.env
	env.Slack.AddChannel(reportChannel, "reports")
	// Engineering (limit 1,000) is at 79%: 20 more ACUs cross 80%, which both replicas
	// see at start-up.
	env.Devin.AddUsage(usage.DayStart(time.Now()).Format(time.DateOnly), harness.OrgEngineering, "", 20)
	s.spawn(t, "replica-a", true, 1)
	s.spawn(t, "replica-b", true, 2)

	// (a) 20 clicks at once, spread over both sockets.
	id, _ := apSubmit(t, env, harness.Requester, "invite storm@example.com")
	card := apCard(t, env, id, "Approval needed: ")
	clickers := []string{harness.Alice, harness.Bob, harness.Carol}
	// The card keeps its buttons until all 20 are clicked: its updates are slowed, and
	// the clicks start together.
	env.Slack.SetLatency("chat.update", time.Second)
	done := make(chan error, 20)
	go1 := make(chan struct{})
	for i := range 20 {
		go func() {
			<-go1
			it, err := env.Slack.ClickButton(clickers[i%len(clickers)], card.Channel, card.TS, approvalslack.ActionIDApprove)
			if err == nil {
				_, err = it.WaitAck(waitCtx(t, apWait))
			}
			done <- err
		}()
	}
	close(go1)
	for range 20 {
		require.NoError(t, <-done, "every click is acked")
	}
	env.Slack.SetLatency("chat.update", 0)
	apCard(t, env, id, "Done: ", "1 invited")
	s.waitEchoed(t, id, func() bool { return s.state(t, id) == string(approvals.StateDone) })

	// (d) a time-boxed grant, due now, is revoked once by the two.
	env.GitHub.AddUser("temp-dev")
	grant, _ := apSubmit(t, env, harness.Requester, "team add ent:platform temp-dev --for 1h")
	apClick(t, env, harness.Alice, apCard(t, env, grant, "Approval needed: ", "*For:* "), approvalslack.ActionIDApprove)
	apCard(t, env, grant, "Done: ")
	mpWaitGrant(t, s, grant, approvals.GrantActive)
	s.exec(t, fmt.Sprintf(`UPDATE grants SET ends_at = %d WHERE request_id = '%s'`, time.Now().Add(-time.Second).UnixMilli(), grant))
	mpWaitGrant(t, s, grant, approvals.GrantRevoked)
	s.waitEchoed(t, grant, func() bool { return apKindLines(env, grant, audit.KindRevoked) > 0 })

	// (c) at least two report slots and both alerts, with both replicas running.
	alerts := func() []string {
		var out []string
		for _, m := range env.Slack.Messages(reportChannel) {
			if strings.Contains(m.Text, "alert threshold") || strings.Contains(m.Text, "on track to pass") {
				out = append(out, m.Text)
			}
		}
		return out
	}
	require.Eventually(t, func() bool { return len(env.Slack.Files(reportChannel)) >= 2 && len(alerts()) >= 2 },
		apWait, 50*time.Millisecond, "two scheduled reports and the alerts reach the report channel")
	time.Sleep(500 * time.Millisecond) // room for a second post of anything to show up

	// Stopped (SIGTERM's path: stdin closes, the context ends), nothing is in flight:
	// every slot recorded posted is in Slack once, and nothing else is.
	s.stopAll(t)
	posted := s.count(t, `SELECT COUNT(*) FROM posts WHERE kind = '`+reports.KindReport+`' AND state = 'posted'`)
	assert.GreaterOrEqual(t, posted, 2)
	assert.Equal(t, posted, len(env.Slack.Files(reportChannel)), "one report per slot")
	got := alerts()
	assert.Len(t, got, 2, "%q", got)
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(got))), len(got), "each alert once")
	usageLines := 0
	for _, m := range env.Slack.Messages(harness.AuditChannel) {
		if strings.Contains(m.Text, "usage_alert") {
			usageLines++
		}
	}
	assert.Equal(t, 2, usageLines, "each alert echoed once")

	assert.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpInvite), "20 clicks, one invitation")
	assert.Equal(t, 1, apCards(env, id), "one card")
	assert.Equal(t, 1, apKindLines(env, id, audit.KindExecuting))
	assert.Equal(t, 1, apKindLines(env, id, audit.KindDone))
	apDM(t, env, harness.Requester, id)
	assert.Equal(t, 1, mpDMsAbout(t, env, id), "the requester is told once")
	assert.Equal(t, 1, grDeletes(env, "temp-dev"), "two replicas, one removal")
	assert.Equal(t, 1, apKindLines(env, grant, audit.KindRevoked))
	s.waitEchoed(t, id, nil)
	s.waitEchoed(t, grant, nil)
}

// mpKilled: the replica executing a request is killed with SIGKILL in the middle of
// its API call; the other takes the execution over once the lease runs out and
// finishes it, once.
func mpKilled(t *testing.T, b mpBackend) {
	s := mpStart(t, b, harness.Options{})
	env := s.env
	s.spawn(t, "replica-c", false, 1)
	s.spawn(t, "replica-d", false, 2)
	// The invitation hangs in the API until the test lets it go.
	env.Devin.SetLatencyOp(time.Minute, devinsandbox.OpInvite)

	id, _ := apSubmit(t, env, harness.Requester, "invite crash@example.com")
	apClick(t, env, harness.Alice, apCard(t, env, id, "Approval needed: "), approvalslack.ActionIDApprove)
	// The kill comes once the audit lines so far are echoed: an echoer killed between
	// its post to Slack and recording it would have its line posted again by the other
	// (the echo is at least once across a kill; see docs/LOAD.md).
	var owner string
	apEventually(t, "the execution starts, its call reaches the API and the echo is idle", func() bool {
		r, err := s.db.GetRequest(t.Context(), id)
		require.NoError(t, err)
		owner = r.ExecOwner
		due, err := s.db.Due(t.Context(), time.Now().Add(24*time.Hour), 1)
		require.NoError(t, err)
		return r.State == approvals.StateExecuting && env.Devin.CountOp(devinsandbox.OpInvite) == 1 && len(due) == 0
	})
	require.Contains(t, []string{"replica-c", "replica-d"}, owner)
	killedAt := time.Now()
	s.kill(t, owner)
	env.Devin.SetLatencyOp(0, devinsandbox.OpInvite)

	apCard(t, env, id, "Done: ", "1 invited")
	took := time.Since(killedAt)
	s.waitEchoed(t, id, func() bool { return s.state(t, id) == string(approvals.StateDone) })
	t.Logf("%s killed; the other finished the request %s later (lease %s)", owner, took.Round(10*time.Millisecond), s.lease)

	n := 0
	for _, m := range env.Devin.Members() {
		if strings.EqualFold(m.Email, "crash@example.com") {
			n++
		}
	}
	assert.Equal(t, 1, n, "invited once")
	assert.LessOrEqual(t, env.Devin.CountOp(devinsandbox.OpInvite), 2, "the killed call and at most one more")
	assert.Equal(t, 1, apCards(env, id))
	assert.Equal(t, 1, apKindLines(env, id, audit.KindDone))
	resumed := 0
	for _, m := range apAuditLines(env, id) {
		if strings.Contains(m.Text, approvals.ResumedDetail) {
			resumed++
		}
	}
	assert.Equal(t, 1, resumed, "taken over once")
	assert.Equal(t, 2, apKindLines(env, id, audit.KindExecuting), "begun, then taken over")
	apDM(t, env, harness.Requester, id)
	time.Sleep(300 * time.Millisecond) // room for a second DM to show up
	assert.Equal(t, 1, mpDMsAbout(t, env, id), "the requester is told once")
}

// mpHandedBack: the replica executing a request is stopped as SIGTERM stops it, in
// the middle of its API call; it hands the execution back, and the other takes it over
// at once, long before the (30 s) lease would have run out.
func mpHandedBack(t *testing.T, b mpBackend) {
	s := mpStart(t, b, harness.Options{})
	s.lease = 30 * time.Second
	env := s.env
	s.spawn(t, "replica-e", false, 1)
	s.spawn(t, "replica-f", false, 2)
	env.Devin.SetLatencyOp(time.Minute, devinsandbox.OpInvite)

	id, _ := apSubmit(t, env, harness.Requester, "invite handback@example.com")
	apClick(t, env, harness.Alice, apCard(t, env, id, "Approval needed: "), approvalslack.ActionIDApprove)
	var owner string
	apEventually(t, "the execution starts and its call reaches the API", func() bool {
		r, err := s.db.GetRequest(t.Context(), id)
		require.NoError(t, err)
		owner = r.ExecOwner
		return r.State == approvals.StateExecuting && env.Devin.CountOp(devinsandbox.OpInvite) == 1
	})
	// The call in flight keeps its delay; the one the other replica makes does not.
	env.Devin.SetLatencyOp(0, devinsandbox.OpInvite)
	stoppedAt := time.Now()
	s.stop(t, owner)

	apCard(t, env, id, "Done: ", "1 invited")
	took := time.Since(stoppedAt)
	t.Logf("%s stopped; the other finished the request %s later (lease %s)", owner, took.Round(10*time.Millisecond), s.lease)
	assert.Less(t, took, s.lease/2, "taken over without waiting for the lease to run out")
	s.waitEchoed(t, id, func() bool { return s.state(t, id) == string(approvals.StateDone) })
	assert.Equal(t, 1, apKindLines(env, id, audit.KindDone))
	n := 0
	for _, m := range env.Devin.Members() {
		if strings.EqualFold(m.Email, "handback@example.com") {
			n++
		}
	}
	assert.Equal(t, 1, n, "invited once")
}

// mpEchoHandedBack: a replica is stopped as SIGTERM stops it while its audit echo holds
// the claim on a line and waits out a Slack Retry-After window to post it; it hands the
// claim back, and the other replica echoes the line at once, long before the (30 s)
// claim lease would have run out, and once.
func mpEchoHandedBack(t *testing.T, b mpBackend) {
	s := mpStart(t, b, harness.Options{})
	s.echoLease = 30 * time.Second
	env := s.env
	s.spawn(t, "replica-g", false, 1)
	// The next chat.postMessage earns a 429 whose window outlasts the test: the
	// replica's poster waits for it, holding the line, with nothing sent.
	env.Slack.RateLimit("chat.postMessage", 1, time.Minute)
	const word = "frobnicate-handback" // an unknown command: refused, recorded, echoed
	slash(t, env, harness.Requester, harness.GeneralChannel, word)
	apEventually(t, "the echo claimed the line and was told to wait", func() bool {
		return env.Slack.Calls("chat.postMessage") == 1 &&
			s.count(t, `SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND claimed_by <> ''`) == 1
	})
	s.spawn(t, "replica-h", false, 2)
	stoppedAt := time.Now()
	s.stop(t, "replica-g")
	stopped := time.Since(stoppedAt)

	lines := func() int {
		n := 0
		for _, m := range env.Slack.Messages(harness.AuditChannel) {
			if strings.Contains(m.Text, word) {
				n++
			}
		}
		return n
	}
	apEventually(t, "the other replica echoes the line", func() bool { return lines() > 0 })
	took := time.Since(stoppedAt)
	t.Logf("replica-g stopped in %s; the line was echoed %s after the stop began (claim lease %s)",
		stopped.Round(10*time.Millisecond), took.Round(10*time.Millisecond), s.echoLease)
	assert.Less(t, took, 10*time.Second, "the claim was handed back, not left to run out")
	time.Sleep(300 * time.Millisecond) // room for a second post to show up
	assert.Equal(t, 1, lines(), "echoed once")
}

// mpWaitGrant waits until request id's grants are all in state.
func mpWaitGrant(t *testing.T, s *mpSet, id string, state approvals.GrantState) {
	t.Helper()
	apEventually(t, "grants of "+id+" "+string(state), func() bool {
		gs, err := s.db.ListGrants(t.Context())
		require.NoError(t, err)
		n := 0
		for _, g := range gs {
			if g.RequestID != id {
				continue
			}
			if g.State != state {
				return false
			}
			n++
		}
		return n > 0
	})
}

// mpDMsAbout counts the requester's direct messages about request id.
func mpDMsAbout(t *testing.T, env *harness.Env, id string) int {
	n := 0
	for _, m := range apDMs(t, env, harness.Requester) {
		if strings.Contains(m.AllText(), id) {
			n++
		}
	}
	return n
}
