package githubsandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// call sends one request the way a well-behaved client would, unless edit changes it.
func call(t *testing.T, s *Server, method, path string, body any, edit func(*http.Request)) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte: // sent as is, so broken JSON can be sent
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, rd)
	require.NoError(t, err)
	req.Header.Set("Accept", MediaType)
	req.Header.Set("X-GitHub-Api-Version", APIVersion)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	req.Header.Set("User-Agent", "githubsandbox-test")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func newServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := New("acme", opts...)
	t.Cleanup(s.Close)
	return s
}

func TestChecksHeadersAndToken(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.SeedTeam("platform", "Platform", "octocat")
	tests := []struct {
		name    string
		edit    func(*http.Request)
		status  int
		message string
	}{
		{"well formed", nil, http.StatusOK, ""},
		{"token scheme also accepted", func(r *http.Request) { r.Header.Set("Authorization", "token "+s.Token()) }, http.StatusOK, ""},
		{"wrong token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, http.StatusUnauthorized, "Bad credentials"},
		{"no token", func(r *http.Request) { r.Header.Del("Authorization") }, http.StatusUnauthorized, "Requires authentication"},
		{"no user agent", func(r *http.Request) { r.Header.Set("User-Agent", "") }, http.StatusBadRequest, "User-Agent"},
		{"wrong accept", func(r *http.Request) { r.Header.Set("Accept", "text/html") }, http.StatusBadRequest, "Accept"},
		{"no api version", func(r *http.Request) { r.Header.Del("X-GitHub-Api-Version") }, http.StatusBadRequest, "X-GitHub-Api-Version"},
		{"unknown api version", func(r *http.Request) { r.Header.Set("X-GitHub-Api-Version", "1999-01-01") }, http.StatusBadRequest, "not supported"},
		{"newer api version", func(r *http.Request) { r.Header.Set("X-GitHub-Api-Version", NewerAPIVersion) }, http.StatusOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := call(t, s, http.MethodGet, "/enterprises/acme/teams", nil, tc.edit)
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.NotEmpty(t, resp.Header.Get("X-GitHub-Request-Id"))
			if tc.message != "" {
				var e map[string]string
				require.NoError(t, json.Unmarshal(body, &e))
				assert.Contains(t, e["message"], tc.message)
				assert.NotEmpty(t, e["documentation_url"])
			}
		})
	}
}

func TestPathPrefix(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithPathPrefix("/api/v3"))
	s.SeedTeam("ent:platform", "Platform")
	assert.True(t, strings.HasSuffix(s.URL(), "/api/v3"))

	resp, _ := call(t, s, http.MethodGet, "/enterprises/acme/teams/ent:platform", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// Outside the prefix nothing is served, as on a GHES host.
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(s.URL(), "/api/v3")+"/enterprises/acme/teams", nil)
	require.NoError(t, err)
	raw, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw.Body.Close()
	assert.Equal(t, http.StatusNotFound, raw.StatusCode)
}

func TestTeamAddressing(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	id := s.SeedTeam("Platform", "Platform Team", "octocat", "hubot")
	tests := []struct {
		ref    string
		status int
	}{
		{"ent:platform", http.StatusOK},
		{"ENT:Platform", http.StatusOK},
		{strconv.FormatInt(id, 10), http.StatusOK},
		{"platform", http.StatusNotFound}, // GitHub's slug carries the prefix
		{"999", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			resp, body := call(t, s, http.MethodGet, "/enterprises/acme/teams/"+url.PathEscape(tc.ref), nil, nil)
			require.Equal(t, tc.status, resp.StatusCode, string(body))
			if tc.status != http.StatusOK {
				return
			}
			var team map[string]any
			require.NoError(t, json.Unmarshal(body, &team))
			assert.Equal(t, "ent:platform", team["slug"])
			assert.Equal(t, "Platform Team", team["name"])
			assert.EqualValues(t, 2, team["members_count"])
			assert.Nil(t, team["group_id"])
		})
	}
}

func TestMembershipLifecycle(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.SeedTeam("ent:platform", "Platform", "octocat")
	s.AddUser("hubot")
	base := "/enterprises/acme/teams/ent:platform/memberships/"

	resp, _ := call(t, s, http.MethodGet, base+"hubot", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "not a member yet")

	resp, body := call(t, s, http.MethodPut, base+"hubot", nil, nil)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var u map[string]any
	require.NoError(t, json.Unmarshal(body, &u))
	for _, f := range []string{"login", "id", "node_id", "avatar_url", "gravatar_id", "url", "html_url",
		"followers_url", "following_url", "gists_url", "starred_url", "subscriptions_url",
		"organizations_url", "repos_url", "events_url", "received_events_url", "type", "site_admin"} {
		assert.Contains(t, u, f, "simple-user requires %s", f)
	}

	resp, _ = call(t, s, http.MethodGet, base+"HUBOT", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "logins are case-insensitive")
	assert.Equal(t, []string{"hubot", "octocat"}, s.Members("ent:platform"))

	resp, body = call(t, s, http.MethodDelete, base+"hubot", nil, nil)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Empty(t, body)
	assert.Equal(t, []string{"octocat"}, s.Members("ent:platform"))

	resp, _ = call(t, s, http.MethodPut, base+"ghost", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "unknown users cannot be added")
}

// TestTeamMembersSetDirectly: the helpers that change a team behind the bot's back,
// and the listing that sees it.
func TestTeamMembersSetDirectly(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	id := s.SeedTeam("ent:platform", "Platform", "octocat")
	require.True(t, s.AddTeamMembers("ent:platform", "Mona", "hubot"))
	require.True(t, s.RemoveTeamMembers(strconv.FormatInt(id, 10), "OCTOCAT"))
	assert.Equal(t, []string{"hubot", "Mona"}, s.Members("ent:platform"))
	resp, _ := call(t, s, http.MethodGet, "/users/mona", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "an added login is a user")
	assert.False(t, s.AddTeamMembers("ent:nope", "mona"))
	assert.False(t, s.RemoveTeamMembers("ent:nope", "mona"))
}

func TestBulk(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.SeedTeam("ent:platform", "Platform", "octocat")
	s.AddUser("hubot")
	s.AddUser("monalisa")
	path := "/enterprises/acme/teams/ent:platform/memberships/"

	resp, body := call(t, s, http.MethodPost, path+"add", map[string]any{"usernames": []string{"hubot", "ghost", "nobody"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	var verr struct {
		Message string
		Errors  []map[string]string
	}
	require.NoError(t, json.Unmarshal(body, &verr))
	assert.Equal(t, "Validation Failed", verr.Message)
	require.Len(t, verr.Errors, 2)
	assert.Equal(t, "invalid", verr.Errors[0]["code"])
	assert.Contains(t, verr.Errors[0]["message"], "ghost")
	assert.Equal(t, []string{"octocat"}, s.Members("ent:platform"), "a rejected bulk add changes nothing")

	resp, body = call(t, s, http.MethodPost, path+"add", map[string]any{"usernames": []string{"hubot", "monalisa", "HUBOT"}}, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var users []map[string]any
	require.NoError(t, json.Unmarshal(body, &users))
	assert.Len(t, users, 2)
	assert.Equal(t, []string{"hubot", "monalisa", "octocat"}, s.Members("ent:platform"))

	resp, _ = call(t, s, http.MethodPost, path+"remove", map[string]any{"usernames": []string{"octocat", "hubot"}}, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{"monalisa"}, s.Members("ent:platform"))

	for _, tc := range []struct {
		body   string
		status int
	}{
		{`{"usernames":`, http.StatusBadRequest},
		{`["octocat"]`, http.StatusBadRequest},
		{`{"users":["octocat"]}`, http.StatusUnprocessableEntity},
		{`{"usernames":[1]}`, http.StatusUnprocessableEntity},
	} {
		resp, _ := call(t, s, http.MethodPost, path+"add", []byte(tc.body), nil)
		assert.Equal(t, tc.status, resp.StatusCode, tc.body)
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithPathPrefix("/api/v3"))
	members := make([]string, 65)
	for i := range members {
		members[i] = fmt.Sprintf("user%03d", i)
	}
	s.SeedTeam("ent:big", "Big", members...)
	path := "/enterprises/acme/teams/ent:big/memberships"

	resp, body := call(t, s, http.MethodGet, path, nil, nil)
	var page []map[string]any
	require.NoError(t, json.Unmarshal(body, &page))
	assert.Len(t, page, 30, "default page size")
	abs := s.URL() + path
	assert.Equal(t,
		fmt.Sprintf(`<%s?page=2&per_page=30>; rel="next", <%s?page=3&per_page=30>; rel="last"`, abs, abs),
		resp.Header.Get("Link"))

	resp, body = call(t, s, http.MethodGet, path+"?per_page=30&page=2", nil, nil)
	require.NoError(t, json.Unmarshal(body, &page))
	assert.Equal(t, "user030", page[0]["login"])
	assert.Equal(t, fmt.Sprintf(`<%[1]s?page=1&per_page=30>; rel="prev", <%[1]s?page=3&per_page=30>; rel="next", `+
		`<%[1]s?page=3&per_page=30>; rel="last", <%[1]s?page=1&per_page=30>; rel="first"`, abs), resp.Header.Get("Link"))

	resp, body = call(t, s, http.MethodGet, path+"?per_page=30&page=3", nil, nil)
	require.NoError(t, json.Unmarshal(body, &page))
	assert.Len(t, page, 5)
	assert.NotContains(t, resp.Header.Get("Link"), `rel="next"`)

	resp, body = call(t, s, http.MethodGet, path+"?per_page=500", nil, nil)
	require.NoError(t, json.Unmarshal(body, &page))
	assert.Len(t, page, 65, "per_page is capped at 100, which holds everything")
	assert.Empty(t, resp.Header.Get("Link"), "no Link header when one page holds everything")
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.SeedTeam("ent:platform", "Platform", "octocat")
	list := "/enterprises/acme/teams"

	s.Fail(http.MethodGet, "/memberships", http.StatusBadGateway, 1)
	resp, _ := call(t, s, http.MethodGet, list, nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "fault is limited to its path")
	resp, _ = call(t, s, http.MethodGet, list+"/ent:platform/memberships", nil, nil)
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	resp, _ = call(t, s, http.MethodGet, list+"/ent:platform/memberships", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "fault is used up")

	reset := time.Unix(2_000_000_000, 0)
	s.RateLimitPrimary(1, reset)
	resp, _ = call(t, s, http.MethodGet, list, nil, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, "2000000000", resp.Header.Get("X-RateLimit-Reset"))

	s.RateLimitSecondary(1, 1500*time.Millisecond)
	resp, body := call(t, s, http.MethodGet, list, nil, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "2", resp.Header.Get("Retry-After"))
	assert.Contains(t, string(body), "secondary rate limit")

	s.RateLimitSecondaryWithStatus(http.StatusTooManyRequests, 1, 0)
	resp, _ = call(t, s, http.MethodGet, list, nil, nil)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Retry-After"))

	s.Malformed("/teams", 1)
	resp, body = call(t, s, http.MethodGet, list, nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.False(t, json.Valid(body))

	s.Fail("*", "", http.StatusUnprocessableEntity, 1)
	resp, body = call(t, s, http.MethodGet, list, nil, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, string(body), `"errors"`)

	// Faults come after the credential check: a bad token is still a 401.
	s.Fail("", "", http.StatusInternalServerError, 1)
	resp, _ = call(t, s, http.MethodGet, list, nil, func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") })
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestLatencyRespectsCancellation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.SetLatency(time.Minute)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/enterprises/acme/teams", nil)
	require.NoError(t, err)
	start := time.Now()
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestRecordsRequests(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithPathPrefix("/api/v3"))
	s.SeedTeam("ent:platform", "Platform")
	s.AddUser("a/b")
	call(t, s, http.MethodPut, "/enterprises/acme/teams/ent:platform/memberships/"+url.PathEscape("a/b")+"?x=1", nil, nil)
	reqs := s.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodPut, r.Method)
	assert.Equal(t, "/api/v3/enterprises/acme/teams/ent:platform/memberships/a%2Fb", r.Path, "path as sent, still escaped")
	assert.Equal(t, "x=1", r.RawQuery)
	assert.Equal(t, "Bearer "+s.Token(), r.Header.Get("Authorization"))
	assert.Equal(t, http.StatusCreated, r.Response.Status)
	assert.Equal(t, []string{"a/b"}, s.Members("ent:platform"))
	s.ResetRequests()
	assert.Empty(t, s.Requests())
}
