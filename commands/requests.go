package commands

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// Requests lists pending approval requests.
type Requests struct{}

func (Requests) Name() string  { return "requests" }
func (Requests) Changes() bool { return false }

func requestsSpec() spec {
	return spec{
		name:    "requests",
		summary: "list the approval requests still waiting for a decision",
		example: "/devin requests",
		needs:   needsApprovals,
		build:   func(in *input) (Command, error) { return Requests{}, in.noArgs() },
		run: answers(func(ctx context.Context, env *runEnv, _ Requests) (slackui.Reply, error) {
			return runRequests(ctx, env.approvals, env.now)
		}),
	}
}

// PendingLister lists the approval requests still waiting for a decision
// (*approvals.Service).
type PendingLister interface {
	Pending(ctx context.Context) ([]approvals.PendingView, error)
}

// runRequests answers /devin requests: the pending requests, oldest first, each with
// what it asks, who asked, how long ago, and its approvals so far ("1 of 2").
func runRequests(ctx context.Context, api PendingLister, now time.Time) (slackui.Reply, error) {
	pending, err := api.Pending(ctx)
	if err != nil {
		return slackui.Reply{}, &failure{msg: "The pending requests could not be read; the details are in the bot's log.", err: err}
	}
	lines := make([]string, 0, len(pending))
	for _, p := range pending {
		lines = append(lines, pendingLine(p, now))
	}
	return slackui.Reply{Message: list{
		heading: "*" + plural(len(pending), "request", "requests") + "* waiting for approval",
		lines:   lines,
		empty:   "_Nothing is waiting for approval._",
	}.message()}, nil
}

// pendingLine is "• `R7K3QX0` invite 3 people to Devin — by @ada, 2 h ago — approvals 1 of 2 —
// expires in 22 h".
func pendingLine(p approvals.PendingView, now time.Time) string {
	r := p.Request
	required := max(p.Required, 1)
	line := fmt.Sprintf("• %s %s — by %s, %s — approvals %d of %d",
		code(r.ID, 20), requestTitle(r), mention(r.Requester), age(p.Age), len(p.Approvals), required)
	if !r.ExpiresAt.IsZero() {
		if left := r.ExpiresAt.Sub(now); left > 0 {
			line += " — expires " + slackTime(r.ExpiresAt)
		}
	}
	return line
}

func firstItem(r approvals.Request) string {
	if len(r.Items) == 0 {
		return ""
	}
	return r.Items[0]
}

// requestTitle says what a request asks in a few words: "invite 3 people to Devin (as
// admin, into org_1)", "add 2 GitHub users to `ent:platform`".
func requestTitle(r approvals.Request) string {
	switch r.Action {
	case approvals.ActionInvite:
		s := "invite " + plural(len(r.Items), "person", "people") + " to Devin"
		var extra []string
		if r.Role != "" && r.Role != "member" {
			extra = append(extra, "as "+slackui.Inert(r.Role, maxNameRunes))
		}
		if r.Org != "" {
			extra = append(extra, "into "+code(r.Org, maxNameRunes))
		}
		if len(extra) > 0 {
			s += " (" + strings.Join(extra, ", ") + ")"
		}
		return s
	case approvals.ActionTeamAdd:
		return "add " + plural(len(r.Items), "GitHub user", "GitHub users") + " to " + code(r.Team, maxNameRunes)
	case approvals.ActionTeamRemove:
		return "remove " + plural(len(r.Items), "GitHub user", "GitHub users") + " from " + code(r.Team, maxNameRunes)
	case approvals.ActionOrgCreate:
		return "create the Devin organization *" + slackui.Inert(strings.ReplaceAll(firstItem(r), "*", ""), maxNameRunes) + "*"
	case approvals.ActionOrgLimit:
		return "set the ACU limit of " + code(r.Org, maxNameRunes) + " to " + slackui.Inert(r.Param("limit"), maxNameRunes)
	case approvals.ActionOrgAdd:
		return "add " + plural(len(r.Items), "person", "people") + " to the Devin organization " + code(r.Org, maxNameRunes)
	case approvals.ActionPermissionAdd:
		return "grant " + plural(len(r.Items), "repository", "repositories") + " to " + code(r.Org, maxNameRunes)
	case approvals.ActionOffboard:
		return "offboard " + slackui.Inert(cmp.Or(r.Param("email"), firstItem(r)), maxEmailRunes)
	}
	return slackui.Inert(string(r.Action), maxNameRunes) + " " + plural(len(r.Items), "item", "items")
}
