package commands

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"devin-chatops/apiclient/github"
)

func TestTeamList(t *testing.T) {
	t.Run("logins with profile links, sorted", func(t *testing.T) {
		e := newEnv()
		e.github.members["ent:platform"] = []github.User{
			{Login: "octocat", HTMLURL: "https://github.com/octocat"},
			{Login: "Hubot", HTMLURL: "https://github.com/Hubot"},
			{Login: "mona_acme", HTMLURL: "https://github.example.com/mona_acme"},
		}
		r := e.run(t, "team list Platform")
		assertInOrder(t, blocksText(r.Message), []string{
			"*3 members* in the GitHub enterprise team `ent:platform`",
			"• <https://github.com/Hubot|Hubot>",
			"• <https://github.example.com/mona_acme|mona_acme>",
			"• <https://github.com/octocat|octocat>",
		})
		assert.Equal(t, []string{"ent:platform"}, e.github.memberCalls)
	})
	t.Run("a link that could break out is not a link", func(t *testing.T) {
		e := newEnv()
		e.github.members["ent:platform"] = []github.User{
			{Login: "evil", HTMLURL: "https://evil.io/x|<!channel>"},
			{Login: "js", HTMLURL: "javascript:alert(1)"},
			{Login: "<!here>", HTMLURL: "https://github.com/x?a=1&b=2"},
		}
		r := e.run(t, "team list platform")
		text := blocksText(r.Message)
		assert.Contains(t, text, "• evil\n")
		assert.Contains(t, text, "• js")
		assert.Contains(t, text, "• <https://github.com/x?a=1&amp;b=2|&lt;!here&gt;>")
		assert.NotContains(t, textOf(r.Message), "<!channel>")
		assert.NotContains(t, textOf(r.Message), "<!here>")
	})
	t.Run("an unknown team is named", func(t *testing.T) {
		e := newEnv()
		r := e.run(t, "team list nope")
		assert.Equal(t, "There is no GitHub enterprise team `ent:nope` that the bot's token can see. `/devin teams` lists the teams.", r.Text)
		assert.Equal(t, outcomeRefused, e.audit.last(t).Outcome)
	})
	t.Run("an empty team", func(t *testing.T) {
		e := newEnv()
		e.github.members["12"] = nil
		r := e.run(t, "team list 12")
		assert.Contains(t, blocksText(r.Message), "*0 members* in the GitHub enterprise team `12`")
		assert.Contains(t, blocksText(r.Message), "The team has no members.")
	})
	t.Run("2,000 members stay within Block Kit limits", func(t *testing.T) {
		e := newEnv()
		for i := range 2000 {
			login := fmt.Sprintf("user-%04d", i)
			e.github.members["ent:big"] = append(e.github.members["ent:big"], github.User{Login: login, HTMLURL: "https://github.com/" + login})
		}
		r := e.run(t, "team list big")
		assert.Contains(t, blocksText(r.Message), "*2,000 members*")
		assert.Contains(t, blocksText(r.Message), "…and 1,900 more")
	})
}

func TestParseTeamListAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"team list with ent: prefix", "team list ent:Platform", TeamList{Team: "ent:platform"}},
		{"team list without prefix", "team list platform", TeamList{Team: "ent:platform"}},
		{"team list prefix in capitals", "team list ENT:my_team-2", TeamList{Team: "ent:my_team-2"}},
		{"team list by id", "team list 4242", TeamList{Team: "4242"}},
		{"team list subcommand in capitals", "Team LIST platform", TeamList{Team: "ent:platform"}},
	})
}

func TestParseTeamListRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "missing team for team list", text: "team list",
			wantMsg: []string{"Which team?"}, wantUsage: teamListUsage},
		{name: "two teams for team list", text: "team list a b",
			wantMsg: []string{"takes one team, but got also `b`"}},
	})
}
