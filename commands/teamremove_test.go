package commands

import "testing"

func TestParseTeamRemoveAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"team remove", "team remove ent:platform octocat --reason=left",
			TeamRemove{Team: "ent:platform", Logins: []string{"octocat"}, Reason: "left"}},
	})
}
