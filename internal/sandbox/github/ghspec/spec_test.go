package ghspec_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	githubsandbox "devin-chatops/internal/sandbox/github"
	"devin-chatops/internal/sandbox/github/ghspec"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newServer(t *testing.T, opts ...githubsandbox.Option) *githubsandbox.Server {
	t.Helper()
	s := githubsandbox.New("acme", opts...)
	t.Cleanup(s.Close)
	return s
}

// call sends one well-formed request the way the client does.
func call(t *testing.T, s *githubsandbox.Server, method, path string, body any, _ func(*http.Request)) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		enc, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, rd)
	require.NoError(t, err)
	req.Header.Set("Accept", githubsandbox.MediaType)
	req.Header.Set("X-GitHub-Api-Version", githubsandbox.APIVersion)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	req.Header.Set("User-Agent", "ghspec-test")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// TestResponsesMatchSpec holds the fake to GitHub's published description, so tests
// written against it are tests against GitHub's contract.
func TestResponsesMatchSpec(t *testing.T) {
	t.Parallel()
	spec := ghspec.LoadSpec(t)
	for _, prefix := range []string{"", "/api/v3"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			s := newServer(t, githubsandbox.WithPathPrefix(prefix))
			members := make([]string, 40)
			for i := range members {
				members[i] = fmt.Sprintf("user%02d", i)
			}
			id := s.SeedTeam("ent:platform", "Platform", members...)
			s.SeedTeam("ent:security", "Security")
			s.AddUser("hubot")
			teams := "/enterprises/acme/teams"
			team := teams + "/ent:platform"
			call(t, s, http.MethodGet, teams+"?per_page=1&page=2", nil, nil)
			call(t, s, http.MethodGet, team, nil, nil)
			call(t, s, http.MethodGet, fmt.Sprintf("%s/%d", teams, id), nil, nil)
			call(t, s, http.MethodGet, team+"/memberships?per_page=30&page=2", nil, nil)
			call(t, s, http.MethodPost, team+"/memberships/add", map[string]any{"usernames": []string{"hubot"}}, nil)
			call(t, s, http.MethodPost, team+"/memberships/add", map[string]any{"usernames": []string{"ghost"}}, nil)
			call(t, s, http.MethodPost, team+"/memberships/remove", map[string]any{"usernames": []string{"hubot"}}, nil)
			call(t, s, http.MethodPut, team+"/memberships/hubot", nil, nil)
			call(t, s, http.MethodGet, team+"/memberships/hubot", nil, nil)
			call(t, s, http.MethodDelete, team+"/memberships/hubot", nil, nil)
			call(t, s, http.MethodGet, team+"/memberships/hubot", nil, nil)
			s.RateLimitPrimary(1, time.Now().Add(time.Hour))
			call(t, s, http.MethodGet, teams, nil, nil)

			reqs := s.Requests()
			require.Len(t, reqs, 12)
			for _, r := range reqs {
				assert.NoError(t, spec.ValidateRequest(t.Context(), s.URL(), r))
				assert.NoError(t, spec.ValidateResponse(t.Context(), s.URL(), r))
			}
		})
	}
}

// TestSpecCatchesMistakes proves the validator is not vacuous.
func TestSpecCatchesMistakes(t *testing.T) {
	t.Parallel()
	spec := ghspec.LoadSpec(t)
	base := "https://ghe.example.com/api/v3"
	good := githubsandbox.RecordedRequest{
		Method: http.MethodPost,
		Path:   "/api/v3/enterprises/acme/teams/ent:platform/memberships/remove",
		Header: http.Header{
			"Accept":               {githubsandbox.MediaType},
			"X-Github-Api-Version": {githubsandbox.APIVersion},
			"Authorization":        {"Bearer x"},
			"User-Agent":           {"t"},
			"Content-Type":         {"application/json"},
		},
		Body: []byte(`{"usernames":["octocat"]}`),
	}
	require.NoError(t, spec.ValidateRequest(t.Context(), base, good))

	wrongBody := good
	wrongBody.Body = []byte(`{"users":["octocat"]}`)
	assert.Error(t, spec.ValidateRequest(t.Context(), base, wrongBody), "usernames is required")

	badQuery := good
	badQuery.Method, badQuery.Path, badQuery.Body, badQuery.RawQuery = http.MethodGet, "/api/v3/enterprises/acme/teams", nil, "per_page=abc"
	assert.Error(t, spec.ValidateRequest(t.Context(), base, badQuery))

	noVersion := good
	noVersion.Header = good.Header.Clone()
	noVersion.Header.Del("X-GitHub-Api-Version")
	assert.Error(t, spec.ValidateRequest(t.Context(), base, noVersion))

	unknownRoute := good
	unknownRoute.Path = "/api/v3/enterprises/acme/teams/ent:platform/members"
	assert.Error(t, spec.ValidateRequest(t.Context(), base, unknownRoute))

	put := good
	put.Method, put.Path, put.Body = http.MethodPut, "/api/v3/enterprises/acme/teams/ent:platform/memberships/octocat", nil
	put.Response = githubsandbox.RecordedResponse{Status: http.StatusCreated, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"login":"octocat"}`)}
	assert.Error(t, spec.ValidateResponse(t.Context(), base, put), "a login-only body is not a simple-user")

	op, err := spec.OperationID(base, http.MethodPut, base+"/enterprises/acme/teams/ent:platform/memberships/octocat")
	require.NoError(t, err)
	assert.Equal(t, "enterprise-team-memberships/add", op, "{enterprise-team} routes ent: slugs")
}
