package executor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
	"devin-chatops/executor"
)

// fakeGitPerms is an organization's git permissions with scripted failures.
type fakeGitPerms struct {
	perms   []devin.GrantedGitPermission
	listErr error
	addErr  error
	added   [][]devin.GitPermission
}

func (f *fakeGitPerms) ListGitPermissions(_ context.Context, orgID string) ([]devin.GrantedGitPermission, error) {
	if orgID != "org-1" {
		return nil, &apiclient.Error{API: devin.APIName, Kind: apiclient.KindNotFound, Status: 404, Message: "Organization not found"}
	}
	return f.perms, f.listErr
}

func (f *fakeGitPerms) AddGitPermissions(_ context.Context, _ string, perms []devin.GitPermission) (*devin.GitPermissionsResult, error) {
	f.added = append(f.added, perms)
	if f.addErr != nil {
		return nil, f.addErr
	}
	for _, p := range perms {
		f.perms = append(f.perms, devin.GrantedGitPermission{ID: "new", RepoPaths: p.RepoPaths})
	}
	return &devin.GitPermissionsResult{PermissionIDs: []string{"new"}}, nil
}

func TestExecutorPermissionAdd(t *testing.T) {
	serverErr := &apiclient.Error{API: devin.APIName, Hints: devin.Hints(), Kind: apiclient.KindServer, Status: 500, Message: "boom"}
	req := func(items ...string) approvals.Request {
		return approvals.Request{Action: approvals.ActionPermissionAdd, Org: "org-1", Items: items,
			Params: map[string]string{"org_name": "Eng", "connection_id": "conn-1"}}
	}
	tests := []struct {
		name      string
		req       approvals.Request
		fake      *fakeGitPerms
		want      []approvals.ItemOutcome
		wantSent  [][]devin.GitPermission
		wantErr   bool
		reasonHas string
	}{
		{
			name: "what is missing is granted in one call; what the org has is not sent",
			req:  req("acme/api", "Acme/Web", "acme/ops", "acme/WEB"),
			fake: &fakeGitPerms{perms: []devin.GrantedGitPermission{
				{RepoPaths: []string{"ACME/API"}},
				{ConnectionID: "conn-2", RepoPaths: []string{"acme/ops"}},
				{GroupPrefixes: []string{"acme"}},
			}},
			want: []approvals.ItemOutcome{
				{Item: "acme/api", Status: approvals.OutcomeGranted, Reason: "already granted"},
				{Item: "Acme/Web", Status: approvals.OutcomeGranted},
				{Item: "acme/ops", Status: approvals.OutcomeGranted},
				{Item: "acme/WEB", Status: approvals.OutcomeGranted},
			},
			wantSent: [][]devin.GitPermission{{{ConnectionID: "conn-1", RepoPaths: []string{"Acme/Web", "acme/ops"}}}},
		},
		{
			name: "everything granted since the card: nothing is sent",
			req:  req("acme/api"),
			fake: &fakeGitPerms{perms: []devin.GrantedGitPermission{{ConnectionID: "conn-1", RepoPaths: []string{"acme/api"}}}},
			want: []approvals.ItemOutcome{{Item: "acme/api", Status: approvals.OutcomeGranted, Reason: "already granted"}},
		},
		{
			name: "a run after a crash tells its own earlier grant from one made before the request",
			req: func() approvals.Request {
				r := req("acme/api", "acme/web")
				r.Params["already"] = "acme/api"
				return r
			}(),
			fake: &fakeGitPerms{perms: []devin.GrantedGitPermission{{ConnectionID: "conn-1", RepoPaths: []string{"acme/api", "acme/web"}}}},
			want: []approvals.ItemOutcome{
				{Item: "acme/api", Status: approvals.OutcomeGranted, Reason: "already granted"},
				{Item: "acme/web", Status: approvals.OutcomeGranted, Reason: "granted since the request was made (found when it resumed)"},
			},
		},
		{
			name:      "the grant fails: every repository sent fails with the API's reason",
			req:       req("acme/api", "acme/web"),
			fake:      &fakeGitPerms{perms: []devin.GrantedGitPermission{{RepoPaths: []string{"acme/web"}}}, addErr: serverErr},
			want:      outcomes("acme/api", "failed", "acme/web", "granted"),
			wantSent:  [][]devin.GitPermission{{{ConnectionID: "conn-1", RepoPaths: []string{"acme/api"}}}},
			wantErr:   true,
			reasonHas: "(500)",
		},
		{
			name:      "the permissions cannot be read: nothing is sent",
			req:       req("acme/api"),
			fake:      &fakeGitPerms{listErr: serverErr},
			want:      outcomes("acme/api", "failed"),
			wantErr:   true,
			reasonHas: "(500)",
		},
		{
			name:      "no connection on the request",
			req:       approvals.Request{Action: approvals.ActionPermissionAdd, Org: "org-1", Items: []string{"acme/api"}},
			fake:      &fakeGitPerms{},
			want:      outcomes("acme/api", "failed"),
			reasonHas: "no git connection",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := executor.NewPermissionAdd(tt.fake).Execute(context.Background(), tt.req)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			if tt.reasonHas == "" {
				assert.Equal(t, tt.want, got)
			} else {
				assert.Equal(t, tt.want, statuses(got))
				for _, o := range got {
					if o.Status == approvals.OutcomeFailed {
						assert.True(t, strings.Contains(o.Reason, tt.reasonHas), o.Reason)
					}
				}
			}
			assert.Equal(t, tt.wantSent, tt.fake.added)
		})
	}
	t.Run("a second run after a crash sends nothing again", func(t *testing.T) {
		fake := &fakeGitPerms{}
		a := executor.NewPermissionAdd(fake)
		r := req("acme/api", "acme/web")
		first, err := a.Execute(context.Background(), r)
		require.NoError(t, err)
		assert.Equal(t, outcomes("acme/api", "granted", "acme/web", "granted"), first)
		again, err := a.Execute(context.Background(), r)
		require.NoError(t, err)
		assert.Equal(t, []approvals.ItemOutcome{
			{Item: "acme/api", Status: approvals.OutcomeGranted, Reason: "already granted"},
			{Item: "acme/web", Status: approvals.OutcomeGranted, Reason: "already granted"},
		}, again)
		assert.Len(t, fake.added, 1)
	})
}
