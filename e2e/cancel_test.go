package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// Withdrawing a request, the request in full, and the "Show all" button of a cut card,
// end to end.

func TestCancelByRequester(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "invite eve@example.com")
	apCard(t, env, id, "Approval needed: ")

	// IDs are accepted in any case.
	r := slash(t, env, harness.Requester, harness.GeneralChannel, "cancel "+strings.ToLower(id))
	require.Equal(t, "ephemeral", r.ResponseType)
	require.Contains(t, r.AllText(), "Request `"+id+"` (invite to Devin, 1 email) is cancelled")

	card := apCard(t, env, id, "Cancelled: ", "*Cancelled by* <@"+harness.Requester+">")
	require.Empty(t, card.Buttons(), "a cancelled card has no buttons")
	got := apState(t, env, id)
	require.Equal(t, approvals.StateCancelled, got.State)
	require.Equal(t, approvals.StateCancelled, got.NotifiedState, "recorded as told, so no sweep DMs it later")

	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindCancelled))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindCancelled)
	require.Equal(t, 1, apKindLines(env, id, audit.KindCancelled))
	require.Empty(t, apDMs(t, env, harness.Requester), "the reply told the requester; no DM")
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpInvite))
}

func TestCancelByApprover(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "team add "+harness.TeamPlatform+" mona")
	apCard(t, env, id, "Approval needed: ")

	r := slash(t, env, harness.Alice, harness.GeneralChannel, "cancel "+id)
	require.Contains(t, r.AllText(), "from <@"+harness.Requester+"> is cancelled")

	card := apCard(t, env, id, "Cancelled: ", "*Cancelled by* <@"+harness.Alice+">")
	require.Empty(t, card.Buttons())
	apDM(t, env, harness.Requester, id, "was cancelled by <@"+harness.Alice+">")
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindCancelled))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindCancelled)
	for _, l := range lines {
		if strings.Contains(l.Text, "*cancelled*") {
			require.Contains(t, l.Text, "<@"+harness.Alice+">")
			require.Contains(t, l.Text, "cancelled by an approver")
		}
	}
	require.NotContains(t, env.GitHub.Members(harness.TeamPlatform), "mona")
}

func TestCancelRefused(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "invite eve@example.com")
	card := apCard(t, env, id, "Approval needed: ")

	// Neither its requester nor an approver.
	r := slash(t, env, harness.Mallory, harness.GeneralChannel, "cancel "+id)
	require.Contains(t, r.AllText(), "Only the requester of a request or an approver can cancel it")
	require.Equal(t, approvals.StatePending, apState(t, env, id).State)

	// Decided already.
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ")
	r = slash(t, env, harness.Requester, harness.GeneralChannel, "cancel "+id)
	require.Contains(t, r.AllText(), "Request "+id+" was already approved by <@"+harness.Alice+"> at ")
	require.Contains(t, r.AllText(), "; it cannot be cancelled.")
	require.Equal(t, approvals.StateDone, apState(t, env, id).State)

	// Unknown.
	r = slash(t, env, harness.Requester, harness.GeneralChannel, "cancel R0N0PE0")
	require.Contains(t, r.AllText(), "Request R0N0PE0 does not exist.")

	waitAudit(t, env, "`"+id+"` *refused*", "<@"+harness.Requester+">", "cancel")
	require.Zero(t, apKindLines(env, id, audit.KindCancelled))
}

// TestRequestDetailOfALongRequest: `requests ID` of a 1,000-email request shows the
// request and sends the whole list as a file; the card's "Show all" does the same for
// anyone who clicks it.
func TestRequestDetailOfALongRequest(t *testing.T) {
	env := apStart(t, harness.Options{})
	emails := apEmails(1000)
	id, _ := apSubmit(t, env, harness.Requester, "invite "+strings.Join(emails, " ")+` --reason "a whole cohort"`)
	card := apCard(t, env, id, "Approval needed: ", "…and ")

	r := slash(t, env, harness.Alice, harness.GeneralChannel, "requests "+strings.ToLower(id))
	require.Equal(t, "ephemeral", r.ResponseType)
	all := r.AllText()
	for _, want := range []string{
		"Request " + id + ": invite to Devin", "*Requested by:* <@" + harness.Requester + ">", "a whole cohort",
		"*State:* pending", "Approvals: 0 of 1", "*Votes:* none yet",
		"*History:*", "*request* by <@" + harness.Requester + ">",
		"*Emails (1,000):*", "All 1,000 emails are in the text file I sent you by direct message.",
	} {
		require.Contains(t, all, want)
	}
	files := env.Slack.Files(apDMChannel(t, env, harness.Alice))
	require.Len(t, files, 1, "the list goes to whoever asked, by DM")
	apFileHasAll(t, files[0].Data, emails)

	// The card's "Show all 1,000" needs no approver: Mallory gets the list too.
	show, ok := card.Button(approvalslack.ActionIDShowItems)
	require.True(t, ok, "a cut card offers Show all")
	require.Equal(t, "Show all 1,000", show.Text)
	require.Equal(t, id, show.Value)
	apClick(t, env, harness.Mallory, card, approvalslack.ActionIDShowItems)
	apEphemeral(t, env, harness.Mallory, "I sent you all 1,000 emails of request `"+id+"` as a text file")
	apEventually(t, "the file reaches Mallory", func() bool {
		return len(env.Slack.Files(apDMChannel(t, env, harness.Mallory))) == 1
	})
	apFileHasAll(t, env.Slack.Files(apDMChannel(t, env, harness.Mallory))[0].Data, emails)
	require.Equal(t, approvals.StatePending, apState(t, env, id).State, "read-only")
}

func TestShowAllBesideTheCard(t *testing.T) {
	env := apStart(t, harness.Options{})
	emails := apEmails(150)
	id, _ := apSubmit(t, env, harness.Requester, "invite "+strings.Join(emails, " "))
	card := apCard(t, env, id, "Approval needed: ", "…and ")
	require.NotContains(t, card.AllText(), emails[149])

	apClick(t, env, harness.Mallory, card, approvalslack.ActionIDShowItems)
	e := apEphemeral(t, env, harness.Mallory, "All 150 emails of request `"+id+"`")
	for _, em := range emails {
		require.Contains(t, e.AllText(), "• "+em)
	}
	require.NotContains(t, e.AllText(), "…and")
	require.Empty(t, env.Slack.Files(""), "it fits: no file")

	// After the decision the cut card keeps its Show all.
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	done := apCard(t, env, id, "Done: ", "150 invited")
	_, ok := done.Button(approvalslack.ActionIDShowItems)
	require.True(t, ok)
	require.Len(t, done.Buttons(), 1, "Show all only: Approve and Deny are gone")
}

// apFileHasAll checks a list file: one line per item, every item.
func apFileHasAll(t *testing.T, data []byte, items []string) {
	t.Helper()
	lines := strings.Split(string(data), "\n")
	have := make(map[string]bool, len(lines))
	for _, l := range lines {
		have[l] = true
	}
	for _, it := range items {
		require.True(t, have[it], "the file lists %s on its own line", it)
	}
}
