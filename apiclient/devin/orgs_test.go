package devin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

func intp(v int) *int { return &v }

func TestListOrganizationsPaginates(t *testing.T) {
	fake := newFake(t)
	for i := range 450 {
		fake.AddOrg(devinsandbox.Org{Name: fmt.Sprintf("org %d", i)})
	}
	c, _ := newClient(t, fake)
	orgs, err := c.ListOrganizations(context.Background())
	require.NoError(t, err)
	require.Len(t, orgs, 450)
	assert.Equal(t, "org 449", orgs[449].Name)
	assert.Equal(t, 3, fake.Count("GET", "/organizations"))
}

func TestGetOrganization(t *testing.T) {
	fake := newFake(t)
	m := fake.SeedMembers(3)
	org := fake.AddOrg(devinsandbox.Org{Name: "Platform", MaxCycleACULimit: intp(500), MaxSessionACULimit: intp(20),
		Members: map[string]string{m[0].UserID: "org_admin", m[1].UserID: "org_member", m[2].UserID: "org_member"}})
	c, _ := newClient(t, fake)

	got, err := c.GetOrganization(context.Background(), org.ID)
	require.NoError(t, err)
	created := testNow()
	assert.Equal(t, devin.Organization{ID: org.ID, Name: "Platform", MaxCycleACULimit: intp(500), MaxSessionACULimit: intp(20),
		MemberCount: 3, CreatedAt: &created}, *got)

	_, err = c.GetOrganization(context.Background(), "org-nope")
	require.ErrorIs(t, err, apiclient.ErrNotFound)
}

func TestFindOrganization(t *testing.T) {
	fake := newFake(t)
	eng := fake.AddOrg(devinsandbox.Org{ID: "org-eng", Name: "Engineering"})
	fake.AddOrg(devinsandbox.Org{ID: "org-d1", Name: "Data"})
	fake.AddOrg(devinsandbox.Org{ID: "org-d2", Name: "data"})
	// An org whose name is another org's ID: the ID wins.
	fake.AddOrg(devinsandbox.Org{ID: "org-x", Name: "org-eng"})
	c, _ := newClient(t, fake)

	tests := []struct {
		query    string
		wantID   string
		wantKind apiclient.Kind
		wantMsg  string
	}{
		{query: "org-eng", wantID: eng.ID},
		{query: "engineering", wantID: eng.ID},
		{query: "  ENGINEERING ", wantID: eng.ID},
		{query: "Sales", wantKind: apiclient.KindNotFound,
			wantMsg: `Devin API could not find that: no organization has the ID or name "Sales".`},
		{query: "DATA", wantKind: apiclient.KindValidation,
			wantMsg: `Devin API refused the request as invalid: 2 organizations are named "DATA" (org-d1, org-d2); use the organization ID.`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, err := c.FindOrganization(context.Background(), tt.query)
			if tt.wantID != "" {
				require.NoError(t, err)
				assert.Equal(t, tt.wantID, got.ID)
				return
			}
			var e *apiclient.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.wantKind, e.Kind)
			assert.Equal(t, tt.wantMsg, apiclient.UserMessage(err))
		})
	}
}

func TestMatchOrganization(t *testing.T) {
	orgs := []devin.Organization{{ID: "org-eng", Name: "Engineering"}, {ID: "org-d1", Name: "Data"}, {ID: "org-d2", Name: "data"}}
	tests := []struct {
		query    string
		wantID   string
		wantKind apiclient.Kind
	}{
		{query: "org-d2", wantID: "org-d2"},
		{query: " engineering ", wantID: "org-eng"},
		{query: "Sales", wantKind: apiclient.KindNotFound},
		{query: "data", wantKind: apiclient.KindValidation},
		{query: "  ", wantKind: apiclient.KindUnknown}, // a usage error, not the API's
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, err := devin.MatchOrganization(orgs, tt.query)
			if tt.wantID != "" {
				require.NoError(t, err)
				assert.Equal(t, tt.wantID, got.ID)
				return
			}
			require.Error(t, err)
			var e *apiclient.Error
			if tt.wantKind == apiclient.KindUnknown {
				assert.NotErrorAs(t, err, &e)
				return
			}
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.wantKind, e.Kind)
		})
	}
}

func TestCreateOrganizationShapes(t *testing.T) {
	for _, examples := range []bool{false, true} {
		t.Run(map[bool]string{false: "schema org_id", true: "examples id"}[examples], func(t *testing.T) {
			fake := newFake(t)
			fake.UseExampleShapes(examples)
			c, _ := newClient(t, fake)

			got, err := c.CreateOrganization(context.Background(), devin.CreateOrganizationRequest{DisplayName: "Équipe", ACULimit: intp(1000)})
			require.NoError(t, err)
			stored := fake.Orgs()
			require.Len(t, stored, 1)
			assert.Equal(t, stored[0].ID, got.ID)
			assert.Equal(t, "Équipe", got.Name)
			assert.Equal(t, intp(1000), got.MaxCycleACULimit)
			assert.Equal(t, intp(1000), stored[0].MaxCycleACULimit)

			var body map[string]any
			require.NoError(t, json.Unmarshal(fake.Requests()[0].Body, &body))
			assert.Equal(t, map[string]any{"display_name": "Équipe", "acu_limit": float64(1000), "add_creator_as_member": false}, body)
		})
	}
	t.Run("no limit is omitted", func(t *testing.T) {
		fake := newFake(t)
		c, _ := newClient(t, fake)
		got, err := c.CreateOrganization(context.Background(), devin.CreateOrganizationRequest{DisplayName: "Ops"})
		require.NoError(t, err)
		assert.Nil(t, got.MaxCycleACULimit)
		assert.JSONEq(t, `{"display_name":"Ops","add_creator_as_member":false}`, string(fake.Requests()[0].Body))
	})
	t.Run("an answer without an ID is unreadable", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"status":"success"}`) }))
		defer srv.Close()
		c, err := devin.New(srv.URL, "k")
		require.NoError(t, err)
		_, err = c.CreateOrganization(context.Background(), devin.CreateOrganizationRequest{DisplayName: "Ops"})
		require.ErrorIs(t, err, apiclient.ErrDecode)
	})
}

func TestAddOrgMembers(t *testing.T) {
	fake := newFake(t)
	m := fake.SeedMembers(2)
	org := fake.AddOrg(devinsandbox.Org{ID: "org|weird/id", Name: "Weird"})
	c, _ := newClient(t, fake)

	require.NoError(t, c.AddOrgMembers(context.Background(), org.ID, []string{m[0].UserID, m[1].UserID}, "org_admin"))
	got, _ := fake.OrgByID(org.ID)
	assert.Equal(t, map[string]string{m[0].UserID: "org_admin", m[1].UserID: "org_admin"}, got.Members)

	r := fake.Requests()[0]
	assert.Equal(t, "/v2/enterprise/organizations/org%7Cweird%2Fid/members", r.Path)
	assert.JSONEq(t, fmt.Sprintf(`{"org_ids":["org|weird/id"],"user_ids":[%q,%q],"org_role":"org_admin"}`, m[0].UserID, m[1].UserID), string(r.Body))

	require.NoError(t, c.AddOrgMembers(context.Background(), org.ID, nil, ""), "nothing to add is not an error")
	assert.Len(t, fake.Requests(), 1)

	err := c.AddOrgMembers(context.Background(), org.ID, []string{"email|ghost"}, "")
	require.ErrorIs(t, err, apiclient.ErrNotFound)
}

func TestAddGitPermissions(t *testing.T) {
	fake := newFake(t)
	org := fake.AddOrg(devinsandbox.Org{Name: "Eng"})
	c, _ := newClient(t, fake)

	res, err := c.AddGitPermissions(context.Background(), org.ID, []devin.GitPermission{
		{ConnectionID: "conn-1", RepoPaths: []string{"acme/api", "acme/web"}},
		{ConnectionID: "conn-1", GroupPrefixes: []string{"acme/platform"}},
	})
	require.NoError(t, err)
	require.Len(t, res.PermissionIDs, 2)
	assert.Equal(t, "acme/api, acme/web", res.PermissionNames[res.PermissionIDs[0]])

	stored := fake.GitPermissions(org.ID)
	require.Len(t, stored, 2)
	assert.Equal(t, []string{"acme/api", "acme/web"}, stored[0].RepoPaths)
	assert.JSONEq(t, `[{"connection_id":"conn-1","repo_path":["acme/api","acme/web"]},{"connection_id":"conn-1","group_prefix":["acme/platform"]}]`,
		string(fake.Requests()[0].Body), "the body is an array")

	_, err = c.AddGitPermissions(context.Background(), org.ID, []devin.GitPermission{{RepoPaths: []string{"x"}}})
	require.Error(t, err, "a connection ID is required")
}
