package approvalslack_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

func TestDetailPendingWithVotesAndHistory(t *testing.T) {
	e := newEnv(t, func(c *approvals.Config) { c.RequiredApprovals = 2 })
	sub := inviteSub()
	sub.Plan = []string{"a@example.com is not a member yet", "warning: b@example.com was removed last week"}
	r := e.submit(sub)
	e.clock.Advance(3 * time.Minute)
	e.click("UA", r.ID, true)
	e.click("UX", r.ID, true) // refused: not an approver

	msg, found, err := e.svc.handler.Detail(context.Background(), "UA", r.ID)
	require.NoError(t, err)
	require.True(t, found)
	assertBlockKitLimits(t, msg)
	all := texts(t, msg)
	for _, want := range []string{
		"Request " + r.ID + ": invite to Devin",
		"*Requested by:* <@UREQ>", "*Role:* member", "*Organization:* eng", "*Requested:* <!date^",
		"*Reason:* new hires",
		"*Checked before asking:*", "a@example.com is not a member yet", ":warning: *b@example.com was removed last week*",
		"*State:* pending · expires <!date^", "Approvals: 1 of 2 — <@UA>",
		"*Votes:*\n• <@UA> approved at 10:05 UTC",
		"*History:*\n• 10:02 UTC *request* by <@UREQ>",
		"*refused* by <@UX> (approve) — not an approver",
		"*Emails (2):*\n• a@example.com\n• b@example.com",
	} {
		assert.Contains(t, all, want)
	}
	assert.NotContains(t, all, "*vote*", "votes have their own section")
	assert.Empty(t, e.poster.filesTo("UA"), "a short list needs no file")
}

func TestDetailOfDecidedRequests(t *testing.T) {
	tests := []struct {
		name string
		act  func(e *env, id string)
		want []string
	}{
		{name: "done, with the outcome per item",
			act: func(e *env, id string) {
				e.exec.fn = func(r approvals.Request) ([]approvals.ItemOutcome, error) {
					return []approvals.ItemOutcome{
						{Item: "a@example.com", Status: approvals.OutcomeInvited},
						{Item: "b@example.com", Status: approvals.OutcomeFailed, Reason: "invalid email"},
					}, nil
				}
				e.click("UA", id, true)
			},
			want: []string{"*State:* failed\n:warning: *Approved by* <@UA>", "*Outcome:* 1 invited, 1 failed",
				"• b@example.com — failed: invalid email\n• a@example.com — invited",
				"*approved* by <@UA>\n", "*executing*", "*failed*"}},
		{name: "denied with its reason",
			act: func(e *env, id string) { require.NoError(e.t, e.svc.Deny(context.Background(), "UB", id, "not now")) },
			want: []string{"*State:* denied\n:x: *Denied by* <@UB>", "*Votes:*\n• <@UB> denied at 10:02 UTC: not now",
				"*denied* by <@UB> — reason: not now"}},
		{name: "cancelled",
			act: func(e *env, id string) {
				_, err := e.svc.Cancel(context.Background(), requester, id)
				require.NoError(e.t, err)
			},
			want: []string{"*State:* cancelled\n:no_entry_sign: *Cancelled by* <@UREQ>", "*Votes:* none yet",
				"*cancelled* by <@UREQ> — cancelled by the requester"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.submit(inviteSub())
			tt.act(e, r.ID)
			msg, found, err := e.svc.handler.Detail(context.Background(), "UA", r.ID)
			require.NoError(t, err)
			require.True(t, found)
			assertBlockKitLimits(t, msg)
			all := texts(t, msg)
			for _, want := range tt.want {
				assert.Contains(t, all, want)
			}
		})
	}
}

func TestDetailOfALongRequestSendsAFile(t *testing.T) {
	e := newEnv(t)
	emails := manyEmails(1000)
	emails[3] = "<!channel>&x@example.com"
	r := e.submit(inviteSub(emails...))

	msg, found, err := e.svc.handler.Detail(context.Background(), "UA", r.ID)
	require.NoError(t, err)
	require.True(t, found)
	assertBlockKitLimits(t, msg)
	all := texts(t, msg)
	assert.Contains(t, all, "*Emails (1,000):*")
	assert.Regexp(t, `…and [0-9,]+ more`, all, "the reply shows the first ones")
	assert.Contains(t, all, "All 1,000 emails are in the text file I sent you by direct message.")
	assert.NotContains(t, all, "<!channel>")

	files := e.poster.filesTo("UA")
	require.Len(t, files, 1, "to whoever asked")
	data := string(files[0].Data)
	for _, em := range emails {
		assert.Contains(t, data, "\n"+em+"\n", "every item, unescaped: a file is not mrkdwn")
	}

	t.Run("the upload fails: the reply says so", func(t *testing.T) {
		e.poster.mu.Lock()
		e.poster.uploadErr = &slackui.Error{Kind: slackui.Transient, Method: "files.getUploadURLExternal", Err: errors.New("timeout")}
		e.poster.mu.Unlock()
		msg, _, err := e.svc.handler.Detail(context.Background(), "UB", r.ID)
		require.NoError(t, err)
		assertBlockKitLimits(t, msg)
		assert.Contains(t, texts(t, msg), "could not send it to you as a file just now")
	})
}

func TestDetailUnknownRequest(t *testing.T) {
	e := newEnv(t)
	msg, found, err := e.svc.handler.Detail(context.Background(), "UX", "R0NOPE0")
	require.NoError(t, err)
	assert.False(t, found)
	assert.Contains(t, msg.Text, "Request R0NOPE0 does not exist.")
}

func TestDetailHistoryStaysWithinLimits(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	// Many refused clicks with hostile user IDs: the history counts them instead.
	for i := range 60 {
		e.click("U<!channel>"+strings.Repeat("&", i%7), r.ID, true)
	}
	msg, _, err := e.svc.handler.Detail(context.Background(), "UA", r.ID)
	require.NoError(t, err)
	assertBlockKitLimits(t, msg)
	all := texts(t, msg)
	assert.Contains(t, all, "*request* by <@UREQ>")
	assert.Contains(t, all, "refused (not shown here; the audit channel has them)")
	assert.NotContains(t, all, "<!channel>")
}

func TestDetailOnlyForTheRequesterAndApprovers(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	msg, found, err := e.svc.handler.Detail(context.Background(), "UOUTSIDER", r.ID)
	require.NoError(t, err)
	assert.False(t, found)
	assert.Contains(t, msg.Text, "Only the requester and the approvers can see request "+r.ID+" in full")
	assert.NotContains(t, texts(t, msg), r.Items[0], "nothing of the request is shown")

	_, found, err = e.svc.handler.Detail(context.Background(), r.Requester, r.ID)
	require.NoError(t, err)
	assert.True(t, found, "the requester sees it")
}
