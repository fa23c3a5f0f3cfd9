package commands

import (
	"time"

	"devin-chatops/approvals"
)

// TeamAdd adds Logins to Team.
type TeamAdd struct {
	Team   string   // "ent:slug", or a numeric team id
	Logins []string // valid, no repeats (ignoring case), 1 to 1000
	Reason string
	For    time.Duration // --for: how long the access lasts (team add only); 0 for ever
}

func (TeamAdd) Name() string  { return "team add" }
func (TeamAdd) Changes() bool { return true }

func (c TeamAdd) change() (teamChange, approvals.Action) {
	return teamChange(c), approvals.ActionTeamAdd
}

func teamAddSpec() spec {
	return teamChangeSpec(spec{
		name:    "team add",
		flags:   []flagSpec{forFlag()},
		summary: "add GitHub users to an enterprise team",
		example: `/devin team add ent:platform octocat hubot --for 7d --reason "on-call rotation"`,
	}, func(tc teamChange) Command { return TeamAdd(tc) })
}
