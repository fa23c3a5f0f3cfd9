package executor

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
)

// OrgMemberAdder is the part of the Devin client adding people to an organization
// needs (*devin.Client).
type OrgMemberAdder interface {
	ListMembers(ctx context.Context, opts devin.ListMembersOptions) ([]devin.Member, error)
	ListOrgMembers(ctx context.Context, orgID string) ([]devin.OrgMember, error)
	AddOrgMembers(ctx context.Context, orgID string, userIDs []string, orgRole string) error
}

// OrgAdd adds the request's emails, enterprise members, to its organization (r.Org,
// its ID) with its role. The "user_ids" parameter holds their user IDs as the check
// before the request found them, a JSON array aligned with the items.
type OrgAdd struct{ devin OrgMemberAdder }

// NewOrgAdd builds the organization member action.
func NewOrgAdd(d OrgMemberAdder) OrgAdd { return OrgAdd{devin: d} }

// orgRoles maps the request's role to the API's org role IDs.
var orgRoles = map[string]string{"": "org_member", "member": "org_member", "admin": "org_admin"}

// Execute reads the organization's members first and sends only what changes: people
// not in it yet, and members to make admins when the role is admin. Nobody is demoted
// and no role is replaced by member: someone in the organization already keeps the
// role they have unless they are to become admin. The API adds a batch all
// or nothing, so when it refuses one (a person who left the enterprise since the
// request), the people of that batch are added one by one and only the bad one fails.
func (a OrgAdd) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	role, ok := orgRoles[r.Role]
	if !ok {
		return failAll(r.Items, "unknown role "+r.Role), nil
	}
	current, err := a.devin.ListOrgMembers(ctx, r.Org)
	if err != nil {
		return failAll(r.Items, "could not read the organization's members: "+apiclient.UserMessage(err)), err
	}
	inOrg := make(map[string]string, len(current))
	for _, m := range current {
		inOrg[m.UserID] = m.OrgRole
	}

	p := &plan{out: make([]approvals.ItemOutcome, len(r.Items)), index: map[string][]int{}}
	ids, err := a.userIDs(ctx, r, p)
	byID := map[string]string{} // user ID -> email, of the people to send
	var adds, promotions []string
	for i, email := range r.Items {
		k := key(email)
		p.out[i].Item = email
		if _, seen := p.index[k]; seen {
			p.index[k] = append(p.index[k], i)
			continue
		}
		p.index[k] = []int{i}
		id := ids[i]
		if p.out[i].Status != "" || id == "" { // decided while finding its ID, or not found
			continue
		}
		had, in := inOrg[id]
		switch {
		case !in:
			adds = append(adds, id)
		case had == "org_admin" || role != "org_admin":
			// In it already, and not to be made admin: any role it has (custom ones
			// too) is kept.
			p.set(email, approvals.OutcomeAlreadyMember, "as "+roleName(had))
			continue
		default:
			promotions = append(promotions, id)
		}
		byID[id] = email
	}
	if err != nil {
		// The members lookup failed for good (401, 403…): nothing more can succeed.
		p.failRest(apiclient.UserMessage(err))
		return p.result(), err
	}
	isPromotion := map[string]bool{}
	for _, id := range promotions {
		isPromotion[id] = true
	}
	done := func(id string) {
		if isPromotion[id] {
			p.set(byID[id], approvals.OutcomeUpdated, roleName(inOrg[id])+" → "+roleName(role))
		} else {
			p.set(byID[id], approvals.OutcomeAdded, "as "+roleName(role))
		}
	}
	todo := append(adds, promotions...)
	if len(todo) == 0 {
		return p.result(), nil
	}
	err = a.devin.AddOrgMembers(ctx, r.Org, todo, role)
	if err == nil {
		for _, id := range todo {
			done(id)
		}
		return p.result(), nil
	}
	if !aboutAPerson(err) {
		p.failRest(apiclient.UserMessage(err))
		return p.result(), err
	}
	for i, id := range todo {
		err := a.devin.AddOrgMembers(ctx, r.Org, []string{id}, role)
		switch {
		case err == nil:
			done(id)
		case aboutAPerson(err):
			p.set(byID[id], approvals.OutcomeFailed, apiclient.UserMessage(err))
		default:
			// Not about this person (401, 403, 5xx…): the rest would fail the same way.
			for _, rest := range todo[i:] {
				p.set(byID[rest], approvals.OutcomeFailed, apiclient.UserMessage(err))
			}
			return p.result(), err
		}
	}
	return p.result(), nil
}

// userIDs returns each item's user ID: from the request, or, for a request stored
// without them, from the members listing by email. An item whose person is no longer
// an enterprise member is marked failed in p. The error is a lookup that failed for
// good; the IDs found before it are returned.
func (a OrgAdd) userIDs(ctx context.Context, r approvals.Request, p *plan) ([]string, error) {
	ids := make([]string, len(r.Items))
	var stored []string
	if s := r.Param("user_ids"); s != "" && json.Unmarshal([]byte(s), &stored) == nil && len(stored) == len(r.Items) {
		copy(ids, stored)
	}
	known := map[string]string{} // lower-cased email -> user ID, so a repeat is not looked up
	for i, email := range r.Items {
		if ids[i] != "" {
			known[key(email)] = ids[i]
		}
	}
	for i, email := range r.Items {
		if ids[i] != "" {
			continue
		}
		if id, ok := known[key(email)]; ok {
			ids[i] = id
			continue
		}
		ms, err := a.devin.ListMembers(ctx, devin.ListMembersOptions{Email: email})
		if err != nil {
			if aboutAPerson(err) {
				p.out[i].Status, p.out[i].Reason = approvals.OutcomeFailed, apiclient.UserMessage(err)
				continue
			}
			return ids, err
		}
		for _, m := range ms {
			if strings.EqualFold(m.Email, email) && m.UserID != "" {
				ids[i] = m.UserID
			}
		}
		if ids[i] == "" {
			p.out[i].Status, p.out[i].Reason = approvals.OutcomeFailed, "not a member of the Devin enterprise (any more)"
		}
		known[key(email)] = ids[i]
	}
	return ids, nil
}

// aboutAPerson reports whether the API refused something about the people sent (an
// unknown user, an invalid one) rather than the whole call.
func aboutAPerson(err error) bool {
	return errors.Is(err, apiclient.ErrNotFound) || errors.Is(err, apiclient.ErrValidation) || errors.Is(err, apiclient.ErrBadRequest)
}

// roleName is an org role ID for people: "org_admin" -> "admin".
func roleName(orgRole string) string {
	return strings.TrimPrefix(orgRole, "org_")
}
