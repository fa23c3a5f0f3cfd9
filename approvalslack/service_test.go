package approvalslack_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/auditecho"
	"devin-chatops/executor"
	"devin-chatops/slackui"
)

func TestNewMessengerValidates(t *testing.T) {
	_, err := approvalslack.NewMessenger(nil, "C", nil)
	assert.ErrorContains(t, err, "no poster")
	_, err = approvalslack.NewMessenger(newFakePoster(), "", nil)
	assert.ErrorContains(t, err, "no approval channel")
}

func TestSubmitStoresRequestAndPostsCard(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())

	assert.Regexp(t, `^R[0-9A-Z]{6}$`, r.ID)
	assert.Equal(t, approvals.StatePending, r.State)
	assert.Equal(t, t0, r.CreatedAt)
	assert.Equal(t, t0.Add(24*time.Hour), r.ExpiresAt)
	assert.Equal(t, approvalChannel, r.CardChannel)
	require.NotEmpty(t, r.CardTS, "Submit returns the request with its card")

	stored := e.get(r.ID)
	assert.Equal(t, r.CardTS, stored.CardTS)
	assert.Equal(t, []string{"a@example.com", "b@example.com"}, stored.Items)

	require.Equal(t, 1, e.poster.numPosts())
	card := e.poster.card(r.CardTS)
	assertBlockKitLimits(t, card)
	all := texts(t, card)
	for _, want := range []string{"Approval needed: invite to Devin", "<@UREQ>", "a@example.com", "b@example.com",
		"*Action:* invite these people to the Devin enterprise", "*Role:* member", "*Organization:* eng",
		"member", "eng", "new hires", r.ID, "Approvals: 0 of 1", "<!date^"} {
		assert.Contains(t, all, want)
	}

	acts := actionsBlock(t, card)
	require.NotNil(t, acts, "a pending card has buttons")
	assert.Equal(t, approvalslack.CardBlockIDPrefix+r.ID, acts["block_id"])
	els := acts["elements"].([]any)
	require.Len(t, els, 2)
	approve, deny := els[0].(map[string]any), els[1].(map[string]any)
	assert.Equal(t, "approve", approve["action_id"])
	assert.Equal(t, "primary", approve["style"])
	assert.Equal(t, r.ID, approve["value"])
	assert.Equal(t, "Approve", approve["text"].(map[string]any)["text"])
	assert.Equal(t, "deny", deny["action_id"])
	assert.Equal(t, "danger", deny["style"])
	assert.Equal(t, r.ID, deny["value"])
	assert.Equal(t, "Deny", deny["text"].(map[string]any)["text"])

	evs := e.events(r.ID)
	require.Len(t, evs, 1)
	assert.Equal(t, audit.KindRequest, evs[0].Kind)
	assert.Equal(t, requester, evs[0].Actor)
	assert.Equal(t, "invite --role member --org eng", evs[0].Command, "the typed text is in the router's command event")
	assert.Equal(t, []string{"a@example.com", "b@example.com"}, evs[0].Items, "the items are listed once")
	assert.Equal(t, t0, evs[0].RequestedAt)
	assert.Contains(t, evs[0].Detail, "new hires")
	assert.Positive(t, e.kicker.n.Load(), "the echoer is kicked after the event")
}

func TestSubmitRefusals(t *testing.T) {
	tests := []struct {
		name     string
		cfg      func(*approvals.Config)
		groups   map[string][]string
		groupErr error
		sub      approvals.Submission
		wantErr  error
	}{
		{name: "no items", sub: approvals.Submission{Requester: requester, Action: approvals.ActionInvite}, wantErr: approvals.ErrInvalidSubmission},
		{name: "unknown action", sub: approvals.Submission{Requester: requester, Action: "drop_db", Items: []string{"x"}}, wantErr: approvals.ErrInvalidSubmission},
		{name: "team action without team", sub: approvals.Submission{Requester: requester, Action: approvals.ActionTeamAdd, Items: []string{"x"}}, wantErr: approvals.ErrInvalidSubmission},
		{name: "no requester", sub: approvals.Submission{Action: approvals.ActionInvite, Items: []string{"x@y.z"}}, wantErr: approvals.ErrInvalidSubmission},
		{
			name: "not in requesters", cfg: func(c *approvals.Config) { c.Requesters = []string{"UOTHER"} },
			sub: inviteSub(), wantErr: approvals.ErrNotRequester,
		},
		{
			name: "requester group lookup fails closed", cfg: func(c *approvals.Config) { c.Requesters = []string{"SREQ"} },
			groupErr: errors.New("ratelimited"), sub: inviteSub(), wantErr: approvals.ErrGroupLookup,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tweaks []func(*approvals.Config)
			if tt.cfg != nil {
				tweaks = append(tweaks, tt.cfg)
			}
			e := newEnv(t, tweaks...)
			e.groups.set(tt.groupErr)
			_, err := e.svc.Submit(context.Background(), tt.sub)
			require.ErrorIs(t, err, tt.wantErr)
			reqs, err := e.db.ListRequests(context.Background())
			require.NoError(t, err)
			assert.Empty(t, reqs, "nothing is stored")
			assert.Zero(t, e.poster.numPosts())
		})
	}
}

func TestCanRequest(t *testing.T) {
	e := newEnv(t, func(c *approvals.Config) { c.Requesters = []string{"UDIRECT", "SREQ"} })
	e.groups.members["SREQ"] = []string{"UINGROUP"}
	ctx := context.Background()
	for user, want := range map[string]bool{"UDIRECT": true, "UINGROUP": true, "UNOBODY": false, "": false} {
		got, err := e.svc.CanRequest(ctx, user)
		require.NoError(t, err)
		assert.Equal(t, want, got, user)
	}

	everyone := newEnv(t)
	ok, err := everyone.svc.CanRequest(ctx, "UANY")
	require.NoError(t, err)
	assert.True(t, ok, "empty REQUESTERS means everyone")
}

func TestSubmitRetriesDuplicateID(t *testing.T) {
	e := newEnv(t)
	zeros := make([]byte, 6)
	ones := bytes.Repeat([]byte{1}, 6)
	msg, err := approvalslack.NewMessenger(e.poster, approvalChannel, nil)
	require.NoError(t, err)
	svc, err := approvals.NewService(e.cfg, approvals.Deps{
		Store: e.db, Messenger: msg, Queue: executor.NewQueue(), Clock: e.clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		IDs:    bytes.NewReader(append(append(append([]byte{}, zeros...), zeros...), ones...)),
	})
	require.NoError(t, err)
	first, err := svc.Submit(context.Background(), inviteSub())
	require.NoError(t, err)
	second, err := svc.Submit(context.Background(), inviteSub())
	require.NoError(t, err)
	assert.Equal(t, "R000000", first.ID)
	assert.Equal(t, "R111111", second.ID, "the taken ID is redrawn")
}

func TestApproveExecutesEachAction(t *testing.T) {
	tests := []struct {
		name        string
		sub         approvals.Submission
		header      string
		wantOutcome string
		wantSummary string
	}{
		{
			name: "invite", sub: inviteSub(),
			header: "Done: invite to Devin", wantOutcome: approvals.OutcomeInvited, wantSummary: "2 invited",
		},
		{
			name: "team add",
			sub: approvals.Submission{Requester: requester, OriginChannel: "CORIGIN", Action: approvals.ActionTeamAdd,
				Team: "ent:platform", Items: []string{"octocat", "hubot"}, Reason: "on-call"},
			header: "Done: add to GitHub team ent:platform", wantOutcome: approvals.OutcomeAdded, wantSummary: "2 added",
		},
		{
			name: "team remove",
			sub: approvals.Submission{Requester: requester, OriginChannel: "CORIGIN", Action: approvals.ActionTeamRemove,
				Team: "ent:platform", Items: []string{"octocat", "hubot"}},
			header: "Done: remove from GitHub team ent:platform", wantOutcome: approvals.OutcomeRemoved, wantSummary: "2 removed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.submit(tt.sub)
			e.clock.Advance(3 * time.Minute)
			e.click("UA", r.ID, true)

			got := e.get(r.ID)
			assert.Equal(t, approvals.StateDone, got.State)
			assert.Equal(t, "UA", got.DecidedBy)
			assert.Equal(t, t0.Add(3*time.Minute), got.DecidedAt)
			assert.Equal(t, t0.Add(3*time.Minute), got.DoneAt)
			require.Len(t, got.Outcomes, 2)
			for _, o := range got.Outcomes {
				assert.Equal(t, tt.wantOutcome, o.Status)
			}
			assert.Equal(t, 1, e.exec.callsFor(r.ID))

			card := e.poster.card(r.CardTS)
			assertBlockKitLimits(t, card)
			assert.Nil(t, actionsBlock(t, card), "no buttons once decided")
			all := texts(t, card)
			assert.Contains(t, all, tt.header)
			assert.Contains(t, all, "Approved by* <@UA>")
			assert.Contains(t, all, tt.wantSummary)

			dms := e.poster.dmsTo(requester)
			require.Len(t, dms, 1)
			assert.Contains(t, dms[0].Text, r.ID)
			assert.Contains(t, dms[0].Text, "done: "+tt.wantSummary)

			assert.Equal(t,
				[]audit.Kind{audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindDone},
				kinds(e.events(r.ID)))
			done := e.events(r.ID)[4]
			assert.Equal(t, tt.wantSummary, done.Outcome)
			assert.Equal(t, t0, done.RequestedAt)
			assert.Equal(t, t0.Add(3*time.Minute), done.DecidedAt)
			assert.Equal(t, t0.Add(3*time.Minute), done.DoneAt)
		})
	}
}

func TestDenyWithReasonThroughModal(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	e.click("UA", r.ID, false)

	require.Len(t, e.poster.views, 1, "Deny opens the reason modal")
	v := e.poster.views[0]
	assert.Equal(t, approvalslack.DenyCallbackID, v.CallbackID)
	assert.Equal(t, "deny_reason", v.CallbackID)
	assert.Equal(t, r.ID, v.PrivateMetadata)
	var input *slack.InputBlock
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			input = in
		}
	}
	require.NotNil(t, input)
	assert.Equal(t, "reason", input.BlockID)
	assert.True(t, input.Optional)
	el := input.Element.(*slack.PlainTextInputBlockElement)
	assert.Equal(t, "reason", el.ActionID)
	assert.Equal(t, 500, el.MaxLength)
	assert.Equal(t, approvals.StatePending, e.get(r.ID).State, "nothing is decided until the modal is submitted")

	// The submission arrives as Slack sends it.
	handled := e.svc.HandleInteraction(context.Background(), slack.InteractionCallback{
		Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: "UA"},
		View: slack.View{CallbackID: v.CallbackID, PrivateMetadata: v.PrivateMetadata, State: &slack.ViewState{
			Values: map[string]map[string]slack.BlockAction{"reason": {"reason": {Value: "  budget freeze  "}}},
		}},
	})
	require.True(t, handled)

	got := e.get(r.ID)
	assert.Equal(t, approvals.StateDenied, got.State)
	assert.Equal(t, "UA", got.DecidedBy)
	assert.Equal(t, "budget freeze", got.DenyReason)
	assert.Zero(t, e.exec.callsFor(r.ID))

	card := e.poster.card(r.CardTS)
	assert.Nil(t, actionsBlock(t, card))
	all := texts(t, card)
	assert.Contains(t, all, "Denied: invite to Devin")
	assert.Contains(t, all, "Denied by* <@UA>")
	assert.Contains(t, all, "budget freeze")

	dms := e.poster.dmsTo(requester)
	require.Len(t, dms, 1)
	assert.Contains(t, dms[0].Text, "denied by <@UA>")
	assert.Contains(t, dms[0].Text, "budget freeze")

	evs := e.events(r.ID)
	assert.Equal(t, []audit.Kind{audit.KindRequest, audit.KindDenied}, kinds(evs))
	assert.Equal(t, "UA", evs[1].Actor)
	assert.Contains(t, evs[1].Detail, "budget freeze")
}

func TestDenyWithoutModalWhenViewsOpenFails(t *testing.T) {
	e := newEnv(t)
	e.poster.viewErr = errors.New("expired_trigger_id")
	r := e.submit(inviteSub())
	e.click("UB", r.ID, false)

	got := e.get(r.ID)
	assert.Equal(t, approvals.StateDenied, got.State)
	assert.Equal(t, "UB", got.DecidedBy)
	assert.Empty(t, got.DenyReason)
	assert.Nil(t, actionsBlock(t, e.poster.card(r.CardTS)))
	require.Len(t, e.poster.dmsTo(requester), 1)
}

func TestDenySubmissionRedoesChecks(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	e.click("UA", r.ID, false) // modal open...
	e.clock.Advance(time.Minute)
	e.click("UB", r.ID, true) // ...while another approver approves
	require.Equal(t, approvals.StateDone, e.get(r.ID).State)

	e.svc.HandleDenySubmission(context.Background(), "UA", r.ID, "no")
	got := e.get(r.ID)
	assert.Equal(t, approvals.StateDone, got.State, "the deny changes nothing")
	assert.Empty(t, got.DenyReason)
	msgs := e.poster.ephemeralsTo("UA")
	require.Len(t, msgs, 1)
	assert.Equal(t, fmt.Sprintf("Request %s was already approved by <@UB> at 10:03 UTC.", r.ID), msgs[0])
	evs := e.events(r.ID)
	assert.Equal(t, audit.KindRefused, evs[len(evs)-1].Kind)
	assert.Equal(t, "UA", evs[len(evs)-1].Actor)

	// A deny submitted by someone who is not an approver is refused too.
	r2 := e.submit(inviteSub())
	e.svc.HandleDenySubmission(context.Background(), "UX", r2.ID, "no")
	assert.Equal(t, approvals.StatePending, e.get(r2.ID).State)
	assert.Contains(t, e.poster.ephemeralsTo("UX"), "Only approvers can decide on requests; you are not one.")
}

func TestSelfApproval(t *testing.T) {
	t.Run("refused, then approved by another approver", func(t *testing.T) {
		e := newEnv(t, func(c *approvals.Config) { c.Approvers = []string{requester, "UA"} })
		r := e.submit(inviteSub())
		e.click(requester, r.ID, true)

		assert.Equal(t, approvals.StatePending, e.get(r.ID).State)
		assert.Equal(t, []string{"You cannot approve your own request."}, e.poster.ephemeralsTo(requester))
		votes, err := e.db.Votes(context.Background(), r.ID)
		require.NoError(t, err)
		assert.Empty(t, votes, "a refused click records no vote")
		evs := e.events(r.ID)
		assert.Equal(t, []audit.Kind{audit.KindRequest, audit.KindRefused}, kinds(evs))
		assert.Equal(t, requester, evs[1].Actor)
		assert.Equal(t, "own request", evs[1].Detail)

		e.click(requester, r.ID, false)
		assert.Contains(t, e.poster.ephemeralsTo(requester), "You cannot deny your own request.")
		assert.Empty(t, e.poster.views)

		e.click("UA", r.ID, true)
		assert.Equal(t, approvals.StateDone, e.get(r.ID).State)
		assert.Equal(t, 1, e.exec.callsFor(r.ID))
	})
	t.Run("allowed when configured", func(t *testing.T) {
		e := newEnv(t, func(c *approvals.Config) {
			c.Approvers = []string{requester}
			c.AllowSelfApproval = true
		})
		r := e.submit(inviteSub())
		e.click(requester, r.ID, true)
		assert.Equal(t, approvals.StateDone, e.get(r.ID).State)
	})
}

func TestNonApproverRefusedAndAudited(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	for _, approve := range []bool{true, false} {
		e.click("UX", r.ID, approve)
	}
	assert.Equal(t, []string{
		"Only approvers can decide on requests; you are not one.",
		"Only approvers can decide on requests; you are not one.",
	}, e.poster.ephemeralsTo("UX"))
	assert.Empty(t, e.poster.views, "no modal for a non-approver")
	assert.Equal(t, approvals.StatePending, e.get(r.ID).State)
	evs := e.events(r.ID)
	assert.Equal(t, []audit.Kind{audit.KindRequest, audit.KindRefused, audit.KindRefused}, kinds(evs))
	assert.Equal(t, "UX", evs[1].Actor)
	assert.Equal(t, "approve", evs[1].Command)
	assert.Equal(t, "deny", evs[2].Command)
	assert.Equal(t, "not an approver", evs[1].Detail)
	assert.Zero(t, e.exec.total.Load())
}

func TestUnknownRequestRefused(t *testing.T) {
	e := newEnv(t)
	e.click("UA", "R<!here>", true)
	msgs := e.poster.ephemeralsTo("UA")
	require.Len(t, msgs, 1)
	assert.Equal(t, "Request R&lt;!here&gt; does not exist.", msgs[0], "a forged button value is escaped")
}

func TestUserGroupApprover(t *testing.T) {
	e := newEnv(t, func(c *approvals.Config) { c.Approvers = []string{"SAPPROVERS"} })
	e.groups.members["SAPPROVERS"] = []string{"UG1", "UG2"}
	r := e.submit(inviteSub())

	e.click("UX", r.ID, true)
	assert.Contains(t, e.poster.ephemeralsTo("UX"), "Only approvers can decide on requests; you are not one.")

	e.click("UG2", r.ID, true)
	assert.Equal(t, approvals.StateDone, e.get(r.ID).State)
	assert.Equal(t, "UG2", e.get(r.ID).DecidedBy)
}

func TestGroupLookupFailureFailsClosed(t *testing.T) {
	e := newEnv(t, func(c *approvals.Config) { c.Approvers = []string{"UA", "SAPPROVERS"} })
	e.groups.members["SAPPROVERS"] = []string{"UG1"}
	e.groups.set(errors.New("slack is down"))
	r := e.submit(inviteSub())

	e.click("UG1", r.ID, true)
	assert.Equal(t, approvals.StatePending, e.get(r.ID).State)
	msgs := e.poster.ephemeralsTo("UG1")
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "could not check the approver groups")
	evs := e.events(r.ID)
	assert.Equal(t, audit.KindRefused, evs[len(evs)-1].Kind)

	// A directly listed approver needs no lookup.
	e.click("UA", r.ID, true)
	assert.Equal(t, approvals.StateDone, e.get(r.ID).State)
}

func TestQuorumOfTwo(t *testing.T) {
	e := newEnv(t, func(c *approvals.Config) { c.RequiredApprovals = 2 })
	r := e.submit(inviteSub())
	assert.Contains(t, texts(t, e.poster.card(r.CardTS)), "Approvals: 0 of 2")

	e.click("UA", r.ID, true)
	assert.Equal(t, approvals.StatePending, e.get(r.ID).State)
	assert.Zero(t, e.exec.callsFor(r.ID))
	card := e.poster.card(r.CardTS)
	assert.Contains(t, texts(t, card), "Approvals: 1 of 2 — <@UA>")
	assert.NotNil(t, actionsBlock(t, card), "still open: buttons stay")
	assert.Equal(t, []string{fmt.Sprintf("Your approval of %s is recorded: 1 of 2 approvals.", r.ID)}, e.poster.ephemeralsTo("UA"))

	e.click("UA", r.ID, true)
	assert.Contains(t, e.poster.ephemeralsTo("UA"), fmt.Sprintf("You already approved %s.", r.ID))
	assert.Equal(t, approvals.StatePending, e.get(r.ID).State)

	views, err := e.svc.Pending(context.Background())
	require.NoError(t, err)
	require.Len(t, views, 1)
	assert.Equal(t, []string{"UA"}, views[0].Approvals)
	assert.Equal(t, 2, views[0].Required)
	assert.Equal(t, 1, views[0].Needed)

	e.click("UB", r.ID, true)
	got := e.get(r.ID)
	assert.Equal(t, approvals.StateDone, got.State)
	assert.Equal(t, "UA,UB", got.DecidedBy)
	assert.Equal(t, 1, e.exec.callsFor(r.ID))
	assert.Contains(t, texts(t, e.poster.card(r.CardTS)), "Approved by* <@UA>, <@UB>")

	views, err = e.svc.Pending(context.Background())
	require.NoError(t, err)
	assert.Empty(t, views)
	assert.Equal(t,
		[]audit.Kind{audit.KindRequest, audit.KindVote, audit.KindRefused, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindDone},
		kinds(e.events(r.ID)))
}

func TestQuorumDenyEndsIt(t *testing.T) {
	e := newEnv(t, func(c *approvals.Config) { c.RequiredApprovals = 2 })
	e.poster.viewErr = errors.New("no modal")
	r := e.submit(inviteSub())
	e.click("UA", r.ID, true)
	e.click("UA", r.ID, false)
	assert.Contains(t, e.poster.ephemeralsTo("UA"), fmt.Sprintf("You already approved %s; a vote cannot be changed.", r.ID))
	assert.Equal(t, approvals.StatePending, e.get(r.ID).State)

	e.click("UB", r.ID, false)
	assert.Equal(t, approvals.StateDenied, e.get(r.ID).State)
	e.click("UC", r.ID, true)
	assert.Equal(t, approvals.StateDenied, e.get(r.ID).State)
	assert.Contains(t, e.poster.ephemeralsTo("UC")[0], "was already denied by <@UB>")
	assert.Zero(t, e.exec.total.Load())
}

func TestConcurrentApprovalsExecuteOnce(t *testing.T) {
	for _, required := range []int{1, 3} {
		t.Run(fmt.Sprintf("N=%d", required), func(t *testing.T) {
			approvers := make([]string, 20)
			for i := range approvers {
				approvers[i] = fmt.Sprintf("U%02d", i+1)
			}
			e := newEnv(t, func(c *approvals.Config) {
				c.Approvers = approvers
				c.RequiredApprovals = required
			})
			e.exec.delay = 20 * time.Millisecond
			r := e.submit(inviteSub())

			var wg sync.WaitGroup
			start := make(chan struct{})
			for _, u := range approvers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					e.click(u, r.ID, true)
				}()
			}
			close(start)
			wg.Wait()

			assert.Equal(t, 1, e.exec.callsFor(r.ID), "executed exactly once")
			got := e.get(r.ID)
			assert.Equal(t, approvals.StateDone, got.State)
			assert.Len(t, strings.Split(got.DecidedBy, ","), required)
			n := map[audit.Kind]int{}
			for _, ev := range e.events(r.ID) {
				n[ev.Kind]++
			}
			assert.Equal(t, required, n[audit.KindVote], "only votes cast while pending are recorded")
			assert.Equal(t, 1, n[audit.KindApproved])
			assert.Equal(t, 1, n[audit.KindExecuting])
			assert.Equal(t, 1, n[audit.KindDone])
			assert.Equal(t, 20-required, n[audit.KindRefused], "every late click is told why")
			assert.Nil(t, actionsBlock(t, e.poster.card(r.CardTS)))
			assert.Len(t, e.poster.dmsTo(requester), 1)
		})
	}
}

func TestExpiry(t *testing.T) {
	t.Run("sweeper expires, updates the card and tells the requester", func(t *testing.T) {
		e := newEnv(t, func(c *approvals.Config) { c.TTL = time.Hour })
		r := e.submit(inviteSub())
		keep := e.submit(inviteSub("c@example.com"))
		_ = keep

		e.clock.Advance(59 * time.Minute)
		expired, err := e.svc.ExpireDue(context.Background())
		require.NoError(t, err)
		assert.Empty(t, expired, "not yet")

		e.clock.Advance(time.Minute)
		expired, err = e.svc.ExpireDue(context.Background())
		require.NoError(t, err)
		require.Len(t, expired, 2)
		assert.Equal(t, approvals.StateExpired, e.get(r.ID).State)

		card := e.poster.card(r.CardTS)
		assert.Nil(t, actionsBlock(t, card))
		assert.Contains(t, texts(t, card), "Expired: invite to Devin")
		dms := e.poster.dmsTo(requester)
		require.Len(t, dms, 2)
		assert.Contains(t, dms[0].Text, "expired")
		assert.Equal(t, []audit.Kind{audit.KindRequest, audit.KindExpired}, kinds(e.events(r.ID)))

		e.click("UA", r.ID, true)
		assert.Equal(t, []string{fmt.Sprintf("Request %s expired at 11:02 UTC.", r.ID)}, e.poster.ephemeralsTo("UA"))
		assert.Equal(t, approvals.StateExpired, e.get(r.ID).State)
		assert.Zero(t, e.exec.total.Load())
	})
	t.Run("a click after expiry expires the request itself", func(t *testing.T) {
		e := newEnv(t, func(c *approvals.Config) { c.TTL = time.Hour })
		r := e.submit(inviteSub())
		e.clock.Advance(2 * time.Hour)
		e.click("UA", r.ID, true)

		assert.Equal(t, approvals.StateExpired, e.get(r.ID).State)
		assert.Equal(t, []string{fmt.Sprintf("Request %s expired at 11:02 UTC.", r.ID)}, e.poster.ephemeralsTo("UA"))
		assert.Nil(t, actionsBlock(t, e.poster.card(r.CardTS)))
		require.Len(t, e.poster.dmsTo(requester), 1)
		assert.Equal(t, []audit.Kind{audit.KindRequest, audit.KindExpired, audit.KindRefused}, kinds(e.events(r.ID)))
		views, err := e.svc.Pending(context.Background())
		require.NoError(t, err)
		assert.Empty(t, views)
	})
	t.Run("RunSweeper expires on its first round", func(t *testing.T) {
		e := newEnv(t, func(c *approvals.Config) { c.TTL = time.Hour })
		r := e.submit(inviteSub())
		e.clock.Advance(2 * time.Hour)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.svc.RunSweeper(ctx, time.Hour); close(done) }()
		require.Eventually(t, func() bool {
			return e.get(r.ID).State == approvals.StateExpired
		}, 5*time.Second, 5*time.Millisecond)
		cancel()
		<-done
	})
}

func TestRestartFinishesInterruptedRequestsOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	approved := e.submit(inviteSub("one@example.com"))
	executing := e.submit(inviteSub("two@example.com"))
	pending := e.submit(inviteSub("three@example.com"))

	// The first process dies right after each decision was recorded.
	decided := approvals.Change{DecidedBy: "UA", DecidedAt: t0}
	for _, id := range []string{approved.ID, executing.ID} {
		ok, err := e.db.Transition(ctx, id, approvals.StatePending, approvals.StateApproved, decided)
		require.NoError(t, err)
		require.True(t, ok)
	}
	ok, err := e.db.Transition(ctx, executing.ID, approvals.StateApproved, approvals.StateExecuting, approvals.Change{})
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, e.db.Close())

	// A new process on the same database file, a moment later.
	e.clock.Advance(time.Second)
	db := e.open()
	exec := newFakeExecutor()
	exec.delay = 10 * time.Millisecond
	svc := e.newService(db, exec)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, svc.Recover(ctx))
		}()
	}
	wg.Wait()
	require.NoError(t, svc.Recover(ctx), "a later recovery finds nothing to do")

	assert.Equal(t, 1, exec.callsFor(approved.ID))
	assert.Equal(t, 1, exec.callsFor(executing.ID))
	assert.Zero(t, exec.callsFor(pending.ID))
	for _, id := range []string{approved.ID, executing.ID} {
		r, err := db.GetRequest(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, approvals.StateDone, r.State, id)
		assert.Nil(t, actionsBlock(t, e.poster.card(r.CardTS)), id)
	}
	evs, err := db.AuditEvents(ctx, executing.ID)
	require.NoError(t, err)
	last := evs[len(evs)-2:]
	assert.Equal(t, []audit.Kind{audit.KindExecuting, audit.KindDone}, kinds(last))
	assert.Equal(t, approvals.ResumedDetail, last[0].Detail)

	// The pending request's buttons keep working in the new process.
	svc.HandleClick(ctx, approvalslack.Click{User: "UB", RequestID: pending.ID, Approve: true, Channel: approvalChannel})
	e.settle()
	r, err := db.GetRequest(ctx, pending.ID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StateDone, r.State)
	assert.Equal(t, 1, exec.callsFor(pending.ID))
}

func TestCardPostedLaterWhenFirstPostFails(t *testing.T) {
	e := newEnv(t)
	e.poster.setPostErr(errors.New("slack is down"))
	r, err := e.svc.Submit(context.Background(), inviteSub())
	require.NoError(t, err, "the request is stored even if its card is not")
	assert.Equal(t, approvals.StatePending, r.State)
	assert.Empty(t, r.CardTS)

	e.poster.setPostErr(nil)
	require.NoError(t, e.svc.Sweep(context.Background()))
	assert.Empty(t, e.get(r.ID).CardTS, "a fresh request is left to its own Submit for a while")

	e.clock.Advance(2 * time.Minute)
	require.NoError(t, e.svc.Sweep(context.Background()))
	got := e.get(r.ID)
	require.NotEmpty(t, got.CardTS)
	assert.Equal(t, 1, e.poster.numPosts())
	require.NoError(t, e.svc.Sweep(context.Background()))
	require.NoError(t, e.svc.Recover(context.Background()))
	assert.Equal(t, 1, e.poster.numPosts(), "posted once")
}

// A second replica starting while the first executes a request does not run it again:
// it takes an execution over only once the lease of its executor has run out.
func TestRecoverLeavesExecutionsOfLiveProcessesAlone(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	exec := newFakeExecutor()
	replica := e.newService(e.db, exec)
	r := e.submit(inviteSub("live@example.com"))
	ok, err := e.db.Transition(ctx, r.ID, approvals.StatePending, approvals.StateApproved, approvals.Change{DecidedBy: "UA", DecidedAt: e.clock.Now()})
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = e.db.Transition(ctx, r.ID, approvals.StateApproved, approvals.StateExecuting, approvals.Change{
		Lease: approvals.Lease{Owner: "live-replica", Until: e.clock.Now().Add(30 * time.Second)},
	})
	require.NoError(t, err)
	require.True(t, ok)

	require.NoError(t, replica.Recover(ctx))
	require.NoError(t, replica.Sweep(ctx))
	e.settle()
	assert.Zero(t, exec.callsFor(r.ID), "another process is running it")

	// The live replica dies: once its lease has run out, the next sweep takes over.
	e.clock.Advance(31 * time.Second)
	require.NoError(t, replica.Sweep(ctx))
	e.settle()
	assert.Equal(t, 1, exec.callsFor(r.ID))
	assert.Equal(t, approvals.StateDone, e.get(r.ID).State)
	evs, err := e.db.AuditEvents(ctx, r.ID)
	require.NoError(t, err)
	last := evs[len(evs)-2:]
	assert.Equal(t, []audit.Kind{audit.KindExecuting, audit.KindDone}, kinds(last))
	assert.Equal(t, approvals.ResumedDetail, last[0].Detail)
}

func TestRecoverPostsMissingCards(t *testing.T) {
	e := newEnv(t)
	e.poster.setPostErr(errors.New("slack is down"))
	r, err := e.svc.Submit(context.Background(), inviteSub())
	require.NoError(t, err)
	e.poster.setPostErr(nil)
	require.NoError(t, e.svc.Recover(context.Background()))
	assert.Empty(t, e.get(r.ID).CardTS, "a request of a moment ago may be another replica's Submit posting its card")
	e.clock.Advance(5 * time.Second)
	require.NoError(t, e.svc.Recover(context.Background()))
	assert.NotEmpty(t, e.get(r.ID).CardTS)
}

func TestExecutorFailure(t *testing.T) {
	t.Run("some items fail", func(t *testing.T) {
		e := newEnv(t)
		e.exec.fn = func(r approvals.Request) ([]approvals.ItemOutcome, error) {
			return []approvals.ItemOutcome{
				{Item: "a@example.com", Status: approvals.OutcomeInvited},
				{Item: "b@example.com", Status: approvals.OutcomeAlreadyMember},
				{Item: "c@example.com", Status: approvals.OutcomeFailed, Reason: "domain not allowed"},
			}, nil
		}
		r := e.submit(inviteSub("a@example.com", "b@example.com", "c@example.com"))
		e.click("UA", r.ID, true)

		got := e.get(r.ID)
		assert.Equal(t, approvals.StateFailed, got.State)
		require.Len(t, got.Outcomes, 3)
		card := e.poster.card(r.CardTS)
		assert.Nil(t, actionsBlock(t, card))
		all := texts(t, card)
		assert.Contains(t, all, "Failed: invite to Devin")
		assert.Contains(t, all, "1 invited, 1 already a member, 1 failed")
		assert.Contains(t, all, "• c@example.com — failed: domain not allowed")
		dms := e.poster.dmsTo(requester)
		require.Len(t, dms, 1)
		assert.Contains(t, texts(t, dms[0]), "c@example.com — failed: domain not allowed")
		evs := e.events(r.ID)
		last := evs[len(evs)-1]
		assert.Equal(t, audit.KindFailed, last.Kind)
		assert.Equal(t, "1 invited, 1 already a member, 1 failed", last.Outcome)
		assert.Contains(t, last.Detail, "c@example.com: domain not allowed")
	})
	t.Run("the whole call fails", func(t *testing.T) {
		e := newEnv(t)
		e.exec.fn = func(approvals.Request) ([]approvals.ItemOutcome, error) {
			return nil, &apiclient.Error{API: devin.APIName, Hints: devin.Hints(), Kind: apiclient.KindForbidden, Status: 403}
		}
		r := e.submit(inviteSub())
		e.click("UA", r.ID, true)
		got := e.get(r.ID)
		assert.Equal(t, approvals.StateFailed, got.State)
		require.Len(t, got.Outcomes, 2)
		for _, o := range got.Outcomes {
			assert.Equal(t, approvals.OutcomeFailed, o.Status)
			assert.Contains(t, o.Reason, "not an Enterprise Admin key (403)")
		}
		assert.Contains(t, texts(t, e.poster.card(r.CardTS)), "2 failed")
	})
}

func TestMentionInjectionIsEscapedEverywhere(t *testing.T) {
	e := newEnv(t)
	e.exec.fn = func(r approvals.Request) ([]approvals.ItemOutcome, error) {
		out := make([]approvals.ItemOutcome, len(r.Items))
		for i, it := range r.Items {
			out[i] = approvals.ItemOutcome{Item: it, Status: approvals.OutcomeFailed, Reason: "bad <!everyone> reason"}
		}
		return out, nil
	}
	sub := approvals.Submission{
		Requester: requester, Action: approvals.ActionTeamAdd, Team: "ent:x<!here>",
		Items:  []string{"<@U999>", "<!channel>", "ok&co"},
		Reason: "please <!channel> ping <@U999> and <https://evil.example|click>",
	}
	r := e.submit(sub)

	raw := []string{"<!channel>", "<@U999>", "<!here>", "<!everyone>", "<https://evil"}
	assertInert := func(where, s string) {
		t.Helper()
		for _, bad := range raw {
			assert.NotContains(t, s, bad, where)
		}
	}
	pendingCard := texts(t, e.poster.card(r.CardTS))
	assertInert("pending card", pendingCard)
	assert.Contains(t, pendingCard, "&lt;!channel&gt;")
	assert.Contains(t, pendingCard, "&lt;@U999&gt;")
	assert.Contains(t, pendingCard, "ok&amp;co")

	e.poster.viewErr = nil
	e.click("UA", r.ID, false)
	require.Len(t, e.poster.views, 1)
	modalJSON := texts(t, approvalsModalMessage(e.poster.views[0]))
	assertInert("modal", modalJSON)

	e.svc.HandleDenySubmission(context.Background(), "UA", r.ID, "no <!channel> way <@U999>")
	deniedCard := texts(t, e.poster.card(r.CardTS))
	assertInert("denied card", deniedCard)
	assert.Contains(t, deniedCard, "no &lt;!channel&gt; way &lt;@U999&gt;")
	for _, dm := range e.poster.dmsTo(requester) {
		assertInert("DM", texts(t, dm))
	}
	for _, ev := range e.events(r.ID) {
		assertInert("audit echo", auditecho.Format(ev))
	}

	// Execution outcomes, with API reasons, are escaped too.
	r2 := e.submit(sub)
	e.click("UB", r2.ID, true)
	doneCard := texts(t, e.poster.card(r2.CardTS))
	assertInert("failed card", doneCard)
	assert.Contains(t, doneCard, "bad &lt;!everyone&gt; reason")
	for _, dm := range e.poster.dmsTo(requester) {
		assertInert("DM", texts(t, dm))
	}
	for _, ev := range e.events(r2.ID) {
		assertInert("audit echo", auditecho.Format(ev))
	}
}

func TestLargeRequestCardStaysWithinLimits(t *testing.T) {
	e := newEnv(t)
	emails := make([]string, 250)
	for i := range emails {
		emails[i] = fmt.Sprintf("new.hire.number.%03d@example.com", i)
	}
	r := e.submit(inviteSub(emails...))
	assert.Len(t, e.get(r.ID).Items, 250, "the store keeps the full list")

	card := e.poster.card(r.CardTS)
	assertBlockKitLimits(t, card)
	all := texts(t, card)
	assert.Contains(t, all, "*Emails (250):*")
	assert.Contains(t, all, emails[0])
	shown := 0
	for _, em := range emails {
		if strings.Contains(all, em) {
			shown++
		}
	}
	assert.Contains(t, all, fmt.Sprintf("…and %d more", 250-shown))
	assert.Greater(t, shown, 10)
	assert.Less(t, shown, 250)

	e.click("UA", r.ID, true)
	done := e.poster.card(r.CardTS)
	assertBlockKitLimits(t, done)
	assert.Contains(t, texts(t, done), "250 invited")
	assert.Contains(t, texts(t, done), "…and 225 more", "outcome lines are cut too")
	for _, dm := range e.poster.dmsTo(requester) {
		assertBlockKitLimits(t, dm)
	}
}

func TestHandleInteractionRoutesClicks(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	ctx := context.Background()

	assert.False(t, e.svc.HandleInteraction(ctx, slack.InteractionCallback{Type: slack.InteractionTypeBlockActions,
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{BlockID: "other", ActionID: "approve", Value: r.ID}}}}),
		"not ours")
	assert.False(t, e.svc.HandleInteraction(ctx, slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission,
		View: slack.View{CallbackID: "something_else"}}))

	handled := e.svc.HandleInteraction(ctx, slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "UA"}, TriggerID: "t",
		Channel:   slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: approvalChannel}}},
		Container: slack.Container{MessageTs: r.CardTS},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{BlockID: approvalslack.CardBlockIDPrefix + r.ID, ActionID: approvalslack.ActionIDApprove, Value: r.ID},
		}},
	})
	require.True(t, handled)
	e.settle()
	assert.Equal(t, approvals.StateDone, e.get(r.ID).State)
}

// approvalsModalMessage wraps a modal's blocks so texts() can read them.
func approvalsModalMessage(v slack.ModalViewRequest) slackui.Message {
	return slackui.Message{Blocks: v.Blocks.BlockSet}
}

func TestTwoReplicasExecuteOnce(t *testing.T) {
	e := newEnv(t)
	e.cfg.Approvers = make([]string, 20)
	for i := range e.cfg.Approvers {
		e.cfg.Approvers[i] = fmt.Sprintf("U%02d", i+1)
	}
	e.exec.delay = 10 * time.Millisecond
	// Two processes: each has its own connection pool and in-process locks; only the
	// database is shared.
	replicas := []*stack{e.newService(e.db, e.exec), e.newService(e.open(), e.exec)}
	r, err := replicas[0].Submit(context.Background(), inviteSub())
	require.NoError(t, err)

	var wg sync.WaitGroup
	for i, u := range e.cfg.Approvers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replicas[i%2].HandleClick(context.Background(), approvalslack.Click{User: u, RequestID: r.ID, Approve: true, Channel: approvalChannel})
		}()
	}
	wg.Wait()
	e.settle()
	assert.Equal(t, 1, e.exec.callsFor(r.ID))
	assert.Equal(t, approvals.StateDone, e.get(r.ID).State)
	n := 0
	for _, ev := range e.events(r.ID) {
		if ev.Kind == audit.KindApproved {
			n++
		}
	}
	assert.Equal(t, 1, n, "one decision is recorded")
}

func TestDenyInterruptedBeforeItsDecisionIsFinished(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	// The process died after storing UB's deny vote, before the denial itself.
	_, err := e.db.AddVote(context.Background(), approvals.Vote{RequestID: r.ID, Voter: "UB", Approve: false, Reason: "nope", At: t0})
	require.NoError(t, err)

	e.clock.Advance(time.Minute)
	e.click("UA", r.ID, true)
	got := e.get(r.ID)
	assert.Equal(t, approvals.StateDenied, got.State)
	assert.Equal(t, "UB", got.DecidedBy)
	assert.Equal(t, "nope", got.DenyReason)
	assert.Zero(t, e.exec.total.Load())
	assert.Contains(t, e.poster.ephemeralsTo("UA")[0], "was already denied by <@UB>")
	require.Len(t, e.poster.dmsTo(requester), 1)
}
