package approvalslack_test

import (
	"context"
	"sync"
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
