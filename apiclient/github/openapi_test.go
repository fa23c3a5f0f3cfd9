package github

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/internal/sandbox/github/ghspec"
)

// TestRequestsMatchOpenAPI runs a scripted session of every method against the fake
// and validates each request the client sent, and each answer the fake gave, against
// GitHub's published OpenAPI description.
func TestRequestsMatchOpenAPI(t *testing.T) {
	t.Parallel()
	spec := ghspec.LoadSpec(t)
	for _, b := range bases() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b)
			id := e.fake.SeedTeam("ent:platform", "Platform", logins("member", 250)...)
			for i := range 120 {
				e.fake.SeedTeam(fmt.Sprintf("team-%03d", i), "")
			}
			extra := logins("extra", 150)
			for _, l := range extra {
				e.fake.AddUser(l)
			}
			ctx := t.Context()
			c := e.client

			_, err := c.ListTeams(ctx)
			require.NoError(t, err)
			_, err = c.GetTeam(ctx, "platform")
			require.NoError(t, err)
			_, err = c.GetTeam(ctx, strconv.FormatInt(id, 10))
			require.NoError(t, err)
			_, err = c.ListTeamMembers(ctx, "ent:platform")
			require.NoError(t, err)
			_, err = c.BulkAddMembers(ctx, "platform", extra)
			require.NoError(t, err)
			_, err = c.BulkRemoveMembers(ctx, "platform", extra[:120])
			require.NoError(t, err)
			_, err = c.BulkAddMembers(ctx, "platform", []string{"ghost"})
			require.Error(t, err)
			_, err = c.AddMember(ctx, "platform", extra[0])
			require.NoError(t, err)
			_, err = c.GetMembership(ctx, "platform", extra[0])
			require.NoError(t, err)
			require.NoError(t, c.RemoveMember(ctx, "platform", extra[0]))
			_, err = c.IsMember(ctx, "platform", extra[0])
			require.NoError(t, err)
			_, err = c.GetTeam(ctx, "nope")
			require.Error(t, err)

			reqs := e.fake.Requests()
			require.NotEmpty(t, reqs)
			ops := map[string]int{}
			for _, r := range reqs {
				assert.NoError(t, spec.ValidateRequest(ctx, e.fake.URL(), r))
				assert.NoError(t, spec.ValidateResponse(ctx, e.fake.URL(), r))
				if op, err := spec.OperationID(e.fake.URL(), r.Method, e.fake.URL()+strings.TrimPrefix(r.Path, b.prefix)); err == nil {
					ops[op]++
				}
			}
			want := []string{
				"enterprise-teams/list", "enterprise-teams/get", "enterprise-team-memberships/list",
				"enterprise-team-memberships/bulk-add", "enterprise-team-memberships/bulk-remove",
				"enterprise-team-memberships/add", "enterprise-team-memberships/remove",
			}
			if b.prefix == "" {
				want = append(want, "enterprise-team-memberships/get")
			}
			for _, op := range want {
				assert.Positive(t, ops[op], "session exercised %s", op)
			}
			assert.Equal(t, 2, ops["enterprise-teams/list"], "122 teams = 2 pages")
		})
	}
}

// TestEntSlugsRoute: "ent:" in {enterprise-team} must route like any other value,
// and must not be mistaken for a URL scheme on the way.
func TestEntSlugsRoute(t *testing.T) {
	t.Parallel()
	spec := ghspec.LoadSpec(t)
	c, err := New("https://ghe.example.com/api/v3/", "acme", "tok")
	require.NoError(t, err)
	base := "https://ghe.example.com/api/v3"
	tests := []struct {
		method, url, op string
	}{
		{http.MethodPut, c.teamURL("ent:platform", "memberships", "octocat"), "enterprise-team-memberships/add"},
		{http.MethodGet, c.teamURL("ent:platform", "memberships", "octocat"), "enterprise-team-memberships/get"},
		{http.MethodDelete, c.teamURL("ent:platform", "memberships", "octocat"), "enterprise-team-memberships/remove"},
		{http.MethodPost, c.teamURL("ent:platform", "memberships", "add"), "enterprise-team-memberships/bulk-add"},
		{http.MethodPost, c.teamURL("ent:platform", "memberships", "remove"), "enterprise-team-memberships/bulk-remove"},
		{http.MethodGet, c.teamURL("ent:platform", "memberships"), "enterprise-team-memberships/list"},
		{http.MethodGet, c.teamURL("ent:platform"), "enterprise-teams/get"},
		{http.MethodGet, c.teamURL("42"), "enterprise-teams/get"},
		{http.MethodGet, c.endpoint(firstPage(), "enterprises", "acme", "teams"), "enterprise-teams/list"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.url, func(t *testing.T) {
			assert.Contains(t, tc.url, base+"/enterprises/acme/teams")
			op, err := spec.OperationID(base, tc.method, tc.url)
			require.NoError(t, err)
			assert.Equal(t, tc.op, op)
		})
	}
}
