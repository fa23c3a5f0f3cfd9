package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"devin-chatops/app"
	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/config"
	"devin-chatops/internal/harness"
	slacksandbox "devin-chatops/internal/sandbox/slack"
)

// Approvers are notified, requests expire on time, and people and channels are named
// the way Slack shows them.

// approverLine is how the harness's APPROVERS (two users and a user group) read on a card.
const approverLine = "Approvers: <@" + harness.Alice + ">, <@" + harness.Bob + ">, <!subteam^" + harness.AdminsGroup + ">"

// contextTexts are the texts of a message's context blocks.
func contextTexts(m slacksandbox.Message) []string {
	var out []string
	for _, b := range m.Blocks {
		c, ok := b.(*slack.ContextBlock)
		if !ok {
			continue
		}
		for _, e := range c.ContextElements.Elements {
			if to, ok := e.(*slack.TextBlockObject); ok {
				out = append(out, to.Text)
			}
		}
	}
	return out
}

func TestApprovalCardMentionsApprovers(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, reply := apSubmit(t, env, harness.Requester, "invite notify@example.com")
	require.Contains(t, reply.AllText(), "waiting for approval in <#"+harness.ApprovalChannel+">", "the channel as Slack shows it")

	card := apCard(t, env, id, "Approval needed: ")
	// In the message text, which is what Slack notifies with…
	require.Contains(t, card.Text, approverLine)
	// …and on the card itself, in a context line above the buttons.
	require.Contains(t, contextTexts(card), approverLine)
	require.IsType(t, &slack.ActionBlock{}, card.Blocks[len(card.Blocks)-1])
	for _, broadcast := range []string{"<!channel>", "<!here>", "<!everyone>", "@channel", "@here"} {
		require.NotContains(t, card.AllText(), broadcast)
	}

	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	done := apCard(t, env, id, "Done: ", "Approved by* <@"+harness.Alice+">")
	require.NotContains(t, done.AllText(), "Approvers:", "a decided card asks nobody")
	require.NotContains(t, done.AllText(), "subteam")

	apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	request, approved := requestAndApprovedLines(env, id)
	require.Contains(t, request, "needs 1 approval;")
	require.Contains(t, approved, "approved by <@"+harness.Alice+">")
}

// requestAndApprovedLines are the audit-channel lines of request id's submission and
// approval.
func requestAndApprovedLines(env *harness.Env, id string) (request, approved string) {
	for _, l := range apAuditLines(env, id) {
		switch {
		case strings.Contains(l.Text, "*"+string(audit.KindRequest)+"*"):
			request = l.Text
		case strings.Contains(l.Text, "*"+string(audit.KindApproved)+"*"):
			approved = l.Text
		}
	}
	return request, approved
}

func TestApprovalWordingNamesPeopleAsSlackDoes(t *testing.T) {
	env := apStart(t, harness.Options{Configure: func(c *config.Config) { c.RequiredApprovals = 2 }})
	id, _ := apSubmit(t, env, harness.Requester, "invite quorum@example.com")
	card := apCard(t, env, id, "Approval needed: ")
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	card = apCard(t, env, id, "Approval needed: ", "Approvals: 1 of 2")
	apClick(t, env, harness.Carol, card, approvalslack.ActionIDApprove) // through the admins group
	apCard(t, env, id, "Done: ", "Approved by* <@"+harness.Alice+">, <@"+harness.Carol+">")
	apDM(t, env, harness.Requester, id, "approved by <@"+harness.Alice+">, <@"+harness.Carol+">")

	apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	request, approved := requestAndApprovedLines(env, id)
	require.Contains(t, request, "needs 2 approvals;")
	require.NotContains(t, request, "(s)")
	require.Contains(t, approved, "approved by <@"+harness.Alice+">, <@"+harness.Carol+">")
	require.NotContains(t, approved, "approved by "+harness.Alice)
}

// With REQUEST_TTL=5s the card reads "Expired" within 5 s of expires_at (here: well
// within one), without waiting for a sweep: the sweeper runs only at start-up.
func TestApprovalFiveSecondTTLExpiresOnTime(t *testing.T) {
	env := apStart(t, harness.Options{
		Configure: func(c *config.Config) { c.RequestTTL = config.MinRequestTTL },
		App:       app.Options{SweepEvery: time.Hour},
	})
	id, _ := apSubmit(t, env, harness.Requester, "invite soon@example.com")
	apCard(t, env, id, "Approval needed: ")
	r := apState(t, env, id)
	require.Equal(t, config.MinRequestTTL, r.ExpiresAt.Sub(r.CreatedAt))

	deadline := r.ExpiresAt.Add(5 * time.Second)
	for {
		if cur, ok := apCurrentCard(env, id); ok && strings.HasPrefix(cur.Text, "Expired: ") {
			require.Empty(t, cur.Buttons(), "an expired card has no buttons")
			break
		}
		require.True(t, time.Now().Before(deadline), "the card still reads pending 5 s after its expiry")
		time.Sleep(10 * time.Millisecond)
	}
	require.False(t, time.Now().Before(r.ExpiresAt), "not expired early")
	require.Equal(t, approvals.StateExpired, apState(t, env, id).State)
	apDM(t, env, harness.Requester, id, "expired")
	var expiredAt time.Time
	for _, e := range apEvents(t, env, id) {
		if e.Kind == audit.KindExpired {
			expiredAt = e.At
		}
	}
	require.False(t, expiredAt.Before(r.ExpiresAt), "expired at %v, due %v", expiredAt, r.ExpiresAt)
	require.WithinDuration(t, r.ExpiresAt, expiredAt, 5*time.Second)
}
