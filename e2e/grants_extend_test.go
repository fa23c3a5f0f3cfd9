package e2e

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/clock/clocktest"
	"devin-chatops/internal/harness"
	slacksandbox "devin-chatops/internal/sandbox/slack"
)

var gxExtensionID = regexp.MustCompile("Extension requested: `(R[0-9A-Z]{6})` is waiting for approval in <#" + harness.ApprovalChannel + ">")

// gxOffer moves the clock to the grant's reminder and waits for the DM with its Extend
// button.
func gxOffer(t *testing.T, env *harness.Env, offset *clocktest.Shifted, g approvals.Grant) slacksandbox.Message {
	t.Helper()
	offset.Shift(time.Until(g.RemindAt) + time.Second)
	env.App.Revoker.Kick()
	dm := apDM(t, env, harness.Requester, "ends", "grant `"+g.ID+"`", "Need it longer?")
	b, ok := dm.Button(approvalslack.ActionIDExtend)
	require.True(t, ok, "the reminder has an Extend button")
	require.Equal(t, g.ID, b.Value)
	return dm
}

// gxExtend clicks Extend on the reminder as the requester and returns the request the
// reply names; the DM then shows that request instead of the button.
func gxExtend(t *testing.T, env *harness.Env, dm slacksandbox.Message) string {
	t.Helper()
	apClick(t, env, harness.Requester, dm, approvalslack.ActionIDExtend)
	e, err := env.Slack.WaitEphemeral(waitCtx(t, apWait), func(e slacksandbox.Ephemeral) bool {
		return e.User == harness.Requester && e.Channel == dm.Channel && strings.Contains(e.AllText(), "Extension requested")
	})
	require.NoError(t, err, "no reply to the Extend click")
	m := gxExtensionID.FindStringSubmatch(e.AllText())
	require.NotNil(t, m, "the reply names no request: %s", e.AllText())
	apEventually(t, "the DM shows the Extend request instead of its button", func() bool {
		for _, cur := range env.Slack.Messages(dm.Channel) {
			if cur.TS == dm.TS {
				_, stillThere := cur.Button(approvalslack.ActionIDExtend)
				return !stillThere && strings.Contains(cur.AllText(), m[1]) && strings.Contains(cur.AllText(), "Need it longer?")
			}
		}
		return false
	})
	return m[1]
}

// gxExtensions counts the stored requests that extend grant id.
func gxExtensions(t *testing.T, env *harness.Env, id string) int {
	t.Helper()
	all, err := env.App.DB.ListRequests(context.Background())
	require.NoError(t, err)
	n := 0
	for _, r := range all {
		if r.Param(approvals.ParamExtends) == id {
			n++
		}
	}
	return n
}

func TestGrantExtendBeforeTheEndMovesIt(t *testing.T) {
	offset := &clocktest.Shifted{}
	env := grStart(t, offset, "")
	id := grGranted(t, env, "team add ent:platform temp-dev --for 10d")
	g := grWait(t, env, id, approvals.GrantActive)[0]
	require.WithinDuration(t, g.EndsAt.Add(-24*time.Hour), g.RemindAt, time.Second, "a day before the end")
	dm := gxOffer(t, env, offset, g)

	// Someone else cannot use the requester's button.
	apClick(t, env, harness.Bob, dm, approvalslack.ActionIDExtend)
	_, err := env.Slack.WaitEphemeral(waitCtx(t, apWait), func(e slacksandbox.Ephemeral) bool {
		return e.User == harness.Bob && strings.Contains(e.AllText(), "Only the person who asked for this access can extend it")
	})
	require.NoError(t, err, "no refusal for Bob")
	assert.Equal(t, 0, gxExtensions(t, env, g.ID))

	ext := gxExtend(t, env, dm)
	card := apCard(t, env, ext, "Approval needed: ", "temp-dev", "*For:* 10 days", "extend grant "+g.ID)
	assert.Equal(t, 1, gxExtensions(t, env, g.ID), "one request for the click")
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, ext, "Done: ")

	var moved approvals.Grant
	apEventually(t, "the grant's end moves", func() bool {
		var err error
		moved, err = env.App.DB.GetGrant(context.Background(), g.ID)
		require.NoError(t, err)
		return moved.EndsAt.Equal(g.EndsAt.Add(10 * 24 * time.Hour))
	})
	assert.Equal(t, approvals.GrantActive, moved.State)
	assert.Empty(t, moved.ExtensionID, "the next reminder offers Extend again")
	assert.False(t, moved.Reminded)
	grThreadReply(t, env, apState(t, env, id).CardTS, "Extended", "temp-dev", ext)
	assert.Contains(t, slash(t, env, harness.Bob, harness.GeneralChannel, "grants").AllText(), "<!date^"+
		unixSeconds(moved.EndsAt)+"^", "grants shows the new end")

	// The old end passes: nothing is taken back.
	offset.Shift(time.Until(g.EndsAt) + time.Hour)
	env.App.Revoker.Kick()
	time.Sleep(300 * time.Millisecond) // the sweeper's backstop passes every 50 ms
	assert.Equal(t, approvals.GrantActive, apStateGrant(t, env, g.ID))
	assert.Equal(t, 0, grDeletes(env, "temp-dev"), "not revoked at the old end")
	assert.Contains(t, env.GitHub.Members(harness.TeamPlatform), "temp-dev")

	// The new end: taken back once.
	offset.Shift(time.Until(moved.EndsAt) + time.Minute)
	env.App.Revoker.Kick()
	grWait(t, env, id, approvals.GrantRevoked)
	assert.Equal(t, 1, grDeletes(env, "temp-dev"))
}

func TestGrantExtendApprovedAfterTheEndGrantsAgain(t *testing.T) {
	offset := &clocktest.Shifted{}
	env := grStart(t, offset, "")
	// An hour: reminded at 54 minutes, so the extension waits (24 h) well past the end.
	id := grGranted(t, env, "team add ent:platform temp-dev --for 1h")
	g := grWait(t, env, id, approvals.GrantActive)[0]
	require.Equal(t, g.StartedAt.Add(54*time.Minute), g.RemindAt, "at 90 % of a short grant")
	dm := gxOffer(t, env, offset, g)
	ext := gxExtend(t, env, dm)
	card := apCard(t, env, ext, "Approval needed: ")

	// The approvers take their time: the grant ends and is taken back first.
	offset.Shift(time.Until(g.EndsAt) + time.Minute)
	env.App.Revoker.Kick()
	grWait(t, env, id, approvals.GrantRevoked)
	require.NotContains(t, env.GitHub.Members(harness.TeamPlatform), "temp-dev")

	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, ext, "Done: ")
	again := grWait(t, env, ext, approvals.GrantActive)
	require.Len(t, again, 1, "granted again, under the extension's request")
	assert.Equal(t, "temp-dev", again[0].Item)
	assert.WithinDuration(t, offset.Now().Add(time.Hour), again[0].EndsAt, time.Minute)
	assert.Contains(t, env.GitHub.Members(harness.TeamPlatform), "temp-dev")
	assert.Equal(t, approvals.GrantRevoked, apStateGrant(t, env, g.ID), "the old grant stays as it ended")
}

func unixSeconds(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
