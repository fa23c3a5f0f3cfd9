package executor

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/audit"
	"devin-chatops/clock/clocktest"
	"devin-chatops/store"
)

// The execution lease, on a fake clock, with the real approval service and store:
// two runners stand for two replicas on one database.

type quietMessenger struct{}

func (quietMessenger) ShowRequest(context.Context, approvals.Request, approvals.Progress) (approvals.CardRef, error) {
	return approvals.CardRef{}, nil
}
func (quietMessenger) UpdateRequest(context.Context, approvals.Request, approvals.Progress) error {
	return nil
}
func (quietMessenger) TellRequester(context.Context, approvals.Request) error { return nil }

// gateAction is an invite that waits for its gate, then invites every item. It counts
// its runs and may ignore cancellation (an API call already on its way).
type gateAction struct {
	mu          sync.Mutex
	runs        int
	resumed     []bool
	started     chan struct{}
	gate        chan struct{}
	ignoreStops bool
}

func newGate() *gateAction {
	return &gateAction{started: make(chan struct{}, 8), gate: make(chan struct{})}
}

func (g *gateAction) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	g.mu.Lock()
	g.runs++
	g.resumed = append(g.resumed, r.Resumed)
	g.mu.Unlock()
	g.started <- struct{}{}
	if g.ignoreStops {
		<-g.gate
	} else {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	out := make([]approvals.ItemOutcome, len(r.Items))
	for i, it := range r.Items {
		out[i] = approvals.ItemOutcome{Item: it, Status: approvals.OutcomeInvited}
	}
	return out, nil
}

func (g *gateAction) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.runs
}

type leaseEnv struct {
	t     *testing.T
	clock *clocktest.Fake
	db    *store.DB
	act   *gateAction
}

const testLease = 30 * time.Second

func newLeaseEnv(t *testing.T) *leaseEnv {
	t.Helper()
	clk := clocktest.New(time.Time{})
	db, err := store.Open(t.Context(), "sqlite::memory:", store.WithClock(clk))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return &leaseEnv{t: t, clock: clk, db: db, act: newGate()}
}

// runner is one replica: its own service and runner on the shared store.
func (e *leaseEnv) runner(owner string) *Runner {
	e.t.Helper()
	return e.runnerWith(quietMessenger{}, owner)
}

// approved stores an approved invite request.
func (e *leaseEnv) approved(id string) {
	e.t.Helper()
	ctx := e.t.Context()
	now := e.clock.Now()
	require.NoError(e.t, e.db.CreateRequest(ctx, approvals.Request{
		ID: id, Action: approvals.ActionInvite, Requester: "UR", Items: []string{id + "@example.com"},
		CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	}))
	ok, err := e.db.Transition(ctx, id, approvals.StatePending, approvals.StateApproved, approvals.Change{DecidedBy: "UA", DecidedAt: now})
	require.NoError(e.t, err)
	require.True(e.t, ok)
}

func (e *leaseEnv) get(id string) approvals.Request {
	e.t.Helper()
	r, err := e.db.GetRequest(e.t.Context(), id)
	require.NoError(e.t, err)
	return r
}

// startExec runs x.execute(id) in the background and waits until the action runs.
func (e *leaseEnv) startExec(ctx context.Context, x *Runner, id string) <-chan error {
	e.t.Helper()
	done := make(chan error, 1)
	go func() { done <- x.execute(ctx, id) }()
	select {
	case <-e.act.started:
	case err := <-done:
		require.FailNow(e.t, "execution ended before its action ran", "err: %v", err)
	case <-time.After(10 * time.Second):
		require.FailNow(e.t, "the action never started")
	}
	return done
}

// beat advances the fake clock by one heartbeat interval once the heartbeat sleeps.
func (e *leaseEnv) beat() {
	e.t.Helper()
	require.Eventually(e.t, func() bool { return e.clock.Waiters() > 0 }, 10*time.Second, time.Millisecond, "heartbeat not sleeping")
	e.clock.Advance(testLease / 3)
}

func (e *leaseEnv) wait(done <-chan error) error {
	e.t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		require.FailNow(e.t, "execution did not end")
		return nil
	}
}

func (e *leaseEnv) kinds(id string) []audit.Kind {
	evs, err := e.db.AuditEvents(e.t.Context(), id)
	require.NoError(e.t, err)
	var out []audit.Kind
	for _, ev := range evs {
		out = append(out, ev.Kind)
	}
	return out
}

func TestLeaseTakenOnBeginRenewedAndCleared(t *testing.T) {
	e := newLeaseEnv(t)
	a := e.runner("replica-a")
	e.approved("R1")
	t0 := e.clock.Now()
	done := e.startExec(t.Context(), a, "R1")

	r := e.get("R1")
	assert.Equal(t, approvals.StateExecuting, r.State)
	assert.Equal(t, "replica-a", r.ExecOwner)
	assert.Equal(t, t0.Add(testLease), r.LeaseUntil)

	e.beat()
	require.Eventually(t, func() bool { return e.get("R1").LeaseUntil.Equal(t0.Add(testLease / 3).Add(testLease)) },
		10*time.Second, time.Millisecond, "the heartbeat extends the lease")
	e.beat()
	require.Eventually(t, func() bool { return e.get("R1").LeaseUntil.Equal(t0.Add(2 * testLease / 3).Add(testLease)) },
		10*time.Second, time.Millisecond, "and again")

	close(e.act.gate)
	require.NoError(t, e.wait(done))
	r = e.get("R1")
	assert.Equal(t, approvals.StateDone, r.State)
	assert.Empty(t, r.ExecOwner, "finishing clears the lease")
	assert.True(t, r.LeaseUntil.IsZero())
}

func TestSecondRunnerCannotBeginLeasedExecution(t *testing.T) {
	e := newLeaseEnv(t)
	a, b := e.runner("replica-a"), e.runner("replica-b")
	e.approved("R1")
	done := e.startExec(t.Context(), a, "R1")

	// B is asked to run it (a second click, a sweep, a start-up recovery) while A
	// holds the lease, also just before it runs out.
	require.NoError(t, b.execute(t.Context(), "R1"))
	e.clock.Advance(testLease - time.Millisecond) // A's heartbeat renews meanwhile
	require.Eventually(t, func() bool { return e.get("R1").LeaseUntil.After(e.clock.Now().Add(testLease / 2)) },
		10*time.Second, time.Millisecond)
	require.NoError(t, b.execute(t.Context(), "R1"))
	assert.Equal(t, 1, e.act.count(), "only A runs it")
	assert.Equal(t, "replica-a", e.get("R1").ExecOwner)

	close(e.act.gate)
	require.NoError(t, e.wait(done))
	assert.Equal(t, []audit.Kind{audit.KindExecuting, audit.KindDone}, e.kinds("R1"))
}

func TestTakeoverAfterLeaseRunsOut(t *testing.T) {
	e := newLeaseEnv(t)
	b := e.runner("replica-b")
	e.approved("R1")
	// Replica A began it and died: its lease is in the store, nobody renews it.
	ok, err := e.db.Transition(t.Context(), "R1", approvals.StateApproved, approvals.StateExecuting,
		approvals.Change{Lease: approvals.Lease{Owner: "replica-a", Until: e.clock.Now().Add(testLease)}})
	require.NoError(t, err)
	require.True(t, ok)

	require.NoError(t, b.execute(t.Context(), "R1"))
	assert.Zero(t, e.act.count(), "not before the lease runs out")

	e.clock.Advance(testLease)
	close(e.act.gate)
	require.NoError(t, b.execute(t.Context(), "R1"))
	assert.Equal(t, 1, e.act.count())
	assert.Equal(t, []bool{true}, e.act.resumed, "a takeover runs the action as resumed: it checks what is done")
	assert.Equal(t, approvals.StateDone, e.get("R1").State)
	assert.Equal(t, []audit.Kind{audit.KindExecuting, audit.KindDone}, e.kinds("R1"))
	evs, err := e.db.AuditEvents(t.Context(), "R1")
	require.NoError(t, err)
	assert.Equal(t, approvals.ResumedDetail, evs[0].Detail, "the takeover is audited as a resumption")
	require.NoError(t, b.execute(t.Context(), "R1"))
	assert.Equal(t, 1, e.act.count(), "finished: nobody runs it again")
}

// A that stalled past its lease finds on its next heartbeat that B took the request
// over: it stops its API calls and records nothing; B's outcome stands.
func TestLostLeaseDetectedByHeartbeat(t *testing.T) {
	e := newLeaseEnv(t)
	a := e.runner("replica-a")
	e.approved("R1")
	done := e.startExec(t.Context(), a, "R1")
	e.takeOverBehindTheBack(t, "R1", "replica-b")

	e.beat()
	require.ErrorIs(t, e.wait(done), errLeaseLost)
	r := e.get("R1")
	assert.Equal(t, approvals.StateExecuting, r.State, "A recorded nothing")
	assert.Equal(t, "replica-b", r.ExecOwner)
}

// A whose API calls were through when B took over does not record its outcome over
// B's: FinishExecution refuses it.
func TestLostLeaseRefusesOutcome(t *testing.T) {
	e := newLeaseEnv(t)
	a := e.runner("replica-a")
	e.approved("R1")
	e.act.ignoreStops = true
	done := e.startExec(t.Context(), a, "R1")
	e.takeOverBehindTheBack(t, "R1", "replica-b")

	close(e.act.gate)
	require.ErrorIs(t, e.wait(done), approvals.ErrLeaseLost)
	r := e.get("R1")
	assert.Equal(t, approvals.StateExecuting, r.State)
	assert.Equal(t, "replica-b", r.ExecOwner)
	assert.NotContains(t, e.kinds("R1"), audit.KindDone)
}

// takeOverBehindTheBack makes owner the executor as if the holder's lease had run out
// without its heartbeat noticing (a process frozen past its lease).
func (e *leaseEnv) takeOverBehindTheBack(t *testing.T, id, owner string) {
	t.Helper()
	holder := e.get(id).ExecOwner
	ok, err := e.db.ReleaseLease(t.Context(), id, holder, e.clock.Now())
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = e.db.TakeOver(t.Context(), id, approvals.Lease{Owner: owner, Until: e.clock.Now().Add(testLease)}, e.clock.Now())
	require.NoError(t, err)
	require.True(t, ok)
}

func TestReleaseLetsAnotherTakeOverAtOnce(t *testing.T) {
	e := newLeaseEnv(t)
	a, b := e.runner("replica-a"), e.runner("replica-b")
	e.approved("R1")
	done := e.startExec(t.Context(), a, "R1")

	require.NoError(t, a.ReleaseLeases(t.Context()))
	require.ErrorIs(t, e.wait(done), errInterrupted)
	r := e.get("R1")
	assert.Equal(t, approvals.StateExecuting, r.State)
	assert.Equal(t, e.clock.Now(), r.LeaseUntil, "handed back: the lease ends now")

	close(e.act.gate)
	require.NoError(t, b.execute(t.Context(), "R1"), "no wait for the lease to run out")
	assert.Equal(t, 2, e.act.count())
	assert.Equal(t, approvals.StateDone, e.get("R1").State)
	require.NoError(t, a.ReleaseLeases(t.Context()), "nothing left to hand back")
}

// Shutdown (the process's context ends) interrupts the API calls and hands the lease
// back by itself.
func TestShutdownHandsBackInterruptedExecution(t *testing.T) {
	e := newLeaseEnv(t)
	a, b := e.runner("replica-a"), e.runner("replica-b")
	e.approved("R1")
	ctx, stop := context.WithCancel(t.Context())
	done := e.startExec(ctx, a, "R1")
	stop()
	require.ErrorIs(t, e.wait(done), errInterrupted)
	assert.Equal(t, e.clock.Now(), e.get("R1").LeaseUntil)

	close(e.act.gate)
	require.NoError(t, b.execute(t.Context(), "R1"))
	assert.Equal(t, approvals.StateDone, e.get("R1").State)
}

// slowCardMessenger stands for a Slack that holds the card update BeginExecution makes
// (rate limited, retried): when it answers, onUpdate has run.
type slowCardMessenger struct {
	quietMessenger
	onUpdate func()
}

func (m slowCardMessenger) UpdateRequest(context.Context, approvals.Request, approvals.Progress) error {
	if m.onUpdate != nil {
		m.onUpdate()
	}
	return nil
}

// A's card update at the start of its execution takes longer than the lease: by the
// time it is through, the lease has run out and B has taken the request over. A must
// not run the actions B is running.
func TestLeaseLapsedWhileBeginningIsNotRun(t *testing.T) {
	e := newLeaseEnv(t)
	e.approved("R1")
	require.NoError(t, e.db.SetCard(t.Context(), "R1", "CAPPROVE", "1.0"))
	var once sync.Once
	slow := slowCardMessenger{onUpdate: func() {
		once.Do(func() {
			e.clock.Advance(testLease + time.Second)
			ok, err := e.db.TakeOver(t.Context(), "R1", approvals.Lease{Owner: "replica-b", Until: e.clock.Now().Add(testLease)}, e.clock.Now())
			require.NoError(t, err)
			require.True(t, ok, "the lease has run out: B takes the request over")
		})
	}}
	a := e.runnerWith(slow, "replica-a")
	close(e.act.gate)

	err := a.execute(t.Context(), "R1")
	require.ErrorIs(t, err, errLeaseLost)
	assert.Zero(t, e.act.count(), "A does not run what B now runs")
	r := e.get("R1")
	assert.Equal(t, approvals.StateExecuting, r.State)
	assert.Equal(t, "replica-b", r.ExecOwner)
}

// A slow beginning that the lease outlasts renews it before the actions run, so the
// heartbeat does not start from a lease about to run out.
func TestSlowBeginningRenewsTheLease(t *testing.T) {
	e := newLeaseEnv(t)
	e.approved("R1")
	require.NoError(t, e.db.SetCard(t.Context(), "R1", "CAPPROVE", "1.0"))
	var once sync.Once
	a := e.runnerWith(slowCardMessenger{onUpdate: func() { once.Do(func() { e.clock.Advance(testLease / 2) }) }}, "replica-a")
	done := e.startExec(t.Context(), a, "R1")
	assert.Equal(t, e.clock.Now().Add(testLease), e.get("R1").LeaseUntil, "renewed once the card was updated")
	close(e.act.gate)
	require.NoError(t, e.wait(done))
	assert.Equal(t, approvals.StateDone, e.get("R1").State)
}

func (e *leaseEnv) runnerWith(m approvals.Messenger, owner string) *Runner {
	e.t.Helper()
	svc, err := approvals.NewService(approvals.Config{Approvers: []string{"UA"}}, approvals.Deps{
		Store: e.db, Messenger: m, Queue: NewQueue(), Clock: e.clock, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(e.t, err)
	return NewRunner(svc, Actions{approvals.ActionInvite: e.act}, NewQueue(), 0, slog.New(slog.DiscardHandler),
		WithLease(owner, testLease, e.clock))
}

// hungRenewals is the approval service on a database this process can no longer reach
// (a network partition): renewals hang until their context ends.
type hungRenewals struct {
	*approvals.Service
}

func (hungRenewals) RenewLease(ctx context.Context, _ string, _ approvals.Lease) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}

// A renewal that hangs must not hold the execution past its lease: once the lease has
// run out another replica may take the request over, so the API calls here stop.
func TestHungRenewalStopsTheExecutionWhenTheLeaseRunsOut(t *testing.T) {
	e := newLeaseEnv(t)
	e.approved("R1")
	const ttl = 300 * time.Millisecond // the renewal waits at most the lease's rest, in real time
	svc, err := approvals.NewService(approvals.Config{Approvers: []string{"UA"}}, approvals.Deps{
		Store: e.db, Messenger: quietMessenger{}, Queue: NewQueue(), Clock: e.clock, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	a := NewRunner(hungRenewals{svc}, Actions{approvals.ActionInvite: e.act}, NewQueue(), 0, slog.New(slog.DiscardHandler),
		WithLease("replica-a", ttl, e.clock))
	done := e.startExec(t.Context(), a, "R1")
	require.Eventually(t, func() bool { return e.clock.Waiters() > 0 }, 10*time.Second, time.Millisecond, "heartbeat not sleeping")
	e.clock.Advance(ttl / 3)

	require.ErrorIs(t, e.wait(done), errLeaseLost, "the run stops once its lease may be gone")
	assert.Equal(t, approvals.StateExecuting, e.get("R1").State, "nothing recorded: another replica resumes it")
}
