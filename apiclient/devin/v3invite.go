package devin

import (
	"context"
	"net/http"
	"strings"

	"devin-chatops/apiclient"
)

// Invite invites emails to the enterprise with v3's one call per 100 emails (V3),
// which carries the enterprise role: the role named "Member" unless Role asks for
// another. The contract is v2's: one outcome per distinct email, invited or
// already_member or failed, and re-running an invite is safe. v3 does not say whether
// it answers an existing member's email as invited, so the emails are looked up first
// (the email filter for a few, one listing for many) and only the others are sent.
// A role other than Member is also given to those already members (V4), and OrgID
// adds everyone to that organization, as v2 does. A 401 or 403 stops the invite and
// is returned with the outcomes so far; an unknown Role fails before anything is sent.
func (v *ClientV3) Invite(ctx context.Context, req InviteRequest) (*InviteResult, error) {
	res, pending := prepareOutcomes(req.Emails)
	if len(pending) == 0 {
		return res, nil
	}
	role := strings.TrimSpace(req.Role)
	explicit := role != "" && !strings.EqualFold(role, "member")
	if !explicit {
		role = "Member"
	}
	roleID, err := v.roleID(ctx, roleTypeEnterprise, role)
	if err != nil {
		return nil, err
	}
	run := inviteRun{res: res}

	emails := make([]string, len(pending))
	for j, i := range pending {
		emails[j] = run.out(i).Email
	}
	found, err := FindMembers(ctx, v, emails)
	if err != nil {
		run.failAll(pending, "its invitation could not be checked: "+apiclient.UserMessage(err))
		return res, err
	}
	var toSend []int
	for _, i := range pending {
		o := run.out(i)
		if m, ok := found[strings.ToLower(o.Email)]; ok {
			o.Status, o.UserID = StatusAlreadyMember, m.UserID
			continue
		}
		toSend = append(toSend, i)
	}
	if err := v.sendInvites(ctx, &run, toSend, roleID); err != nil {
		return res, err
	}
	if explicit {
		err := run.applyTo(ctx, "the role was not set", StatusAlreadyMember, func(ids []string) error {
			return v.AssignRole(ctx, ids, roleID)
		})
		if err != nil {
			return res, err
		}
	}
	if req.OrgID != "" {
		err := run.apply(ctx, "not added to the organization", func(ids []string) error {
			return v.AddOrgMembers(ctx, req.OrgID, ids, "")
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// sendInvites posts the invitations, 100 emails a call, and marks the emails the API
// answers with as invited (with their user IDs); the emails it does not name are
// looked up (see checkUnnamed).
func (v *ClientV3) sendInvites(ctx context.Context, run *inviteRun, toSend []int, roleID string) error {
	batches := chunks(toSend, maxBatch)
	for bi, batch := range batches {
		body := struct {
			Emails           []string `json:"emails"`
			EnterpriseRoleID string   `json:"enterprise_role_id"`
		}{make([]string, len(batch)), roleID}
		for j, i := range batch {
			body.Emails[j] = run.out(i).Email
		}
		var users []v3User
		err := v.call(ctx, PermManageAccountMembership, http.MethodPost, "/members/users", nil, body, &users)
		if err != nil {
			run.failAll(batch, apiclient.UserMessage(err))
			if isAuthOrDone(ctx, err) {
				for _, rest := range batches[bi+1:] {
					run.failAll(rest, "not sent: "+apiclient.UserMessage(err))
				}
				return err
			}
			continue
		}
		ids := make(map[string]string, len(users))
		for _, u := range users {
			if e := strings.ToLower(strings.TrimSpace(deref(u.Email))); e != "" {
				ids[e] = u.UserID
			}
		}
		var unnamed []int
		for _, i := range batch {
			o := run.out(i)
			if id, ok := ids[strings.ToLower(o.Email)]; ok {
				o.Status, o.UserID = StatusInvited, id
			} else {
				unnamed = append(unnamed, i)
			}
		}
		if err := v.checkUnnamed(ctx, run, unnamed); err != nil {
			for _, rest := range batches[bi+1:] {
				run.failAll(rest, "not sent: "+apiclient.UserMessage(err))
			}
			return err
		}
	}
	return nil
}

// checkUnnamed decides the emails of a sent batch that the answer did not name: v3's
// User has a nullable email, so an invitee may come back without one. They were not
// members before the call, so one found now was invited; one still absent was not.
// A lookup that fails leaves them failed; a 401/403 (or the end of ctx) is returned.
func (v *ClientV3) checkUnnamed(ctx context.Context, run *inviteRun, unnamed []int) error {
	if len(unnamed) == 0 {
		return nil
	}
	emails := make([]string, len(unnamed))
	for j, i := range unnamed {
		emails[j] = run.out(i).Email
	}
	found, err := FindMembers(ctx, v, emails)
	if err != nil {
		run.failAll(unnamed, "sent, but whether it was accepted could not be checked: "+apiclient.UserMessage(err))
		if isAuthOrDone(ctx, err) {
			return err
		}
		return nil
	}
	for _, i := range unnamed {
		o := run.out(i)
		if m, ok := found[strings.ToLower(o.Email)]; ok {
			o.Status, o.UserID = StatusInvited, m.UserID
		} else {
			o.Status, o.Reason = StatusFailed, "not invited by the API"
		}
	}
	return nil
}
