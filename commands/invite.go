package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// Invite invites Emails to the enterprise with Role, and into Org when it is set.
type Invite struct {
	Emails []string      // valid, lower-cased, no repeats, 1 to 1000
	Role   string        // "member" or "admin"
	Org    string        // optional
	Reason string        // optional
	For    time.Duration // --for: how long the access lasts; 0 for ever
}

func (Invite) Name() string  { return "invite" }
func (Invite) Changes() bool { return true }

// OrgFinder finds a Devin organization by ID or name (*devin.Client).
type OrgFinder interface {
	FindOrganization(ctx context.Context, idOrName string) (*devin.Organization, error)
}

// inviteAPI is what invite reads before it asks (*devin.Client).
type inviteAPI interface {
	OrgFinder
	MemberLister
}

func inviteSpec() spec {
	return spec{
		name: "invite",
		args: "EMAIL…",
		flags: []flagSpec{
			{name: "role", value: "member|admin", help: "enterprise role (default member)"},
			{name: "org", value: "ORG", help: "also add them to this Devin organization"},
			forFlag(),
			reasonFlag(),
		},
		summary: "invite people to the Devin enterprise",
		details: []string{
			"`EMAIL…` — up to 1000 addresses, separated by spaces or commas; repeats are dropped",
			"Every address is looked up before anyone approves: a member already is shown as _no change_ and not invited (an invitation changes no member's role or organizations; `/devin org add` adds members to an organization).",
		},
		example: `/devin invite ada@example.com grace@example.com --role admin --reason "new platform team"`,
		changes: true,
		needs:   needsApprovals | needsDevin,
		build:   buildInvite,
		run: runs(func(ctx context.Context, env *runEnv, c call, cmd Invite) (slackui.Reply, string, error) {
			return newChanger(env).invite(ctx, env.devin, c, cmd)
		}),
	}
}

func buildInvite(in *input) (Command, error) {
	emails, err := in.list(in.args, itemKind{"email address", "email addresses"}, checkEmail)
	if err != nil {
		return nil, err
	}
	inv := Invite{Emails: emails, Role: "member"}
	if w, ok := in.flags["role"]; ok {
		inv.Role = strings.ToLower(w.text())
		if inv.Role != "member" && inv.Role != "admin" {
			return nil, in.errorf("`--role` must be `member` or `admin`, not %s.", quote(w.display()))
		}
	}
	if w, ok := in.flags["org"]; ok {
		for _, seg := range w.segs {
			if seg.kind != plainText {
				return nil, in.errorf("`--org` %s is %s, not an organization.", quote(w.display()), seg.kind)
			}
		}
		inv.Org = strings.TrimSpace(w.text())
		if n := utf8.RuneCountInString(inv.Org); n > maxOrgLen {
			return nil, in.errorf("`--org` is %d characters long; the limit is %d.", n, maxOrgLen)
		}
	}
	if inv.Reason, err = in.reason(); err != nil {
		return nil, err
	}
	if inv.For, err = in.grantFor(); err != nil {
		return nil, err
	}
	return inv, nil
}

// invite submits /devin invite. An --org is resolved first, so an unknown organization
// is refused before anything is submitted, and the request carries the org's ID. Then
// every email is checked (planInvite): members already are shown as no change and not
// sent, and a request that would change nobody is refused.
func (ch changer) invite(ctx context.Context, api inviteAPI, c call, cmd Invite) (slackui.Reply, string, error) {
	if err := ch.checkGrant(cmd.For); err != nil {
		return slackui.Reply{}, "", err
	}
	var org *devin.Organization
	if cmd.Org != "" {
		var err error
		if org, err = api.FindOrganization(ctx, cmd.Org); err != nil {
			return slackui.Reply{}, "", orgError(cmd.Org, err)
		}
	}
	p, err := planInvite(ctx, api, cmd.Emails, org, cmd.Role)
	if err != nil {
		return slackui.Reply{}, "", err
	}
	sub := approvals.Submission{
		Requester: c.user, OriginChannel: c.channel, Action: approvals.ActionInvite,
		Items: cmd.Emails, Role: cmd.Role, Reason: cmd.Reason, Params: withGrant(p.params(), cmd.For), Plan: p.lines,
	}
	if org != nil {
		sub.Org = org.ID
	}
	req, err := ch.submit(ctx, sub)
	if err != nil {
		return slackui.Reply{}, "", err
	}
	what := fmt.Sprintf("It will invite %s to the Devin enterprise as %s", plural(len(p.change), "person", "people"), slackui.Inert(cmd.Role, maxNameRunes))
	if org != nil {
		what += ", and add them to the organization " + orgName(*org) + " " + code(org.ID, maxIDRunes)
	}
	return ch.confirmPlan(req, p, what+grantClause(cmd.For), "Already members", cmd.Reason), req.ID, nil
}

// orgError names the organization when the Devin API does not know it.
func orgError(org string, err error) error {
	switch {
	case errors.Is(err, apiclient.ErrNotFound):
		return refuse("There is no Devin organization with the ID or name " + code(org, maxNameRunes) +
			", so nothing was submitted. `/devin orgs` lists them.")
	case errors.Is(err, apiclient.ErrValidation):
		// Several organizations share the name; the API's message lists their IDs.
		return refuse(slackui.Escape(apiclient.UserMessage(err)))
	}
	return err
}
