package commands

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"devin-chatops/apiclient/devin"
	"devin-chatops/slackui"
)

// Orgs lists organizations with their ACU limits.
type Orgs struct{}

func (Orgs) Name() string  { return "orgs" }
func (Orgs) Changes() bool { return false }

func orgsSpec() spec {
	return spec{
		name:    "orgs",
		summary: "list the Devin organizations and their ACU limits",
		example: "/devin orgs",
		needs:   needsDevin,
		build:   func(in *input) (Command, error) { return Orgs{}, in.noArgs() },
		run: answers(func(ctx context.Context, env *runEnv, _ Orgs) (slackui.Reply, error) {
			return runOrgs(ctx, env.devin)
		}),
	}
}

// OrgLister lists the organizations of the Devin enterprise (*devin.Client).
type OrgLister interface {
	ListOrganizations(ctx context.Context) ([]devin.Organization, error)
}

// runOrgs answers /devin orgs: every organization with its ID, ACU limit per billing
// cycle and member count, sorted by name.
func runOrgs(ctx context.Context, api OrgLister) (slackui.Reply, error) {
	orgs, err := api.ListOrganizations(ctx)
	if err != nil {
		return slackui.Reply{}, err
	}
	slices.SortStableFunc(orgs, func(a, b devin.Organization) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	lines := make([]string, 0, len(orgs))
	for _, o := range orgs {
		line := "• " + orgName(o) + " " + code(o.ID, maxIDRunes) + " — " + cycleLimit(o.MaxCycleACULimit)
		if !o.MemberCountUnknown { // v3 lists no member counts: none is better than a false 0
			line += " — " + plural(o.MemberCount, "member", "members")
		}
		lines = append(lines, line)
	}
	return slackui.Reply{Message: list{
		heading: "*" + plural(len(orgs), "organization", "organizations") + "* in the Devin enterprise",
		lines:   lines,
		empty:   "_The enterprise has no organizations._",
	}.message()}, nil
}

// orgName is the organization's name in bold, or its ID when it has none.
func orgName(o devin.Organization) string {
	name := strings.ReplaceAll(strings.TrimSpace(o.Name), "*", "")
	if name == "" {
		return "_unnamed_"
	}
	return "*" + slackui.Inert(name, maxNameRunes) + "*"
}

// cycleLimit is "ACU limit 1,000 per cycle" or "no ACU limit".
func cycleLimit(limit *int) string {
	if limit == nil {
		return "no ACU limit"
	}
	return "ACU limit " + slackui.Int(*limit) + " per cycle"
}
