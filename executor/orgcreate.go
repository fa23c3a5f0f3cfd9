package executor

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
)

// OrgCreator is the part of the Devin client an organization creation needs
// (*devin.Client).
type OrgCreator interface {
	ListOrganizations(ctx context.Context) ([]devin.Organization, error)
	CreateOrganization(ctx context.Context, req devin.CreateOrganizationRequest) (*devin.Organization, error)
}

// OrgCreate creates the Devin organization the request names (its one item), with the
// cycle ACU limit of its "acu_limit" parameter ("" for none).
type OrgCreate struct{ devin OrgCreator }

// NewOrgCreate builds the organization creation action.
func NewOrgCreate(d OrgCreator) OrgCreate { return OrgCreate{devin: d} }

// Execute looks the name up before creating: the API would happily create a second
// organization of the same name, so a request run again after a crash (or beaten to
// it by someone else) must find the one that exists and say so, not make another.
// Only an organization this call really created is reported created.
func (a OrgCreate) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	if len(r.Items) != 1 || strings.TrimSpace(r.Items[0]) == "" {
		return failAll(r.Items, "the request does not name exactly one organization"), nil
	}
	name := r.Items[0]
	one := func(status, reason string) []approvals.ItemOutcome {
		return []approvals.ItemOutcome{{Item: name, Status: status, Reason: reason}}
	}
	var limit *int
	if s := r.Param("acu_limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return one(approvals.OutcomeFailed, fmt.Sprintf("the stored ACU limit %q is not a number of ACUs", s)), nil
		}
		limit = &n
	}
	orgs, err := a.devin.ListOrganizations(ctx)
	if err != nil {
		return one(approvals.OutcomeFailed, "could not check whether it exists already: "+apiclient.UserMessage(err)), err
	}
	for _, o := range orgs {
		if sameName(o.Name, name) {
			// Made after the approval: this request's earlier run, cut off by a crash
			// before it could record the outcome.
			if o.CreatedAt != nil && !r.DecidedAt.IsZero() && !o.CreatedAt.Before(r.DecidedAt) {
				return one(approvals.OutcomeCreated, "ID "+o.ID+" (found when the request resumed after a restart)"), nil
			}
			return one(approvals.OutcomeExists, "an organization of that name exists already, with ID "+o.ID), nil
		}
	}
	org, err := a.devin.CreateOrganization(ctx, devin.CreateOrganizationRequest{DisplayName: name, ACULimit: limit})
	if err != nil {
		return one(approvals.OutcomeFailed, apiclient.UserMessage(err)), err
	}
	return one(approvals.OutcomeCreated, "ID "+org.ID), nil
}

// sameName compares organization names as people do: case and runs of spaces aside.
func sameName(a, b string) bool { return devin.SameOrgName(a, b) }
