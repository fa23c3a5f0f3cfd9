package approvalslack_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/slackui"
	"devin-chatops/store"
)

// gateExecutor holds every execution until release is closed or its context ends, and
// reports each start. With finishOnCancel it answers success when its context ends, as
// an API that had already accepted the call would.
type gateExecutor struct {
	started        chan string
	release        chan struct{}
	finishOnCancel bool
	calls          atomic.Int32
	running, peak  atomic.Int32
}

func newGateExecutor() *gateExecutor {
	return &gateExecutor{started: make(chan string, 100), release: make(chan struct{})}
}

func (g *gateExecutor) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	g.calls.Add(1)
	n := g.running.Add(1)
	defer g.running.Add(-1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	g.started <- r.ID
	select {
	case <-g.release:
	case <-ctx.Done():
		if !g.finishOnCancel {
			return nil, ctx.Err()
		}
	}
	out := make([]approvals.ItemOutcome, len(r.Items))
	for i, it := range r.Items {
		out[i] = approvals.ItemOutcome{Item: it, Status: approvals.OutcomeInvited}
	}
	return out, nil
}

func (g *gateExecutor) waitStarted(t *testing.T) string {
	t.Helper()
	select {
	case id := <-g.started:
		return id
	case <-time.After(5 * time.Second):
		require.FailNow(t, "no execution started")
		return ""
	}
}

// runPool starts svc's execution pool and returns the function that stops it (as a
// shutdown would) and reports how long it took to return.
func runPool(t *testing.T, svc *stack) (stop func() time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.RunExecutor(ctx) }()
	var once sync.Once
	var took time.Duration
	stop = func() time.Duration {
		once.Do(func() {
			began := time.Now()
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Error("the execution pool did not stop")
			}
			took = time.Since(began)
		})
		return took
	}
	t.Cleanup(func() { stop() })
	return stop
}

func approveClick(svc *stack, user, id string) {
	svc.HandleClick(context.Background(), approvalslack.Click{User: user, RequestID: id, Approve: true, Channel: approvalChannel})
}

// A click returns once the approval is recorded; the execution runs in the pool. At
// shutdown the execution's API calls are cancelled and nothing is recorded for them: the
// request stays executing, and the next start runs it again, once.
func TestShutdownCancelsExecutionAndNextStartResumesIt(t *testing.T) {
	e := newEnv(t)
	gate := newGateExecutor()
	svc := e.bareService(e.db, gate)
	stop := runPool(t, svc)
	r := e.submit(inviteSub())

	clicked := make(chan struct{})
	go func() { approveClick(svc, "UA", r.ID); close(clicked) }()
	select {
	case <-clicked:
	case <-time.After(5 * time.Second):
		require.FailNow(t, "the click waits for the execution")
	}
	assert.Equal(t, r.ID, gate.waitStarted(t))
	assert.Equal(t, approvals.StateExecuting, e.get(r.ID).State)

	assert.Less(t, stop(), 2*time.Second, "shutdown does not wait for the API calls")
	got := e.get(r.ID)
	assert.Equal(t, approvals.StateExecuting, got.State, "left for the next start")
	assert.Empty(t, got.Outcomes)
	assert.Equal(t, []audit.Kind{audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting}, kinds(e.events(r.ID)))
	assert.Zero(t, e.dmsAbout(r.ID), "nobody is told it failed")
	assert.Empty(t, e.logs.atLeast(slog.LevelError), "a shutdown is not an error")

	next := newFakeExecutor()
	e.clock.Advance(time.Second) // the next process starts a moment later
	restarted := e.newService(e.db, next)
	require.NoError(t, restarted.Recover(context.Background()))
	got = e.get(r.ID)
	assert.Equal(t, approvals.StateDone, got.State)
	assert.Equal(t, 1, next.callsFor(r.ID))
	assert.Equal(t, 1, e.dmsAbout(r.ID))
	evs := e.events(r.ID)
	last := evs[len(evs)-2:]
	assert.Equal(t, []audit.Kind{audit.KindExecuting, audit.KindDone}, kinds(last))
	assert.Equal(t, approvals.ResumedDetail, last[0].Detail)
}

// Work the APIs finished as shutdown began is recorded, and the card and requester are
// told, although the process is stopping.
func TestShutdownRecordsWorkTheAPIsFinished(t *testing.T) {
	e := newEnv(t)
	gate := newGateExecutor()
	gate.finishOnCancel = true
	svc := e.bareService(e.db, gate)
	stop := runPool(t, svc)
	r := e.submit(inviteSub())
	approveClick(svc, "UA", r.ID)
	gate.waitStarted(t)

	assert.Less(t, stop(), 2*time.Second)
	got := e.get(r.ID)
	assert.Equal(t, approvals.StateDone, got.State)
	assert.Equal(t, approvals.StateDone, got.CardState)
	assert.Equal(t, approvals.StateDone, got.NotifiedState)
	assert.True(t, strings.HasPrefix(e.poster.card(r.CardTS).Text, "Done: "))
	assert.Equal(t, 1, e.dmsAbout(r.ID))
}

// Recover starts no new request once its context ends, and the execution in flight is
// cancelled: what is left is finished by the next start.
func TestRecoverStopsAtShutdown(t *testing.T) {
	e := newEnv(t)
	bg := context.Background()
	var ids []string
	for i := range 3 {
		r := e.submit(inviteSub(fmt.Sprintf("u%d@example.com", i)))
		ok, err := e.db.Transition(bg, r.ID, approvals.StatePending, approvals.StateApproved, approvals.Change{DecidedBy: "UA", DecidedAt: t0})
		require.NoError(t, err)
		require.True(t, ok)
		ids = append(ids, r.ID)
	}

	ctx, cancel := context.WithCancel(bg)
	gate := newGateExecutor()
	svc := e.bareService(e.db, gate)
	recovered := make(chan error, 1)
	go func() { recovered <- svc.Recover(ctx) }()
	first := gate.waitStarted(t)
	cancel() // SIGTERM while the first request's API calls are in flight
	select {
	case err := <-recovered:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(2 * time.Second):
		require.FailNow(t, "Recover ignores shutdown")
	}
	assert.Equal(t, int32(1), gate.calls.Load(), "no request is started after shutdown")
	for _, id := range ids {
		want := approvals.StateApproved
		if id == first {
			want = approvals.StateExecuting
		}
		assert.Equal(t, want, e.get(id).State, id)
	}

	e.clock.Advance(time.Second) // the next process starts a moment later
	next := newFakeExecutor()
	require.NoError(t, e.newService(e.db, next).Recover(bg))
	for _, id := range ids {
		assert.Equal(t, approvals.StateDone, e.get(id).State, id)
		assert.Equal(t, 1, next.callsFor(id), id)
		assert.Equal(t, 1, e.dmsAbout(id), id)
	}
}

// The pool runs a bounded number of executions at once; the rest wait their turn and
// each request runs exactly once.
func TestExecutionPoolIsBounded(t *testing.T) {
	e := newEnv(t)
	gate := newGateExecutor()
	svc := e.newService(e.db, gate)
	var ids []string
	for i := range 7 {
		r := e.submit(inviteSub(fmt.Sprintf("u%d@example.com", i)))
		approveClick(svc, "UA", r.ID) // returns at once, although no execution can finish
		ids = append(ids, r.ID)
	}
	for range 4 {
		gate.waitStarted(t)
	}
	select {
	case id := <-gate.started:
		require.FailNow(t, "a fifth execution started", id)
	case <-time.After(100 * time.Millisecond):
	}
	close(gate.release)
	e.settle()
	assert.Equal(t, int32(4), gate.peak.Load())
	assert.Equal(t, int32(len(ids)), gate.calls.Load())
	for _, id := range ids {
		assert.Equal(t, approvals.StateDone, e.get(id).State, id)
		assert.Equal(t, 1, e.dmsAbout(id), id)
	}
}

// flakyStore fails the approved -> executing transition while failStart > 0.
type flakyStore struct {
	*store.DB
	failStart atomic.Int32
}

func (f *flakyStore) Transition(ctx context.Context, id string, from, to approvals.State, ch approvals.Change, events ...audit.Event) (bool, error) {
	if from == approvals.StateApproved && to == approvals.StateExecuting && f.failStart.Add(-1) >= 0 {
		return false, errors.New("database is locked")
	}
	return f.DB.Transition(ctx, id, from, to, ch, events...)
}

// An approved request whose execution could not start (a store error) is picked up by
// the sweeper a minute later, without a restart, and run once.
func TestSweepRunsApprovedRequestWhoseStartFailed(t *testing.T) {
	e := newEnv(t)
	flaky := &flakyStore{DB: e.db}
	flaky.failStart.Store(1)
	svc := e.newService(flaky, e.exec)
	r := e.submit(inviteSub())
	approveClick(svc, "UA", r.ID)
	e.settle()
	require.Equal(t, approvals.StateApproved, e.get(r.ID).State)
	require.Zero(t, e.exec.callsFor(r.ID))

	e.clock.Advance(30 * time.Second)
	require.NoError(t, svc.Sweep(context.Background()))
	e.settle()
	assert.Equal(t, approvals.StateApproved, e.get(r.ID).State, "a just-approved request is left to its click")

	e.clock.Advance(31 * time.Second)
	require.NoError(t, svc.Sweep(context.Background()))
	e.settle()
	got := e.get(r.ID)
	assert.Equal(t, approvals.StateDone, got.State)
	assert.True(t, strings.HasPrefix(e.poster.card(r.CardTS).Text, "Done: "))
	assert.Equal(t, 1, e.dmsAbout(r.ID))
	assert.Equal(t, 1, e.logs.count(slog.LevelWarn, "approved request was not started; queued for execution again"))

	for range 3 {
		e.clock.Advance(time.Minute)
		require.NoError(t, svc.Sweep(context.Background()))
	}
	e.settle()
	assert.Equal(t, 1, e.exec.callsFor(r.ID), "run once")
}

const msgCardGivenUp = "approval card can no longer be updated; giving up on it"

// A card deleted while the request was pending is given up on: marked shown, logged at
// error level once, and no longer retried by each sweep. The requester is still told.
func TestReconcileGivesUpOnDeletedCard(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	e.poster.setFailures(errSlackDown, nil)
	e.click("UA", r.ID, true)
	require.Equal(t, approvals.StatePending, e.get(r.ID).CardState, "the outage kept the card stale")
	require.Equal(t, 1, e.dmsAbout(r.ID))

	// Someone deletes the card while Slack is down.
	var updates atomic.Int32
	e.poster.setOnCall(func(method string) {
		if method == "update" {
			updates.Add(1)
		}
	})
	e.poster.setFailures(permanentErr("chat.update", "message_not_found"), nil)
	require.NoError(t, e.sweep()) // first sighting
	require.NoError(t, e.sweep(), "a card that cannot be fixed is not a sweep failure")
	assert.Equal(t, int32(1), updates.Load())
	got := e.get(r.ID)
	assert.Equal(t, approvals.StateDone, got.CardState, "given up on")
	assert.Zero(t, got.SyncAttempts)
	assert.Equal(t, 1, e.logs.count(slog.LevelError, msgCardGivenUp))

	for range 5 {
		require.NoError(t, e.sweep())
	}
	assert.Equal(t, int32(1), updates.Load(), "not retried")
	assert.Equal(t, 1, e.logs.count(slog.LevelError, msgCardGivenUp), "logged once")
	assert.Equal(t, 1, e.dmsAbout(r.ID))
}

// The click path gives up the same way: a deleted card does not leave the request stale.
func TestClickOnRequestWithDeletedCardFinishes(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	e.poster.setFailures(permanentErr("chat.update", "message_not_found"), nil)
	e.click("UA", r.ID, true)
	got := e.get(r.ID)
	assert.Equal(t, approvals.StateDone, got.State)
	assert.Equal(t, approvals.StateDone, got.CardState)
	assert.Equal(t, approvals.StateDone, got.NotifiedState)
	stale, err := e.db.ListStale(context.Background(), 0)
	require.NoError(t, err)
	assert.Empty(t, stale)
}

// ephemeralsIn lists the ephemerals shown to user in channel.
func (p *fakePoster) ephemeralsIn(channel, user string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.ephemerals {
		if m.Channel == channel && m.User == user {
			out = append(out, m.Msg.Text)
		}
	}
	return out
}

func (p *fakePoster) setEphemeralErr(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ephErr = err
}

// A requester who cannot be DM'd is told with an ephemeral in the channel they asked
// from, once; the DM is not retried forever.
func TestRequesterWhoCannotBeDMd(t *testing.T) {
	cannotDM := permanentErr("conversations.open", "user_disabled")

	t.Run("told in the origin channel", func(t *testing.T) {
		e := newEnv(t)
		r := e.submit(inviteSub())
		var dms atomic.Int32
		e.poster.setOnCall(func(method string) {
			if method == "dm" {
				dms.Add(1)
			}
		})
		e.poster.setFailures(nil, cannotDM)
		e.click("UA", r.ID, true)
		got := e.get(r.ID)
		require.Equal(t, approvals.StateDone, got.State)
		assert.Equal(t, approvals.StateDone, got.NotifiedState)
		told := e.poster.ephemeralsIn("CORIGIN", requester)
		require.Len(t, told, 1)
		assert.Contains(t, told[0], r.ID)
		assert.Contains(t, told[0], "is done")
		for range 4 {
			require.NoError(t, e.sweep())
		}
		assert.Equal(t, int32(1), dms.Load(), "the DM is not retried")
		assert.Len(t, e.poster.ephemeralsIn("CORIGIN", requester), 1, "told once")
	})

	t.Run("the fallback is retried while Slack is down", func(t *testing.T) {
		e := newEnv(t)
		r := e.submit(inviteSub())
		e.poster.setFailures(nil, cannotDM)
		e.poster.setEphemeralErr(errSlackDown)
		e.click("UA", r.ID, true)
		assert.Empty(t, e.get(r.ID).NotifiedState)
		require.NoError(t, e.sweep())
		require.Error(t, e.sweep())
		assert.Empty(t, e.get(r.ID).NotifiedState)

		e.poster.setEphemeralErr(nil)
		require.NoError(t, e.sweep())
		assert.Equal(t, approvals.StateDone, e.get(r.ID).NotifiedState)
		assert.Len(t, e.poster.ephemeralsIn("CORIGIN", requester), 1)
	})

	t.Run("nowhere to tell them", func(t *testing.T) {
		e := newEnv(t)
		sub := inviteSub()
		sub.OriginChannel = ""
		r := e.submit(sub)
		e.poster.setFailures(nil, cannotDM)
		e.click("UA", r.ID, true)
		assert.Equal(t, approvals.StateDone, e.get(r.ID).NotifiedState, "given up on")
		assert.Equal(t, 1, e.logs.count(slog.LevelError,
			"requester cannot be DM'd and the request has no origin channel; they are not told how it ended"))
	})

	t.Run("nor in the origin channel", func(t *testing.T) {
		e := newEnv(t)
		r := e.submit(inviteSub())
		e.poster.setFailures(nil, cannotDM)
		e.poster.setEphemeralErr(permanentErr("chat.postEphemeral", "channel_not_found"))
		e.click("UA", r.ID, true)
		assert.Equal(t, approvals.StateDone, e.get(r.ID).NotifiedState, "given up on")
	})
}

// A request Slack keeps refusing (for a reason not known to be permanent) is tried
// less and less often, and is back to normal once it is up to date.
func TestReconcileBacksOff(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	e.poster.setFailures(errSlackDown, nil)
	e.click("UA", r.ID, true)
	var updates atomic.Int32
	e.poster.setOnCall(func(method string) {
		if method == "update" {
			updates.Add(1)
		}
	})
	for range 40 { // 40 minutes of sweeps
		_ = e.sweep()
	}
	// Tries at minutes 2, 3, 5, 9, 17 and 33: waits of 1, 2, 4, 8, 16 minutes.
	assert.Equal(t, int32(6), updates.Load())
	got := e.get(r.ID)
	assert.Equal(t, 6, got.SyncAttempts)
	assert.Equal(t, t0.Add(33*time.Minute+30*time.Minute), got.NextSyncAt, "the wait is capped at 30 sweeps")

	e.poster.setFailures(nil, nil)
	for i := 0; e.get(r.ID).CardState != approvals.StateDone; i++ {
		require.Less(t, i, 31, "the card is never fixed")
		_ = e.sweep()
	}
	got = e.get(r.ID)
	assert.Zero(t, got.SyncAttempts, "up to date: the backoff is cleared")
	assert.True(t, got.NextSyncAt.IsZero())
	assert.True(t, strings.HasPrefix(e.poster.card(r.CardTS).Text, "Done: "))
}

// Requests Slack keeps refusing do not take every pass's batch from a newer one.
func TestReconcileFailingRequestsDoNotStarveNewerOnes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const failing = 100 // a whole batch
	e.poster.mu.Lock()
	e.poster.updateErrFor = map[string]error{}
	e.poster.mu.Unlock()
	mk := func(i int, ts string) approvals.Request {
		r := approvals.Request{
			ID: fmt.Sprintf("RX%05d", i), Action: approvals.ActionInvite, Requester: requester,
			Items: []string{"a@example.com"}, OriginChannel: "CORIGIN",
			State: approvals.StateExpired, CreatedAt: t0.Add(-time.Duration(failing-i) * time.Hour), ExpiresAt: t0,
			CardChannel: approvalChannel, CardTS: ts, CardState: approvals.StatePending, NotifiedState: approvals.StateExpired,
		}
		require.NoError(t, e.db.CreateRequest(ctx, r))
		return r
	}
	for i := range failing {
		ts := fmt.Sprintf("1600000000.%06d", i)
		e.poster.mu.Lock()
		e.poster.updateErrFor[ts] = errSlackDown
		e.poster.mu.Unlock()
		mk(i, ts)
	}
	newer := mk(failing, "1600000000.999999")
	e.poster.mu.Lock()
	e.poster.cards[newer.CardTS] = slackui.Message{Text: "Approval needed"} // in Slack, unlike the failing ones
	e.poster.mu.Unlock()

	for i := 0; e.get(newer.ID).CardState != approvals.StateExpired; i++ {
		require.Less(t, i, 6, "the newer request never gets its turn")
		_ = e.sweep()
	}
	assert.Nil(t, actionsBlock(t, e.poster.card(newer.CardTS)))
	old := e.get("RX00000")
	assert.Equal(t, approvals.StatePending, old.CardState)
	assert.Positive(t, old.SyncAttempts)
}

// permanentErr is how the poster reports a Slack refusal that no retry can fix.
func permanentErr(method, code string) error {
	return &slackui.Error{Kind: slackui.Permanent, Method: method, Code: code}
}
