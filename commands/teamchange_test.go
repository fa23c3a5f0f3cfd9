package commands

import (
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
		want   string
	}{
		{"add", `team add platform octocat mona_acme --reason "on call"`, approvals.ActionTeamAdd, []string{"octocat", "mona_acme"},
			"It will add 2 GitHub users to the enterprise team `ent:platform` (Platform Engineering):\noctocat, mona_acme\n*Reason:* on call"},
		{"remove", "team remove ent:platform @octocat", approvals.ActionTeamRemove, []string{"octocat"},
			"It will remove 1 GitHub user from the enterprise team `ent:platform` (Platform Engineering):\noctocat"},
		{"by id", "team add 7 hubot", approvals.ActionTeamAdd, []string{"hubot"},
			"It will add 1 GitHub user to the enterprise team `7` (Platform Engineering):"},
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
			assert.Contains(t, blocksText(r.Message), "Request `R7K3QX0` is waiting for approval in <#CAPPROVAL>.")
			assert.Contains(t, blocksText(r.Message), tt.want)
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
