package commands

import (
	"context"
	"strconv"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// OrgCreate creates the Devin organization OrgName, with a cycle ACU limit when
// ACULimit is set.
type OrgCreate struct {
	OrgName  string // trimmed, single spaces, 1 to 100 characters
	ACULimit *int   // nil: no limit
	Reason   string
}

func (OrgCreate) Name() string  { return "org create" }
func (OrgCreate) Changes() bool { return true }

func orgCreateSpec() spec {
	return spec{
		name: "org create",
		args: "NAME",
		flags: []flagSpec{
			{name: "acu-limit", value: "N", help: "ACUs the organization may use per billing cycle (default: no limit; 0 blocks all usage)"},
			reasonFlag(),
		},
		summary: "create a Devin organization",
		details: []string{"`NAME` — up to 100 characters, quoted if it has spaces; no other organization may have it, in any case"},
		example: `/devin org create "Data Science" --acu-limit 500 --reason "new team"`,
		changes: true,
		needs:   needsApprovals | needsDevin,
		build:   buildOrgCreate,
		run: runs(func(ctx context.Context, env *runEnv, c call, cmd OrgCreate) (slackui.Reply, string, error) {
			return newChanger(env).orgCreate(ctx, env.devin, c, cmd)
		}),
	}
}

func buildOrgCreate(in *input) (Command, error) {
	switch len(in.args) {
	case 0:
		return nil, in.errorf("Give the new organization's name, like `/devin org create \"Data Science\"`.")
	case 1:
	default:
		if !in.args[0].bare {
			return nil, in.errorf("%s", quoteHint(in.args, "`/devin org create` takes one name, quoted here already; "+
				quote(in.args[1].display())+" is one word too many."))
		}
		return nil, in.errorf("%s", tooManyNameWords(in.args, "/devin org create", ""))
	}
	name, err := in.orgArg(in.args[0].word, "the name")
	if err != nil {
		return nil, err
	}
	cmd := OrgCreate{OrgName: name}
	if w, ok := in.flags["acu-limit"]; ok {
		n, problem := parseACULimit(w.text())
		if problem != "" {
			return nil, in.errorf("`--acu-limit` %s is not a valid limit (%s). Give the ACUs the organization may use per billing cycle, 0 or more; 0 blocks all usage.",
				quote(w.display()), problem)
		}
		cmd.ACULimit = &n
	}
	if cmd.Reason, err = in.reason(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// orgCreate submits /devin org create. The name is checked against every organization
// first: one of that name (in any case), or a name that is another organization's ID,
// is refused before anything is submitted.
func (ch changer) orgCreate(ctx context.Context, orgs OrgLister, c call, cmd OrgCreate) (slackui.Reply, string, error) {
	all, err := orgs.ListOrganizations(ctx)
	if err != nil {
		return slackui.Reply{}, "", err
	}
	for _, o := range all {
		if sameOrgName(o.Name, cmd.OrgName) {
			return slackui.Reply{}, "", refuse("An organization called " + orgName(o) + " already exists (" + code(o.ID, maxIDRunes) +
				"), so nothing was submitted. Choose another name.")
		}
	}
	for _, o := range all {
		if o.ID == cmd.OrgName {
			return slackui.Reply{}, "", refuse(code(o.ID, maxIDRunes) + " is the ID of the organization " + orgName(o) +
				"; choose another name, so that names and IDs cannot be confused. Nothing was submitted.")
		}
	}
	plan := []string{"no organization is called \"" + cmd.OrgName + "\" yet"}
	var params map[string]string
	limit := ", without an ACU limit"
	switch {
	case cmd.ACULimit == nil:
		plan = append(plan, "no cycle ACU limit")
	case *cmd.ACULimit == 0:
		plan = append(plan, "warning: a cycle ACU limit of 0 blocks all Devin usage in the new organization until it is raised")
		params = map[string]string{"acu_limit": "0"}
		limit = ", with a cycle ACU limit of 0 (which blocks all usage)"
	default:
		plan = append(plan, "cycle ACU limit: "+limitText(cmd.ACULimit))
		params = map[string]string{"acu_limit": strconv.Itoa(*cmd.ACULimit)}
		limit = ", with a cycle ACU limit of " + limitText(cmd.ACULimit)
	}
	req, err := ch.submit(ctx, approvals.Submission{
		Requester: c.user, OriginChannel: c.channel, Action: approvals.ActionOrgCreate,
		Items: []string{cmd.OrgName}, Reason: cmd.Reason, Params: params, Plan: plan,
	})
	if err != nil {
		return slackui.Reply{}, "", err
	}
	return ch.confirm(req, "It will create this Devin organization"+limit, []string{cmd.OrgName}, cmd.Reason), req.ID, nil
}
