package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"devin-chatops/app"
	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/bot"
	"devin-chatops/clock/clocktest"
	"devin-chatops/config"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
	slacksandbox "devin-chatops/internal/sandbox/slack"
	"devin-chatops/store"
)

// The approval flow end to end: the real bot, with the real slack-go client, against
// the fake Slack, Devin and GitHub APIs.

func TestApprovalInviteAdminIntoOrg(t *testing.T) {
	env := apStart(t, harness.Options{})
	const email = "new.hire@example.com"
	_, seeded := env.Devin.MemberByEmail(email)
	require.False(t, seeded)

	id, reply := apSubmit(t, env, harness.Requester,
		`invite `+email+` --role admin --org `+harness.OrgEngineering+` --reason "joins the platform team"`)
	require.Contains(t, reply.AllText(), "waiting for approval in")
	require.Contains(t, reply.AllText(), email)

	card := apCard(t, env, id, "Approval needed: ",
		"<@"+harness.Requester+">", email, "*Role:* admin", "*Organization:* "+harness.OrgEngineering,
		"joins the platform team", "expires", "Approvals: 0 of 1")
	apButtons(t, card, id)
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpInvite), "nothing runs before approval")

	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)

	done := apCard(t, env, id, "Done: ", "Approved by* <@"+harness.Alice+">", "1 invited", email)
	require.Empty(t, done.Buttons(), "a decided card has no buttons")

	m, ok := env.Devin.MemberByEmail(email)
	require.True(t, ok, "the invited person is a member of the enterprise")
	require.Equal(t, "account_admin", m.Role)
	org, ok := env.Devin.OrgByID(harness.OrgEngineering)
	require.True(t, ok)
	require.Contains(t, org.Members, m.UserID, "the invited person is in the organization")
	require.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpInvite))

	// "1 email", not "1 emails" (regression).
	apDM(t, env, harness.Requester, id, "(invite to Devin, 1 email)", "approved by <@"+harness.Alice+">", "1 invited")
	require.Equal(t, approvals.StateDone, apState(t, env, id).State)

	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindDone)
	// Every line in the audit channel (the command line too) carries the request ID.
	all := env.Slack.Messages(harness.AuditChannel)
	require.Len(t, all, len(lines))
	for _, l := range all {
		require.Contains(t, l.Text, "`"+id+"`")
	}
	require.Equal(t, 1, apKindLines(env, id, audit.KindCommand))
	require.Equal(t, 1, apCards(env, id), "one card per request")
}

func TestApprovalTeamAddAndRemove(t *testing.T) {
	env := apStart(t, harness.Options{})
	require.ElementsMatch(t, []string{"octocat", "hubot"}, env.GitHub.Members(harness.TeamPlatform))

	add, reply := apSubmit(t, env, harness.Requester, "team add "+harness.TeamPlatform+` mona defunkt octocat --reason "on-call"`)
	require.Contains(t, reply.AllText(), "*Plan:* adds 2 to "+harness.TeamPlatform+"; 1 already a member")
	card := apCard(t, env, add, "Approval needed: ", "add to GitHub team "+harness.TeamPlatform, "mona", "defunkt", "octocat",
		"*Plan:* adds 2 to "+harness.TeamPlatform+"; 1 already a member",
		"to add (2): mona, defunkt", "already in "+harness.TeamPlatform+" — no change (1): octocat")
	apButtons(t, card, add)
	require.ElementsMatch(t, []string{"octocat", "hubot"}, env.GitHub.Members(harness.TeamPlatform), "nothing runs before approval")
	apClick(t, env, harness.Bob, card, approvalslack.ActionIDApprove)
	apCard(t, env, add, "Done: ", "2 added, 1 already a member")
	require.ElementsMatch(t, []string{"octocat", "hubot", "mona", "defunkt"}, env.GitHub.Members(harness.TeamPlatform))
	apDM(t, env, harness.Requester, add, "(add to GitHub team "+harness.TeamPlatform+", 3 GitHub logins)", "is done", "2 added")

	remove, _ := apSubmit(t, env, harness.Requester, "team remove "+harness.TeamPlatform+" hubot dev01")
	card = apCard(t, env, remove, "Approval needed: ", "remove from GitHub team "+harness.TeamPlatform, "hubot", "dev01",
		"*Plan:* removes 1 from "+harness.TeamPlatform+"; 1 not a member", "not in "+harness.TeamPlatform+" — no change (1): dev01")
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, remove, "Done: ", "1 removed, 1 not a member")
	require.ElementsMatch(t, []string{"octocat", "mona", "defunkt"}, env.GitHub.Members(harness.TeamPlatform))

	for _, id := range []string{add, remove} {
		lines := apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
		apInOrder(t, id, lines, audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindDone)
	}
}

func TestApprovalDenyWithReason(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "invite eve@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	click := apClick(t, env, harness.Bob, card, approvalslack.ActionIDDeny)
	view, err := env.Slack.WaitView(waitCtx(t, apWait), func(v slacksandbox.View) bool {
		return v.CallbackID == approvalslack.DenyCallbackID && v.PrivateMetadata == id
	})
	require.NoError(t, err, "Deny opens the reason modal")
	require.Equal(t, harness.Bob, view.User, "the modal opens for the approver who clicked, through the click's trigger_id")
	require.NotEmpty(t, click.TriggerID)
	require.Equal(t, 1, env.Slack.Calls("views.open"))
	// Nothing is decided while the modal is open.
	require.Equal(t, approvals.StatePending, apState(t, env, id).State)

	sub, err := env.Slack.SubmitView(harness.Bob, view.ID, map[string]map[string]string{
		approvalslack.DenyReasonBlockID: {approvalslack.DenyReasonActionID: "no budget this quarter"},
	})
	require.NoError(t, err)
	_, err = sub.WaitAck(waitCtx(t, apWait))
	require.NoError(t, err)

	denied := apCard(t, env, id, "Denied: ", "Denied by* <@"+harness.Bob+">", "no budget this quarter")
	require.Empty(t, denied.Buttons())
	apDM(t, env, harness.Requester, id, "was denied by <@"+harness.Bob+">", "no budget this quarter")
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindDenied))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindDenied)
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpInvite))
	_, ok := env.Devin.MemberByEmail("eve@example.com")
	require.False(t, ok)
}

func TestApprovalDenyWithoutModal(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "invite eve@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	// The trigger_id is refused (the bot was too slow, say): the deny goes through
	// without a reason rather than not at all.
	env.Slack.FailNext("views.open", "expired_trigger_id", 1)
	apClick(t, env, harness.Bob, card, approvalslack.ActionIDDeny)

	denied := apCard(t, env, id, "Denied: ", "Denied by* <@"+harness.Bob+">")
	require.NotContains(t, denied.AllText(), "Deny reason")
	require.Empty(t, denied.Buttons())
	require.Empty(t, env.Slack.Views(), "no modal was opened")
	dm := apDM(t, env, harness.Requester, id, "was denied by <@"+harness.Bob+">")
	require.NotContains(t, dm.AllText(), "Reason")
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpInvite))
	apWaitEchoed(t, env, id, apHasKind(audit.KindDenied))
}

func TestApprovalSelfApprovalRefused(t *testing.T) {
	env := apStart(t, harness.Options{})
	// Alice is an approver asking for a change herself.
	id, _ := apSubmit(t, env, harness.Alice, "invite self@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apEphemeral(t, env, harness.Alice, "You cannot approve your own request.")
	waitAudit(t, env, "`"+id+"` *refused*", "<@"+harness.Alice+">", "own request")

	r := apState(t, env, id)
	require.Equal(t, approvals.StatePending, r.State, "the request is unchanged")
	votes, err := env.App.DB.Votes(apCtx(t), id)
	require.NoError(t, err)
	require.Empty(t, votes)
	cur, _ := apCurrentCard(env, id)
	require.Zero(t, cur.Updates, "the card is unchanged")
	require.Len(t, cur.Buttons(), 2)
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpInvite))

	// Her own Deny is refused too.
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDDeny)
	apEphemeral(t, env, harness.Alice, "You cannot deny your own request.")

	apClick(t, env, harness.Bob, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ", "Approved by* <@"+harness.Bob+">", "1 invited")
	_, ok := env.Devin.MemberByEmail("self@example.com")
	require.True(t, ok)
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindDone)
	require.Equal(t, 2, apKindLines(env, id, audit.KindRefused), "both refused clicks are audited")
}

func TestApprovalNonApproverRefused(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "invite eve@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	apClick(t, env, harness.Mallory, card, approvalslack.ActionIDApprove)
	apEphemeral(t, env, harness.Mallory, "Only approvers can decide on requests")
	apClick(t, env, harness.Mallory, card, approvalslack.ActionIDDeny)
	waitAudit(t, env, "`"+id+"` *refused*", "<@"+harness.Mallory+">", "deny", "not an approver")
	require.Empty(t, env.Slack.Views(), "a non-approver's Deny opens no modal")

	require.Equal(t, approvals.StatePending, apState(t, env, id).State)
	cur, _ := apCurrentCard(env, id)
	require.Zero(t, cur.Updates)
	require.Contains(t, cur.AllText(), "Approvals: 0 of 1")
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpInvite))
	// The refusal is audited before the clicker is told: wait for the second reply.
	apEventually(t, "both clicks told why", func() bool { return len(apEphemerals(env, "Only approvers")) == 2 })

	// The requester is no approver either.
	apClick(t, env, harness.Requester, card, approvalslack.ActionIDApprove)
	apEphemeral(t, env, harness.Requester, "Only approvers can decide on requests")
	require.Equal(t, approvals.StatePending, apState(t, env, id).State)
}

func TestApprovalByUserGroupMember(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "invite carol.pick@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	apClick(t, env, harness.Carol, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ", "Approved by* <@"+harness.Carol+">", "1 invited")
	_, ok := env.Devin.MemberByEmail("carol.pick@example.com")
	require.True(t, ok)
	require.Positive(t, env.Slack.Calls("usergroups.users.list"), "Carol is an approver only through the user group")
	apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
}

func TestApprovalQuorumOfTwo(t *testing.T) {
	env := apStart(t, harness.Options{Configure: func(c *config.Config) { c.RequiredApprovals = 2 }})
	id, _ := apSubmit(t, env, harness.Requester, "invite quorum@example.com")
	apCard(t, env, id, "Approval needed: ", "Approvals: 0 of 2")
	card := apCard(t, env, id, "Approval needed: ")

	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apEphemeral(t, env, harness.Alice, id, "1 of 2")
	one := apCard(t, env, id, "Approval needed: ", "Approvals: 1 of 2", "<@"+harness.Alice+">")
	require.Len(t, one.Buttons(), 2, "still open for the second approver")
	require.Equal(t, approvals.StatePending, apState(t, env, id).State)
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpInvite), "one approval of two executes nothing")
	waitAudit(t, env, "`"+id+"` *vote*", "<@"+harness.Alice+">")
	require.Zero(t, apKindLines(env, id, audit.KindApproved))

	// The same approver twice is still one approval.
	apClick(t, env, harness.Alice, one, approvalslack.ActionIDApprove)
	apEphemeral(t, env, harness.Alice, "You already approved "+id)
	require.Equal(t, approvals.StatePending, apState(t, env, id).State)
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpInvite))

	apClick(t, env, harness.Bob, one, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ", "<@"+harness.Alice+">, <@"+harness.Bob+">", "1 invited")
	require.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpInvite))
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindApproved, audit.KindExecuting, audit.KindDone)
	require.Equal(t, 2, apKindLines(env, id, audit.KindVote))
}

func TestApprovalConcurrentClicksExecuteOnce(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "invite race@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	// Keep the card's buttons up and the execution in flight long enough that all 20
	// clicks really land on a pending request and race each other.
	env.Slack.SetLatency("chat.update", 500*time.Millisecond)
	env.Devin.SetLatencyOp(200*time.Millisecond, devinsandbox.OpInvite)

	clickers := []string{harness.Alice, harness.Bob, harness.Carol}
	const n = 20
	var wg sync.WaitGroup
	gate := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			<-gate
			_, err := env.Slack.ClickButton(clickers[i%len(clickers)], card.Channel, card.TS, approvalslack.ActionIDApprove)
			errs <- err
		})
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err, "every click landed on the card's button")
	}

	apCard(t, env, id, "Done: ", "1 invited")
	lines := apWaitEchoed(t, env, id, func(evs []audit.Event) bool {
		refused := 0
		for _, e := range evs {
			if e.Kind == audit.KindRefused {
				refused++
			}
		}
		return refused == n-1 && apHasKind(audit.KindDone)(evs)
	})
	require.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpInvite), "executed exactly once")
	require.Equal(t, 1, apKindLines(env, id, audit.KindDone))
	require.Equal(t, 1, apKindLines(env, id, audit.KindExecuting))
	require.Equal(t, 1, apKindLines(env, id, audit.KindApproved))
	require.Equal(t, 1, apKindLines(env, id, audit.KindVote))
	require.Equal(t, n-1, apKindLines(env, id, audit.KindRefused))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindDone)
	// Every other click was told why it changed nothing.
	apEventually(t, "19 refusals shown", func() bool { return len(apEphemerals(env, id)) == n-1 })
	apDM(t, env, harness.Requester, id, "is done")
	require.Len(t, apDMs(t, env, harness.Requester), 1, "the requester is told once")
}

func TestApprovalExpiry(t *testing.T) {
	env := apStart(t, harness.Options{Configure: func(c *config.Config) { c.RequestTTL = 500 * time.Millisecond }})
	id, _ := apSubmit(t, env, harness.Requester, "invite late@example.com")
	pending := apCard(t, env, id, "Approval needed: ")
	apButtons(t, pending, id)

	expired := apCard(t, env, id, "Expired: ", "Expired*", "without a decision")
	require.Empty(t, expired.Buttons(), "an expired card has no buttons")
	apDM(t, env, harness.Requester, id, "expired")
	require.Equal(t, approvals.StateExpired, apState(t, env, id).State)

	// The buttons are gone: a later click cannot even be made.
	_, err := env.Slack.ClickButton(harness.Alice, pending.Channel, pending.TS, approvalslack.ActionIDApprove)
	require.Error(t, err)
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpInvite))
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindExpired))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindExpired)
}

func TestApprovalClickAfterExpiryRefused(t *testing.T) {
	// The bot's clock jumps past the request's expiry while its expiry timer still
	// waits out the real hour and the sweeper runs only at start-up, so the card still
	// shows its buttons, as it would for a client with a stale view: the click is what
	// finds the request expired.
	offset := &clocktest.Shifted{}
	env := apStart(t, harness.Options{
		Configure: func(c *config.Config) { c.RequestTTL = time.Hour },
		App:       app.Options{SweepEvery: time.Hour, Clock: offset},
	})
	id, _ := apSubmit(t, env, harness.Requester, "invite late@example.com")
	card := apCard(t, env, id, "Approval needed: ")
	offset.Shift(time.Hour + time.Minute) // past the request's own deadline
	cur, _ := apCurrentCard(env, id)
	require.Len(t, cur.Buttons(), 2, "the card still offers its buttons")

	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apEphemeral(t, env, harness.Alice, "Request "+id+" expired")
	expired := apCard(t, env, id, "Expired: ")
	require.Empty(t, expired.Buttons())
	apDM(t, env, harness.Requester, id, "expired")
	require.Equal(t, approvals.StateExpired, apState(t, env, id).State)
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpInvite))
	votes, err := env.App.DB.Votes(apCtx(t), id)
	require.NoError(t, err)
	require.Empty(t, votes)
	lines := apWaitEchoed(t, env, id, func(evs []audit.Event) bool {
		return apHasKind(audit.KindExpired)(evs) && apHasKind(audit.KindRefused)(evs)
	})
	apInOrder(t, id, lines, audit.KindRequest, audit.KindExpired, audit.KindRefused)
}

func TestApprovalPendingSurvivesRestart(t *testing.T) {
	env := apStart(t, harness.Options{
		DatabaseURL: "sqlite:" + t.TempDir() + "/db",
		Configure:   func(c *config.Config) { c.RequiredApprovals = 2 },
	})
	id, _ := apSubmit(t, env, harness.Requester, "invite restart@example.com")
	card := apCard(t, env, id, "Approval needed: ")
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Approval needed: ", "Approvals: 1 of 2")
	apWaitEchoed(t, env, id, apHasKind(audit.KindVote))

	require.NoError(t, env.Restart(apCtx(t)))
	require.Equal(t, approvals.StatePending, apState(t, env, id).State)
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpInvite))

	// The button on the card posted by the previous process still works, and the
	// approval given before the restart still counts.
	apClick(t, env, harness.Bob, card, approvalslack.ActionIDApprove)
	done := apCard(t, env, id, "Done: ", "<@"+harness.Alice+">, <@"+harness.Bob+">", "1 invited")
	require.Equal(t, card.TS, done.TS, "the same card is updated in place")
	require.Equal(t, 1, apCards(env, id), "the restart posted no second card")
	_, ok := env.Devin.MemberByEmail("restart@example.com")
	require.True(t, ok)
	require.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpInvite))
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindApproved, audit.KindExecuting, audit.KindDone)
	require.Equal(t, 2, apKindLines(env, id, audit.KindVote))
}

// TestApprovalFinishedAfterCrash puts requests in the states a crash can leave them
// in, directly in the database of a stopped bot, and checks the next process finishes
// each exactly once.
func TestApprovalFinishedAfterCrash(t *testing.T) {
	dbURL := "sqlite:" + t.TempDir() + "/db"
	env := apStart(t, harness.Options{DatabaseURL: dbURL})
	approved, _ := apSubmit(t, env, harness.Requester, "invite approved.crash@example.com")
	executing, _ := apSubmit(t, env, harness.Requester, "invite executing.crash@example.com")
	cards := map[string]string{}
	for _, id := range []string{approved, executing} {
		cards[id] = apCard(t, env, id, "Approval needed: ").TS
		apWaitEchoed(t, env, id, apHasKind(audit.KindCommand))
	}
	require.NoError(t, env.StopBot())

	// The crash: one request was approved and the process died before executing it;
	// the other died mid-execution, after the API had accepted the invitation.
	ctx := apCtx(t)
	db, err := store.Open(ctx, dbURL)
	require.NoError(t, err)
	now := time.Now().UTC()
	for _, id := range []string{approved, executing} {
		added, err := db.AddVote(ctx, approvals.Vote{RequestID: id, Voter: harness.Alice, Approve: true, At: now},
			audit.Event{Kind: audit.KindVote, Actor: harness.Alice, Command: "approve"})
		require.NoError(t, err)
		require.True(t, added)
		ok, err := db.Transition(ctx, id, approvals.StatePending, approvals.StateApproved,
			approvals.Change{DecidedBy: harness.Alice, DecidedAt: now},
			audit.Event{Kind: audit.KindApproved, Actor: harness.Alice, Detail: "approved by " + harness.Alice, DecidedAt: now})
		require.NoError(t, err)
		require.True(t, ok)
	}
	ok, err := db.Transition(ctx, executing, approvals.StateApproved, approvals.StateExecuting, approvals.Change{},
		audit.Event{Kind: audit.KindExecuting})
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, db.Close())
	env.Devin.AddMember(devinsandbox.Member{Email: "executing.crash@example.com"})

	require.NoError(t, env.Restart(apCtx(t)))

	apCard(t, env, approved, "Done: ", "Approved by* <@"+harness.Alice+">", "1 invited")
	// The resumed execution checks again first: the invitation the API accepted before
	// the crash shows as a change since the card, and is not sent again.
	apCard(t, env, executing, "Done: ", "1 invited", "found done when the request resumed after a restart")
	for id, ts := range cards {
		cur, _ := apCurrentCard(env, id)
		require.Equal(t, ts, cur.TS, "the card posted before the crash is the one updated")
		require.Equal(t, 1, apCards(env, id))
		apDM(t, env, harness.Requester, id, "is done")
		apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
		require.Equal(t, 1, apKindLines(env, id, audit.KindDone), "finished exactly once")
	}
	require.Equal(t, 1, apKindLines(env, approved, audit.KindExecuting))
	// The interrupted execution started once before the crash and resumed once after it.
	require.Equal(t, 2, apKindLines(env, executing, audit.KindExecuting))
	waitAudit(t, env, "`"+executing+"` *executing*", approvals.ResumedDetail)
	_, ok = env.Devin.MemberByEmail("approved.crash@example.com")
	require.True(t, ok)
	require.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpInvite), "one invitation in all: the interrupted one went through before the crash")
	require.Equal(t, approvals.StateDone, apState(t, env, approved).State)
	require.Equal(t, approvals.StateDone, apState(t, env, executing).State)
}

func TestApprovalDevinRateLimitedThenInvited(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "invite patient@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	env.Devin.SetRetryAfter("1")
	env.Devin.FailOp(devinsandbox.OpInvite, http.StatusTooManyRequests, 1)
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)

	done := apCard(t, env, id, "Done: ", "1 invited")
	require.NotContains(t, done.AllText(), "failed")
	_, ok := env.Devin.MemberByEmail("patient@example.com")
	require.True(t, ok)
	require.Equal(t, 2, env.Devin.CountOp(devinsandbox.OpInvite), "the rate-limited call was sent again, once")
	waitAudit(t, env, "`"+id+"` *done*", "outcome: 1 invited")
}

func TestApprovalDevinServerErrorFails(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "invite unlucky@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	env.Devin.FailOp(devinsandbox.OpInvite, http.StatusInternalServerError, 1)
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)

	failed := apCard(t, env, id, "Failed: ", "1 failed", "unlucky@example.com", "finished with failures")
	require.Empty(t, failed.Buttons())
	require.Contains(t, failed.AllText(), "500", "the card says what the API answered")
	_, ok := env.Devin.MemberByEmail("unlucky@example.com")
	require.False(t, ok)
	require.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpInvite), "a POST the API may have accepted is not sent again")
	require.Equal(t, approvals.StateFailed, apState(t, env, id).State)
	apDM(t, env, harness.Requester, id, "did not fully succeed", "1 failed")
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindFailed))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindFailed)
	require.Zero(t, apKindLines(env, id, audit.KindDone))
}

func TestApprovalAuditEchoSurvivesSlackOutage(t *testing.T) {
	opts := harness.Options{}
	// One attempt per post: the audit outbox, not the poster, has to ride out the outage.
	opts.App.PosterOptions = []bot.PosterOption{
		bot.WithPacing(2*time.Millisecond, 50),
		bot.WithRetries(1, 10*time.Millisecond, 10*time.Millisecond),
	}
	env := apStart(t, opts)
	id, _ := apSubmit(t, env, harness.Requester, "invite outage@example.com")
	card := apCard(t, env, id, "Approval needed: ")
	apWaitEchoed(t, env, id, apHasKind(audit.KindCommand))

	const failures = 8
	env.Slack.FailNext("chat.postMessage", "internal_error", failures)
	before := env.Slack.Calls("chat.postMessage")
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ", "1 invited") // card updates are chat.update, not affected

	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	require.GreaterOrEqual(t, env.Slack.Calls("chat.postMessage")-before, failures, "the outage was really hit")
	apInOrder(t, id, lines, audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindDone)
	// Nothing else is in the audit channel: every line is one stored event, once.
	require.Len(t, env.Slack.Messages(harness.AuditChannel), len(lines))
}

func TestApprovalMentionInjectionEscaped(t *testing.T) {
	env := apStart(t, harness.Options{})
	// What Slack sends when someone types the forms literally (it escapes & < >), and
	// the forms themselves, as it sends an @channel typed with escaping on. The forged
	// mention names somebody the card has no reason to mention (it mentions the
	// approvers).
	typed := `&lt;!channel&gt; &lt;@U0MALLORY&gt; &lt;https://evil|click&gt; <!channel>`
	id, reply := apSubmit(t, env, harness.Requester, `invite inject@example.com --reason "`+typed+`"`)
	apNoForms(t, "the confirmation", reply.AllText())

	card := apCard(t, env, id, "Approval needed: ", "&lt;!channel&gt;", "&lt;@U0MALLORY&gt;", "&lt;https://evil|click&gt;")
	apNoForms(t, "the pending card", card.AllText())

	// The deny reason comes from a modal, as raw text.
	apClick(t, env, harness.Bob, card, approvalslack.ActionIDDeny)
	view, err := env.Slack.WaitView(waitCtx(t, apWait), func(v slacksandbox.View) bool { return v.PrivateMetadata == id })
	require.NoError(t, err)
	raw := "<!channel> <@U0MALLORY> <https://evil|click> <!here> & more"
	sub, err := env.Slack.SubmitView(harness.Bob, view.ID, map[string]map[string]string{
		approvalslack.DenyReasonBlockID: {approvalslack.DenyReasonActionID: raw},
	})
	require.NoError(t, err)
	_, err = sub.WaitAck(waitCtx(t, apWait))
	require.NoError(t, err)

	denied := apCard(t, env, id, "Denied: ", "Deny reason:* &lt;!channel&gt; &lt;@U0MALLORY&gt; &lt;https://evil|click&gt; &lt;!here&gt; &amp; more")
	apNoForms(t, "the denied card", denied.AllText())
	dm := apDM(t, env, harness.Requester, id, "&lt;!channel&gt; &lt;@U0MALLORY&gt;")
	apNoForms(t, "the requester's DM", dm.AllText())

	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindDenied))
	shown := 0
	for _, l := range lines {
		apNoForms(t, "the audit line", l.AllText())
		if strings.Contains(l.AllText(), "&lt;!channel&gt;") {
			shown++
		}
	}
	require.GreaterOrEqual(t, shown, 3, "the command, request and denied lines show the text, escaped")
	for _, m := range env.Slack.Messages("") {
		apNoForms(t, "message in "+m.Channel, m.AllText())
	}
}

// apNoForms fails if text holds a Slack form the injected text could have made.
func apNoForms(t *testing.T, where, text string) {
	t.Helper()
	for _, form := range []string{"<!channel>", "<!here>", "<@U0MALLORY>", "<https://evil", "@channel", "@here"} {
		require.NotContains(t, text, form, "%s pings or links through user text", where)
	}
}

func TestApprovalLargeInvite(t *testing.T) {
	env := apStart(t, harness.Options{})
	emails := apEmails(250)
	id, reply := apSubmit(t, env, harness.Requester, "invite "+strings.Join(emails, " "))
	require.Contains(t, reply.AllText(), "250 people")

	card := apCard(t, env, id, "Approval needed: ", "*Emails (250):*", emails[0], emails[1])
	require.Regexp(t, `…and \d+ more`, card.AllText())
	require.NotContains(t, card.AllText(), emails[249], "the card lists the first ones only")

	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	done := apCard(t, env, id, "Done: ", "250 invited")
	require.Regexp(t, `…and \d+ more`, done.AllText())
	require.Equal(t, 3, env.Devin.CountOp(devinsandbox.OpInvite), "100 per call")
	for _, e := range emails {
		_, ok := env.Devin.MemberByEmail(e)
		require.True(t, ok, e)
	}
	require.Len(t, apState(t, env, id).Outcomes, 250, "the store keeps every outcome")
	apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
}

func TestApprovalTooManyItemsRefused(t *testing.T) {
	env := apStart(t, harness.Options{})
	r := slash(t, env, harness.Requester, harness.GeneralChannel, "invite "+strings.Join(apEmails(1001), " "))
	require.Contains(t, r.AllText(), "1001 given, the limit is 1000")
	require.NotContains(t, r.AllText(), "waiting for approval")
	waitAudit(t, env, "*command*", "outcome: refused")
	require.Empty(t, env.Slack.Messages(harness.ApprovalChannel), "no card")
	pending, err := env.App.DB.ListRequests(apCtx(t))
	require.NoError(t, err)
	require.Empty(t, pending, "no request")

	r = slash(t, env, harness.Requester, harness.GeneralChannel, "team add "+harness.TeamPlatform+" "+strings.Join(apLogins(1001), " "))
	require.Contains(t, r.AllText(), "1001 given, the limit is 1000")
	require.Empty(t, env.Slack.Messages(harness.ApprovalChannel))
}

func apLogins(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("login%04d", i)
	}
	return out
}

func TestApprovalRequestsList(t *testing.T) {
	offset := &clocktest.Shifted{}
	opts := harness.Options{Configure: func(c *config.Config) { c.RequiredApprovals = 2 }}
	opts.App.Clock = offset
	env := apStart(t, opts)

	r := slash(t, env, harness.Mallory, harness.GeneralChannel, "requests")
	require.Contains(t, r.AllText(), "Nothing is waiting for approval")

	first, _ := apSubmit(t, env, harness.Requester, "invite one@example.com two@example.com --role admin")
	offset.Shift(2 * time.Hour)
	second, _ := apSubmit(t, env, harness.Alice, "team add "+harness.TeamSecurity+" octocat")
	decided, _ := apSubmit(t, env, harness.Requester, "invite gone@example.com")

	card := apCard(t, env, first, "Approval needed: ")
	apClick(t, env, harness.Bob, card, approvalslack.ActionIDApprove)
	apCard(t, env, first, "Approval needed: ", "Approvals: 1 of 2")
	card = apCard(t, env, decided, "Approval needed: ")
	env.Slack.FailNext("views.open", "expired_trigger_id", 1)
	apClick(t, env, harness.Bob, card, approvalslack.ActionIDDeny)
	apCard(t, env, decided, "Denied: ")

	offset.Shift(2*time.Hour + 5*time.Minute)
	r = slash(t, env, harness.Mallory, harness.GeneralChannel, "requests")
	text := r.AllText()
	require.Contains(t, text, "2 requests")
	require.NotContains(t, text, decided, "a decided request is not pending")
	lineOf := func(id string) string {
		for _, l := range strings.Split(text, "\n") {
			if strings.Contains(l, id) {
				return l
			}
		}
		require.Failf(t, "not listed", "%s is not in:\n%s", id, text)
		return ""
	}
	l1, l2 := lineOf(first), lineOf(second)
	require.Less(t, strings.Index(text, first), strings.Index(text, second), "oldest first")
	require.Contains(t, l1, "invite 2 people to Devin (as admin)")
	require.Contains(t, l1, "<@"+harness.Requester+">")
	require.Contains(t, l1, "2 h ago")
	require.Contains(t, l1, "approvals 1 of 2")
	require.Contains(t, l2, "add 1 GitHub user to `"+harness.TeamSecurity+"`")
	require.Contains(t, l2, "<@"+harness.Alice+">")
	require.Contains(t, l2, "5 min ago")
	require.Contains(t, l2, "approvals 0 of 2")
	require.Regexp(t, regexp.MustCompile(`expires <!date\^\d+`), l2)
}

// TestApprovalStoppedMidExecution stops the bot (as SIGTERM would, with a short
// shutdown budget) while the Devin API is still answering the approved invitation,
// then starts a new process: the request is finished once, by the new process.
func TestApprovalStoppedMidExecution(t *testing.T) {
	dbURL := "sqlite:" + t.TempDir() + "/db"
	opts := harness.Options{DatabaseURL: dbURL}
	opts.App.Bot.ShutdownTimeout = 100 * time.Millisecond
	opts.App.ShutdownGrace = 100 * time.Millisecond
	env := apStart(t, opts)
	id, _ := apSubmit(t, env, harness.Requester, "invite slow@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	env.Devin.SetLatencyOp(3*time.Second, devinsandbox.OpInvite)
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Approved, running: ")
	apEventually(t, "the invitation is in flight", func() bool {
		return env.Devin.CountOp(devinsandbox.OpInvite) == 1
	})
	// (Stop once the audit echo is idle: this test is about the execution.)
	apWaitEchoed(t, env, id, apHasKind(audit.KindExecuting))
	require.NoError(t, env.StopBot())
	// The process is gone and left the request half done.
	db, err := store.Open(apCtx(t), dbURL)
	require.NoError(t, err)
	r, err := db.GetRequest(apCtx(t), id)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.Equal(t, approvals.StateExecuting, r.State, "the bot stopped before the invitation came back")

	require.NoError(t, env.Restart(apCtx(t)))
	done := apCard(t, env, id, "Done: ", "Approved by* <@"+harness.Alice+">")
	require.Regexp(t, `1 (invited|already a member)`, done.AllText())
	_, ok := env.Devin.MemberByEmail("slow@example.com")
	require.True(t, ok)
	require.Equal(t, approvals.StateDone, apState(t, env, id).State)
	apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	// The old process's call, sent before the new one with the same latency, has ended
	// by now; give the old process a moment to (wrongly) record a second outcome.
	time.Sleep(100 * time.Millisecond)
	apWaitEchoed(t, env, id, nil)
	require.Equal(t, 2, env.Devin.CountOp(devinsandbox.OpInvite), "sent by each process once")
	require.Equal(t, 1, apKindLines(env, id, audit.KindDone), "finished exactly once")
	require.Equal(t, 1, apCards(env, id))
}

// TestApprovalTwoReplicasExecuteOnce runs two bot processes on one database: Slack
// spreads the clicks over both sockets, so only the store's compare-and-swap keeps the
// request from running twice.
func TestApprovalTwoReplicasExecuteOnce(t *testing.T) {
	env := apStart(t, harness.Options{DatabaseURL: "sqlite:" + t.TempDir() + "/db"})
	apReplica(t, env)
	require.Equal(t, 2, env.Slack.Connections())
	id, _ := apSubmit(t, env, harness.Requester, "invite replicas@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	env.Slack.SetLatency("chat.update", 500*time.Millisecond)
	env.Devin.SetLatencyOp(200*time.Millisecond, devinsandbox.OpInvite)
	clickers := []string{harness.Alice, harness.Bob, harness.Carol}
	const n = 20
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-gate
			_, err := env.Slack.ClickButton(clickers[i%len(clickers)], card.Channel, card.TS, approvalslack.ActionIDApprove)
			require.NoError(t, err)
		})
	}
	close(gate)
	wg.Wait()

	apCard(t, env, id, "Done: ", "1 invited")
	apEventually(t, "every click answered", func() bool { return len(apEphemerals(env, id)) >= n-3 })
	evs := apEvents(t, env, id)
	count := map[audit.Kind]int{}
	for _, e := range evs {
		count[e.Kind]++
	}
	require.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpInvite), "executed exactly once")
	require.Equal(t, 1, count[audit.KindApproved])
	require.Equal(t, 1, count[audit.KindExecuting])
	require.Equal(t, 1, count[audit.KindDone])
	require.Equal(t, approvals.StateDone, apState(t, env, id).State)
	apDM(t, env, harness.Requester, id, "is done")
	require.Len(t, apDMs(t, env, harness.Requester), 1, "the requester is told once")
}

// TestApprovalAuditEchoInFlightAtShutdown stops the bot while an audit line is on its
// way to Slack. Slack takes it either way; the next process must not post it again.
func TestApprovalAuditEchoInFlightAtShutdown(t *testing.T) {
	env := apStart(t, harness.Options{DatabaseURL: "sqlite:" + t.TempDir() + "/db"})
	id, _ := apSubmit(t, env, harness.Requester, "invite shutdown@example.com")
	card := apCard(t, env, id, "Approval needed: ")
	apWaitEchoed(t, env, id, apHasKind(audit.KindCommand))

	env.Slack.SetLatency("chat.postMessage", time.Second)
	posts := env.Slack.Calls("chat.postMessage")
	apClick(t, env, harness.Mallory, card, approvalslack.ActionIDApprove) // a refusal: one audit line
	apEventually(t, "the refusal's audit line is on its way", func() bool {
		return env.Slack.Calls("chat.postMessage") > posts
	})
	require.NoError(t, env.StopBot())
	env.Slack.SetLatency("chat.postMessage", 0)

	require.NoError(t, env.Restart(apCtx(t)))
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindRefused))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindCommand, audit.KindRefused)
	require.Len(t, apAuditLines(env, id), len(lines), "each event is echoed once")
}
