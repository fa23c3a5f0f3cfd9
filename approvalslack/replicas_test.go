package approvalslack_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/audit"
)

// The sweepers of several processes on one database, expiring at once (the backstop
// beside each one's expiry timer): one expiry, one audit event, one card update to
// "Expired", one DM.
func TestSweepersOfReplicasExpireOnce(t *testing.T) {
	e := newEnv(t, func(c *approvals.Config) { c.TTL = 5 * time.Second })
	replicas := []*stack{e.svc, e.newService(e.open(), e.exec), e.newService(e.open(), e.exec)}
	r := e.submit(inviteSub())
	e.clock.Advance(6 * time.Second)
	updates := e.poster.numUpdates()

	var wg sync.WaitGroup
	for range 2 {
		for _, s := range replicas {
			wg.Go(func() { assert.NoError(t, s.Sweep(context.Background())) })
		}
	}
	wg.Wait()
	e.settle()
	assert.Equal(t, approvals.StateExpired, e.get(r.ID).State)
	assert.Equal(t, []audit.Kind{audit.KindRequest, audit.KindExpired}, kinds(e.events(r.ID)), "audited once")
	assert.Equal(t, updates+1, e.poster.numUpdates(), "the card updated once")
	require.Equal(t, 1, e.dmsAbout(r.ID), "told once")
}

// Two replicas' sweepers reconcile the same request at the same time (after a Slack
// outage each works through the same list of lagging requests): while one is telling
// the requester, the other finds the request still untold. The requester is told once.
func TestSweepersOfReplicasTellOnce(t *testing.T) {
	e := newEnv(t)
	a, b := e.svc, e.newService(e.open(), e.exec)
	r := e.submit(inviteSub())
	e.poster.setFailures(nil, errors.New("slack down"))
	a.HandleDenySubmission(context.Background(), "UA", r.ID, "not now")
	require.Equal(t, approvals.StateDenied, e.get(r.ID).State)
	e.poster.setFailures(nil, nil)
	require.Zero(t, e.dmsAbout(r.ID), "the DM failed")

	// Each sweeper sees it lagging, then again once it has settled.
	for _, s := range []*stack{a, b} {
		require.NoError(t, s.Reconcile(context.Background()))
	}
	e.clock.Advance(10 * time.Second)
	var inside atomic.Bool
	e.poster.setOnCall(func(method string) {
		if method == "dm" && inside.CompareAndSwap(false, true) {
			assert.NoError(t, b.Reconcile(context.Background()))
		}
	})
	require.NoError(t, a.Reconcile(context.Background()))
	assert.Equal(t, 1, e.dmsAbout(r.ID), "told once")
}
