package commands

import (
	"context"
	"fmt"
	"time"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// Grants lists the time-boxed access still active.
type Grants struct{}

func (Grants) Name() string  { return "grants" }
func (Grants) Changes() bool { return false }

// GrantLister lists the grants still in force (*approvals.Service).
type GrantLister interface {
	ActiveGrants(ctx context.Context) ([]approvals.Grant, error)
}

func grantsSpec() spec {
	return spec{
		name:    "grants",
		summary: "list the time-boxed access (`--for`) still active, with when each ends",
		details: []string{
			"Each line: who, to what, the request that granted it, when it ends. At the end the bot takes back exactly what it gave; a day before (or at 90 % of a shorter grant) the requester is offered an *Extend* button.",
		},
		example: "/devin grants",
		needs:   needsApprovals,
		build:   func(in *input) (Command, error) { return Grants{}, in.noArgs() },
		run: runs(func(ctx context.Context, env *runEnv, _ call, _ Grants) (slackui.Reply, string, error) {
			reply, err := runGrants(ctx, env.grants, env.now)
			return reply, "", err
		}),
	}
}

// runGrants answers /devin grants.
func runGrants(ctx context.Context, api GrantLister, now time.Time) (slackui.Reply, error) {
	if api == nil {
		return slackui.Reply{}, notWired("grants")
	}
	gs, err := api.ActiveGrants(ctx)
	if err != nil {
		return slackui.Reply{}, &failure{msg: "The grants could not be read; the details are in the bot's log.", err: err}
	}
	lines := make([]string, 0, len(gs))
	for _, g := range gs {
		lines = append(lines, grantLine(g, now))
	}
	return slackui.Reply{Message: list{
		heading: "*" + plural(len(gs), "grant", "grants") + "* active",
		lines:   lines,
		empty:   "_No time-boxed access is active._",
	}.message()}, nil
}

// grantLine is "• `octocat` in `ent:platform` — granted by `R7K3QX0` for @rita — ends
// <date>".
func grantLine(g approvals.Grant, now time.Time) string {
	ends := "ends " + slackTime(g.EndsAt)
	switch {
	case g.State == approvals.GrantRevoking:
		ends = "being taken back now"
	case !g.EndsAt.After(now):
		ends = "ended " + slackTime(g.EndsAt) + ", being taken back"
	}
	return fmt.Sprintf("• %s in %s — granted by %s for %s (%s) — %s",
		code(g.Item, maxEmailRunes), code(g.Where(), maxNameRunes), code(g.RequestID, 20), mention(g.Requester),
		slackui.Escape(approvals.FormatDuration(g.Duration)), ends)
}
