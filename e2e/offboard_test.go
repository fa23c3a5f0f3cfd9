package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// githubCalls lists the GitHub API calls from the from-th on, as "METHOD path", with
// each body sent.
func githubCalls(env *harness.Env, from int) []string {
	var out []string
	for _, r := range env.GitHub.Requests()[from:] {
		line := r.Method + " " + r.Path
		if len(r.Body) > 0 {
			line += " " + string(r.Body)
		}
		out = append(out, line)
	}
	return out
}

// An enterprise admin is offboarded from Devin and from both teams her login is in:
// the card warns about the bot's key, and every step is done.
func TestApprovalOffboardAdmin(t *testing.T) {
	env := apStart(t, harness.Options{})
	env.GitHub.SeedTeam("ent:design", "Design", "hubot", "mona")
	ada, ok := env.Devin.MemberByEmail("ada@example.com")
	require.True(t, ok)
	require.Equal(t, "account_admin", ada.Role)
	ghBefore := len(env.GitHub.Requests())

	id, reply := apSubmit(t, env, harness.Requester, `offboard Ada@Example.com --github hubot --reason "left the company"`)
	// v2's key is a personal key of an enterprise admin, so removing one may remove the
	// bot's own access; a v3 service user is nobody's, so there is nothing to warn of.
	adminWarning := ":warning: *Ada Lovelace is an enterprise admin (account_admin). The bot's v2 API key belongs to an enterprise admin"
	if isV3(env) {
		require.NotContains(t, reply.AllText(), "is an enterprise admin")
	} else {
		require.Contains(t, reply.AllText(), "Ada Lovelace is an enterprise admin")
	}
	require.Contains(t, reply.AllText(), "It will remove ada@example.com from the Devin enterprise, and the GitHub user `hubot` from 2 enterprise teams. The steps:")
	// The plan: the user, the team listing, then each of the three teams' members.
	require.ElementsMatch(t, []string{
		"GET /users/hubot",
		"GET /enterprises/acme/teams",
		"GET /enterprises/acme/teams/ent:platform/memberships",
		"GET /enterprises/acme/teams/ent:security/memberships",
		"GET /enterprises/acme/teams/ent:design/memberships",
	}, githubCalls(env, ghBefore))
	require.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpListMembers), "one member look-up, by email")
	require.Contains(t, env.Devin.Requests()[0].RawQuery, "email=ada%40example.com")

	wantCard := []string{"*Steps (3):*", "ada@example.com, ent:platform, ent:design", "*GitHub login:* hubot"}
	if !isV3(env) {
		wantCard = append(wantCard, adminWarning)
	}
	card := apCard(t, env, id, "Approval needed: offboard ada@example.com", append(wantCard,
		"• Devin member: Ada Lovelace, ada@example.com, role account_admin, user ID "+ada.UserID,
		"• GitHub user hubot is in 2 of the 3 enterprise teams:", "• team ent:platform\n", "• team ent:design\n",
		"left the company")...)
	if isV3(env) {
		require.NotContains(t, card.AllText(), "API key belongs to an enterprise admin")
	}
	apButtons(t, card, id)
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpRemoveMember), "nothing runs before approval")

	devinBefore, ghBefore := len(env.Devin.Requests()), len(env.GitHub.Requests())
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ", "3 removed")
	require.Equal(t, []string{"members.remove " + ada.UserID}, devinOps(env, devinBefore), "removed by user ID")
	require.Contains(t, env.Devin.Requests()[devinBefore].Path, "/"+url.PathEscape(ada.UserID), "escaped in the path")
	require.Equal(t, []string{
		"GET /enterprises/acme/teams/ent:platform/memberships/hubot",
		`POST /enterprises/acme/teams/ent:platform/memberships/remove {"usernames":["hubot"]}`,
		"GET /enterprises/acme/teams/ent:design/memberships/hubot",
		`POST /enterprises/acme/teams/ent:design/memberships/remove {"usernames":["hubot"]}`,
	}, githubCalls(env, ghBefore))

	_, still := env.Devin.MemberByEmail("ada@example.com")
	require.False(t, still)
	require.Equal(t, []string{"octocat"}, env.GitHub.Members("ent:platform"))
	require.Equal(t, []string{"mona"}, env.GitHub.Members("ent:design"))
	require.Equal(t, []string{"mona"}, env.GitHub.Members("ent:security"), "a team hubot was not in is untouched")
	apDM(t, env, harness.Requester, id, "(offboard ada@example.com, 3 steps)", "is done", "3 removed")
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindDone)
}

// One team's removal fails with a 500: the other steps are done, the failure is named,
// and the request ends failed.
func TestApprovalOffboardOneTeamFails(t *testing.T) {
	env := apStart(t, harness.Options{})
	env.GitHub.SeedTeam("ent:design", "Design", "hubot")
	grace, _ := env.Devin.MemberByEmail("grace@example.com")

	id, _ := apSubmit(t, env, harness.Requester, "offboard grace@example.com --github hubot")
	card := apCard(t, env, id, "Approval needed: offboard grace@example.com", "grace@example.com, ent:platform, ent:design")
	require.NotContains(t, card.AllText(), ":warning:", "no warning for a member who is not an admin")

	env.GitHub.Fail(http.MethodPost, "/teams/ent:platform/memberships/remove", http.StatusInternalServerError, 1)
	apClick(t, env, harness.Bob, card, approvalslack.ActionIDApprove)
	failed := apCard(t, env, id, "Failed: ", "2 removed, 1 failed",
		"ent:platform — failed: GitHub", "(500)", "grace@example.com — removed", "ent:design — removed")
	require.Empty(t, failed.Buttons())

	r := apState(t, env, id)
	require.Equal(t, approvals.StateFailed, r.State)
	require.Equal(t, []string{"grace@example.com", "ent:platform", "ent:design"}, []string{r.Outcomes[0].Item, r.Outcomes[1].Item, r.Outcomes[2].Item})
	require.Equal(t, []string{approvals.OutcomeRemoved, approvals.OutcomeFailed, approvals.OutcomeRemoved},
		[]string{r.Outcomes[0].Status, r.Outcomes[1].Status, r.Outcomes[2].Status})
	_, still := env.Devin.MemberByEmail(grace.Email)
	require.False(t, still, "the Devin step ran")
	require.ElementsMatch(t, []string{"octocat", "hubot"}, env.GitHub.Members("ent:platform"), "the failed step changed nothing")
	require.Empty(t, env.GitHub.Members("ent:design"), "the step after the failure ran")
	apDM(t, env, harness.Requester, id, "did not fully succeed", "2 removed, 1 failed", "ent:platform — failed")
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindFailed))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindFailed)
}

// Someone who is not a Devin member but whose login is in a team: only the team step.
func TestApprovalOffboardTeamsOnly(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "offboard gone@example.com --github mona")
	card := apCard(t, env, id, "Approval needed: offboard gone@example.com", "*Steps (1):*", "ent:security",
		"• gone@example.com is not a Devin member: no Devin step", "• GitHub user mona is in 1 of the 2 enterprise teams:")
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ", "1 removed", "ent:security — removed")
	require.Empty(t, env.GitHub.Members("ent:security"))
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpRemoveMember), "no Devin step")
}

func TestOffboardRefusals(t *testing.T) {
	env := apStart(t, harness.Options{})
	tests := []struct {
		text string
		want string
	}{
		{"offboard nobody@example.com",
			"Nothing to offboard, so nothing was submitted: no member of the Devin enterprise has the email `nobody@example.com` (the members were looked up by that address), and no `--github` login was given, so no GitHub team was looked at."},
		{"offboard nobody@example.com --github dev01",
			"Nothing to offboard, so nothing was submitted: no member of the Devin enterprise has the email `nobody@example.com` (the members were looked up by that address), and the GitHub user `dev01` is in none of the enterprise's 2 teams (every team's members were read)."},
		{"offboard grace@example.com --github ghost",
			"There is no GitHub user `ghost`, so nothing was submitted. Check the spelling of `--github`."},
	}
	for _, tt := range tests {
		r := slash(t, env, harness.Requester, harness.GeneralChannel, tt.text)
		require.Equal(t, tt.want, r.Text)
		require.Equal(t, "ephemeral", r.ResponseType)
	}
	for _, tt := range tests {
		waitAudit(t, env, "offboard", tt.text, "outcome: refused")
	}
	require.Empty(t, env.Slack.Messages(harness.ApprovalChannel), "no card")
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpRemoveMember))
	_, ok := env.Devin.MemberByEmail("grace@example.com")
	require.True(t, ok)
}
