package commands

import (
	"context"
	"errors"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// itemPlan is what the check before invite, team add and team remove found, item by
// item: the items that will change and those already as asked. The request carries it
// (approvals.ParamNoChange, ParamSummary and Plan), so the approvers see what will
// really change and the execution sends nothing for the items already as asked.
type itemPlan struct {
	change  []string // the items that will change, in the order given
	same    []string // the items already as asked: "no change", never sent
	summary string   // plain text, e.g. "adds 2 to ent:platform; 1 already a member"
	lines   []string // the card's "Checked before asking" lines, plain text
}

// params are the request parameters that carry the plan to the card and the execution.
func (p itemPlan) params() map[string]string {
	return map[string]string{
		approvals.ParamNoChange: approvals.NoChangeParam(p.same),
		approvals.ParamSummary:  p.summary,
	}
}

const (
	// userLookups bounds the GET /users/{login} calls a team change makes at once:
	// enough that 1,000 new logins are checked within the command's time limit, few
	// enough to stay clear of GitHub's secondary rate limit on concurrent requests.
	userLookups = 8
	// planListBudget bounds one list on a plan line, before escaping; the card clips a
	// plan line at 300 runes and the label needs the rest.
	planListBudget = 220
	// maxNamed is how many unknown logins or no-change items a refusal names.
	maxNamed = 10
)

// planList is items joined for a plan line, with "…and N more" past the budget.
func planList(items []string) string {
	return slackui.JoinLimited(items, ", ", 0, planListBudget)
}

// namedList quotes up to maxNamed items for a refusal, then counts the rest.
func namedList(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = quote(it)
	}
	return slackui.JoinLimited(q, ", ", maxNamed, 0)
}

// teamPlanAPI is what team add and team remove read before they ask (*github.Client).
type teamPlanAPI interface {
	TeamGetter
	TeamMemberLister
	UserGetter
}

// planTeam checks every login against GitHub before a team change is asked for. The
// team's members are read once (one call per 100 members, where asking per login would
// cost one call each); a login found among them exists. Every other login is looked
// up with GET /users/{login}, at most userLookups at once, because the team calls
// cannot tell an unknown login from one in no team. An unknown login refuses the whole
// request, naming every unknown one; so does a request in which nothing would change.
func planTeam(ctx context.Context, gh teamPlanAPI, team string, logins []string, remove bool) (itemPlan, error) {
	members, err := gh.ListTeamMembers(ctx, team)
	if err != nil {
		if errors.Is(err, apiclient.ErrNotFound) {
			return itemPlan{}, teamError(team, err)
		}
		// A failure's message is plain text (the router escapes it); the team and the
		// logins passed the grammar, so they hold no backtick.
		return itemPlan{}, &failure{msg: "I could not read the members of the enterprise team `" + team +
			"`, so nothing was submitted: " + apiclient.UserMessage(err), err: err}
	}
	inTeam := make(map[string]bool, len(members))
	for _, m := range members {
		inTeam[approvals.ItemKey(m.Login)] = true
	}
	var outside []string
	for _, l := range logins {
		if !inTeam[approvals.ItemKey(l)] {
			outside = append(outside, l)
		}
	}
	unknown, err := unknownLogins(ctx, gh, outside)
	if err != nil {
		return itemPlan{}, err
	}
	if len(unknown) > 0 {
		return itemPlan{}, refuse(unknownLoginsMessage(unknown))
	}

	var p itemPlan
	for _, l := range logins {
		if inTeam[approvals.ItemKey(l)] == remove {
			p.change = append(p.change, l)
		} else {
			p.same = append(p.same, l)
		}
	}
	if len(p.change) == 0 {
		return itemPlan{}, refuse(teamNothingMessage(team, p.same, remove))
	}
	w := teamWords(team, remove)
	p.summary = w.verb + " " + slackui.Int(len(p.change)) + w.prep + w.team
	if len(p.same) > 0 {
		p.summary += "; " + plural(len(p.same), w.sameOne, w.sameMany)
	}
	users := "every login is a GitHub user"
	if len(logins) == 1 {
		users = "the login is a GitHub user"
	}
	p.lines = []string{
		w.team + " has " + plural(len(members), "member", "members") + " now; " + users,
		w.todo + " (" + slackui.Int(len(p.change)) + "): " + planList(p.change),
	}
	if len(p.same) > 0 {
		p.lines = append(p.lines, w.sameWhere+" — no change ("+slackui.Int(len(p.same))+"): "+planList(p.same))
	}
	return p, nil
}

// teamPlanWords are the words of a team change's plan, plain text.
type teamPlanWords struct {
	team              string // as given, clipped
	verb, prep, todo  string // "adds", " to ", "to add"
	sameOne, sameMany string // "already a member", "already members"
	sameWhere         string // "already in ent:platform"
}

func teamWords(team string, remove bool) teamPlanWords {
	t := slackui.Clip(team, maxNameRunes)
	if remove {
		return teamPlanWords{team: t, verb: "removes", prep: " from ", todo: "to remove",
			sameOne: "not a member", sameMany: "not members", sameWhere: "not in " + t}
	}
	return teamPlanWords{team: t, verb: "adds", prep: " to ", todo: "to add",
		sameOne: "already a member", sameMany: "already members", sameWhere: "already in " + t}
}

// unknownLogins looks each login up and returns those GitHub does not know, in the
// order given. A look-up that fails otherwise fails the check: an unchecked login
// could be unknown.
func unknownLogins(ctx context.Context, gh UserGetter, logins []string) ([]string, error) {
	unknown := make([]bool, len(logins))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(userLookups)
	for i, l := range logins {
		g.Go(func() error {
			_, err := gh.GetUser(gctx, l)
			switch {
			case errors.Is(err, apiclient.ErrNotFound):
				mu.Lock()
				unknown[i] = true
				mu.Unlock()
			case err != nil:
				return &failure{msg: "I could not check the GitHub user `" + l +
					"`, so nothing was submitted: " + apiclient.UserMessage(err), err: err}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []string
	for i, l := range logins {
		if unknown[i] {
			out = append(out, l)
		}
	}
	return out, nil
}

// unknownLoginsMessage refuses a team change naming the logins GitHub does not know.
func unknownLoginsMessage(unknown []string) string {
	const next = " Check the spelling: nothing else in the request was submitted either."
	if len(unknown) == 1 {
		return "There is no GitHub user " + quote(unknown[0]) + ", so nothing was submitted." + next
	}
	return slackui.Int(len(unknown)) + " logins are not GitHub users, so nothing was submitted: " + namedList(unknown) + "." + next
}

// teamNothingMessage refuses a team change in which every login is already as asked.
func teamNothingMessage(team string, same []string, remove bool) string {
	who := "everyone given is"
	if len(same) == 1 {
		who = quote(same[0]) + " is"
	}
	where := " in the enterprise team " + code(team, maxNameRunes) + " already"
	if remove {
		where = " not in the enterprise team " + code(team, maxNameRunes)
	}
	return "Nothing to do: " + who + where + ", so nothing was submitted."
}

// planInvite checks every email against the enterprise's members before an invite is
// asked for (devin.FindMembers: the API's email filter for a few, one listing for
// many). A member already is "no change" and is not sent: an invitation changes
// nobody who is in the enterprise, neither their role nor their organizations. When
// everyone is a member already the request is refused.
func planInvite(ctx context.Context, api MemberLister, emails []string, org *devin.Organization, role string) (itemPlan, error) {
	found, err := membersByEmail(ctx, api, emails)
	if err != nil {
		return itemPlan{}, &failure{msg: "I could not check who is in the Devin enterprise already, so nothing was submitted: " +
			apiclient.UserMessage(err), err: err}
	}
	var p itemPlan
	for _, e := range emails {
		if _, ok := found[approvals.ItemKey(e)]; ok {
			p.same = append(p.same, e)
		} else {
			p.change = append(p.change, e)
		}
	}
	// Someone asking for a role or an organization may expect it for the members too.
	membersStay := ""
	if len(p.same) > 0 && (org != nil || role == "admin") {
		membersStay = "an invitation leaves members as they are, role and organizations included; /devin org add adds members to an organization"
	}
	if len(p.change) == 0 {
		msg := "Nothing to do: " + quote(p.same[0]) + " is a member of the Devin enterprise already, so nothing was submitted."
		if len(p.same) > 1 {
			msg = "Nothing to do: all " + slackui.Int(len(p.same)) + " addresses are members of the Devin enterprise already, so nothing was submitted: " +
				namedList(p.same) + "."
		}
		if org != nil {
			msg += " `/devin org add` adds members to an organization."
		}
		return itemPlan{}, refuse(msg)
	}
	p.summary = "invites " + slackui.Int(len(p.change))
	if len(p.same) > 0 {
		p.summary += "; " + plural(len(p.same), "already a member", "already members")
	}
	as := " as " + role
	if org != nil {
		as += ", into " + strings.Join(strings.Fields(org.Name+" ("+org.ID+")"), " ")
	}
	p.lines = []string{"to invite (" + slackui.Int(len(p.change)) + ")" + as + ": " + planList(p.change)}
	if len(p.same) > 0 {
		p.lines = append(p.lines, "already members of the Devin enterprise — no change ("+slackui.Int(len(p.same))+"): "+planList(p.same))
	}
	if membersStay != "" {
		p.lines = append(p.lines, membersStay)
	}
	return p, nil
}

// confirmPlan tells the requester where the request waits and what it will really
// change: the plan's summary, the items that change and those that do not.
func (ch changer) confirmPlan(req approvals.Request, p itemPlan, what, sameLabel, reason string) slackui.Reply {
	esc := func(items []string) string {
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = slackui.Inert(it, maxEmailRunes)
		}
		return slackui.JoinLimited(out, ", ", maxConfirmItems, confirmBudget)
	}
	lines := []string{
		"Request " + code(req.ID, 20) + " is waiting for approval in " + channelRef(ch.approvalChannel) + ".",
		"*Plan:* " + slackui.Escape(p.summary),
		what + ":",
		esc(p.change),
	}
	if len(p.same) > 0 {
		lines = append(lines, sameLabel+" — no change ("+slackui.Int(len(p.same))+"): "+esc(p.same))
	}
	if strings.TrimSpace(reason) != "" {
		lines = append(lines, "*Reason:* "+slackui.Inert(reason, maxReasonLen))
	}
	if !req.ExpiresAt.IsZero() {
		lines = append(lines, "It expires "+slackTime(req.ExpiresAt)+" unless an approver decides before then.")
	}
	return reply(strings.Join(lines, "\n"))
}
