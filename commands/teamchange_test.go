package commands

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
)

func TestTeamChange(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		action approvals.Action
		items  []string
		want   []string // in order
	}{
		{"add", `team add platform octocat mona_acme --reason "on call"`, approvals.ActionTeamAdd, []string{"octocat", "mona_acme"}, []string{
			"*Plan:* adds 2 to ent:platform",
			"It will add 2 GitHub users to the enterprise team `ent:platform` (Platform Engineering):\noctocat, mona_acme\n*Reason:* on call"}},
		{"add, one in the team already", "team add platform octocat HUBOT", approvals.ActionTeamAdd, []string{"octocat", "HUBOT"}, []string{
			"*Plan:* adds 1 to ent:platform; 1 already a member",
			"It will add 1 GitHub user to the enterprise team `ent:platform` (Platform Engineering):\noctocat\nAlready in it — no change (1): HUBOT"}},
		{"remove", "team remove ent:platform @hubot", approvals.ActionTeamRemove, []string{"hubot"}, []string{
			"*Plan:* removes 1 from ent:platform",
			"It will remove 1 GitHub user from the enterprise team `ent:platform` (Platform Engineering):\nhubot"}},
		{"remove, one not in the team", "team remove ent:platform octocat hubot", approvals.ActionTeamRemove, []string{"octocat", "hubot"}, []string{
			"*Plan:* removes 1 from ent:platform; 1 not a member",
			"It will remove 1 GitHub user from the enterprise team `ent:platform` (Platform Engineering):\nhubot\nNot in it — no change (1): octocat"}},
		{"by id", "team add 7 mona", approvals.ActionTeamAdd, []string{"mona"}, []string{
			"*Plan:* adds 1 to 7",
			"It will add 1 GitHub user to the enterprise team `7` (Platform Engineering):"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := changeEnv()
			r := e.run(t, tt.text)
			require.Len(t, e.approvals.submitted, 1)
			sub := e.approvals.submitted[0]
			assert.Equal(t, tt.action, sub.Action)
			assert.Equal(t, tt.items, sub.Items)
			assert.Equal(t, "U1", sub.Requester)
			assert.Equal(t, "C1", sub.OriginChannel)
			assert.NotEmpty(t, sub.Plan)
			assert.Equal(t, strings.TrimPrefix(tt.want[0], "*Plan:* "), sub.Params[approvals.ParamSummary], "the card and the requester read the same summary")
			text := blocksText(r.Message)
			assert.Contains(t, text, "Request `R7K3QX0` is waiting for approval in <#CAPPROVAL>.")
			assertInOrder(t, text, tt.want)
			assert.Equal(t, "R7K3QX0", e.audit.last(t).RequestID)
		})
	}
	t.Run("an unknown team is refused and nothing is submitted", func(t *testing.T) {
		e := changeEnv()
		r := e.run(t, "team add nope octocat")
		assert.Equal(t, "There is no GitHub enterprise team `ent:nope` that the bot's token can see. `/devin teams` lists the teams.", r.Text)
		assert.Empty(t, e.approvals.submitted)
	})
}

// TestTeamChangeTypes keeps team add and team remove converting to the shared change
// with the right action.
func TestTeamChangeTypes(t *testing.T) {
	tc := teamChange{Team: "ent:platform", Logins: []string{"octocat"}, Reason: "on call"}
	tests := []struct {
		cmd    teamChanger
		action approvals.Action
	}{
		{TeamAdd(tc), approvals.ActionTeamAdd},
		{TeamRemove(tc), approvals.ActionTeamRemove},
	}
	for _, tt := range tests {
		t.Run(tt.cmd.Name(), func(t *testing.T) {
			got, action := tt.cmd.change()
			assert.Equal(t, tc, got)
			assert.Equal(t, tt.action, action)
			assert.True(t, tt.cmd.Changes())
		})
	}
}
