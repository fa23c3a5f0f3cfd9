package commands

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/github"
)

func TestTeams(t *testing.T) {
	t.Run("slug, name and member count, sorted by slug", func(t *testing.T) {
		e := newEnv()
		e.github.teams = []github.Team{
			{ID: 2, Slug: "ent:security", Name: "Security Guild"},
			{ID: 1, Slug: "ent:platform", Name: "platform"},
			{ID: 3, Slug: "ent:counted", Name: "Counted Team", MembersCount: intp(7)},
		}
		e.github.members["ent:security"] = []github.User{{Login: "a"}, {Login: "b"}}
		e.github.members["ent:platform"] = []github.User{{Login: "octocat"}}
		r := e.run(t, "teams")
		assertInOrder(t, blocksText(r.Message), []string{
			"*3 teams* in the GitHub enterprise",
			"• `ent:counted` Counted Team — 7 members",
			"• `ent:platform` — 1 member",
			"• `ent:security` Security Guild — 2 members",
		})
		assert.ElementsMatch(t, []string{"ent:platform", "ent:security"}, e.github.memberCalls, "a count GitHub gave is not asked again")
	})
	t.Run("a count that cannot be read", func(t *testing.T) {
		e := newEnv()
		e.github.teams = []github.Team{{ID: 1, Slug: "ent:platform", Name: "Platform Team"}}
		e.github.membersErr = apiErr("GitHub API", apiclient.KindRateLimited, 429)
		r := e.run(t, "teams")
		text := blocksText(r.Message)
		assert.Contains(t, text, "• `ent:platform` Platform Team — members unknown")
		assert.Contains(t, text, "_Some member counts could not be read: GitHub API is rate limiting the bot; try again in 30 seconds._")
		assert.Equal(t, outcomeOK, e.audit.last(t).Outcome)
	})
	t.Run("a team without a slug is named by id", func(t *testing.T) {
		e := newEnv()
		e.github.teams = []github.Team{{ID: 42, Name: "Nameless"}}
		e.github.members["42"] = nil
		r := e.run(t, "teams")
		assert.Contains(t, blocksText(r.Message), "• `42` Nameless — 0 members")
	})
	t.Run("hostile team data is inert", func(t *testing.T) {
		e := newEnv()
		e.github.teams = []github.Team{{ID: 1, Slug: "ent:x`<!channel>", Name: "<@U1> <!here>", MembersCount: intp(1)}}
		r := e.run(t, "teams")
		assert.NotContains(t, textOf(r.Message), "<!channel>")
		assert.NotContains(t, textOf(r.Message), "<!here>")
		assert.NotContains(t, textOf(r.Message), "<@U1>")
	})
	t.Run("none", func(t *testing.T) {
		e := newEnv()
		r := e.run(t, "teams")
		assert.Contains(t, blocksText(r.Message), "The enterprise has no teams the bot's token can see.")
	})
	t.Run("many teams stay within Block Kit limits and count only what is shown", func(t *testing.T) {
		e := newEnv()
		for i := range 500 {
			slug := fmt.Sprintf("ent:team-%03d", i)
			e.github.teams = append(e.github.teams, github.Team{ID: int64(i), Slug: slug, Name: "Team"})
			e.github.members[slug] = []github.User{{Login: "octocat"}}
		}
		r := e.run(t, "teams")
		assert.Contains(t, blocksText(r.Message), "…and 400 more")
		assert.Len(t, e.github.memberCalls, maxListLines)
	})
}

func TestParseTeamsAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"teams", "teams", Teams{}},
	})
}
