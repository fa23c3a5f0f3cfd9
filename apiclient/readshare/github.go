package readshare

import (
	"context"
	"strings"
	"time"

	"devin-chatops/apiclient/github"
	"devin-chatops/clock"
	"devin-chatops/internal/share"
)

// GitHubReader is the GitHub client's read calls that GitHub shares (*github.Client).
type GitHubReader interface {
	ListTeams(ctx context.Context) ([]github.Team, error)
	GetTeam(ctx context.Context, team string) (*github.Team, error)
	ListTeamMembers(ctx context.Context, team string) ([]github.User, error)
	GetUser(ctx context.Context, login string) (*github.User, error)
}

var (
	_ GitHubReader = (*github.Client)(nil)
	_ GitHubReader = (*GitHub)(nil)
)

// GitHub shares the GitHub Enterprise Teams read calls. It is safe for concurrent use.
type GitHub struct {
	c           GitHubReader
	teams       *share.Group[struct{}, []github.Team]
	team        *share.Group[string, *github.Team]
	teamMembers *share.Group[string, []github.User]
	user        *share.Group[string, *github.User]
}

// NewGitHub shares c's reads, reusing each answer for ttl (DefaultTTL is a good value;
// 0 or less shares only the calls in flight). A nil clock is the wall clock.
func NewGitHub(c GitHubReader, ttl time.Duration, clk clock.Clock) *GitHub {
	return &GitHub{
		c:           c,
		teams:       share.New[struct{}](share.Options[[]github.Team]{TTL: ttl, Clock: clk, Clone: cloneTeams}),
		team:        share.New[string](share.Options[*github.Team]{TTL: ttl, Clock: clk, Clone: cloneTeam}),
		teamMembers: share.New[string](share.Options[[]github.User]{TTL: ttl, Clock: clk, Clone: cloneUsers}),
		user:        share.New[string](share.Options[*github.User]{TTL: ttl, Clock: clk, Clone: cloneUser}),
	}
}

// ListTeams is github.Client.ListTeams, shared.
func (g *GitHub) ListTeams(ctx context.Context) ([]github.Team, error) {
	return g.teams.Do(ctx, struct{}{}, g.c.ListTeams)
}

// GetTeam is github.Client.GetTeam, shared per team as named.
func (g *GitHub) GetTeam(ctx context.Context, team string) (*github.Team, error) {
	return g.team.Do(ctx, team, func(ctx context.Context) (*github.Team, error) {
		return g.c.GetTeam(ctx, team)
	})
}

// ListTeamMembers is github.Client.ListTeamMembers, shared per team as named.
func (g *GitHub) ListTeamMembers(ctx context.Context, team string) ([]github.User, error) {
	return g.teamMembers.Do(ctx, team, func(ctx context.Context) ([]github.User, error) {
		return g.c.ListTeamMembers(ctx, team)
	})
}

// GetUser is github.Client.GetUser, shared per login (GitHub ignores its case).
func (g *GitHub) GetUser(ctx context.Context, login string) (*github.User, error) {
	return g.user.Do(ctx, strings.ToLower(login), func(ctx context.Context) (*github.User, error) {
		return g.c.GetUser(ctx, login)
	})
}

// Forget drops every answer kept and detaches the calls in flight, so the next read of
// each call is fresh. Call it after changing a team.
func (g *GitHub) Forget() {
	g.teams.Forget()
	g.team.Forget()
	g.teamMembers.Forget()
	g.user.Forget()
}
