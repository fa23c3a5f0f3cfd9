package github

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
)

func TestListTeamMembersPaginates(t *testing.T) {
	t.Parallel()
	for _, b := range bases() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b)
			names := logins("member", 250)
			e.fake.SeedTeam("ent:big", "Big", names...)

			members, err := e.client.ListTeamMembers(t.Context(), "big")
			require.NoError(t, err)
			assert.Equal(t, names, loginsOf(members))

			reqs := e.fake.Requests()
			require.Len(t, reqs, 3, "250 members = 3 pages of 100")
			path := b.prefix + "/enterprises/acme/teams/ent:big/memberships"
			for i, r := range reqs {
				assert.Equal(t, path, r.Path, "links keep the base path")
				want := "per_page=100"
				if i > 0 {
					want = fmt.Sprintf("page=%d&per_page=100", i+1)
				}
				assert.Equal(t, want, r.RawQuery)
			}
		})
	}
}

func TestListTeamsPaginates(t *testing.T) {
	t.Parallel()
	for _, b := range []base{bases()[0], bases()[2]} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b)
			for i := range 230 {
				e.fake.SeedTeam(fmt.Sprintf("team-%03d", i), fmt.Sprintf("Team %d", i))
			}
			teams, err := e.client.ListTeams(t.Context())
			require.NoError(t, err)
			require.Len(t, teams, 230)
			assert.Equal(t, "ent:team-000", teams[0].Slug)
			assert.Equal(t, "ent:team-229", teams[229].Slug)
			assert.Len(t, e.fake.Requests(), 3)
		})
	}
}

func TestListOfOnePageSendsOneRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, bases()[0])
	e.fake.SeedTeam("ent:platform", "Platform", logins("m", 100)...)
	members, err := e.client.ListTeamMembers(t.Context(), "platform")
	require.NoError(t, err)
	assert.Len(t, members, 100)
	assert.Len(t, e.fake.Requests(), 1)
}

func TestNextLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"absent", nil, ""},
		{"github style", []string{`<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"`}, "https://api.github.com/x?page=2"},
		{"next not first", []string{`<https://h/x?page=1>; rel="prev", <https://h/x?page=3>; rel="next"`}, "https://h/x?page=3"},
		{"only last", []string{`<https://h/x?page=1>; rel="first", <https://h/x?page=1>; rel="prev"`}, ""},
		{"comma inside URL", []string{`<https://h/x?labels=a,b&page=2>; rel="next"`}, "https://h/x?labels=a,b&page=2"},
		{"unquoted and spaced", []string{`<https://h/x?page=2> ; rel=next`}, "https://h/x?page=2"},
		{"several rels", []string{`<https://h/x?page=2>; rel="last next"`}, "https://h/x?page=2"},
		{"second header value", []string{`<https://h/x?page=1>; rel="prev"`, `<https://h/x?page=3>; rel="next"`}, "https://h/x?page=3"},
		{"nextish is not next", []string{`<https://h/x?page=2>; rel="nextpage"`}, ""},
		{"broken", []string{`<https://h/x?page=2; rel="next"`}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, nextLink(tc.values))
		})
	}
}

// TestPaginationStaysOnHost: the token goes with every request, so a Link to another
// host is refused, never followed.
func TestPaginationStaysOnHost(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := newScriptedServer(t, func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		_, _ = w.Write([]byte(`[]`))
	})
	tests := []struct {
		name string
		link func(self string) string
	}{
		{"other host", func(string) string { return other.URL + "/enterprises/acme/teams?page=2" }},
		{"other scheme", func(self string) string { return "https" + self[len("http"):] + "/enterprises/acme/teams?page=2" }},
		{"credentials", func(self string) string { return "http://u:p@" + self[len("http://"):] + "/x?page=2" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var self string
			srv := newScriptedServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, tc.link(self)))
				w.Header().Set("X-GitHub-Request-Id", "ABC:123")
				_, _ = w.Write([]byte(`[{"id":1,"slug":"ent:a"}]`))
			})
			self = srv.URL
			c, err := New(srv.URL, "acme", "tok", WithClock(newFakeClock()))
			require.NoError(t, err)
			_, err = c.ListTeams(t.Context())
			require.Error(t, err)
			assert.ErrorIs(t, err, apiclient.ErrDecode)
			assert.Contains(t, err.Error(), "does not point to the configured GitHub host")
			var ae *apiclient.Error
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "ABC:123", ae.RequestID)
			assert.Zero(t, elsewhere.Load())
		})
	}
}

func TestPaginationRelativeLinksAndDuplicates(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := newScriptedServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Query().Get("page") == "" {
			w.Header().Set("Link", `</api/v3/enterprises/acme/teams/ent:a/memberships?page=2&per_page=100>; rel="next"`)
			_, _ = w.Write([]byte(`[{"login":"a","id":1},{"login":"b","id":2}]`))
			return
		}
		// The list shifted between pages: "b" shows up again.
		_, _ = w.Write([]byte(`[{"login":"b","id":2},{"login":"c","id":3}]`))
	})
	c, err := New(srv.URL+"/api/v3", "acme", "tok", WithClock(newFakeClock()))
	require.NoError(t, err)
	users, err := c.ListTeamMembers(t.Context(), "a")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, loginsOf(users))
	assert.EqualValues(t, 2, hits.Load())
}

func TestPaginationThatNeverEnds(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := newScriptedServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		// Loops back to a page already read.
		w.Header().Set("Link", fmt.Sprintf(`</enterprises/acme/teams?page=%d>; rel="next"`, n%3+1))
		_, _ = w.Write([]byte(`[]`))
	})
	c, err := New(srv.URL, "acme", "tok", WithClock(newFakeClock()))
	require.NoError(t, err)
	_, err = c.ListTeams(t.Context())
	require.Error(t, err)
	assert.ErrorIs(t, err, apiclient.ErrDecode)
	assert.Contains(t, err.Error(), "pagination did not end")
	assert.LessOrEqual(t, hits.Load(), int32(5))
}
