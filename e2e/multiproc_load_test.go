package e2e

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// The replicas load driver: 500 requests submitted and approved across two bot
// processes on one database, the clicks spread over both sockets, every one executed
// exactly once. It reports the throughput (approved requests finished per second, from
// the first click to the last done) and the approve -> done latency (from sending the
// click to the done_at the executor stored). Figures are in docs/LOAD.md.
//
//	CHATOPS_LOAD_REPLICAS=1 go test ./e2e/ -run TestLoadReplicas -v -timeout 20m
//	CHATOPS_LOAD_REPLICAS=1 TEST_DATABASE_URL=postgres://… go test ./e2e/ -run TestLoadReplicas -v -timeout 20m
const (
	mpLoadRequests = 500
	mpLoadSubmit   = 16 // slash commands in flight at once
	mpLoadClicks   = 50 // clicks in flight at once
)

func TestLoadReplicas(t *testing.T) {
	if os.Getenv("CHATOPS_LOAD_REPLICAS") == "" {
		t.Skip("load driver: set CHATOPS_LOAD_REPLICAS=1 to run it")
	}
	for _, b := range mpBackends {
		t.Run(b.name, func(t *testing.T) { mpLoad(t, b) })
	}
}

func mpLoad(t *testing.T, b mpBackend) {
	s := mpStart(t, b, harness.Options{})
	env := s.env
	s.spawn(t, "replica-a", false, 1)
	s.spawn(t, "replica-b", false, 2)

	// Submit: the slash commands go to both replicas in turn.
	ids := make([]string, mpLoadRequests)
	emails := make([]string, mpLoadRequests)
	sem := make(chan struct{}, mpLoadSubmit)
	var wg sync.WaitGroup
	submitStart := time.Now()
	for i := range ids {
		emails[i] = fmt.Sprintf("load%04d@example.com", i)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ids[i], _ = apSubmit(t, env, harness.Requester, "invite "+emails[i])
		})
	}
	wg.Wait()
	submitTook := time.Since(submitStart)
	cards := map[string]string{} // request ID -> card ts
	apEventually(t, "every card posted", func() bool {
		for _, m := range env.Slack.Messages(harness.ApprovalChannel) {
			for _, id := range ids {
				if _, ok := cards[id]; !ok && apIsCard(m, id) {
					cards[id] = m.TS
				}
			}
		}
		return len(cards) == len(ids)
	})

	// Approve: every card clicked once, the clicks spread over both sockets.
	sent := make([]time.Time, len(ids))
	sem = make(chan struct{}, mpLoadClicks)
	approvers := []string{harness.Alice, harness.Bob, harness.Carol}
	clickStart := time.Now()
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			sent[i] = time.Now()
			it, err := env.Slack.ClickButton(approvers[i%len(approvers)], harness.ApprovalChannel, cards[id], approvalslack.ActionIDApprove)
			require.NoError(t, err)
			_, err = it.WaitAck(waitCtx(t, apWait))
			require.NoError(t, err)
		})
	}
	wg.Wait()

	// Wait for every request to finish, then read when each did.
	deadline := time.Now().Add(10 * time.Minute)
	for s.count(t, `SELECT COUNT(*) FROM requests WHERE state IN ('done', 'failed')`) < len(ids) {
		require.True(t, time.Now().Before(deadline), "not every request finished within 10 minutes")
		time.Sleep(100 * time.Millisecond)
	}
	lat := make([]time.Duration, len(ids))
	var last time.Time
	for i, id := range ids {
		r, err := s.db.GetRequest(t.Context(), id)
		require.NoError(t, err)
		require.Equal(t, approvals.StateDone, r.State, id)
		lat[i] = r.DoneAt.Sub(sent[i])
		if r.DoneAt.After(last) {
			last = r.DoneAt
		}
	}
	slices.Sort(lat)
	span := last.Sub(clickStart)

	// Exactly once: one invitation per request at the fake, one member each, and in the
	// store one executing and one done event per request, no takeover.
	assert.Equal(t, len(ids), env.Devin.CountOp(devinsandbox.OpInvite), "invitations sent")
	members := map[string]int{}
	for _, m := range env.Devin.Members() {
		members[strings.ToLower(m.Email)]++
	}
	for _, e := range emails {
		assert.Equal(t, 1, members[e], e)
	}
	assert.Equal(t, len(ids), s.count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'executing'`), "executing events")
	assert.Equal(t, len(ids), s.count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'done'`), "done events")
	assert.Zero(t, s.count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'executing' AND detail <> ''`), "no execution taken over")

	t.Logf("%s, 2 replicas: %d requests submitted in %s (%.1f/s); approved and executed in %s: %.1f requests/s; approve->done p50 %s, p99 %s, max %s",
		b.name, len(ids), submitTook.Round(time.Millisecond), float64(len(ids))/submitTook.Seconds(),
		span.Round(time.Millisecond), float64(len(ids))/span.Seconds(),
		roQuantile(lat, 0.50).Round(time.Millisecond), roQuantile(lat, 0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
}
