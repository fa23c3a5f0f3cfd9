package executor

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// OrgLimiter is the part of the Devin client an ACU limit change needs (*devin.Client).
type OrgLimiter interface {
	GetOrganization(ctx context.Context, orgID string) (*devin.Organization, error)
	UpdateOrganizationLimit(ctx context.Context, orgID string, limit *int) error
}

// OrgLimit sets the cycle ACU limit of the request's organization (r.Org, its ID) to
// its "limit" parameter, or removes it when that is "none".
type OrgLimit struct{ devin OrgLimiter }

// NewOrgLimit builds the ACU limit action.
func NewOrgLimit(d OrgLimiter) OrgLimit { return OrgLimit{devin: d} }

// Execute reads the organization again first: a limit already at the target is not
// sent again (a run after a crash, or someone set it meanwhile), and the outcome says
// what the limit was just before, and what it was when the request was made if that
// differs, since an approver approved "from X to Y".
func (a OrgLimit) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	all := func(status, reason string) []approvals.ItemOutcome {
		out := make([]approvals.ItemOutcome, len(r.Items))
		for i, it := range r.Items {
			out[i] = approvals.ItemOutcome{Item: it, Status: status, Reason: reason}
		}
		return out
	}
	// An empty stored limit is a malformed request, never "remove the limit": that
	// would be the most permissive reading of a mistake.
	target, ok := parseLimit(r.Param("limit"))
	if !ok || strings.TrimSpace(r.Param("limit")) == "" {
		return all(approvals.OutcomeFailed, fmt.Sprintf("the stored limit %q is neither a number of ACUs nor none", r.Param("limit"))), nil
	}
	org, err := a.devin.GetOrganization(ctx, r.Org)
	if err != nil {
		return all(approvals.OutcomeFailed, apiclient.UserMessage(err)), err
	}
	current := org.MaxCycleACULimit
	asked := ""
	if before, ok := parseLimit(r.Param("limit_before")); ok && !sameLimit(before, current) {
		asked = " (it was " + limitText(before) + " when the request was made)"
		if sameLimit(current, target) {
			// Which of the two moved it cannot be told from the API: say both.
			asked = " (it was " + limitText(before) + " when the request was made: changed since by someone else, or by an earlier run of this request cut off by a restart)"
		}
	}
	if sameLimit(current, target) {
		return all(approvals.OutcomeUnchanged, "the limit was already "+limitText(target)+asked), nil
	}
	if err := a.devin.UpdateOrganizationLimit(ctx, r.Org, target); err != nil {
		return all(approvals.OutcomeFailed, apiclient.UserMessage(err)), err
	}
	return all(approvals.OutcomeUpdated, limitText(current)+" → "+limitText(target)+asked), nil
}

// parseLimit reads a stored limit: "none" (or "") is no limit, else a number of ACUs.
func parseLimit(s string) (*int, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "none") {
		return nil, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return nil, false
	}
	return &n, true
}

func sameLimit(a, b *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// limitText is a limit for the outcome: "1,000" or "none".
func limitText(l *int) string {
	if l == nil {
		return "none"
	}
	return slackui.Int(*l)
}
