package e2e

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/clock/clocktest"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
	slacksandbox "devin-chatops/internal/sandbox/slack"
	"devin-chatops/store"
)

// Shutdown, execution and Slack-failure hardening of the approval flow, as a user (or
// the operator stopping the bot) would notice it.

// hdSlowAPI is longer than any test waits: an execution that reaches the Devin API
// while it is this slow can only end by being cancelled.
const hdSlowAPI = time.Minute

// hdPrompt is how long a stop may take when nothing has to be waited for. Before the
// fixes these stops took the bot's shutdown timeout (20 s) or the API's latency.
const hdPrompt = 5 * time.Second

// hdStop stops the bot, as SIGTERM would, and fails unless that was prompt.
func hdStop(t *testing.T, env *harness.Env) {
	t.Helper()
	began := time.Now()
	require.NoError(t, env.StopBot())
	require.Less(t, time.Since(began), hdPrompt, "stopping the bot waited for an execution's API calls")
}

// hdStoredState reads request id from the database of a stopped bot.
func hdStoredState(t *testing.T, dbURL, id string) approvals.State {
	t.Helper()
	db, err := store.Open(apCtx(t), dbURL)
	require.NoError(t, err)
	defer db.Close()
	r, err := db.GetRequest(apCtx(t), id)
	require.NoError(t, err)
	return r.State
}

// hdInvitesInFlight waits until n invitations have reached the Devin API.
func hdInvitesInFlight(t *testing.T, env *harness.Env, n int) {
	t.Helper()
	apEventually(t, "the invitations reach the Devin API", func() bool {
		return env.Devin.CountOp(devinsandbox.OpInvite) >= n
	})
}

// hdFinishedOnce checks that request id ended done, was told and echoed once, and that
// its execution was started twice (once by each process) and finished once.
func hdFinishedOnce(t *testing.T, env *harness.Env, id string) {
	t.Helper()
	apCard(t, env, id, "Done: ", "Approved by* <@"+harness.Alice+">")
	apDM(t, env, harness.Requester, id, "is done")
	apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	require.Equal(t, 1, apKindLines(env, id, audit.KindDone), "finished exactly once")
	require.Equal(t, 2, apKindLines(env, id, audit.KindExecuting), "started before the stop, resumed after it")
	waitAudit(t, env, "`"+id+"` *executing*", approvals.ResumedDetail)
	require.Equal(t, 1, rcDMsAbout(t, env, id), "the requester is told once")
	require.Equal(t, 1, apCards(env, id))
}

// Stopping the bot while an approved request's API call hangs waits for it no longer
// than the shutdown grace: the call is then cancelled, the request stays executing,
// and the next start finishes it.
func TestHardeningStopDuringExecutionIsPrompt(t *testing.T) {
	dbURL := "sqlite:" + t.TempDir() + "/db"
	opts := harness.Options{DatabaseURL: dbURL} // the bot's default shutdown timeout
	opts.App.ShutdownGrace = 500 * time.Millisecond
	env := apStart(t, opts)
	id, _ := apSubmit(t, env, harness.Requester, "invite hd.slow@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	env.Devin.SetLatencyOp(hdSlowAPI, devinsandbox.OpInvite)
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	hdInvitesInFlight(t, env, 1)
	apWaitEchoed(t, env, id, apHasKind(audit.KindExecuting))
	hdStop(t, env)
	require.Equal(t, approvals.StateExecuting, hdStoredState(t, dbURL, id), "nothing is recorded for a cancelled call")

	env.Devin.SetLatencyOp(0, devinsandbox.OpInvite)
	require.NoError(t, env.Restart(apCtx(t)))
	hdFinishedOnce(t, env, id)
	_, ok := env.Devin.MemberByEmail("hd.slow@example.com")
	require.True(t, ok)
}

// Stopping the bot while start-up recovery is executing a request left approved by the
// previous process does not wait for it either, and recovery starts nothing more.
func TestHardeningStopDuringRecoveryIsPrompt(t *testing.T) {
	dbURL := "sqlite:" + t.TempDir() + "/db"
	env := apStart(t, harness.Options{DatabaseURL: dbURL})
	var ids []string
	for _, email := range []string{"hd.rec1@example.com", "hd.rec2@example.com"} {
		id, _ := apSubmit(t, env, harness.Requester, "invite "+email)
		apCard(t, env, id, "Approval needed: ")
		apWaitEchoed(t, env, id, apHasKind(audit.KindCommand))
		ids = append(ids, id)
	}
	require.NoError(t, env.StopBot())

	// The previous process recorded both approvals and died before executing them.
	ctx := apCtx(t)
	db, err := store.Open(ctx, dbURL)
	require.NoError(t, err)
	now := time.Now().UTC()
	for _, id := range ids {
		ok, err := db.Transition(ctx, id, approvals.StatePending, approvals.StateApproved,
			approvals.Change{DecidedBy: harness.Alice, DecidedAt: now},
			audit.Event{Kind: audit.KindApproved, Actor: harness.Alice, Detail: "approved by " + harness.Alice, DecidedAt: now})
		require.NoError(t, err)
		require.True(t, ok)
	}
	require.NoError(t, db.Close())

	env.Devin.SetLatencyOp(hdSlowAPI, devinsandbox.OpInvite)
	require.NoError(t, env.Restart(apCtx(t)))
	hdInvitesInFlight(t, env, 1)
	hdStop(t, env)
	require.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpInvite), "recovery started nothing after the stop")
	states := map[approvals.State]int{}
	for _, id := range ids {
		states[hdStoredState(t, dbURL, id)]++
	}
	require.Equal(t, map[approvals.State]int{approvals.StateExecuting: 1, approvals.StateApproved: 1}, states)

	env.Devin.SetLatencyOp(0, devinsandbox.OpInvite)
	require.NoError(t, env.Restart(apCtx(t)))
	for _, id := range ids {
		apCard(t, env, id, "Done: ", "1 ")
		apDM(t, env, harness.Requester, id, "is done")
		apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
		require.Equal(t, 1, apKindLines(env, id, audit.KindDone), "finished exactly once")
	}
	require.Equal(t, 3, env.Devin.CountOp(devinsandbox.OpInvite), "the interrupted one was sent again")
}

// Long executions do not take the Slack handlers: with fewer handler workers than
// executions in flight, every approval starts at once and commands are still answered.
func TestHardeningClicksAnsweredWhileExecutionsRun(t *testing.T) {
	opts := harness.Options{}
	opts.App.Bot.Workers = 2
	env := apStart(t, opts)
	var ids []string
	var cards []slacksandbox.Message
	for _, email := range []string{"hd.w1@example.com", "hd.w2@example.com", "hd.w3@example.com"} {
		id, _ := apSubmit(t, env, harness.Requester, "invite "+email)
		ids = append(ids, id)
		cards = append(cards, apCard(t, env, id, "Approval needed: "))
	}

	const latency = 5 * time.Second
	env.Devin.SetLatencyOp(latency, devinsandbox.OpInvite)
	began := time.Now()
	for _, card := range cards {
		apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	}
	hdInvitesInFlight(t, env, len(ids))
	reply := slash(t, env, harness.Requester, harness.GeneralChannel, "help")
	require.Contains(t, reply.AllText(), "/devin")
	require.Less(t, time.Since(began), latency, "the command waited for an execution to finish")
	for _, id := range ids {
		require.Equal(t, approvals.StateExecuting, apState(t, env, id).State, "all three run at once, beside the command")
	}

	for _, id := range ids {
		apCard(t, env, id, "Done: ", "1 invited")
		require.Equal(t, 1, apKindLines(env, id, audit.KindExecuting))
	}
	require.Equal(t, len(ids), env.Devin.CountOp(devinsandbox.OpInvite), "each executed once")
}

// An approved request whose execution never started (the click recorded the approval,
// then the store failed it) is run by the sweeper a minute later, without a restart.
func TestHardeningApprovedRequestRunWithoutRestart(t *testing.T) {
	skew := &clocktest.Shifted{} // how far the bot's clock is ahead of the real one
	opts := harness.Options{}
	opts.App.Clock = skew
	env := apStart(t, opts)
	id, _ := apSubmit(t, env, harness.Requester, "invite hd.stuck@example.com")
	apCard(t, env, id, "Approval needed: ")

	ctx := apCtx(t)
	now := opts.App.Clock.Now().UTC()
	added, err := env.App.DB.AddVote(ctx, approvals.Vote{RequestID: id, Voter: harness.Alice, Approve: true, At: now},
		audit.Event{Kind: audit.KindVote, Actor: harness.Alice, Command: "approve"})
	require.NoError(t, err)
	require.True(t, added)
	ok, err := env.App.DB.Transition(ctx, id, approvals.StatePending, approvals.StateApproved,
		approvals.Change{DecidedBy: harness.Alice, DecidedAt: now},
		audit.Event{Kind: audit.KindApproved, Actor: harness.Alice, Detail: "approved by " + harness.Alice, DecidedAt: now})
	require.NoError(t, err)
	require.True(t, ok)

	// Many sweeps pass (one every 50 ms) without touching a just-approved request.
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, approvals.StateApproved, apState(t, env, id).State)
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpInvite))

	skew.Shift(2 * time.Minute)
	apCard(t, env, id, "Done: ", "Approved by* <@"+harness.Alice+">", "1 invited")
	apDM(t, env, harness.Requester, id, "is done")
	apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	require.Equal(t, 1, apKindLines(env, id, audit.KindExecuting))
	require.Equal(t, 1, apKindLines(env, id, audit.KindDone))
	require.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpInvite))
}

// A card deleted from Slack is given up on: the request finishes, its requester is
// told, and the sweeper does not keep calling chat.update for it.
func TestHardeningDeletedCardGivenUp(t *testing.T) {
	logs := &rcLog{}
	env := apStart(t, harness.Options{Logger: slog.New(logs)})
	id, _ := apSubmit(t, env, harness.Requester, "invite hd.gone@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	env.Slack.FailNext("chat.update", "message_not_found", 1<<30)
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apDM(t, env, harness.Requester, id, "is done", "1 invited")
	apEventually(t, "the store records the card as given up", func() bool {
		r := apState(t, env, id)
		return r.State == approvals.StateDone && r.CardState == approvals.StateDone && r.NotifiedState == approvals.StateDone
	})
	apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	updates := env.Slack.Calls("chat.update")
	givenUp := logs.count(msgHDCardGivenUp, id)
	require.Positive(t, givenUp)

	time.Sleep(500 * time.Millisecond) // about ten sweeps
	require.Equal(t, updates, env.Slack.Calls("chat.update"), "the sweeper keeps retrying a deleted card")
	require.Equal(t, givenUp, logs.count(msgHDCardGivenUp, id))
	require.Zero(t, logs.count("request not shown as it is in Slack; retrying on the next sweep", id))
	require.Equal(t, 1, rcDMsAbout(t, env, id))
}

const msgHDCardGivenUp = "approval card can no longer be updated; giving up on it"

// A requester the bot cannot DM is told how their request ended with an ephemeral in
// the channel they asked from, once, and the DM is not retried forever.
func TestHardeningRequesterWhoCannotBeDMd(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "invite hd.nodm@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	env.Slack.FailNext("conversations.open", "user_disabled", 1<<30)
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	told, err := env.Slack.WaitEphemeral(waitCtx(t, apWait), func(e slacksandbox.Ephemeral) bool {
		return e.Channel == harness.GeneralChannel && e.User == harness.Requester && containsAll(e.AllText(), id, "is done")
	})
	require.NoError(t, err, "the requester is not told in the channel they asked from")
	require.Contains(t, told.AllText(), "1 invited")
	apEventually(t, "the store records the requester as told", func() bool {
		return apState(t, env, id).NotifiedState == approvals.StateDone
	})
	apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	opens := env.Slack.Calls("conversations.open")

	time.Sleep(500 * time.Millisecond) // about ten sweeps
	require.Equal(t, opens, env.Slack.Calls("conversations.open"), "the sweeper keeps retrying the DM")
	n := 0
	for _, e := range env.Slack.Ephemerals() {
		if e.User == harness.Requester && strings.Contains(e.AllText(), id) && strings.Contains(e.AllText(), "is done") {
			n++
		}
	}
	require.Equal(t, 1, n, "told once")
}

// The request's audit line names each item once; the typed command is in the command
// line beside it.
func TestHardeningRequestAuditLineListsItemsOnce(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "invite hd.one@example.com hd.two@example.com --role member")
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindCommand))
	var request, command string
	for _, l := range lines {
		switch {
		case strings.Contains(l.Text, "`"+id+"` *"+string(audit.KindRequest)+"*"):
			request = l.Text
		case strings.Contains(l.Text, "`"+id+"` *"+string(audit.KindCommand)+"*"):
			command = l.Text
		}
	}
	require.NotEmpty(t, request)
	require.NotEmpty(t, command)
	for _, email := range []string{"hd.one@example.com", "hd.two@example.com"} {
		require.Equal(t, 1, strings.Count(request, email), "request line: %s", request)
		require.Contains(t, command, email)
	}
	require.Contains(t, request, "invite --role member")
}
