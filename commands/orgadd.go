package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// OrgAdd adds Emails, enterprise members already, to Org with Role.
type OrgAdd struct {
	Org    string   // name (any case) or ID, as given
	Emails []string // valid, lower-cased, no repeats, 1 to 1000
	Role   string   // "member" or "admin"
	Reason string
}

func (OrgAdd) Name() string  { return "org add" }
func (OrgAdd) Changes() bool { return true }

// OrgMemberLister lists the members of one Devin organization (*devin.Client).
type OrgMemberLister interface {
	ListOrgMembers(ctx context.Context, orgID string) ([]devin.OrgMember, error)
}

func orgAddSpec() spec {
	return spec{
		name: "org add",
		args: "ORG EMAIL…",
		flags: []flagSpec{
			{name: "role", value: "member|admin", help: "their role in the organization (default member; nobody is demoted)"},
			reasonFlag(),
		},
		summary: "add enterprise members to a Devin organization",
		details: []string{
			"`ORG` — the organization's name (any case, quoted if it has spaces) or its ID",
			"`EMAIL…` — up to 1000 addresses of people already in the Devin enterprise (`/devin invite` the others first), separated by spaces or commas",
		},
		example: `/devin org add Engineering ada@example.com grace@example.com --role admin`,
		changes: true,
		needs:   needsApprovals | needsDevin,
		build:   buildOrgAdd,
		run: runs(func(ctx context.Context, env *runEnv, c call, cmd OrgAdd) (slackui.Reply, string, error) {
			return newChanger(env).orgAdd(ctx, env.devin, c, cmd)
		}),
	}
}

func buildOrgAdd(in *input) (Command, error) {
	if len(in.args) == 0 {
		return nil, in.errorf("Which organization? Give its name or ID, then the email addresses of the enterprise members to add.")
	}
	first := in.args[0]
	if _, problem := checkEmail(first.word); problem == "" {
		return nil, in.errorf("%s is an email address: give the organization first, then the emails, like `/devin org add Engineering ada@example.com`.",
			quote(first.display()))
	}
	org, err := in.orgArg(first.word, "the organization")
	if err != nil {
		return nil, err
	}
	if len(in.args) > 1 {
		// `org add Data Science ada@…`: the second word of an unquoted name.
		if w := in.args[1]; w.afterFlag == "" && !strings.ContainsAny(w.text(), "@,") {
			if _, kind := w.value(); kind == plainText {
				return nil, in.errorf("%s is not an email address. If the organization's name has spaces, put it in quotes: %s.",
					quote(w.display()), quote(`/devin org add "`+first.display()+" "+w.display()+`" …`))
			}
		}
	}
	emails, err := in.list(in.args[1:], itemKind{"email address", "email addresses"}, checkEmail)
	if err != nil {
		return nil, err
	}
	cmd := OrgAdd{Org: org, Emails: emails, Role: "member"}
	if w, ok := in.flags["role"]; ok {
		cmd.Role = strings.ToLower(w.text())
		if cmd.Role != "member" && cmd.Role != "admin" {
			return nil, in.errorf("`--role` must be `member` or `admin`, not %s.", quote(w.display()))
		}
	}
	if cmd.Reason, err = in.reason(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// orgAddAPI is what org add reads before it submits.
type orgAddAPI interface {
	OrgLister
	MemberLister
	OrgMemberLister
}

// orgAdd submits /devin org add. Before anything is submitted the organization is
// found, every email is looked up among the enterprise members (one that is not a
// member refuses the whole request, naming it) and the organization's members are
// read, so the card says per person what will change. The user IDs found are stored
// with the request: the approvers approve these accounts, and the execution need not
// look them up again.
func (ch changer) orgAdd(ctx context.Context, api orgAddAPI, c call, cmd OrgAdd) (slackui.Reply, string, error) {
	org, err := orgFromRef(ctx, api, cmd.Org)
	if err != nil {
		return slackui.Reply{}, "", err
	}
	found, err := membersByEmail(ctx, api, cmd.Emails)
	if err != nil {
		return slackui.Reply{}, "", err
	}
	var missing []string
	for _, e := range cmd.Emails {
		if _, ok := found[e]; !ok {
			missing = append(missing, e)
		}
	}
	if len(missing) > 0 {
		return slackui.Reply{}, "", refuse(notMembersMessage(missing))
	}

	name := strings.Join(strings.Fields(org.Name), " ")
	if name == "" {
		name = org.ID
	}
	role := "org_" + cmd.Role
	inOrg, orgErr := currentOrgRoles(ctx, api, org.ID)
	var (
		lines           []string
		adds, ups, same int
		userIDs         = make([]string, len(cmd.Emails))
	)
	for i, e := range cmd.Emails {
		m := found[e]
		userIDs[i] = m.UserID
		line := e + " — enterprise member (" + m.UserID + ")"
		had, in := inOrg[m.UserID]
		switch {
		case orgErr != nil:
		case !in:
			adds++
			line += ", not in " + name + " yet"
		case had == "org_admin" || role != "org_admin":
			// In it already, and not to be made admin: any role it has is kept.
			same++
			line += ", already in " + name + " as " + strings.TrimPrefix(had, "org_") + ": no change"
		default:
			ups++
			line += ", in " + name + " as " + strings.TrimPrefix(had, "org_") + ": becomes " + cmd.Role
		}
		lines = append(lines, line)
	}
	if orgErr == nil && adds+ups == 0 {
		return slackui.Reply{}, "", refuse(orgAddNothingMessage(len(cmd.Emails), org))
	}
	var summary string
	if orgErr != nil {
		summary = "the organization's members could not be read (" + apiclient.UserMessage(orgErr) + "): who is in it already will be checked when it runs"
	} else {
		var parts []string
		if adds > 0 {
			parts = append(parts, fmt.Sprintf("%d to add as %s", adds, cmd.Role))
		}
		if ups > 0 {
			parts = append(parts, fmt.Sprintf("%d to make %s", ups, cmd.Role))
		}
		if same > 0 {
			parts = append(parts, fmt.Sprintf("%d already in it (no change)", same))
		}
		summary = strings.Join(parts, ", ")
	}
	plan := append([]string{plural(len(cmd.Emails), "enterprise member", "enterprise members") + " found; " + summary}, lines...)

	ids, err := json.Marshal(userIDs)
	if err != nil {
		return slackui.Reply{}, "", fmt.Errorf("org add: encode user IDs: %w", err)
	}
	req, err := ch.submit(ctx, approvals.Submission{
		Requester: c.user, OriginChannel: c.channel, Action: approvals.ActionOrgAdd,
		Items: cmd.Emails, Org: org.ID, Role: cmd.Role, Reason: cmd.Reason, Plan: plan,
		Params: map[string]string{"org_name": name, "user_ids": string(ids)},
	})
	if err != nil {
		return slackui.Reply{}, "", err
	}
	what := "It will add " + plural(len(cmd.Emails), "enterprise member", "enterprise members") + " to the organization " +
		orgName(org) + " " + code(org.ID, maxIDRunes) + " as " + slackui.Inert(cmd.Role, maxNameRunes)
	if orgErr == nil && same > 0 {
		verb := "are"
		if same == 1 {
			verb = "is"
		}
		what += " (" + slackui.Int(same) + " of them " + verb + " in it already)"
	}
	return ch.confirm(req, what, cmd.Emails, cmd.Reason), req.ID, nil
}

// orgAddNothingMessage refuses an org add in which everyone is in the org already.
func orgAddNothingMessage(n int, org devin.Organization) string {
	who := "Everyone given is"
	if n == 1 {
		who = "That person is"
	}
	return who + " in " + orgName(org) + " already, with that role or a higher one; nothing to change, so nothing was submitted."
}

// notMembersMessage names the emails that are not enterprise members.
func notMembersMessage(missing []string) string {
	const next = " Invite them first with `/devin invite`: `/devin org add` only adds people already in the enterprise."
	if len(missing) == 1 {
		return quote(missing[0]) + " is not a member of the Devin enterprise, so nothing was submitted." + next
	}
	shown := make([]string, len(missing))
	for i, e := range missing {
		shown[i] = quote(e)
	}
	return slackui.Int(len(missing)) + " addresses are not members of the Devin enterprise, so nothing was submitted: " +
		slackui.JoinLimited(shown, ", ", 10, 0) + "." + next
}

// currentOrgRoles maps the organization's members' user IDs to their org role.
func currentOrgRoles(ctx context.Context, api OrgMemberLister, orgID string) (map[string]string, error) {
	ms, err := api.ListOrgMembers(ctx, orgID)
	if err != nil {
		return nil, err
	}
	roles := make(map[string]string, len(ms))
	for _, m := range ms {
		roles[m.UserID] = m.OrgRole
	}
	return roles, nil
}

// membersByEmail finds the enterprise members with these (lower-cased) emails: one
// at a time through the API's email filter while that is fewer calls than listing
// everyone (devin.FindMembers). Emails that are not members are absent from the map.
func membersByEmail(ctx context.Context, api MemberLister, emails []string) (map[string]devin.Member, error) {
	return devin.FindMembers(ctx, api, emails)
}
