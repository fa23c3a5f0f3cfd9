package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// Offboard removes a person from the Devin enterprise and, with a GitHub login, from
// every GitHub enterprise team that login is in.
type Offboard struct {
	Email  string // valid, lower-cased
	GitHub string // a valid login, or "" to leave GitHub alone
	Reason string
}

func (Offboard) Name() string  { return "offboard" }
func (Offboard) Changes() bool { return true }

// UserGetter reads one GitHub user (*github.Client).
type UserGetter interface {
	GetUser(ctx context.Context, login string) (*github.User, error)
}

// OffboardGitHub is what offboard reads from GitHub before it asks (*github.Client).
type OffboardGitHub interface {
	UserGetter
	TeamLister
	TeamMemberLister
}

// offboardWorkers bounds the team member listings an offboard reads at once, to stay
// a polite client of GitHub's rate limit.
const offboardWorkers = 4

func offboardSpec() spec {
	return spec{
		name: "offboard",
		args: "EMAIL",
		flags: []flagSpec{
			{name: "github", value: "LOGIN", help: "also remove this GitHub user from every enterprise team they are in"},
			reasonFlag(),
		},
		summary: "remove a person from the Devin enterprise and from every GitHub enterprise team they are in",
		details: []string{
			"`EMAIL` — the person's address in the Devin enterprise",
			"The Devin member and every team are found before anyone approves; each step runs even when another fails.",
		},
		example: `/devin offboard grace@example.com --github hubot --reason "left the company"`,
		changes: true,
		needs:   needsApprovals | needsDevin,
		build:   buildOffboard,
		run: runs(func(ctx context.Context, env *runEnv, c call, cmd Offboard) (slackui.Reply, string, error) {
			var gh OffboardGitHub
			if env.github != nil {
				gh = env.github
			}
			return newChanger(env).offboard(ctx, env.devin, gh, c, cmd)
		}),
	}
}

// buildOffboard reads EMAIL [--github LOGIN] [--reason TEXT].
func buildOffboard(in *input) (Command, error) {
	if len(in.args) == 0 {
		return nil, in.errorf("Whom? Give the person's email address in the Devin enterprise.")
	}
	emails, err := in.list(in.args, itemKind{"email address", "email addresses"}, checkEmail)
	if err != nil {
		return nil, err
	}
	if len(emails) > 1 {
		return nil, in.errorf("`/devin offboard` takes one person at a time, but got %d addresses.", len(emails))
	}
	cmd := Offboard{Email: emails[0]}
	if w, ok := in.flags["github"]; ok {
		login, problem := checkLogin(w)
		if problem != "" {
			return nil, in.errorf("`--github` %s is not a valid GitHub login (%s).", quote(w.display()), problem)
		}
		cmd.GitHub = login
	}
	if cmd.Reason, err = in.reason(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// offboard submits /devin offboard. Everything it will do is found first: the Devin
// member with that email and every enterprise team the login is in. Someone who is in
// nothing is refused, and so is a login GitHub does not know. gh is nil when GitHub is
// not configured.
func (ch changer) offboard(ctx context.Context, api MemberLister, gh OffboardGitHub, c call, cmd Offboard) (slackui.Reply, string, error) {
	if cmd.GitHub != "" && gh == nil {
		return slackui.Reply{}, "", refuse("`--github` needs the GitHub API, which is not configured: set GITHUB_TOKEN and GITHUB_ENTERPRISE, or offboard without `--github`.")
	}
	member, err := findMember(ctx, api, cmd.Email)
	if err != nil {
		return slackui.Reply{}, "", err
	}
	login, teams, all := cmd.GitHub, []github.Team(nil), 0
	var unchecked []uncheckedTeam
	if login != "" {
		if login, teams, unchecked, all, err = findTeams(ctx, gh, login); err != nil {
			return slackui.Reply{}, "", err
		}
	}
	email := slackui.Inert(cmd.Email, maxEmailRunes)
	if member == nil && len(teams) == 0 && len(unchecked) > 0 {
		return slackui.Reply{}, "", &failure{msg: "I could not read the members of " + plural(len(unchecked), "enterprise team", "enterprise teams") +
			" and found nothing else to offboard, so nothing was submitted: " + slackui.Escape(apiclient.UserMessage(unchecked[0].err)), err: unchecked[0].err}
	}
	if member == nil && len(teams) == 0 {
		msg := "Nothing to offboard, so nothing was submitted: no member of the Devin enterprise has the email " + code(cmd.Email, maxEmailRunes) + " (the members were looked up by that address)"
		if login == "" {
			msg += ", and no `--github` login was given, so no GitHub team was looked at."
		} else {
			msg += ", and the GitHub user " + code(login, maxNameRunes) + " is in none of the enterprise's " + plural(all, "team", "teams") + " (every team's members were read)."
		}
		return slackui.Reply{}, "", refuse(msg)
	}

	var items, plan []string
	params := map[string]string{"email": cmd.Email, "github_login": login, "devin_user_id": ""}
	if member != nil {
		items = append(items, cmd.Email)
		params["devin_user_id"] = member.UserID
		if isEnterpriseAdmin(member.Role) && ch.personalKey {
			plan = append(plan, "warning: "+memberName(*member)+" is an enterprise admin ("+member.Role+"). The bot's v2 API key belongs to an "+
				"enterprise admin and stops working when that admin's membership ends: if the key is theirs, the bot loses the Devin API.")
		}
		plan = append(plan, fmt.Sprintf("Devin member: %s, %s, role %s, user ID %s", memberName(*member), member.Email, member.Role, member.UserID))
	} else {
		plan = append(plan, cmd.Email+" is not a Devin member: no Devin step")
	}
	switch {
	case login == "":
		plan = append(plan, "no --github login given: GitHub teams not looked at")
	case len(teams) == 0:
		plan = append(plan, "GitHub user "+login+" is in none of the "+plural(all, "enterprise team", "enterprise teams")+": no team step")
	default:
		plan = append(plan, fmt.Sprintf("GitHub user %s is in %d of the %s:", login, len(teams), plural(all, "enterprise team", "enterprise teams")))
	}
	for _, t := range teams {
		ref := teamRef(t)
		items = append(items, ref)
		line := "team " + ref
		if name := strings.TrimSpace(t.Name); name != "" && !strings.EqualFold(name, strings.TrimPrefix(ref, "ent:")) {
			line += " (" + name + ")"
		}
		if t.GroupID != nil && *t.GroupID != "" {
			line += ": synced from an identity-provider group, whose next sync may add them back"
		}
		plan = append(plan, line)
	}
	for _, u := range unchecked {
		ref := teamRef(u.team)
		items = append(items, ref)
		plan = append(plan, "warning: team "+ref+" could not be checked ("+apiclient.UserMessage(u.err)+"); its step checks again and removes "+login+" if there")
	}
	teams = append(teams, teamsOf(unchecked)...)

	req, err := ch.submit(ctx, approvals.Submission{
		Requester: c.user, OriginChannel: c.channel, Action: approvals.ActionOffboard,
		Items: items, Reason: cmd.Reason, Params: params, Plan: plan,
	})
	if err != nil {
		return slackui.Reply{}, "", err
	}
	var what string
	switch {
	case member != nil && len(teams) > 0:
		what = "It will remove " + email + " from the Devin enterprise, and the GitHub user " + code(login, maxNameRunes) +
			" from " + plural(len(teams), "enterprise team", "enterprise teams")
	case member != nil:
		what = "It will remove " + email + " from the Devin enterprise"
	default:
		what = email + " is not a Devin member. It will remove the GitHub user " + code(login, maxNameRunes) +
			" from " + plural(len(teams), "enterprise team", "enterprise teams")
	}
	if member != nil && isEnterpriseAdmin(member.Role) && ch.personalKey {
		what = ":warning: *" + slackui.Inert(memberName(*member), maxNameRunes) + " is an enterprise admin: if the bot's Devin API key is theirs, it stops working with this removal.*\n" + what
	}
	return ch.confirm(req, what+". The steps", items, cmd.Reason), req.ID, nil
}

func teamsOf(us []uncheckedTeam) []github.Team {
	out := make([]github.Team, len(us))
	for i, u := range us {
		out[i] = u.team
	}
	return out
}

// findMember is the enterprise member with email, or nil when there is none.
func findMember(ctx context.Context, api MemberLister, email string) (*devin.Member, error) {
	members, err := api.ListMembers(ctx, devin.ListMembersOptions{Email: email})
	if err != nil {
		return nil, err
	}
	// The filter is exact on the API's side; checking again keeps a server that
	// ignores it from offboarding someone else.
	for i := range members {
		// Without a user ID there is nothing to remove by: not a member to act on.
		if strings.EqualFold(strings.TrimSpace(members[i].Email), email) && members[i].UserID != "" {
			return &members[i], nil
		}
	}
	return nil, nil
}

// findTeams returns the login as GitHub spells it, the enterprise teams it is in (in
// GitHub's order) and how many teams there are. An unknown login is refused: the
// team listings cannot tell it from a login in no team.
//
// It costs 2 + T calls at least for T teams: the user, the team listing (one call per
// 100 teams), and each team's member listing (one call per 100 members), at most
// offboardWorkers at once. The listings go through the shared reads, so commands
// listing the same teams meanwhile share them. GitHub's "teams of a user" endpoint
// would take one call, but only github.com with the new enterprise teams serves it.
func findTeams(ctx context.Context, gh OffboardGitHub, login string) (string, []github.Team, []uncheckedTeam, int, error) {
	u, err := gh.GetUser(ctx, login)
	if errors.Is(err, apiclient.ErrNotFound) {
		return "", nil, nil, 0, refuse("There is no GitHub user " + code(login, maxNameRunes) + ", so nothing was submitted. Check the spelling of `--github`.")
	}
	if err != nil {
		return "", nil, nil, 0, err
	}
	if u != nil && u.Login != "" {
		login = u.Login
	}
	teams, err := gh.ListTeams(ctx)
	if err != nil {
		return "", nil, nil, 0, err
	}
	in := make([]bool, len(teams))
	unreadable := make([]error, len(teams))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(offboardWorkers)
	for i, t := range teams {
		g.Go(func() error {
			users, err := gh.ListTeamMembers(gctx, teamRef(t))
			if err != nil {
				// One unreadable team must not hold up an offboarding: it becomes a step
				// of its own, which execution checks again.
				unreadable[i] = err
				return nil
			}
			for _, m := range users {
				if strings.EqualFold(m.Login, login) {
					in[i] = true
					break
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return "", nil, nil, 0, err
	}
	var found []github.Team
	var unchecked []uncheckedTeam
	for i, t := range teams {
		switch {
		case in[i]:
			found = append(found, t)
		case unreadable[i] != nil:
			unchecked = append(unchecked, uncheckedTeam{team: t, err: unreadable[i]})
		}
	}
	return login, found, unchecked, len(teams), nil
}

// uncheckedTeam is a team whose members could not be read before the card.
type uncheckedTeam struct {
	team github.Team
	err  error
}

// isEnterpriseAdmin reports whether an enterprise role is an admin's: v2's
// account_admin, or a custom enterprise role named as one.
func isEnterpriseAdmin(role string) bool {
	return strings.Contains(strings.ToLower(role), "admin")
}

// memberName is the member's name, or their email when the name is blank.
func memberName(m devin.Member) string {
	if name := strings.TrimSpace(m.Name); name != "" {
		return name
	}
	return m.Email
}
