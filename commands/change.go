package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// RequesterChecker says whether a user may request changes (REQUESTERS)
// (*approvals.Service).
type RequesterChecker interface {
	CanRequest(ctx context.Context, user string) (bool, error)
}

// Submitter puts a change up for approval (*approvals.Service).
type Submitter interface {
	Submit(ctx context.Context, sub approvals.Submission) (approvals.Request, error)
}

// OrgFinder finds a Devin organization by ID or name (*devin.Client).
type OrgFinder interface {
	FindOrganization(ctx context.Context, idOrName string) (*devin.Organization, error)
}

// TeamGetter reads one GitHub enterprise team (*github.Client).
type TeamGetter interface {
	GetTeam(ctx context.Context, team string) (*github.Team, error)
}

const (
	msgNotRequester = "You are not allowed to request changes; ask an admin to add you to REQUESTERS."
	msgGroupLookup  = "I could not check whether you may request changes (a Slack user-group lookup failed); nothing was submitted. Try again in a minute."
	msgNotStored    = "The request could not be stored, so nothing was submitted; try again in a minute."
	msgInvalid      = "The request was not accepted as valid, so nothing was submitted; the details are in the bot's log."
	// Budgets of the confirmation's item list: enough to check, short enough to read.
	maxConfirmItems = 50
	confirmBudget   = 2500
)

// changer turns the change commands (invite, team add, team remove) into approval
// requests. Nothing changes here: the change runs when an approver approves.
type changer struct {
	requesters      RequesterChecker
	submitter       Submitter
	orgs            OrgFinder  // nil when Devin is not configured
	teams           TeamGetter // nil when GitHub is not configured
	approvalChannel string
}

// invite submits /devin invite. An --org is resolved first, so an unknown organization
// is refused before anything is submitted, and the request carries the org's ID.
func (ch changer) invite(ctx context.Context, c call, cmd Invite) (slackui.Reply, string, error) {
	if err := ch.allowed(ctx, c.user); err != nil {
		return slackui.Reply{}, "", err
	}
	var org *devin.Organization
	if cmd.Org != "" {
		var err error
		if org, err = ch.orgs.FindOrganization(ctx, cmd.Org); err != nil {
			return slackui.Reply{}, "", orgError(cmd.Org, err)
		}
	}
	sub := approvals.Submission{
		Requester: c.user, OriginChannel: c.channel, Action: approvals.ActionInvite,
		Items: cmd.Emails, Role: cmd.Role, Reason: cmd.Reason,
	}
	if org != nil {
		sub.Org = org.ID
	}
	req, err := ch.submit(ctx, sub)
	if err != nil {
		return slackui.Reply{}, "", err
	}
	what := fmt.Sprintf("It will invite %s to the Devin enterprise as %s", plural(len(cmd.Emails), "person", "people"), slackui.Inert(cmd.Role, maxNameRunes))
	if org != nil {
		what += ", and add them to the organization " + orgName(*org) + " " + code(org.ID, maxIDRunes)
	}
	return ch.confirm(req, what, cmd.Emails, cmd.Reason), req.ID, nil
}

// team submits /devin team add and /devin team remove. The team is read first, so an
// unknown team is refused before anything is submitted.
func (ch changer) team(ctx context.Context, c call, team string, logins []string, reason string, action approvals.Action) (slackui.Reply, string, error) {
	if err := ch.allowed(ctx, c.user); err != nil {
		return slackui.Reply{}, "", err
	}
	t, err := ch.teams.GetTeam(ctx, team)
	if err != nil {
		return slackui.Reply{}, "", teamError(team, err)
	}
	req, err := ch.submit(ctx, approvals.Submission{
		Requester: c.user, OriginChannel: c.channel, Action: action,
		Items: logins, Team: team, Reason: reason,
	})
	if err != nil {
		return slackui.Reply{}, "", err
	}
	teamText := "the enterprise team " + code(team, maxNameRunes)
	if t != nil {
		if name := strings.TrimSpace(t.Name); name != "" && !strings.EqualFold(name, strings.TrimPrefix(team, "ent:")) {
			teamText += " (" + slackui.Inert(name, maxNameRunes) + ")"
		}
	}
	users := plural(len(logins), "GitHub user", "GitHub users")
	what := "It will add " + users + " to " + teamText
	if action == approvals.ActionTeamRemove {
		what = "It will remove " + users + " from " + teamText
	}
	return ch.confirm(req, what, logins, reason), req.ID, nil
}

// allowed refuses a user who may not request changes. A failed user-group lookup is not
// a "no": it is an error, and the user is told to try again.
func (ch changer) allowed(ctx context.Context, user string) error {
	ok, err := ch.requesters.CanRequest(ctx, user)
	if err != nil {
		return &failure{msg: msgGroupLookup, err: err}
	}
	if !ok {
		return refuse(msgNotRequester)
	}
	return nil
}

func (ch changer) submit(ctx context.Context, sub approvals.Submission) (approvals.Request, error) {
	req, err := ch.submitter.Submit(ctx, sub)
	switch {
	case err == nil:
		return req, nil
	case errors.Is(err, approvals.ErrNotRequester):
		return req, refuse(msgNotRequester)
	case errors.Is(err, approvals.ErrGroupLookup):
		return req, &failure{msg: msgGroupLookup, err: err}
	case errors.Is(err, approvals.ErrInvalidSubmission):
		return req, &failure{msg: msgInvalid, err: err}
	}
	return req, &failure{msg: msgNotStored, err: err}
}

// confirm tells the requester where the request waits and exactly what it will do.
func (ch changer) confirm(req approvals.Request, what string, items []string, reason string) slackui.Reply {
	esc := make([]string, len(items))
	for i, it := range items {
		esc[i] = slackui.Inert(it, maxEmailRunes)
	}
	lines := []string{
		"Request " + code(req.ID, 20) + " is waiting for approval in " + channelRef(ch.approvalChannel) + ".",
		what + ":",
		slackui.JoinLimited(esc, ", ", maxConfirmItems, confirmBudget),
	}
	if strings.TrimSpace(reason) != "" {
		lines = append(lines, "*Reason:* "+slackui.Inert(reason, maxReasonLen))
	}
	if !req.ExpiresAt.IsZero() {
		lines = append(lines, "It expires "+slackTime(req.ExpiresAt)+" unless an approver decides before then.")
	}
	return reply(strings.Join(lines, "\n"))
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
