package approvalslack_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
)

var errSlackDown = errors.New("slack chat.update: internal_error")

// dmsAbout counts the requester's DMs about request id.
func (e *env) dmsAbout(id string) int {
	n := 0
	for _, m := range e.poster.dmsTo(requester) {
		if strings.Contains(m.Text, "`"+id+"`") {
			n++
		}
	}
	return n
}

// sweep is a sweeper pass a minute (its interval) after the previous one: a request
// that lagged in Slack then and still lags the same way is acted on now.
func (e *env) sweep() error {
	e.clock.Advance(time.Minute)
	return e.svc.Sweep(context.Background())
}

func TestReconcileDoneAfterSlackOutage(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	assert.Equal(t, approvals.StatePending, e.get(r.ID).CardState, "a posted card is recorded as shown")

	e.poster.setFailures(errSlackDown, errSlackDown)
	e.click("UA", r.ID, true)
	got := e.get(r.ID)
	require.Equal(t, approvals.StateDone, got.State)
	assert.Equal(t, approvals.StatePending, got.CardState)
	assert.Empty(t, got.NotifiedState)
	assert.NotNil(t, actionsBlock(t, e.poster.card(r.CardTS)), "the card is stale: it still offers buttons")
	assert.Zero(t, e.dmsAbout(r.ID))

	// Still down. The first sweep leaves the request to the click that changed it (it
	// might still be calling Slack); the next one tries once, fails, and leaves it for
	// the one after.
	var attempts atomic.Int32
	e.poster.setOnCall(func(method string) {
		if method == "update" {
			attempts.Add(1)
		}
	})
	require.NoError(t, e.sweep())
	assert.Zero(t, attempts.Load(), "a request just changed is not raced")
	require.Error(t, e.sweep())
	assert.Equal(t, int32(1), attempts.Load(), "one card update per request per pass")
	assert.Equal(t, approvals.StatePending, e.get(r.ID).CardState)
	assert.Zero(t, e.dmsAbout(r.ID))

	e.poster.setFailures(nil, nil)
	require.NoError(t, e.sweep())
	card := e.poster.card(r.CardTS)
	assert.Nil(t, actionsBlock(t, card))
	assert.True(t, strings.HasPrefix(card.Text, "Done: "), card.Text)
	require.Equal(t, 1, e.dmsAbout(r.ID))
	assert.Contains(t, e.poster.dmsTo(requester)[0].Text, "is done")
	got = e.get(r.ID)
	assert.Equal(t, approvals.StateDone, got.CardState)
	assert.Equal(t, approvals.StateDone, got.NotifiedState)

	updates := e.poster.numUpdates()
	require.NoError(t, e.sweep())
	assert.Equal(t, updates, e.poster.numUpdates(), "an up-to-date card is left alone")
	assert.Equal(t, 1, e.dmsAbout(r.ID), "the requester is told once")
}

func TestReconcileExpiredCardLosesButtons(t *testing.T) {
	e := newEnv(t, func(c *approvals.Config) { c.TTL = time.Hour })
	r := e.submit(inviteSub())

	e.poster.setFailures(errSlackDown, nil)
	e.clock.Advance(2 * time.Hour)
	require.NoError(t, e.sweep(), "expired; the card update failed and is only logged")
	got := e.get(r.ID)
	require.Equal(t, approvals.StateExpired, got.State)
	assert.Equal(t, approvals.StatePending, got.CardState)
	assert.NotNil(t, actionsBlock(t, e.poster.card(r.CardTS)))
	assert.Equal(t, 1, e.dmsAbout(r.ID))
	assert.Equal(t, approvals.StateExpired, got.NotifiedState)

	e.poster.setFailures(nil, nil)
	require.NoError(t, e.sweep())
	card := e.poster.card(r.CardTS)
	assert.Nil(t, actionsBlock(t, card), "an expired card has no buttons")
	assert.Contains(t, texts(t, card), "Expired: invite to Devin")
	assert.Equal(t, approvals.StateExpired, e.get(r.ID).CardState)
	assert.Equal(t, 1, e.dmsAbout(r.ID), "the requester was already told")

	updates := e.poster.numUpdates()
	require.NoError(t, e.sweep())
	assert.Equal(t, updates, e.poster.numUpdates())
}

func TestReconcileRendersLatestStateAfterConcurrentTransition(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.submit(inviteSub("a@example.com"))
	// Another replica approved the request and is executing it; this process's card
	// update for it was lost.
	ok, err := e.db.Transition(ctx, r.ID, approvals.StatePending, approvals.StateApproved, approvals.Change{DecidedBy: "UA", DecidedAt: t0})
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = e.db.Transition(ctx, r.ID, approvals.StateApproved, approvals.StateExecuting, approvals.Change{
		Lease: approvals.Lease{Owner: "other-replica", Until: e.clock.Now().Add(time.Hour)},
	})
	require.NoError(t, err)
	require.True(t, ok)

	// While the sweep's re-render ("running") is on its way to Slack, the other replica
	// finishes the request.
	var once sync.Once
	e.poster.setOnCall(func(method string) {
		if method != "update" {
			return
		}
		once.Do(func() {
			ok, err := e.db.Transition(ctx, r.ID, approvals.StateExecuting, approvals.StateDone, approvals.Change{
				DoneAt: t0, Outcomes: []approvals.ItemOutcome{{Item: "a@example.com", Status: approvals.OutcomeInvited}},
			})
			assert.NoError(t, err)
			assert.True(t, ok)
		})
	})
	require.NoError(t, e.sweep()) // sees it behind
	require.NoError(t, e.sweep()) // renders "running"; meanwhile it is done
	assert.True(t, strings.HasPrefix(e.poster.card(r.CardTS).Text, "Approved, running: "))
	got := e.get(r.ID)
	assert.Equal(t, approvals.StateDone, got.State)
	assert.Equal(t, approvals.StateExecuting, got.CardState, "the state rendered is recorded, so the card stays stale")
	assert.Zero(t, e.dmsAbout(r.ID))

	// The request changed again: one pass to see it, one to fix it.
	require.NoError(t, e.sweep())
	assert.True(t, strings.HasPrefix(e.poster.card(r.CardTS).Text, "Approved, running: "))
	require.NoError(t, e.sweep())
	card := e.poster.card(r.CardTS)
	assert.True(t, strings.HasPrefix(card.Text, "Done: "), card.Text)
	assert.Nil(t, actionsBlock(t, card))
	got = e.get(r.ID)
	assert.Equal(t, approvals.StateDone, got.CardState)
	assert.Equal(t, approvals.StateDone, got.NotifiedState)
	assert.Equal(t, 1, e.dmsAbout(r.ID))

	updates := e.poster.numUpdates()
	require.NoError(t, e.sweep())
	assert.Equal(t, updates, e.poster.numUpdates())
	assert.Equal(t, 1, e.dmsAbout(r.ID))
}

func TestReconcileDeniedRequesterToldLater(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	e.poster.setFailures(nil, errSlackDown)
	e.poster.viewErr = errors.New("expired_trigger_id")
	e.click("UB", r.ID, false)
	got := e.get(r.ID)
	require.Equal(t, approvals.StateDenied, got.State)
	assert.Equal(t, approvals.StateDenied, got.CardState, "the card update went through")
	assert.Zero(t, e.dmsAbout(r.ID))

	e.poster.setFailures(nil, nil)
	require.NoError(t, e.sweep())
	require.NoError(t, e.sweep())
	assert.Equal(t, 1, e.dmsAbout(r.ID))
	assert.Contains(t, e.poster.dmsTo(requester)[0].Text, "was denied by <@UB>")
}

func TestReconcileExpiredBeforeItsCardWasPosted(t *testing.T) {
	e := newEnv(t, func(c *approvals.Config) { c.TTL = time.Hour })
	e.poster.setPostErr(errors.New("slack is down"))
	r := e.submit(inviteSub())
	e.poster.setPostErr(nil)
	e.clock.Advance(2 * time.Hour)
	require.NoError(t, e.sweep())
	require.NoError(t, e.sweep())
	assert.Equal(t, approvals.StateExpired, e.get(r.ID).State)
	assert.Zero(t, e.poster.numPosts(), "no card for a request that can no longer be decided")
	assert.Equal(t, 1, e.dmsAbout(r.ID), "but its requester is told")
}

// The sweeper runs beside the clicks that end requests: every requester is told exactly
// once and every card ends up done.
func TestReconcileBesideLiveTransitionsTellsOnce(t *testing.T) {
	e := newEnv(t, func(c *approvals.Config) { c.TTL = 365 * 24 * time.Hour })
	var reqs []approvals.Request
	for range 8 {
		reqs = append(reqs, e.submit(inviteSub()))
	}
	stop := make(chan struct{})
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		for {
			select {
			case <-stop:
				return
			default:
				_ = e.sweep()
			}
		}
	}()
	var wg sync.WaitGroup
	for _, r := range reqs {
		wg.Add(1)
		go func() { defer wg.Done(); e.click("UA", r.ID, true) }()
	}
	wg.Wait()
	close(stop)
	<-swept
	require.NoError(t, e.sweep())
	for _, r := range reqs {
		assert.Equal(t, 1, e.dmsAbout(r.ID), r.ID)
		assert.True(t, strings.HasPrefix(e.poster.card(r.CardTS).Text, "Done: "), r.ID)
		got := e.get(r.ID)
		assert.Equal(t, approvals.StateDone, got.CardState, r.ID)
		assert.Equal(t, approvals.StateDone, got.NotifiedState, r.ID)
	}
}

// Another replica's sweep runs while the click that finished the request is still
// telling the requester: it leaves the request to the click, so the DM goes out once.
func TestReconcileLeavesAJustChangedRequestToItsClick(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other := e.newService(e.open(), e.exec) // a second replica on the same database
	r := e.submit(inviteSub())
	var swept atomic.Bool
	e.poster.setOnCall(func(method string) {
		if method == "dm" && swept.CompareAndSwap(false, true) {
			// Two passes in quick succession: what counts is how long it has lagged.
			assert.NoError(t, other.Sweep(ctx))
			assert.NoError(t, other.Sweep(ctx))
		}
	})
	e.click("UA", r.ID, true)
	require.True(t, swept.Load(), "the other replica swept while the DM was on its way")
	require.NoError(t, other.Sweep(ctx))
	require.NoError(t, other.Sweep(ctx))
	assert.Equal(t, 1, e.dmsAbout(r.ID))
	got := e.get(r.ID)
	assert.Equal(t, approvals.StateDone, got.CardState)
	assert.Equal(t, approvals.StateDone, got.NotifiedState)
}
