package github

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
)

func TestNew(t *testing.T) {
	t.Parallel()
	const secret = "ghp_S3cr3tTokenValue"
	tests := []struct {
		name, base, enterprise, token string
		wantErr                       string
		wantPrefix                    string
		wantGHES                      bool
	}{
		{name: "github.com", base: "https://api.github.com", enterprise: "acme", token: secret, wantPrefix: "https://api.github.com/enterprises/acme/teams"},
		{name: "github.com trailing slash", base: "https://api.github.com/", enterprise: "acme", token: secret, wantPrefix: "https://api.github.com/enterprises/acme/teams"},
		{name: "ghe.com", base: "https://api.octo.ghe.com", enterprise: "acme", token: secret, wantPrefix: "https://api.octo.ghe.com/enterprises/acme/teams"},
		{name: "ghes", base: "https://ghe.example.com/api/v3", enterprise: "acme", token: secret, wantPrefix: "https://ghe.example.com/api/v3/enterprises/acme/teams", wantGHES: true},
		{name: "ghes trailing slashes", base: " https://ghe.example.com/api/v3// ", enterprise: " acme ", token: " " + secret + "\n", wantPrefix: "https://ghe.example.com/api/v3/enterprises/acme/teams", wantGHES: true},
		{name: "enterprise escaped", base: "https://api.github.com", enterprise: "a b", token: secret, wantPrefix: "https://api.github.com/enterprises/a%20b/teams"},
		{name: "no scheme", base: "api.github.com", enterprise: "acme", token: secret, wantErr: "https://"},
		{name: "ftp", base: "ftp://api.github.com", enterprise: "acme", token: secret, wantErr: "https://"},
		{name: "no host", base: "https:///api/v3", enterprise: "acme", token: secret, wantErr: "no host"},
		{name: "credentials in URL", base: "https://user:" + secret + "@api.github.com", enterprise: "acme", token: secret, wantErr: "credentials"},
		{name: "query", base: "https://api.github.com?x=1", enterprise: "acme", token: secret, wantErr: "query"},
		{name: "bad URL", base: "https://api.github.com/%zz", enterprise: "acme", token: secret, wantErr: "not a URL"},
		{name: "bad URL with credentials", base: "https://u:" + secret + "@api.github.com/%zz", enterprise: "acme", token: secret, wantErr: "not a URL"},
		{name: "empty enterprise", base: "https://api.github.com", enterprise: " ", token: secret, wantErr: "enterprise is empty"},
		{name: "dot-dot enterprise", base: "https://api.github.com", enterprise: "..", token: secret, wantErr: "not a valid enterprise"},
		{name: "empty token", base: "https://api.github.com", enterprise: "acme", token: "  ", wantErr: "token is empty"},
		{name: "token with newline", base: "https://api.github.com", enterprise: "acme", token: secret + "\r\nX-Evil: 1", wantErr: "control"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.base, tc.enterprise, tc.token)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.NotContains(t, err.Error(), secret, "errors never carry the token")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantPrefix, c.endpoint(nil, "enterprises", c.enterprise, "teams"))
			assert.Equal(t, tc.wantGHES, c.ghes)
			assert.Equal(t, "Bearer "+secret, c.headers().Get("Authorization"))
		})
	}
}

func TestNormalizeTeam(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"ent:platform":   "ent:platform",
		"platform":       "ent:platform",
		"Platform":       "ent:platform",
		"  ENT:Platform": "ent:platform",
		"42":             "42",
		" 42 ":           "42",
		"42a":            "ent:42a",
		"my-team":        "ent:my-team",
		"":               "",
	}
	for in, want := range tests {
		assert.Equal(t, want, NormalizeTeam(in), "NormalizeTeam(%q)", in)
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opts   []Option
		wantUA string
	}{
		{"default user agent", nil, "devin-chatops"},
		{"custom user agent", []Option{WithUserAgent("devin-chatops/1.2")}, "devin-chatops/1.2"},
		{"empty user agent keeps default", []Option{WithUserAgent("")}, "devin-chatops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, bases()[0], tc.opts...)
			e.fake.SeedTeam("ent:platform", "Platform")
			e.fake.AddUser("octocat")
			_, err := e.client.BulkAddMembers(t.Context(), "platform", []string{"octocat"})
			require.NoError(t, err)
			_, err = e.client.GetTeam(t.Context(), "platform")
			require.NoError(t, err)
			reqs := e.fake.Requests()
			require.Len(t, reqs, 2)
			for _, r := range reqs {
				assert.Equal(t, "application/vnd.github+json", r.Header.Get("Accept"))
				assert.Equal(t, "2022-11-28", r.Header.Get("X-GitHub-Api-Version"))
				assert.Equal(t, "Bearer "+e.fake.Token(), r.Header.Get("Authorization"))
				assert.Equal(t, tc.wantUA, r.Header.Get("User-Agent"))
			}
			assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
			assert.JSONEq(t, `{"usernames":["octocat"]}`, string(reqs[0].Body))
			assert.Empty(t, reqs[1].Header.Get("Content-Type"), "no body, no Content-Type")
			assert.Empty(t, reqs[1].Body)
		})
	}
}

// TestMethods runs every method against the fake at each base URL shape and checks
// both the result and the request on the wire.
func TestMethods(t *testing.T) {
	t.Parallel()
	for _, b := range bases() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b)
			id := e.fake.SeedTeam("ent:platform", "Platform", "octocat", "hubot")
			e.fake.SeedTeam("ent:security", "Security")
			e.fake.AddUser("monalisa")
			e.fake.AddUser("defunkt")
			ctx := t.Context()
			c := e.client
			teamPath := b.prefix + "/enterprises/acme/teams/ent:platform"

			teams, err := c.ListTeams(ctx)
			require.NoError(t, err)
			require.Len(t, teams, 2)
			assert.Equal(t, "ent:platform", teams[0].Slug)
			assert.Equal(t, "Platform", teams[0].Name)
			assert.Nil(t, teams[0].MembersCount, "lists do not count members")

			team, err := c.GetTeam(ctx, "Platform")
			require.NoError(t, err)
			assert.Equal(t, id, team.ID)
			require.NotNil(t, team.MembersCount)
			assert.Equal(t, 2, *team.MembersCount)
			assert.Nil(t, team.GroupID)
			assert.False(t, team.CreatedAt.IsZero())
			assert.False(t, team.UpdatedAt.IsZero())
			assert.Contains(t, team.HTMLURL, "/enterprises/acme/teams/")

			members, err := c.ListTeamMembers(ctx, "ent:platform")
			require.NoError(t, err)
			assert.Equal(t, []string{"hubot", "octocat"}, loginsOf(members))
			assert.Equal(t, "User", members[0].Type)
			assert.NotZero(t, members[0].ID)
			assert.NotEmpty(t, members[0].HTMLURL)

			added, err := c.BulkAddMembers(ctx, "platform", []string{"monalisa", "defunkt"})
			require.NoError(t, err)
			assert.ElementsMatch(t, []string{"monalisa", "defunkt"}, loginsOf(added))

			removed, err := c.BulkRemoveMembers(ctx, "platform", []string{"defunkt"})
			require.NoError(t, err)
			assert.Equal(t, []string{"defunkt"}, loginsOf(removed))

			u, err := c.AddMember(ctx, "platform", "defunkt")
			require.NoError(t, err)
			assert.Equal(t, "defunkt", u.Login)

			got, err := c.GetMembership(ctx, "platform", "defunkt")
			require.NoError(t, err)
			assert.Equal(t, u.ID, got.ID)

			ok, err := c.IsMember(ctx, "platform", "defunkt")
			require.NoError(t, err)
			assert.True(t, ok)

			require.NoError(t, c.RemoveMember(ctx, "platform", "defunkt"))
			assert.Equal(t, []string{"hubot", "monalisa", "octocat"}, e.fake.Members("ent:platform"))

			ok, err = c.IsMember(ctx, "platform", "defunkt")
			require.NoError(t, err)
			assert.False(t, ok)

			_, err = c.GetMembership(ctx, "platform", "defunkt")
			require.Error(t, err)
			assert.ErrorIs(t, err, apiclient.ErrNotFound)

			var wire []string
			for _, r := range e.fake.Requests() {
				line := r.Method + " " + r.Path
				if r.RawQuery != "" {
					line += "?" + r.RawQuery
				}
				wire = append(wire, line)
			}
			want := []string{
				"GET " + b.prefix + "/enterprises/acme/teams?per_page=100",
				"GET " + teamPath,
				"GET " + teamPath + "/memberships?per_page=100",
				"POST " + teamPath + "/memberships/add",
				"POST " + teamPath + "/memberships/remove",
				"PUT " + teamPath + "/memberships/defunkt",
			}
			if b.prefix == "" {
				want = append(want,
					"GET "+teamPath+"/memberships/defunkt", // GetMembership
					"GET "+teamPath+"/memberships/defunkt", // IsMember
					"DELETE "+teamPath+"/memberships/defunkt",
					"GET "+teamPath+"/memberships/defunkt", // IsMember: 404 …
					"GET "+teamPath,                        // … so make sure the team exists
					"GET "+teamPath+"/memberships/defunkt", // GetMembership: 404
				)
			} else {
				// GHES has no GET membership endpoint: membership is read from the list.
				list := "GET " + teamPath + "/memberships?per_page=100"
				want = append(want, list, list, "DELETE "+teamPath+"/memberships/defunkt", list, list)
			}
			assert.Equal(t, want, wire)
		})
	}
}

func TestTeamAddressing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, bases()[2])
	id := e.fake.SeedTeam("ent:platform", "Platform", "octocat")
	for _, ref := range []string{"ent:platform", "platform", "Platform", " ENT:PLATFORM ", strconv.FormatInt(id, 10)} {
		t.Run(ref, func(t *testing.T) {
			team, err := e.client.GetTeam(t.Context(), ref)
			require.NoError(t, err)
			assert.Equal(t, id, team.ID)
			ok, err := e.client.IsMember(t.Context(), ref, "octocat")
			require.NoError(t, err)
			assert.True(t, ok)
		})
	}
}

// TestEscaping checks that odd input stays inside its own path segment.
func TestEscaping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, team, login string
		wantPath          string
	}{
		{"slash in login", "platform", "a/b", "/enterprises/acme/teams/ent:platform/memberships/a%2Fb"},
		{"query characters", "what?#x", "octocat", "/enterprises/acme/teams/ent:what%3F%23x/memberships/octocat"},
		{"spaces and percent", "my team%", "octo cat", "/enterprises/acme/teams/ent:my%20team%25/memberships/octo%20cat"},
		{"dot-dot team becomes a slug", "..", "octocat", "/enterprises/acme/teams/ent:../memberships/octocat"},
		{"unicode", "équipe", "octocat", "/enterprises/acme/teams/ent:%C3%A9quipe/memberships/octocat"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, bases()[0])
			_, err := e.client.AddMember(t.Context(), tc.team, tc.login)
			require.Error(t, err)
			assert.ErrorIs(t, err, apiclient.ErrNotFound, "the fake knows no such team: the path reached it intact")
			reqs := e.fake.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tc.wantPath, reqs[0].Path)
		})
	}
}

func TestRefusesBadInputWithoutSending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, bases()[0])
	ctx := t.Context()
	c := e.client
	calls := map[string]func() error{
		"empty team":          func() error { _, err := c.GetTeam(ctx, " "); return err },
		"bare prefix":         func() error { _, err := c.GetTeam(ctx, "ent:"); return err },
		"empty login":         func() error { _, err := c.AddMember(ctx, "platform", ""); return err },
		"dot login":           func() error { return c.RemoveMember(ctx, "platform", ".") },
		"dot-dot login":       func() error { _, err := c.GetMembership(ctx, "platform", ".."); return err },
		"empty login in bulk": func() error { _, err := c.BulkAddMembers(ctx, "platform", []string{"a", " "}); return err },
		"is member bad team":  func() error { _, err := c.IsMember(ctx, "", "octocat"); return err },
		"members bad team":    func() error { _, err := c.ListTeamMembers(ctx, ""); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			require.Error(t, err)
			assert.ErrorIs(t, err, apiclient.ErrBadRequest)
			assert.NotContains(t, apiclient.UserMessage(err), "(0)")
		})
	}
	assert.Empty(t, e.fake.Requests())

	users, err := c.BulkAddMembers(ctx, "platform", nil)
	require.NoError(t, err)
	assert.Empty(t, users)
	assert.Empty(t, e.fake.Requests(), "nothing to add, nothing sent")
}

func TestBulkChunking(t *testing.T) {
	t.Parallel()
	for _, b := range []base{bases()[0], bases()[2]} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b)
			e.fake.SeedTeam("ent:big", "Big")
			names := logins("user", 1000)
			for _, n := range names {
				e.fake.AddUser(n)
			}
			// Duplicates (in any case) are sent once.
			input := append(append([]string{}, names...), strings.ToUpper(names[0]), names[999])

			added, err := e.client.BulkAddMembers(t.Context(), "big", input)
			require.NoError(t, err)
			assert.Equal(t, names, loginsOf(added), "union of all chunks, in order")
			assert.Len(t, e.fake.Members("ent:big"), 1000)

			removed, err := e.client.BulkRemoveMembers(t.Context(), "big", names[:250])
			require.NoError(t, err)
			assert.Len(t, removed, 250)
			assert.Len(t, e.fake.Members("ent:big"), 750)

			var adds, removes int
			for _, r := range e.fake.Requests() {
				require.Equal(t, http.MethodPost, r.Method)
				var body struct{ Usernames []string }
				require.NoError(t, json.Unmarshal(r.Body, &body))
				assert.LessOrEqual(t, len(body.Usernames), 100)
				switch {
				case strings.HasSuffix(r.Path, "/memberships/add"):
					adds++
				case strings.HasSuffix(r.Path, "/memberships/remove"):
					removes++
				}
			}
			assert.Equal(t, 10, adds, "1,000 logins = 10 calls")
			assert.Equal(t, 3, removes, "250 logins = 3 calls")
		})
	}
}

func TestBulkPartialFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, bases()[0])
	e.fake.SeedTeam("ent:big", "Big")
	names := logins("user", 250)
	for _, n := range names {
		e.fake.AddUser(n)
	}
	// The third chunk names a user GitHub does not know: 422 for that chunk only.
	input := append(append([]string{}, names...), "ghost")

	added, err := e.client.BulkAddMembers(t.Context(), "big", input)
	require.Error(t, err)
	var be *BulkError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, "add", be.Op)
	assert.Equal(t, "ent:big", be.Team)
	assert.Len(t, be.Applied, 200)
	assert.Len(t, be.Unconfirmed, 51)
	assert.Len(t, added, 200, "users confirmed before the failure are returned")
	assert.ErrorIs(t, err, apiclient.ErrValidation)
	var ae *apiclient.Error
	require.ErrorAs(t, err, &ae)
	require.NotEmpty(t, ae.Fields)
	assert.Equal(t, "usernames", ae.Fields[0].Field)
	assert.Equal(t, "invalid", ae.Fields[0].Code)
	assert.Contains(t, ae.Fields[0].Message, "ghost")
	assert.Contains(t, apiclient.UserMessage(err), "ghost")
	assert.Len(t, e.fake.Members("ent:big"), 200)
	assert.Len(t, e.fake.Requests(), 3)
}

func TestIsMemberUnknownTeamIsAnError(t *testing.T) {
	t.Parallel()
	for _, b := range []base{bases()[0], bases()[2]} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b)
			e.fake.SeedTeam("ent:platform", "Platform", "octocat")
			e.fake.AddUser("hubot")

			ok, err := e.client.IsMember(t.Context(), "platform", "hubot")
			require.NoError(t, err)
			assert.False(t, ok, "known team, not a member")

			ok, err = e.client.IsMember(t.Context(), "platform", "never-heard-of")
			require.NoError(t, err)
			assert.False(t, ok, "an unknown user is not a member")

			ok, err = e.client.IsMember(t.Context(), "nope", "octocat")
			require.Error(t, err, "never a silent false about a team we cannot see")
			assert.False(t, ok)
			assert.ErrorIs(t, err, apiclient.ErrNotFound)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, bases()[0])
	e.fake.SeedTeam("ent:platform", "Platform", "octocat")
	e.fake.Malformed("/memberships", 1)
	_, err := e.client.ListTeamMembers(t.Context(), "platform")
	require.Error(t, err)
	assert.ErrorIs(t, err, apiclient.ErrDecode)
	var ae *apiclient.Error
	require.ErrorAs(t, err, &ae)
	assert.NotEmpty(t, ae.RequestID)
	assert.Equal(t, "/enterprises/acme/teams/ent:platform/memberships", ae.Path)
	assert.NotContains(t, err.Error(), "per_page", "queries stay out of errors")
}

func TestUnexpectedSuccessStatus(t *testing.T) {
	t.Parallel()
	srv := newScriptedServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	})
	c, err := New(srv.URL, "acme", "tok", WithClock(newFakeClock()))
	require.NoError(t, err)
	_, err = c.AddMember(t.Context(), "platform", "octocat")
	require.Error(t, err)
	assert.ErrorIs(t, err, apiclient.ErrDecode)
	assert.Contains(t, err.Error(), "unexpected status 202")
}
