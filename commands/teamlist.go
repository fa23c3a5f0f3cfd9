package commands

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/github"
	"devin-chatops/slackui"
)

// TeamList lists the members of Team.
type TeamList struct{ Team string }

func (TeamList) Name() string  { return "team list" }
func (TeamList) Changes() bool { return false }

func teamListSpec() spec {
	return spec{
		name:    "team list",
		args:    "TEAM",
		summary: "list the members of a GitHub enterprise team",
		details: []string{teamDetail},
		example: "/devin team list ent:platform",
		needs:   needsGitHub,
		build:   buildTeamList,
		run: answers(func(ctx context.Context, env *runEnv, cmd TeamList) (slackui.Reply, error) {
			return runTeamList(ctx, env.github, cmd)
		}),
	}
}

// teamDetail explains TEAM to every command that takes one.
const teamDetail = "`TEAM` — the team's slug, with or without `ent:` (e.g. `ent:platform` or `platform`), or its numeric id"

func buildTeamList(in *input) (Command, error) {
	if len(in.args) == 0 {
		return nil, in.errorf("Which team? Give its slug (like `ent:platform`) or its id.")
	}
	if len(in.args) > 1 {
		return nil, in.errorf("`/devin team list` takes one team, but got also %s.", quote(in.args[1].display()))
	}
	team, err := in.team(in.args[0].word)
	if err != nil {
		return nil, err
	}
	return TeamList{Team: team}, nil
}

// TeamMemberLister lists the members of one GitHub enterprise team (*github.Client).
type TeamMemberLister interface {
	ListTeamMembers(ctx context.Context, team string) ([]github.User, error)
}

// runTeamList answers /devin team list TEAM: the team's logins, each a link to the
// profile, sorted by login.
func runTeamList(ctx context.Context, api TeamMemberLister, cmd TeamList) (slackui.Reply, error) {
	users, err := api.ListTeamMembers(ctx, cmd.Team)
	if err != nil {
		return slackui.Reply{}, teamError(cmd.Team, err)
	}
	slices.SortStableFunc(users, func(a, b github.User) int {
		return cmp.Compare(strings.ToLower(a.Login), strings.ToLower(b.Login))
	})
	lines := make([]string, 0, len(users))
	for _, u := range users {
		lines = append(lines, "• "+link(u.HTMLURL, u.Login, maxNameRunes))
	}
	return slackui.Reply{Message: list{
		heading: "*" + plural(len(users), "member", "members") + "* in the GitHub enterprise team " + code(cmd.Team, maxNameRunes),
		lines:   lines,
		empty:   "_The team has no members._",
	}.message()}, nil
}

// teamError names the team when GitHub does not know it; a 404 from GitHub's team
// endpoints means exactly that (or that the token cannot see it).
func teamError(team string, err error) error {
	if errors.Is(err, apiclient.ErrNotFound) {
		return refuse("There is no GitHub enterprise team " + code(team, maxNameRunes) +
			" that the bot's token can see. `/devin teams` lists the teams.")
	}
	return err
}
