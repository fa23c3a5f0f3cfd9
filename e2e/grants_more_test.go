package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/clock/clocktest"
	"devin-chatops/internal/harness"
)

// An invitation --for is taken back by removing the person the bot invited, once.
func TestGrantInviteRevokedAtTheEnd(t *testing.T) {
	offset := &clocktest.Shifted{}
	env := grStart(t, offset, "")
	id := grGranted(t, env, "invite temp@example.com --for 1m")
	g := grWait(t, env, id, approvals.GrantActive)
	require.Len(t, g, 1)
	assert.Equal(t, "temp@example.com", g[0].Item)
	_, member := env.Devin.MemberByEmail("temp@example.com")
	require.True(t, member, "invited")

	offset.Shift(2 * time.Minute)
	env.App.Revoker.Kick()
	done := grWait(t, env, id, approvals.GrantRevoked)[0]
	assert.Equal(t, approvals.GrantOutcomeRemoved, done.Outcome)
	_, member = env.Devin.MemberByEmail("temp@example.com")
	assert.False(t, member, "removed from the enterprise")
	_, ada := env.Devin.MemberByEmail("ada@example.com")
	assert.True(t, ada, "nobody else is touched")
	grThreadReply(t, env, apState(t, env, id).CardTS, "Time is up", "temp@example.com")
}

// A team remove of a login under a grant ends the grant: nothing is left to take back,
// and the thread of the granting card says so.
func TestGrantEndedByTeamRemove(t *testing.T) {
	offset := &clocktest.Shifted{}
	env := grStart(t, offset, "")
	grantID := grGranted(t, env, "team add ent:platform temp-dev --for 1h")
	grWait(t, env, grantID, approvals.GrantActive)

	removeID, _ := apSubmit(t, env, harness.Requester, "team remove ent:platform temp-dev")
	card := apCard(t, env, removeID, "Approval needed: ", "temp-dev is under grant", "this removal ends that grant")
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, removeID, "Done: ")
	g := grWait(t, env, grantID, approvals.GrantEnded)[0]
	assert.Contains(t, g.Outcome, removeID)
	grThreadReply(t, env, apState(t, env, grantID).CardTS, "Grant ended early", removeID)

	// Its end comes and goes: no second removal.
	offset.Shift(2 * time.Hour)
	env.App.Revoker.Kick()
	time.Sleep(300 * time.Millisecond)
	assert.Zero(t, grDeletes(env, "temp-dev"), "the revoker sends nothing for an ended grant")
	assert.NotContains(t, env.GitHub.Members(harness.TeamPlatform), "temp-dev", "the team remove took it away")
	assert.Equal(t, approvals.GrantEnded, apStateGrant(t, env, g.ID))
}

// Access given again without --for after a grant's login was removed by someone else is
// permanent: the old grant ends and its end takes nothing away.
func TestGrantSupersededByAPermanentAdd(t *testing.T) {
	offset := &clocktest.Shifted{}
	env := grStart(t, offset, "")
	grantID := grGranted(t, env, "team add ent:platform temp-dev --for 1h")
	grWait(t, env, grantID, approvals.GrantActive)
	env.GitHub.RemoveTeamMembers(harness.TeamPlatform, "temp-dev") // by hand, outside the bot

	addID, _ := apSubmit(t, env, harness.Requester, "team add ent:platform temp-dev")
	card := apCard(t, env, addID, "Approval needed: ")
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, addID, "Done: ", "1 added")
	grWait(t, env, grantID, approvals.GrantEnded)
	grThreadReply(t, env, apState(t, env, grantID).CardTS, "Grant ended early", addID)

	offset.Shift(2 * time.Hour)
	env.App.Revoker.Kick()
	time.Sleep(300 * time.Millisecond)
	assert.Contains(t, env.GitHub.Members(harness.TeamPlatform), "temp-dev", "the permanent access stays")
	assert.Zero(t, grDeletes(env, "temp-dev"))
}

// Someone removed the login by hand before the end: the grant is revoked as "already
// removed by someone else", which is not a failure, and nothing is sent to GitHub.
func TestGrantAlreadyRemovedBySomeoneElse(t *testing.T) {
	offset := &clocktest.Shifted{}
	env := grStart(t, offset, "")
	id := grGranted(t, env, "team add ent:platform temp-dev --for 1m")
	grWait(t, env, id, approvals.GrantActive)
	env.GitHub.RemoveTeamMembers(harness.TeamPlatform, "temp-dev")

	offset.Shift(2 * time.Minute)
	env.App.Revoker.Kick()
	g := grWait(t, env, id, approvals.GrantRevoked)[0]
	assert.Equal(t, approvals.GrantOutcomeAlreadyGone, g.Outcome)
	assert.Zero(t, grDeletes(env, "temp-dev"))
	grThreadReply(t, env, apState(t, env, id).CardTS, "already removed from", "by someone else")
}
