package commands

import (
	"time"

	"devin-chatops/approvals"
)

// TeamRemove removes Logins from Team.
type TeamRemove struct {
	Team   string   // "ent:slug", or a numeric team id
	Logins []string // valid, no repeats (ignoring case), 1 to 1000
	Reason string
	For    time.Duration // --for: how long the access lasts (team add only); 0 for ever
}

func (TeamRemove) Name() string  { return "team remove" }
func (TeamRemove) Changes() bool { return true }

func (c TeamRemove) change() (teamChange, approvals.Action) {
	return teamChange(c), approvals.ActionTeamRemove
}

func teamRemoveSpec() spec {
	return teamChangeSpec(spec{
		name:    "team remove",
		summary: "remove GitHub users from an enterprise team",
		example: "/devin team remove platform octocat",
	}, func(tc teamChange) Command { return TeamRemove(tc) })
}
