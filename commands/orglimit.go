package commands

import (
	"context"
	"strings"

	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// OrgLimit sets the cycle ACU limit of Org to Limit, or removes it when Limit is nil.
type OrgLimit struct {
	Org    string // name (any case) or ID, as given
	Limit  *int   // nil: remove the limit
	Reason string
}

func (OrgLimit) Name() string  { return "org limit" }
func (OrgLimit) Changes() bool { return true }

func orgLimitSpec() spec {
	return spec{
		name:    "org limit",
		args:    "ORG N|none",
		flags:   []flagSpec{reasonFlag()},
		summary: "set or remove an organization's ACU limit per billing cycle",
		details: []string{
			"`ORG` — the organization's name (any case, quoted if it has spaces) or its ID",
			"`N|none` — the ACUs it may use per billing cycle (0 blocks all usage), or `none` to remove the limit",
		},
		example: `/devin org limit Engineering 2000 --reason "Q3 launch"`,
		changes: true,
		needs:   needsApprovals | needsDevin,
		build:   buildOrgLimit,
		run: runs(func(ctx context.Context, env *runEnv, c call, cmd OrgLimit) (slackui.Reply, string, error) {
			return newChanger(env).orgLimit(ctx, env, c, cmd)
		}),
	}
}

func buildOrgLimit(in *input) (Command, error) {
	switch len(in.args) {
	case 0:
		return nil, in.errorf("Which organization? Give its name or ID, then the new limit: a number of ACUs, or `none` to remove it.")
	case 1:
		return nil, in.errorf("Give the new limit after the organization: a number of ACUs per billing cycle, or `none` to remove it.")
	case 2:
	default:
		if !in.args[0].bare {
			return nil, in.errorf("%s", quoteHint(in.args, "`/devin org limit` takes an organization and a limit; "+
				quote(in.args[2].display())+" is one word too many."))
		}
		last := in.args[len(in.args)-1]
		return nil, in.errorf("%s", tooManyNameWords(in.args[:len(in.args)-1], "/devin org limit", " "+last.display()))
	}
	org, err := in.orgArg(in.args[0].word, "the organization")
	if err != nil {
		return nil, err
	}
	cmd := OrgLimit{Org: org}
	w := in.args[1]
	if s, kind := w.value(); kind != plainText || !strings.EqualFold(strings.TrimSpace(s), "none") {
		problem := "it is " + kind.String()
		var n int
		if kind == plainText {
			n, problem = parseACULimit(s)
		}
		if problem != "" {
			return nil, in.errorf("%s is not a valid limit (%s). Give the ACUs the organization may use per billing cycle, 0 or more (0 blocks all usage), or `none` to remove the limit.",
				quote(w.display()), problem)
		}
		cmd.Limit = &n
	}
	if cmd.Reason, err = in.reason(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// CycleUsageReader reads billing cycles and consumption (*devin.Client). The org limit
// uses it, when the Devin API it is given has it, to show what the organization has
// used this cycle beside its new limit.
type CycleUsageReader interface {
	ListCycles(ctx context.Context) ([]devin.Cycle, error)
	DailyConsumption(ctx context.Context, q devin.ConsumptionQuery) (*devin.Consumption, error)
}

// orgLimit submits /devin org limit. The organization is read first: an unknown one,
// or a limit it already has, is refused before anything is submitted; the card shows
// the limit now and after, what the organization has used this cycle, and a warning
// when the new limit would stop it at once.
func (ch changer) orgLimit(ctx context.Context, env *runEnv, c call, cmd OrgLimit) (slackui.Reply, string, error) {
	org, err := orgFromRef(ctx, env.devin, cmd.Org)
	if err != nil {
		return slackui.Reply{}, "", err
	}
	name := strings.Join(strings.Fields(org.Name), " ")
	if name == "" {
		name = org.ID
	}
	before := org.MaxCycleACULimit
	if before == nil && cmd.Limit == nil {
		return slackui.Reply{}, "", refuse(orgName(org) + " has no cycle ACU limit already; nothing to change, so nothing was submitted.")
	}
	if before != nil && cmd.Limit != nil && *before == *cmd.Limit {
		return slackui.Reply{}, "", refuse(orgName(org) + "'s cycle ACU limit is already " + limitText(before) +
			"; nothing to change, so nothing was submitted.")
	}
	plan := []string{"cycle ACU limit now " + limitText(before) + ", after " + limitText(cmd.Limit)}
	if used, ok := cycleUsed(ctx, env, org.ID); ok {
		plan = append(plan, "ACUs used this cycle: "+slackui.Number(used))
		if cmd.Limit != nil && *cmd.Limit > 0 && used >= float64(*cmd.Limit) {
			plan = append(plan, "warning: "+name+" has already used "+slackui.Number(used)+" ACUs this cycle, at least the new limit: its Devin activity stops at once")
		}
	}
	if cmd.Limit != nil && *cmd.Limit == 0 {
		plan = append(plan, "warning: a limit of 0 stops all Devin usage in "+name+" until it is raised")
	}
	req, err := ch.submit(ctx, approvals.Submission{
		Requester: c.user, OriginChannel: c.channel, Action: approvals.ActionOrgLimit,
		Items: []string{name}, Org: org.ID, Reason: cmd.Reason, Plan: plan,
		Params: map[string]string{"limit": limitParam(cmd.Limit), "limit_before": limitParam(before)},
	})
	if err != nil {
		return slackui.Reply{}, "", err
	}
	what := "It will change the cycle ACU limit of this organization " + code(org.ID, maxIDRunes) +
		" from " + limitText(before) + " to " + limitText(cmd.Limit)
	if cmd.Limit == nil {
		what = "It will remove the cycle ACU limit (" + limitText(before) + ") of this organization " + code(org.ID, maxIDRunes)
	}
	return ch.confirm(req, what, []string{name}, cmd.Reason), req.ID, nil
}

// cycleUsed is what the organization has used in the current billing cycle, when
// the API can say so cheaply: the same two reads the usage report makes, shared with
// it. It is a courtesy to the approvers, so any failure just leaves it out.
func cycleUsed(ctx context.Context, env *runEnv, orgID string) (float64, bool) {
	api, ok := env.devin.(CycleUsageReader)
	if !ok {
		return 0, false
	}
	cycles, err := api.ListCycles(ctx)
	if err != nil {
		return 0, false
	}
	now := env.now
	for _, cy := range cycles {
		if cy.Start.After(now) || (!cy.End.IsZero() && !now.Before(cy.End)) {
			continue
		}
		// One org's figure: with v3 that is one call, not one per org.
		cons, err := api.DailyConsumption(ctx, devin.ConsumptionQuery{Start: cy.Start, End: now, OrgIDs: []string{orgID}, Detail: devin.DetailOrgs})
		if err != nil || cons == nil {
			return 0, false
		}
		used, ok := cons.ByOrg[orgID]
		// An organization that used nothing is not listed.
		return used, ok || len(cons.ByOrg) > 0 || cons.TotalACUs == 0
	}
	return 0, false
}
