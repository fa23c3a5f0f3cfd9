package commands

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/github"
	"devin-chatops/slackui"
)

// Teams lists GitHub enterprise teams.
type Teams struct{}

func (Teams) Name() string  { return "teams" }
func (Teams) Changes() bool { return false }

func teamsSpec() spec {
	return spec{
		name:    "teams",
		summary: "list the GitHub enterprise teams",
		example: "/devin teams",
		needs:   needsGitHub,
		build:   func(in *input) (Command, error) { return Teams{}, in.noArgs() },
		run: answers(func(ctx context.Context, env *runEnv, _ Teams) (slackui.Reply, error) {
			return runTeams(ctx, env.github, env.github)
		}),
	}
}

// TeamLister lists the GitHub enterprise teams (*github.Client).
type TeamLister interface {
	ListTeams(ctx context.Context) ([]github.Team, error)
}

// countWorkers bounds the member-count calls /devin teams makes at once, to stay a
// polite client of GitHub's rate limit.
const countWorkers = 4

// runTeams answers /devin teams: every enterprise team with its slug, name and member
// count, sorted by slug. GitHub's team list carries no member count, so the teams shown
// are counted one by one; a count that cannot be read is shown as unknown, with why.
func runTeams(ctx context.Context, api TeamLister, members TeamMemberLister) (slackui.Reply, error) {
	teams, err := api.ListTeams(ctx)
	if err != nil {
		return slackui.Reply{}, err
	}
	slices.SortStableFunc(teams, func(a, b github.Team) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Slug), strings.ToLower(b.Slug)), cmp.Compare(a.ID, b.ID))
	})
	counts, countErr := countMembers(ctx, members, teams[:min(len(teams), maxListLines)])
	lines := make([]string, 0, len(teams))
	for i, t := range teams {
		line := "• " + code(teamRef(t), maxNameRunes)
		if name := strings.TrimSpace(t.Name); name != "" && !strings.EqualFold(name, strings.TrimPrefix(t.Slug, "ent:")) {
			line += " " + slackui.Inert(name, maxNameRunes)
		}
		if i < len(counts) && counts[i] >= 0 {
			line += " — " + plural(counts[i], "member", "members")
		} else if i < len(counts) {
			line += " — members unknown"
		}
		lines = append(lines, line)
	}
	l := list{
		heading: "*" + plural(len(teams), "team", "teams") + "* in the GitHub enterprise",
		lines:   lines,
		empty:   "_The enterprise has no teams the bot's token can see._",
	}
	if countErr != nil {
		l.note = "_Some member counts could not be read: " + slackui.Escape(apiclient.UserMessage(countErr)) + "_"
	}
	return slackui.Reply{Message: l.message()}, nil
}

// teamRef is how a command names the team: its slug, or its id when it has none.
func teamRef(t github.Team) string {
	if t.Slug != "" {
		return t.Slug
	}
	return teamID(t.ID)
}

func teamID(id int64) string { return strconv.FormatInt(id, 10) }

// countMembers returns each team's member count, -1 where it could not be read, and the
// first error met.
func countMembers(ctx context.Context, api TeamMemberLister, teams []github.Team) ([]int, error) {
	counts := make([]int, len(teams))
	errs := make([]error, len(teams))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(countWorkers, len(teams)) {
		wg.Go(func() {
			for i := range jobs {
				t := teams[i]
				if t.MembersCount != nil {
					counts[i] = *t.MembersCount
					continue
				}
				users, err := api.ListTeamMembers(ctx, teamRef(t))
				if err != nil {
					counts[i], errs[i] = -1, err
					continue
				}
				counts[i] = len(users)
			}
		})
	}
	for i := range teams {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return counts, err
		}
	}
	return counts, nil
}
