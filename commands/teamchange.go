package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// TeamGetter reads one GitHub enterprise team (*github.Client).
type TeamGetter interface {
	GetTeam(ctx context.Context, team string) (*github.Team, error)
}

// teamChange is what team add and team remove both carry. They take the same arguments
// and run the same way, so they share this file's grammar and run; TeamAdd and
// TeamRemove convert to it.
type teamChange struct {
	Team   string   // "ent:slug", or a numeric team id
	Logins []string // valid, no repeats (ignoring case), 1 to 1000
	Reason string
	For    time.Duration // --for: how long the access lasts (team add only); 0 for ever
}

// teamChanger is a parsed team add or team remove.
type teamChanger interface {
	Command
	change() (teamChange, approvals.Action)
}

// loginDetail explains LOGIN… to the commands that take logins.
const loginDetail = "`LOGIN…` — up to 1000 GitHub logins (managed users too, like `mona_acme`), separated by spaces or commas; repeats are dropped"

// teamPlanDetail says what team add and team remove check before they ask.
const teamPlanDetail = "Every login is checked before anyone approves: a login GitHub does not know refuses the whole request; one already as asked (in the team for `add`, not in it for `remove`) is shown as _no change_ and left alone."

// teamChangeSpec completes s (name, summary, example) with what team add and team
// remove share; typed makes the command's own type from the parsed arguments.
func teamChangeSpec(s spec, typed func(teamChange) Command) spec {
	s.args = "TEAM LOGIN…"
	s.flags = append(s.flags, reasonFlag())
	s.details = []string{teamDetail, loginDetail, teamPlanDetail}
	s.changes = true
	s.needs = needsApprovals | needsGitHub
	s.build = func(in *input) (Command, error) {
		tc, err := buildTeamChange(in)
		if err != nil {
			return nil, err
		}
		return typed(tc), nil
	}
	s.run = runs(func(ctx context.Context, env *runEnv, c call, cmd teamChanger) (slackui.Reply, string, error) {
		tc, action := cmd.change()
		return newChanger(env).team(ctx, env.github, c, tc, action)
	})
	return s
}

// buildTeamChange reads TEAM LOGIN… [--reason TEXT].
func buildTeamChange(in *input) (teamChange, error) {
	if len(in.args) == 0 {
		return teamChange{}, in.errorf("Which team? Give its slug (like `ent:platform`) or its id, then the GitHub logins.")
	}
	team, err := in.team(in.args[0].word)
	if err != nil {
		return teamChange{}, err
	}
	logins, err := in.list(in.args[1:], itemKind{"GitHub login", "GitHub logins"}, checkLogin)
	if err != nil {
		return teamChange{}, err
	}
	reason, err := in.reason()
	if err != nil {
		return teamChange{}, err
	}
	grant, err := in.grantFor()
	if err != nil {
		return teamChange{}, err
	}
	return teamChange{Team: team, Logins: logins, Reason: reason, For: grant}, nil
}

// team submits /devin team add and /devin team remove. The team is read first, so an
// unknown team is refused before anything else; then every login is checked (planTeam),
// so the card says what will really change and an unknown login refuses the request.
func (ch changer) team(ctx context.Context, gh teamPlanAPI, c call, tc teamChange, action approvals.Action) (slackui.Reply, string, error) {
	team, logins, reason := tc.Team, tc.Logins, tc.Reason
	if err := ch.checkGrant(tc.For); err != nil {
		return slackui.Reply{}, "", err
	}
	t, err := gh.GetTeam(ctx, team)
	if err != nil {
		return slackui.Reply{}, "", teamError(team, err)
	}
	remove := action == approvals.ActionTeamRemove
	p, err := planTeam(ctx, gh, team, logins, remove)
	if err != nil {
		return slackui.Reply{}, "", err
	}
	if remove {
		p.lines = append(p.lines, ch.endedGrants(ctx, team, p.change)...)
	}
	req, err := ch.submit(ctx, approvals.Submission{
		Requester: c.user, OriginChannel: c.channel, Action: action,
		Items: logins, Team: team, Reason: reason, Params: withGrant(p.params(), tc.For), Plan: p.lines,
	})
	if err != nil {
		return slackui.Reply{}, "", err
	}
	teamText := "the enterprise team " + code(team, maxNameRunes)
	if t != nil {
		if name := strings.TrimSpace(t.Name); name != "" && !strings.EqualFold(name, strings.TrimPrefix(team, "ent:")) {
			teamText += " (" + slackui.Inert(name, maxNameRunes) + ")"
		}
	}
	users := plural(len(p.change), "GitHub user", "GitHub users")
	what, sameLabel := "It will add "+users+" to "+teamText, "Already in it"
	if remove {
		what, sameLabel = "It will remove "+users+" from "+teamText, "Not in it"
	}
	return ch.confirmPlan(req, p, what+grantClause(tc.For), sameLabel, reason), req.ID, nil
}

// endedGrants are the card's lines for the time-boxed grants a removal of logins from
// team ends: the bot will then not take those logins back at the grant's end. A grant
// list that cannot be read adds nothing: the removal ends the grants all the same.
func (ch changer) endedGrants(ctx context.Context, team string, logins []string) []string {
	if ch.grants == nil || len(logins) == 0 {
		return nil
	}
	gs, err := ch.grants.ActiveGrants(ctx)
	if err != nil {
		return nil
	}
	removing := make(map[string]bool, len(logins))
	for _, l := range logins {
		removing[approvals.ItemKey(l)] = true
	}
	var lines []string
	for _, g := range gs {
		if g.Action == approvals.ActionTeamAdd && approvals.ItemKey(g.Team) == approvals.ItemKey(team) && removing[approvals.ItemKey(g.Item)] {
			lines = append(lines, fmt.Sprintf("%s is under grant %s (request %s) until %s: this removal ends that grant",
				g.Item, g.ID, g.RequestID, g.EndsAt.UTC().Format("2006-01-02 15:04 UTC")))
		}
	}
	return lines
}
