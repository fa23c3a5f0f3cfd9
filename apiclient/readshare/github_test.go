package readshare_test

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient/github"
	"devin-chatops/apiclient/readshare"
	"devin-chatops/clock/clocktest"
	githubsandbox "devin-chatops/internal/sandbox/github"
)

// fakeGitHub answers the reads with fixed data, through a gate.
type fakeGitHub struct{ *gate }

func (f fakeGitHub) ListTeams(ctx context.Context) ([]github.Team, error) {
	if err := f.enter(ctx, "ListTeams"); err != nil {
		return nil, err
	}
	return []github.Team{{ID: 1, Slug: "ent:platform", MembersCount: ptr(2), GroupID: ptr("g1")}}, nil
}

func (f fakeGitHub) GetTeam(ctx context.Context, team string) (*github.Team, error) {
	if err := f.enter(ctx, "GetTeam "+team); err != nil {
		return nil, err
	}
	return &github.Team{ID: 1, Slug: team, MembersCount: ptr(2), GroupID: ptr("g1")}, nil
}

func (f fakeGitHub) ListTeamMembers(ctx context.Context, team string) ([]github.User, error) {
	if err := f.enter(ctx, "ListTeamMembers "+team); err != nil {
		return nil, err
	}
	return []github.User{{Login: "mona", ID: 7}}, nil
}

func (f fakeGitHub) GetUser(ctx context.Context, login string) (*github.User, error) {
	if err := f.enter(ctx, "GetUser "+login); err != nil {
		return nil, err
	}
	return &github.User{Login: "Mona", ID: 7}, nil
}

func TestGitHubSharesEachRead(t *testing.T) {
	tests := []struct {
		name   string
		method string
		read   func(ctx context.Context, g *readshare.GitHub) (any, error)
	}{
		{"teams", "ListTeams", func(ctx context.Context, g *readshare.GitHub) (any, error) { return g.ListTeams(ctx) }},
		{"one team", "GetTeam ent:platform", func(ctx context.Context, g *readshare.GitHub) (any, error) {
			return g.GetTeam(ctx, "ent:platform")
		}},
		{"a team's members", "ListTeamMembers ent:platform", func(ctx context.Context, g *readshare.GitHub) (any, error) {
			return g.ListTeamMembers(ctx, "ent:platform")
		}},
		{"a user", "GetUser mona", func(ctx context.Context, g *readshare.GitHub) (any, error) {
			return g.GetUser(ctx, "mona")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				clk := clocktest.New(time.Time{})
				fake := fakeGitHub{newGate(true)}
				g := readshare.NewGitHub(fake, readshare.DefaultTTL, clk)
				wait := concurrently(20, func(int) (any, error) { return tt.read(t.Context(), g) })
				synctest.Wait()
				assert.Equal(t, 1, fake.count(tt.method), "20 callers at once share one call")
				close(fake.open)
				answers := wait(t)
				for _, a := range answers[1:] {
					assert.Equal(t, answers[0], a)
				}

				_, err := tt.read(t.Context(), g)
				require.NoError(t, err)
				assert.Equal(t, 1, fake.count(tt.method), "a caller soon after gets the kept answer")

				clk.Advance(readshare.DefaultTTL)
				_, err = tt.read(t.Context(), g)
				require.NoError(t, err)
				assert.Equal(t, 2, fake.count(tt.method), "after the TTL the answer is read again")

				g.Forget()
				_, err = tt.read(t.Context(), g)
				require.NoError(t, err)
				assert.Equal(t, 3, fake.count(tt.method), "after Forget the answer is read again")
			})
		})
	}
}

func TestGitHubKeysByTeam(t *testing.T) {
	fake := fakeGitHub{newGate(false)}
	g := readshare.NewGitHub(fake, readshare.DefaultTTL, nil)
	for _, team := range []string{"ent:a", "ent:b", "ent:a"} {
		_, err := g.GetTeam(t.Context(), team)
		require.NoError(t, err)
		_, err = g.ListTeamMembers(t.Context(), team)
		require.NoError(t, err)
	}
	for _, m := range []string{"GetTeam ent:a", "GetTeam ent:b", "ListTeamMembers ent:a", "ListTeamMembers ent:b"} {
		assert.Equal(t, 1, fake.count(m), m)
	}
}

func TestGitHubAnswersAreCopies(t *testing.T) {
	fake := fakeGitHub{newGate(false)}
	g := readshare.NewGitHub(fake, readshare.DefaultTTL, nil)
	ctx := t.Context()

	teams, err := g.ListTeams(ctx)
	require.NoError(t, err)
	teams[0].Slug, *teams[0].MembersCount, *teams[0].GroupID = "x", 0, "x"
	team, err := g.GetTeam(ctx, "ent:platform")
	require.NoError(t, err)
	team.Slug, *team.MembersCount, *team.GroupID = "x", 0, "x"
	users, err := g.ListTeamMembers(ctx, "ent:platform")
	require.NoError(t, err)
	users[0].Login = "x"
	user, err := g.GetUser(ctx, "mona")
	require.NoError(t, err)
	user.Login = "x"

	wantTeams, _ := fakeGitHub{newGate(false)}.ListTeams(ctx)
	gotTeams, err := g.ListTeams(ctx)
	require.NoError(t, err)
	assert.Equal(t, wantTeams, gotTeams)
	wantTeam, _ := fakeGitHub{newGate(false)}.GetTeam(ctx, "ent:platform")
	gotTeam, err := g.GetTeam(ctx, "ent:platform")
	require.NoError(t, err)
	assert.Equal(t, wantTeam, gotTeam)
	wantUsers, _ := fakeGitHub{newGate(false)}.ListTeamMembers(ctx, "ent:platform")
	gotUsers, err := g.ListTeamMembers(ctx, "ent:platform")
	require.NoError(t, err)
	assert.Equal(t, wantUsers, gotUsers)
	wantUser, _ := fakeGitHub{newGate(false)}.GetUser(ctx, "mona")
	gotUser, err := g.GetUser(ctx, "MONA")
	require.NoError(t, err)
	assert.Equal(t, wantUser, gotUser, "one answer per login, whatever its case")
	for _, m := range []string{"ListTeams", "GetTeam ent:platform", "ListTeamMembers ent:platform", "GetUser mona"} {
		assert.Equal(t, 1, fake.count(m), m)
	}
}

// TestGitHubOverTheClient shares the real client's team listing.
func TestGitHubOverTheClient(t *testing.T) {
	fake := githubsandbox.New("acme")
	t.Cleanup(fake.Close)
	fake.SeedTeam("platform", "Platform", "mona", "hubot")
	c, err := github.New(fake.URL(), "acme", fake.Token(), github.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	require.NoError(t, err)
	g := readshare.NewGitHub(c, readshare.DefaultTTL, nil)

	answers := concurrently(30, func(int) ([]github.User, error) { return g.ListTeamMembers(t.Context(), "ent:platform") })(t)
	for _, a := range answers {
		assert.Len(t, a, 2)
	}
	assert.Len(t, fake.Requests(), 1, "one listing, shared or kept for the callers who came after it")
}
