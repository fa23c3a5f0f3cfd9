package executor_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/executor"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

func intp(n int) *int { return &n }

func TestExecutorOrgLimit(t *testing.T) {
	tests := []struct {
		name       string
		now        *int // the org's limit when the request runs
		limit      string
		before     string
		fail       int // status of an injected PATCH failure
		wantStatus string
		wantReason string
		wantBody   string // the PATCH body; "" = no PATCH
		wantLimit  *int
		wantErr    bool
		missingOrg bool
	}{
		{name: "raised", now: intp(1000), limit: "2000", before: "1000",
			wantStatus: approvals.OutcomeUpdated, wantReason: "1,000 → 2,000",
			wantBody: `{"max_acu_limit":2000}`, wantLimit: intp(2000)},
		{name: "removed with null", now: intp(1000), limit: "none", before: "1000",
			wantStatus: approvals.OutcomeUpdated, wantReason: "1,000 → none",
			wantBody: `{"max_acu_limit":null}`},
		{name: "set where there was none", limit: "0", before: "none",
			wantStatus: approvals.OutcomeUpdated, wantReason: "none → 0",
			wantBody: `{"max_acu_limit":0}`, wantLimit: intp(0)},
		{name: "changed by someone since the request: the outcome says so", now: intp(1500), limit: "2000", before: "1000",
			wantStatus: approvals.OutcomeUpdated, wantReason: "1,500 → 2,000 (it was 1,000 when the request was made)",
			wantBody: `{"max_acu_limit":2000}`, wantLimit: intp(2000)},
		{name: "already at the target (a run after a crash): nothing sent", now: intp(2000), limit: "2000", before: "1000",
			wantStatus: approvals.OutcomeUnchanged, wantReason: "the limit was already 2,000 (it was 1,000 when the request was made: changed since by someone else, or by an earlier run",
			wantLimit: intp(2000)},
		{name: "an empty stored limit is never read as none", now: intp(1000), limit: "", before: "1000",
			wantStatus: approvals.OutcomeFailed, wantReason: "is neither a number of ACUs nor none", wantLimit: intp(1000)},
		{name: "already without a limit", limit: "none", before: "none",
			wantStatus: approvals.OutcomeUnchanged, wantReason: "the limit was already none"},
		{name: "the PATCH fails with the API's reason", now: intp(1000), limit: "2000", before: "1000", fail: 500,
			wantStatus: approvals.OutcomeFailed, wantReason: "Devin API", wantBody: `{"max_acu_limit":2000}`,
			wantLimit: intp(1000), wantErr: true},
		{name: "the organization is gone", missingOrg: true, limit: "2000", before: "1000",
			wantStatus: approvals.OutcomeFailed, wantReason: "Devin API could not find that", wantErr: true},
		{name: "a stored limit that is not a number is not sent", now: intp(1000), limit: "lots", before: "1000",
			wantStatus: approvals.OutcomeFailed, wantReason: `the stored limit "lots" is neither a number of ACUs nor none`,
			wantLimit: intp(1000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := newDevinFake(t)
			orgID := "org-eng"
			if !tt.missingOrg {
				fake.AddOrg(devinsandbox.Org{ID: orgID, Name: "Engineering", MaxCycleACULimit: tt.now})
			}
			if tt.fail != 0 {
				fake.Fail("PATCH", "/organizations", tt.fail, 1)
			}
			req := approvals.Request{Action: approvals.ActionOrgLimit, Org: orgID, Items: []string{"Engineering"},
				Params: map[string]string{"limit": tt.limit, "limit_before": tt.before}}
			out, err := executor.NewOrgLimit(c).Execute(context.Background(), req)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			require.Len(t, out, 1)
			assert.Equal(t, "Engineering", out[0].Item)
			assert.Equal(t, tt.wantStatus, out[0].Status)
			assert.Contains(t, out[0].Reason, tt.wantReason)

			if tt.wantBody == "" {
				assert.Zero(t, fake.Count("PATCH", "/organizations"))
			} else {
				assert.Equal(t, 1, fake.Count("PATCH", "/organizations/"+orgID))
				reqs := fake.Requests()
				assert.JSONEq(t, tt.wantBody, string(reqs[len(reqs)-1].Body))
			}
			if !tt.missingOrg {
				org, _ := fake.OrgByID(orgID)
				assert.Equal(t, tt.wantLimit, org.MaxCycleACULimit)
				assert.Equal(t, "Engineering", org.Name, "never renamed")
			}
		})
	}
}
