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

// Requests lists pending approval requests, or shows the one with ID in full.
type Requests struct{ ID string }

func (Requests) Name() string  { return "requests" }
func (Requests) Changes() bool { return false }

func requestsSpec() spec {
	return spec{
		name:    "requests",
		args:    "[ID]",
		summary: "list the approval requests still waiting for a decision; with an ID, that request in full",
		details: []string{
			requestIDDetail,
			"With an ID: what it asks, its state, every vote with who and when, its history and every item with its outcome. A list too long for a message comes to you as a text file in a direct message.",
		},
		example: "/devin requests R7K3QX0",
		needs:   needsApprovals,
		build:   buildRequests,
		run: runs(func(ctx context.Context, env *runEnv, c call, cmd Requests) (slackui.Reply, string, error) {
			if cmd.ID == "" {
				reply, err := runRequests(ctx, env.approvals, env.now)
				return reply, "", err
			}
			reply, err := runRequestDetail(ctx, env.desk, c.user, cmd.ID)
			return reply, "", err
		}),
	}
}

// requestIDDetail explains ID to the commands that take one.
const requestIDDetail = "`ID` — the request's ID as the card and `/devin requests` show it (e.g. `R7K3QX0`), in any case"

func buildRequests(in *input) (Command, error) {
	switch len(in.args) {
	case 0:
		return Requests{}, nil
	case 1:
		id, err := requestIDArg(in, in.args[0])
		if err != nil {
			return nil, err
		}
		return Requests{ID: id}, nil
	}
	return nil, in.errorf("`/devin requests` takes at most one request ID, but got also %s.", quote(in.args[1].display()))
}

// requestIDArg reads a request ID as people type it: any case, with O for 0 and I or
// L for 1 (approvals.ParseID).
func requestIDArg(in *input, a arg) (string, error) {
	id, err := approvals.ParseID(a.text())
	if err != nil {
		return "", in.errorf("%s is not a request ID: they look like `R7K3QX0` (an R and six letters or digits).", quote(a.display()))
	}
	return id, nil
}

// runRequestDetail answers /devin requests ID: the request in full, for user only.
func runRequestDetail(ctx context.Context, desk RequestDesk, user, id string) (slackui.Reply, error) {
	if desk == nil {
		return slackui.Reply{}, notWired("requests")
	}
	msg, found, err := desk.Detail(ctx, user, id)
	if err != nil {
		return slackui.Reply{}, &failure{msg: "That request could not be read; the details are in the bot's log.", err: err}
	}
	if !found {
		return slackui.Reply{}, refuse(msg.Text)
	}
	return slackui.Reply{Message: msg}, nil
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
