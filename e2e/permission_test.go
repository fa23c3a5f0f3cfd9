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

func TestApprovalPermissionAdd(t *testing.T) {
	env := apStart(t, harness.Options{})
	before := len(env.Devin.Requests())

	id, reply := apSubmit(t, env, harness.Requester,
		`permission add engineering acme/api acme/web https://github.com/acme/ops.git --reason "the billing service"`)
	require.Contains(t, reply.AllText(), "It will give the Devin organization *Engineering* `"+harness.OrgEngineering+"` 3 repositories on the git connection `"+harness.GitConnection+"` (1 already granted: no change)")
	require.Equal(t, []string{
		"orgs.list",
		"git.permissions.list " + harness.OrgEngineering,
	}, devinOps(env, before), "the plan reads the organizations and their permissions, and changes nothing")

	card := apCard(t, env, id, "Approval needed: grant repositories to Engineering",
		"*Organization:* Engineering ("+harness.OrgEngineering+")", "*Git connection:* "+harness.GitConnection,
		"*Repositories (3):*", "acme/api, acme/web, acme/ops", "*Checked before asking:*",
		"• Engineering ("+harness.OrgEngineering+") holds 1 git permission now",
		"• acme/api: already granted, no change",
		"• 2 of 3 repositories to grant on the git connection "+harness.GitConnection,
		"the billing service")
	apButtons(t, card, id)

	before = len(env.Devin.Requests())
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ", "3 granted", "acme/api — granted: already granted", "acme/web — granted")
	require.Equal(t, []string{"git.permissions.list " + harness.OrgEngineering, "git.permissions.add " + harness.OrgEngineering}, devinOps(env, before),
		"execution reads the permissions again, then grants the rest in one call")
	post := env.Devin.Requests()[before+1]
	if isV3(env) {
		require.JSONEq(t, `{"permissions":[{"git_connection_id":"`+harness.GitConnection+`","repo_path":"acme/web"},`+
			`{"git_connection_id":"`+harness.GitConnection+`","repo_path":"acme/ops"}]}`, string(post.Body),
			"V20's body is an object with one item per repository")
	} else {
		require.JSONEq(t, `[{"connection_id":"`+harness.GitConnection+`","repo_path":["acme/web","acme/ops"]}]`, string(post.Body),
			"G2's body is an array of {connection_id, repo_path}")
	}

	var granted []string
	for _, p := range env.Devin.GitPermissions(harness.OrgEngineering) {
		require.Equal(t, harness.GitConnection, p.ConnectionID)
		granted = append(granted, p.RepoPaths...)
	}
	require.ElementsMatch(t, []string{"acme/api", "acme/web", "acme/ops"}, granted)
	require.Equal(t, approvals.StateDone, apState(t, env, id).State)
	apDM(t, env, harness.Requester, id, "(grant repositories to Engineering, 3 repositories)", "is done", "3 granted")
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindDone)
}

func TestPermissionAddRefusals(t *testing.T) {
	env := apStart(t, harness.Options{})
	tests := []struct {
		text string
		want []string
	}{
		{"permission add enginering acme/web",
			[]string{"There is no Devin organization with the ID or name `enginering`, so nothing was submitted. Did you mean *Engineering*?"}},
		{"permission add " + harness.OrgEngineering + " Acme/API",
			[]string{"Nothing to grant, so nothing was submitted", "already has that repository"}},
		{"permission add Engineering https://bot:ghp_0123456789abcdef@github.com/acme/web",
			[]string{"it is not repeated here"}},
	}
	for _, tt := range tests {
		r := slash(t, env, harness.Requester, harness.GeneralChannel, tt.text)
		require.True(t, containsAll(r.AllText(), tt.want...), "/devin %s answered:\n%s", tt.text, r.AllText())
		require.NotContains(t, r.AllText(), "ghp_0123456789abcdef")
	}
	waitAudit(t, env, "permission add", "refused", "https://[redacted]@github.com/acme/web")
	for _, m := range env.Slack.Messages(harness.AuditChannel) {
		require.NotContains(t, m.Text, "ghp_0123456789abcdef", "no credential reaches the audit channel")
	}
	require.Empty(t, env.Slack.Messages(harness.ApprovalChannel), "no card")
	require.Zero(t, env.Devin.CountOp(devinsandbox.OpAddGitPerms))
	for _, p := range env.Devin.GitPermissions(harness.OrgEngineering) {
		require.False(t, strings.EqualFold(strings.Join(p.RepoPaths, ","), "acme/web"))
	}
}
