package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// The plan end to end: every item of invite, team add and team remove is checked
// against the fake APIs before a card is posted, and again when the request runs.

// planInvited lists every address the fake Devin was sent an invitation for.
func planInvited(t *testing.T, env *harness.Env) []string {
	t.Helper()
	var out []string
	for _, r := range env.Devin.Requests() {
		if r.Op != devinsandbox.OpInvite {
			continue
		}
		var body struct {
			Emails []string `json:"emails"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &body))
		out = append(out, body.Emails...)
	}
	return out
}

// planRefused runs a change command that must be refused before any card and returns
// the reply's text.
func planRefused(t *testing.T, env *harness.Env, text string) string {
	t.Helper()
	r := slash(t, env, harness.Requester, harness.GeneralChannel, text)
	require.NotContains(t, r.AllText(), "waiting for approval")
	require.Equal(t, "ephemeral", r.ResponseType)
	return r.AllText()
}

func TestPlanUnknownLoginRefusedBeforeAnyCard(t *testing.T) {
	env := apStart(t, harness.Options{})

	got := planRefused(t, env, "team add "+harness.TeamPlatform+" mona newdev")
	require.Contains(t, got, "There is no GitHub user `newdev`, so nothing was submitted.")
	got = planRefused(t, env, "team remove "+harness.TeamPlatform+" hubot newdev ghost-2")
	require.Contains(t, got, "2 logins are not GitHub users, so nothing was submitted: `newdev`, `ghost-2`.")
	waitAudit(t, env, "*command*", "team remove", "outcome: refused")

	require.Empty(t, env.Slack.Messages(harness.ApprovalChannel), "no card")
	reqs, err := env.App.DB.ListRequests(apCtx(t))
	require.NoError(t, err)
	require.Empty(t, reqs, "no request stored")
	for _, r := range env.GitHub.Requests() {
		require.NotEqual(t, http.MethodPost, r.Method, "nothing sent to GitHub but reads: %s", r.Path)
	}
	require.ElementsMatch(t, []string{"octocat", "hubot"}, env.GitHub.Members(harness.TeamPlatform))
}

func TestPlanInviteOfMemberNoChangeNotSent(t *testing.T) {
	env := apStart(t, harness.Options{})
	const member, newcomer = "ada@example.com", "plan.new@example.com"

	got := planRefused(t, env, "invite "+member)
	require.Contains(t, got, "Nothing to do: `"+member+"` is a member of the Devin enterprise already, so nothing was submitted.")

	id, reply := apSubmit(t, env, harness.Requester, "invite "+member+" "+newcomer)
	require.Contains(t, reply.AllText(), "*Plan:* invites 1; 1 already a member")
	require.Contains(t, reply.AllText(), "Already members — no change (1): "+member)
	card := apCard(t, env, id, "Approval needed: ",
		"*Plan:* invites 1; 1 already a member",
		"to invite (1) as member: "+newcomer,
		"already members of the Devin enterprise — no change (1): "+member)
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)

	apCard(t, env, id, "Done: ", "1 invited, 1 already a member", newcomer+" — invited", member+" — already a member")
	require.Equal(t, []string{newcomer}, planInvited(t, env), "the member was not sent an invitation")
	apDM(t, env, harness.Requester, id, "is done", "1 invited, 1 already a member")
	apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
}

func TestPlanChangeBetweenCardAndClickReported(t *testing.T) {
	env := apStart(t, harness.Options{})

	t.Run("team add", func(t *testing.T) {
		id, _ := apSubmit(t, env, harness.Requester, "team add "+harness.TeamPlatform+" mona defunkt octocat")
		card := apCard(t, env, id, "Approval needed: ",
			"*Plan:* adds 2 to "+harness.TeamPlatform+"; 1 already a member",
			"already in "+harness.TeamPlatform+" — no change (1): octocat")

		// Someone else adds mona and removes octocat before the click.
		require.True(t, env.GitHub.AddTeamMembers(harness.TeamPlatform, "mona"))
		require.True(t, env.GitHub.RemoveTeamMembers(harness.TeamPlatform, "octocat"))
		apClick(t, env, harness.Bob, card, approvalslack.ActionIDApprove)

		apCard(t, env, id, "Done: ", "1 added, 1 already a member, 1 no change",
			"defunkt — added",
			"mona — already a member: in the team since the card was posted",
			"octocat — no change: left the team since the card was posted; not added back")
		require.ElementsMatch(t, []string{"hubot", "mona", "defunkt"}, env.GitHub.Members(harness.TeamPlatform),
			"octocat, no change on the card, is not added back")
		r := apState(t, env, id)
		require.Equal(t, approvals.StateDone, r.State)
		require.Len(t, r.Outcomes, 3, "an outcome for every item")
		apDM(t, env, harness.Requester, id, "is done", "1 added, 1 already a member, 1 no change")
	})

	t.Run("invite", func(t *testing.T) {
		const early, late = "plan.early@example.com", "plan.late@example.com"
		id, _ := apSubmit(t, env, harness.Requester, "invite "+early+" "+late)
		card := apCard(t, env, id, "Approval needed: ", "*Plan:* invites 2")
		env.Devin.AddMember(devinsandbox.Member{Email: early})
		apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)

		apCard(t, env, id, "Done: ", "1 invited, 1 already a member",
			early+" — already a member: joined the enterprise since the card was posted")
		var sent []string
		for _, e := range planInvited(t, env) {
			if strings.HasPrefix(e, "plan.") {
				sent = append(sent, e)
			}
		}
		require.Equal(t, []string{late}, sent)
	})
}
