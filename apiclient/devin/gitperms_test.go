package devin_test

import (
	"context"
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

func TestListGitPermissionsPaginates(t *testing.T) {
	fake := newFake(t)
	org := fake.AddOrg(devinsandbox.Org{Name: "Eng"})
	other := fake.AddOrg(devinsandbox.Org{Name: "Other"})
	for i := range 250 {
		fake.AddGitPermission(devinsandbox.GitPermission{OrgID: org.ID, ConnectionID: "conn-1", RepoPaths: []string{fmt.Sprintf("acme/repo-%03d", i)}})
	}
	fake.AddGitPermission(devinsandbox.GitPermission{OrgID: org.ID, ConnectionID: "conn-1", GroupPrefixes: []string{"acme/platform"}, PrefixPath: "acme"})
	fake.AddGitPermission(devinsandbox.GitPermission{OrgID: other.ID, ConnectionID: "conn-1", RepoPaths: []string{"acme/secret"}})
	c, _ := newClient(t, fake)

	perms, err := c.ListGitPermissions(context.Background(), org.ID)
	require.NoError(t, err)
	require.Len(t, perms, 251, "every page, this organization only")
	assert.Equal(t, []string{"acme/repo-000"}, perms[0].RepoPaths)
	assert.NotEmpty(t, perms[0].ID)
	assert.Equal(t, "github.com", perms[0].Host)
	last := perms[250]
	assert.Equal(t, []string{"acme/platform"}, last.GroupPrefixes)
	assert.Equal(t, "acme", last.PrefixPath)
	assert.Empty(t, last.RepoPaths)
	assert.Equal(t, 2, fake.Count(http.MethodGet, "/organizations/"+org.ID+"/git/permissions"))

	_, err = c.ListGitPermissions(context.Background(), "org-nope")
	require.ErrorIs(t, err, apiclient.ErrNotFound)
	_, err = c.ListGitPermissions(context.Background(), "")
	require.Error(t, err)
}

// The schema does not say whether repo_path is a string or a list, and v3 names the
// fields differently: every shape is read.
func TestListGitPermissionsShapes(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []devin.GrantedGitPermission
	}{
		{
			name: "v2 paths as strings",
			body: `{"items":[{"permission_id":"p1","host":"github.com","group_prefix":null,"prefix_path":null,"repo_path":"acme/api"}],"total":1,"skip":0,"limit":200,"has_more":false}`,
			want: []devin.GrantedGitPermission{{ID: "p1", Host: "github.com", RepoPaths: []string{"acme/api"}}},
		},
		{
			name: "v2 paths as lists",
			body: `{"items":[{"permission_id":"p1","repo_path":["acme/api","acme/web"],"group_prefix":["acme/ops"],"prefix_path":"acme"}],"has_more":false}`,
			want: []devin.GrantedGitPermission{{ID: "p1", RepoPaths: []string{"acme/api", "acme/web"}, GroupPrefixes: []string{"acme/ops"}, PrefixPath: "acme"}},
		},
		{
			name: "v3 names, unpaginated",
			body: `{"items":[{"git_permission_id":"git-permission-1","git_connection_id":"conn-9","repo_path":"acme/api","read_only":false}]}`,
			want: []devin.GrantedGitPermission{{ID: "git-permission-1", ConnectionID: "conn-9", RepoPaths: []string{"acme/api"}}},
		},
		{
			name: "an empty path string is no path",
			body: `{"permissions":[{"id":"p2","repo_path":"","group_prefix":"acme"}]}`,
			want: []devin.GrantedGitPermission{{ID: "p2", GroupPrefixes: []string{"acme"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, tt.body) }))
			defer srv.Close()
			c, err := devin.New(srv.URL, "k")
			require.NoError(t, err)
			got, err := c.ListGitPermissions(context.Background(), "org-1")
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("a path that is neither a string nor a list is unreadable", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"items":[{"repo_path":7}]}`) }))
		defer srv.Close()
		c, err := devin.New(srv.URL, "k")
		require.NoError(t, err)
		_, err = c.ListGitPermissions(context.Background(), "org-1")
		require.ErrorIs(t, err, apiclient.ErrDecode)
	})
}
