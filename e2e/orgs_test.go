package e2e

import (
	"encoding/json"
	"fmt"
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

// The organization commands end to end: the check before the card, the card, the
// approval, the exact Devin API calls and the outcome.

// orgCalls are the Devin API calls made since the last ResetRequests, by operation
// (see devinOps), so they read the same on v2 and v3.
func orgCalls(env *harness.Env) []string { return devinOps(env, 0) }

// orgBody is the JSON body of the last call of op.
func orgBody(t *testing.T, env *harness.Env, op devinsandbox.Op) map[string]any {
	t.Helper()
	var body map[string]any
	for _, r := range env.Devin.Requests() {
		if r.Op == op {
			body = nil
			require.NoError(t, json.Unmarshal(r.Body, &body))
		}
	}
	require.NotNil(t, body, "no call of %s", op)
	return body
}

// orgRefused runs a command that must be refused before any card, and returns the reply.
func orgRefused(t *testing.T, env *harness.Env, text string, parts ...string) string {
	t.Helper()
	r := slash(t, env, harness.Requester, harness.GeneralChannel, text)
	require.True(t, containsAll(r.AllText(), parts...), "the reply to /devin %s is:\n%s", text, r.AllText())
	require.NotContains(t, r.AllText(), "waiting for approval")
	return r.AllText()
}

func TestOrgCreateApprovedAndExecuted(t *testing.T) {
	env := apStart(t, harness.Options{})
	env.Devin.ResetRequests()

	id, reply := apSubmit(t, env, harness.Requester, `org create "Data  Science" --acu-limit 500 --reason "new team"`)
	require.Contains(t, reply.AllText(), "It will create this Devin organization, with a cycle ACU limit of 500:")
	card := apCard(t, env, id, "Approval needed: create Devin organization Data Science",
		"*Cycle ACU limit:* 500", "*Organization (1):*\nData Science", "new team",
		"*Checked before asking:*\n• no organization is called \"Data Science\" yet\n• cycle ACU limit: 500")
	apButtons(t, card, id)
	require.Equal(t, []string{"orgs.list"}, orgCalls(env), "only the check runs before approval")

	env.Devin.ResetRequests()
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	done := apCard(t, env, id, "Done: ", "1 created", "Data Science — created: ID org-")
	require.Empty(t, done.Buttons())
	require.Equal(t, []string{"orgs.list", "orgs.create"}, orgCalls(env),
		"the execution looks the name up again, then creates it once")
	if isV3(env) {
		require.Equal(t, map[string]any{"name": "Data Science", "max_cycle_acu_limit": float64(500)}, orgBody(t, env, devinsandbox.OpCreateOrg))
	} else {
		require.Equal(t, map[string]any{"display_name": "Data Science", "acu_limit": float64(500), "add_creator_as_member": false}, orgBody(t, env, devinsandbox.OpCreateOrg))
	}

	var created devinsandbox.Org
	for _, o := range env.Devin.Orgs() {
		if o.Name == "Data Science" {
			created = o
		}
	}
	require.NotEmpty(t, created.ID)
	require.Equal(t, 500, *created.MaxCycleACULimit)
	require.Contains(t, done.AllText(), "ID "+created.ID, "the outcome names the new organization's ID")
	apDM(t, env, harness.Requester, id, "is done", "1 created")
	lines := apWaitEchoed(t, env, id, apHasKind(audit.KindDone))
	apInOrder(t, id, lines, audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindDone)

	// The name is taken now, in any case.
	env.Devin.ResetRequests()
	orgRefused(t, env, `org create "DATA SCIENCE"`, "An organization called *Data Science* already exists (`"+created.ID+"`), so nothing was submitted.")
	require.Equal(t, []string{"orgs.list"}, orgCalls(env))
}

func TestOrgCreateRefusals(t *testing.T) {
	env := apStart(t, harness.Options{})
	env.Devin.ResetRequests()
	orgRefused(t, env, "org create engineering", "An organization called *Engineering* already exists (`org-eng`), so nothing was submitted.")
	orgRefused(t, env, "org create Data Science", "so a name with spaces goes in quotes: `/devin org create \"Data Science\"`")
	orgRefused(t, env, "org create Ops --acu-limit -1", "`--acu-limit` `-1` is not a valid limit (it cannot be negative)", "0 blocks all usage")
	waitAudit(t, env, "*command*", "org create", "outcome: refused")
	require.Equal(t, []string{"orgs.list"}, orgCalls(env), "bad input is refused before any call")
	require.Empty(t, env.Slack.Messages(harness.ApprovalChannel), "no card")
	require.Zero(t, devinWrites(env))
}

func TestOrgLimitApprovedAndExecuted(t *testing.T) {
	env := apStart(t, harness.Options{})
	env.Devin.ResetRequests()

	id, reply := apSubmit(t, env, harness.Requester, `org limit engineering 2,000 --reason "Q3 launch"`)
	require.Contains(t, reply.AllText(), "It will change the cycle ACU limit of this organization `org-eng` from 1,000 to 2,000:")
	card := apCard(t, env, id, "Approval needed: set the ACU limit of Engineering",
		"*Organization:* Engineering (org-eng)", "*Limit:* 1,000 → *2,000*",
		"*Checked before asking:*\n• cycle ACU limit now 1,000, after 2,000\n• ACUs used this cycle: 790")
	require.ElementsMatch(t, []string{"orgs.list", "consumption.cycles", devinOrgUsageCall(env, harness.OrgEngineering)}, orgCalls(env))

	env.Devin.ResetRequests()
	apClick(t, env, harness.Bob, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ", "1 updated", "Engineering — updated: 1,000 → 2,000")
	if isV3(env) {
		require.Equal(t, []string{"orgs.get org-eng", "limits.set org-eng"}, orgCalls(env))
		require.Equal(t, map[string]any{"cycle_acu_limit": float64(2000)}, orgBody(t, env, devinsandbox.OpSetOrgLimit))
	} else {
		require.Equal(t, []string{"orgs.get org-eng", "orgs.update org-eng"}, orgCalls(env))
		require.Equal(t, map[string]any{"max_acu_limit": float64(2000)}, orgBody(t, env, devinsandbox.OpUpdateOrg))
	}
	org, _ := env.Devin.OrgByID(harness.OrgEngineering)
	require.Equal(t, 2000, *org.MaxCycleACULimit)
	require.Equal(t, "Engineering", org.Name, "never renamed")
	apDM(t, env, harness.Requester, id, "is done", "1 updated")
	apInOrder(t, id, apWaitEchoed(t, env, id, apHasKind(audit.KindDone)),
		audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindDone)

	// The shared reads forgot the old limit: asking for it again is refused at once.
	orgRefused(t, env, "org limit Engineering 2000", "*Engineering*'s cycle ACU limit is already 2,000; nothing to change, so nothing was submitted.")

	// Removing it sends null.
	env.Devin.ResetRequests()
	id, _ = apSubmit(t, env, harness.Requester, "org limit org-eng none")
	card = apCard(t, env, id, "Approval needed: ", "*Limit:* 2,000 → *none*", "cycle ACU limit now 2,000, after none")
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ", "Engineering — updated: 2,000 → none")
	if isV3(env) {
		require.Equal(t, []string{"limits.clear org-eng"}, orgCalls(env)[len(orgCalls(env))-1:], "removing it is V17's DELETE")
	} else {
		require.Equal(t, map[string]any{"max_acu_limit": nil}, orgBody(t, env, devinsandbox.OpUpdateOrg))
	}
	org, _ = env.Devin.OrgByID(harness.OrgEngineering)
	require.Nil(t, org.MaxCycleACULimit)
}

func TestOrgLimitChangedBeforeItRuns(t *testing.T) {
	env := apStart(t, harness.Options{})
	id, _ := apSubmit(t, env, harness.Requester, "org limit Research 0")
	card := apCard(t, env, id, "Approval needed: ", ":warning: *a limit of 0 stops all Devin usage in Research until it is raised*")

	// Someone sets the same limit outside the bot before the approval: nothing is sent.
	env.Devin.ResetRequests()
	devinSetLimitOutside(t, env, harness.OrgResearch, 0)
	env.Devin.ResetRequests()
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ", "1 no change", "Research — no change: the limit was already 0 (it was none when the request was made: changed since by someone else")
	require.Equal(t, []string{"orgs.get " + harness.OrgResearch}, orgCalls(env))
	require.Equal(t, approvals.StateDone, apState(t, env, id).State)
}

func TestOrgLimitRefusals(t *testing.T) {
	env := apStart(t, harness.Options{})
	env.Devin.ResetRequests()
	orgRefused(t, env, "org limit Enginering 5",
		"There is no Devin organization with the name or ID *Enginering*, so nothing was submitted. Did you mean *Engineering*? `/devin orgs` lists them.")
	orgRefused(t, env, "org limit Engineering 1000", "*Engineering*'s cycle ACU limit is already 1,000; nothing to change")
	orgRefused(t, env, "org limit research none", "*Research* has no cycle ACU limit already; nothing to change")
	orgRefused(t, env, "org limit Engineering lots", "`lots` is not a valid limit")
	require.Empty(t, env.Slack.Messages(harness.ApprovalChannel), "no card")
	require.Zero(t, devinWrites(env))
}

func TestOrgAddApprovedAndExecuted(t *testing.T) {
	env := apStart(t, harness.Options{})
	linus, grace, margaret := devinsandbox.UserIDFor("linus@example.com"), devinsandbox.UserIDFor("grace@example.com"),
		devinsandbox.UserIDFor("margaret@example.com")
	env.Devin.ResetRequests()

	id, reply := apSubmit(t, env, harness.Requester,
		"org add Engineering linus@example.com grace@example.com ada@example.com margaret@example.com --role admin")
	require.Contains(t, reply.AllText(), "It will add 4 enterprise members to the organization *Engineering* `org-eng` as admin (1 of them is in it already):")
	card := apCard(t, env, id, "Approval needed: add to Devin organization Engineering",
		"*Organization:* Engineering (org-eng)", "*Role:* admin", "*Emails (4):*",
		"• 4 enterprise members found; 2 to add as admin, 1 to make admin, 1 already in it (no change)",
		"• linus@example.com — enterprise member ("+linus+"), not in Engineering yet",
		"• grace@example.com — enterprise member ("+grace+"), in Engineering as member: becomes admin",
		"already in Engineering as admin: no change")
	require.ElementsMatch(t, []string{
		"orgs.list",
		"members.list?email=linus@example.com", "members.list?email=grace@example.com",
		"members.list?email=ada@example.com", "members.list?email=margaret@example.com",
		"orgs.members.list org-eng",
	}, orgCalls(env))

	env.Devin.ResetRequests()
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ", "1 updated, 2 added, 1 already a member",
		"grace@example.com — updated: member → admin", "linus@example.com — added: as admin", "ada@example.com — already a member: as admin")
	if isV3(env) {
		// v3 adds one user a call (V13) and changes a role in place (V14). The
		// organization is read once: the client chooses between adding and changing a
		// role from the listing the executor's check just made.
		require.Equal(t, []string{"orgs.members.list org-eng", "roles.list", "orgs.members.add org-eng " + linus,
			"orgs.members.add org-eng " + margaret, "orgs.members.role org-eng " + grace}, orgCalls(env),
			"the stored user IDs are used: no member look-up again")
		for _, r := range env.Devin.Requests() {
			if r.Op == devinsandbox.OpAddOrgMember || r.Op == devinsandbox.OpSetOrgMemberRole {
				require.JSONEq(t, `{"role_id":"org_admin"}`, string(r.Body))
			}
		}
	} else {
		require.Equal(t, []string{"orgs.members.list org-eng", "orgs.members.add org-eng"}, orgCalls(env),
			"the stored user IDs are used: no member look-up again")
		require.Equal(t, map[string]any{"org_ids": []any{"org-eng"}, "user_ids": []any{linus, margaret, grace}, "org_role": "org_admin"},
			orgBody(t, env, devinsandbox.OpAddOrgMember))
	}
	org, _ := env.Devin.OrgByID(harness.OrgEngineering)
	for _, uid := range []string{linus, grace, margaret, devinsandbox.UserIDFor("ada@example.com")} {
		require.Equal(t, "org_admin", org.Members[uid], uid)
	}
	apDM(t, env, harness.Requester, id, "is done", "2 added")
	apInOrder(t, id, apWaitEchoed(t, env, id, apHasKind(audit.KindDone)),
		audit.KindRequest, audit.KindVote, audit.KindApproved, audit.KindExecuting, audit.KindDone)
}

func TestOrgAddRefusals(t *testing.T) {
	env := apStart(t, harness.Options{})
	env.Devin.ResetRequests()
	orgRefused(t, env, "org add Engineering linus@example.com nobody@example.com",
		"`nobody@example.com` is not a member of the Devin enterprise, so nothing was submitted. Invite them first with `/devin invite`")
	orgRefused(t, env, "org add Engneering linus@example.com",
		"There is no Devin organization with the name or ID *Engneering*, so nothing was submitted. Did you mean *Engineering*?")
	orgRefused(t, env, "org add Engineering grace@example.com ada@example.com",
		"Everyone given is in *Engineering* already, with that role or a higher one; nothing to change, so nothing was submitted.")
	orgRefused(t, env, "org add linus@example.com Engineering", "`linus@example.com` is an email address: give the organization first")
	require.Empty(t, env.Slack.Messages(harness.ApprovalChannel), "no card")
	require.Zero(t, devinWrites(env))
}

// devinSetLimitOutside sets an organization's cycle ACU limit through the fake's API
// as someone outside the bot would, in the version the suite runs against.
func devinSetLimitOutside(t *testing.T, env *harness.Env, orgID string, limit int) {
	t.Helper()
	method, path, body := http.MethodPatch, "/v2/enterprise/organizations/"+orgID, fmt.Sprintf(`{"max_acu_limit":%d}`, limit)
	if isV3(env) {
		method, path, body = http.MethodPut, "/v3/enterprise/consumption/acu-limits/devin/organizations/"+orgID, fmt.Sprintf(`{"cycle_acu_limit":%d}`, limit)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, env.Devin.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+env.Devin.APIKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := env.Devin.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Contains(t, []int{http.StatusOK, http.StatusNoContent}, resp.StatusCode)
}
