package commands

import (
	"strings"
	"testing"
)

func TestParseTeamAddAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"team add", "team add ent:platform octocat hubot",
			TeamAdd{Team: "ent:platform", Logins: []string{"octocat", "hubot"}}},
		{"team add without prefix, by id", "team add 12 octocat", TeamAdd{Team: "12", Logins: []string{"octocat"}}},
		{"team add dedupes ignoring case, first spelling kept", "team add platform OctoCat hubot octocat HUBOT",
			TeamAdd{Team: "ent:platform", Logins: []string{"OctoCat", "hubot"}}},
		{"team add @login", "team add platform @octocat", TeamAdd{Team: "ent:platform", Logins: []string{"octocat"}}},
		{"team add commas", "team add platform a,b, c", TeamAdd{Team: "ent:platform", Logins: []string{"a", "b", "c"}}},
		{"team add Enterprise Managed User logins", "team add platform mona_acme @hubot-2_acme,Octo_Corp",
			TeamAdd{Team: "ent:platform", Logins: []string{"mona_acme", "hubot-2_acme", "Octo_Corp"}}},
		{"team add hyphens and 39 characters", "team add platform mona-lisa-the-octocat " + strings.Repeat("a", 39),
			TeamAdd{Team: "ent:platform", Logins: []string{"mona-lisa-the-octocat", strings.Repeat("a", 39)}}},
		{"team add --reason first", `team add --reason "on call" platform octocat`,
			TeamAdd{Team: "ent:platform", Logins: []string{"octocat"}, Reason: "on call"}},
	})
}

func TestParseTeamAddRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "missing team for team add", text: "team add",
			wantMsg: []string{"Which team?"}, wantUsage: teamAddUsage},
	})
}
