package executor_test

import (
	"context"
	"time"

	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
	"devin-chatops/executor"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// newDevinFake is the fake Devin API with a real client of it that tries each call
// once, so that a scripted failure is seen as it is.
func newDevinFake(t *testing.T) (*devinsandbox.Server, *devin.Client) {
	t.Helper()
	fake := devinsandbox.New()
	t.Cleanup(fake.Close)
	c, err := devin.New(fake.URL(), fake.APIKey(), devin.WithHTTPClient(fake.Client()),
		devin.WithRetryPolicy(apiclient.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	return fake, c
}

func TestExecutorOrgCreate(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*devinsandbox.Server)
		req        approvals.Request
		wantStatus string
		wantReason string // a prefix, since the new ID is the fake's
		wantBody   string // the POST body; "" = no POST
		wantErr    bool
	}{
		{
			name:       "created with its limit; the outcome names the new ID",
			req:        approvals.Request{Items: []string{"Data Science"}, Params: map[string]string{"acu_limit": "500"}},
			wantStatus: approvals.OutcomeCreated, wantReason: "ID org-",
			wantBody: `{"display_name":"Data Science","acu_limit":500,"add_creator_as_member":false}`,
		},
		{
			name:       "created without a limit",
			req:        approvals.Request{Items: []string{"Ops"}},
			wantStatus: approvals.OutcomeCreated, wantReason: "ID org-",
			wantBody: `{"display_name":"Ops","add_creator_as_member":false}`,
		},
		{
			name:       "a limit of 0 is sent as 0",
			req:        approvals.Request{Items: []string{"Frozen"}, Params: map[string]string{"acu_limit": "0"}},
			wantStatus: approvals.OutcomeCreated, wantReason: "ID org-",
			wantBody: `{"display_name":"Frozen","acu_limit":0,"add_creator_as_member":false}`,
		},
		{
			name:       "a run again after a crash finds it, whatever its case and spacing, and creates nothing",
			setup:      func(f *devinsandbox.Server) { f.AddOrg(devinsandbox.Org{ID: "org-ds", Name: "data  science"}) },
			req:        approvals.Request{Items: []string{"Data Science"}},
			wantStatus: approvals.OutcomeExists, wantReason: "an organization of that name exists already, with ID org-ds",
		},
		{
			name: "made after the approval: this request's interrupted run made it",
			setup: func(f *devinsandbox.Server) {
				f.AddOrg(devinsandbox.Org{ID: "org-new", Name: "Data Science", CreatedAt: time.Date(2026, 12, 5, 10, 0, 1, 0, time.UTC)})
			},
			req:        approvals.Request{Items: []string{"Data Science"}, DecidedAt: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)},
			wantStatus: approvals.OutcomeCreated, wantReason: "ID org-new (found when the request resumed",
		},
		{
			name:       "the look-up fails: nothing is created",
			setup:      func(f *devinsandbox.Server) { f.Fail("GET", "/organizations", 503, 1) },
			req:        approvals.Request{Items: []string{"Ops"}},
			wantStatus: approvals.OutcomeFailed, wantReason: "could not check whether it exists already: ",
			wantErr: true,
		},
		{
			name:       "the creation fails with the API's reason",
			setup:      func(f *devinsandbox.Server) { f.Fail("POST", "/organizations", 500, 1) },
			req:        approvals.Request{Items: []string{"Ops"}},
			wantStatus: approvals.OutcomeFailed, wantReason: "Devin API",
			wantBody: `{"display_name":"Ops","add_creator_as_member":false}`, wantErr: true,
		},
		{
			name:       "a stored limit that is not a number is not sent",
			req:        approvals.Request{Items: []string{"Ops"}, Params: map[string]string{"acu_limit": "lots"}},
			wantStatus: approvals.OutcomeFailed, wantReason: `the stored ACU limit "lots" is not a number of ACUs`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := newDevinFake(t)
			if tt.setup != nil {
				tt.setup(fake)
			}
			before := len(fake.Orgs())
			tt.req.Action = approvals.ActionOrgCreate
			out, err := executor.NewOrgCreate(c).Execute(context.Background(), tt.req)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			require.Len(t, out, 1)
			assert.Equal(t, tt.req.Items[0], out[0].Item)
			assert.Equal(t, tt.wantStatus, out[0].Status)
			assert.Contains(t, out[0].Reason, tt.wantReason)

			var posts []devinsandbox.RecordedRequest
			for _, r := range fake.Requests() {
				if r.Method == "POST" {
					posts = append(posts, r)
				}
			}
			if tt.wantBody == "" {
				assert.Empty(t, posts)
				assert.Len(t, fake.Orgs(), before, "nothing created")
				return
			}
			require.Len(t, posts, 1, "one POST, never retried")
			assert.JSONEq(t, tt.wantBody, string(posts[0].Body))
			if tt.wantStatus == approvals.OutcomeCreated {
				orgs := fake.Orgs()
				require.Len(t, orgs, before+1)
				assert.Equal(t, "ID "+orgs[len(orgs)-1].ID, out[0].Reason)
			}
		})
	}
}

func TestExecutorOrgCreateTwiceCreatesOnce(t *testing.T) {
	fake, c := newDevinFake(t)
	req := approvals.Request{Action: approvals.ActionOrgCreate, Items: []string{"Ops"}, Params: map[string]string{"acu_limit": "10"}}
	first, err := executor.NewOrgCreate(c).Execute(context.Background(), req)
	require.NoError(t, err)
	second, err := executor.NewOrgCreate(c).Execute(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, fake.Orgs(), 1)
	id := fake.Orgs()[0].ID
	assert.Equal(t, []approvals.ItemOutcome{{Item: "Ops", Status: approvals.OutcomeCreated, Reason: "ID " + id}}, first)
	assert.Equal(t, []approvals.ItemOutcome{{Item: "Ops", Status: approvals.OutcomeExists,
		Reason: "an organization of that name exists already, with ID " + id}}, second)
	assert.True(t, approvals.OutcomeOK(second[0].Status), "finding it made is not a failure")

}
