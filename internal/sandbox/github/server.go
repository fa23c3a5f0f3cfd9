// Package githubsandbox is an in-memory stand-in for GitHub's Enterprise Teams REST API
// on a loopback port, for console mode, the GitHub client's tests and the bot's
// end-to-end tests.
//
// It checks what GitHub checks (token, API headers, that users exist), keeps teams and
// their members in memory, paginates with real absolute Link headers, records every
// request with its response, and injects failures, rate limits, latency and broken
// bodies on demand. WithPathPrefix("/api/v3") serves it the way GitHub Enterprise
// Server does, so GHES-style base URLs get exercised too.
package githubsandbox

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"devin-chatops/internal/sandbox"
)

// Header values the fake insists on, as GitHub documents them.
const (
	DefaultToken = "ghp_fake"
	MediaType    = "application/vnd.github+json"
	APIVersion   = "2022-11-28"
	// NewerAPIVersion is the other version GitHub accepts for these operations.
	NewerAPIVersion = "2026-03-10"
)

const (
	defaultPerPage = 30
	maxPerPage     = 100
	maxBody        = 1 << 20
	docsTeams      = "https://docs.github.com/rest/enterprise-teams/enterprise-teams"
	docsMembers    = "https://docs.github.com/rest/enterprise-teams/enterprise-team-members"
	docsRateLimits = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
	docsRoot       = "https://docs.github.com/rest"
)

// Option configures a Server.
type Option func(*Server)

// WithPathPrefix serves the API under prefix, e.g. "/api/v3" as GHES does; requests
// outside it get 404. URL() includes the prefix.
func WithPathPrefix(prefix string) Option {
	return func(s *Server) { s.prefix = "/" + strings.Trim(prefix, "/") }
}

// WithToken sets the only token the fake accepts (default DefaultToken).
func WithToken(token string) Option {
	return func(s *Server) { s.token = token }
}

// RecordedRequest is one request the fake received, with the answer it gave.
type RecordedRequest struct {
	Method string
	// Path is the path exactly as sent on the wire (still escaped), prefix included.
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	// Response is what the fake answered; Status is 0 when the client went away first.
	Response RecordedResponse
}

// RecordedResponse is the fake's answer to a RecordedRequest.
type RecordedResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// Server is the fake API. All methods are safe for concurrent use.
type Server struct {
	srv        *sandbox.Server
	enterprise string
	prefix     string
	token      string

	mu         sync.Mutex
	users      map[string]*user // by lower-case login: GitHub logins are case-insensitive
	teams      map[int64]*team
	nextUserID int64
	nextTeamID int64
	requests   []RecordedRequest
	faults     []*fault
	latency    time.Duration
	requestSeq int
	// epoch anchors team timestamps so responses are reproducible.
	epoch time.Time
}

type user struct {
	id    int64
	login string
}

type team struct {
	id          int64
	slug        string
	name        string
	description string
	created     time.Time
	members     map[string]bool // lower-case logins
}

// New starts a fake for the named enterprise. Close it when done.
func New(enterprise string, opts ...Option) *Server {
	s := &Server{
		enterprise: enterprise,
		token:      DefaultToken,
		users:      map[string]*user{},
		teams:      map[int64]*team{},
		nextUserID: 1000,
		nextTeamID: 1,
		epoch:      time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	for _, o := range opts {
		o(s)
	}
	if s.prefix == "/" {
		s.prefix = ""
	}
	s.srv = sandbox.Start(http.HandlerFunc(s.serve))
	return s
}

// URL is the API base URL to hand to a client (with the path prefix, if any).
func (s *Server) URL() string { return s.srv.URL + s.prefix }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Token is the token the fake accepts.
func (s *Server) Token() string { return s.token }

// Enterprise is the enterprise slug the fake serves.
func (s *Server) Enterprise() string { return s.enterprise }

// AddUser makes login a known GitHub user and returns its id; adding an existing user
// returns the existing id.
func (s *Server) AddUser(login string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addUserLocked(login).id
}

func (s *Server) addUserLocked(login string) *user {
	key := strings.ToLower(login)
	if u, ok := s.users[key]; ok {
		return u
	}
	s.nextUserID++
	u := &user{id: s.nextUserID, login: login}
	s.users[key] = u
	return u
}

// SeedTeam creates an enterprise team and returns its id. The slug gets GitHub's
// "ent:" prefix when it lacks one; members that are not yet users are created. Seeding
// a slug twice is a mistake in the test and panics.
func (s *Server) SeedTeam(slug, name string, members ...string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	slug = strings.ToLower(slug)
	if !strings.HasPrefix(slug, "ent:") {
		slug = "ent:" + slug
	}
	for _, t := range s.teams {
		if t.slug == slug {
			panic(fmt.Sprintf("githubsandbox: team %q seeded twice", slug))
		}
	}
	if name == "" {
		name = strings.TrimPrefix(slug, "ent:")
	}
	t := &team{
		id:      s.nextTeamID,
		slug:    slug,
		name:    name,
		created: s.epoch.Add(time.Duration(s.nextTeamID) * time.Hour),
		members: map[string]bool{},
	}
	s.nextTeamID++
	for _, m := range members {
		t.members[strings.ToLower(s.addUserLocked(m).login)] = true
	}
	s.teams[t.id] = t
	return t.id
}

// Members lists the logins in a team (by slug or id), sorted; nil for an unknown team.
func (s *Server) Members(teamRef string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findTeamLocked(teamRef)
	if t == nil {
		return nil
	}
	return s.memberLoginsLocked(t)
}

// AddTeamMembers puts logins into a team (by slug or id) as someone outside the bot
// would, creating users that do not exist yet; it reports whether the team exists.
func (s *Server) AddTeamMembers(teamRef string, logins ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findTeamLocked(teamRef)
	if t == nil {
		return false
	}
	for _, l := range logins {
		t.members[strings.ToLower(s.addUserLocked(l).login)] = true
	}
	return true
}

// RemoveTeamMembers takes logins out of a team (by slug or id) as someone outside the
// bot would; it reports whether the team exists.
func (s *Server) RemoveTeamMembers(teamRef string, logins ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findTeamLocked(teamRef)
	if t == nil {
		return false
	}
	for _, l := range logins {
		delete(t.members, strings.ToLower(l))
	}
	return true
}

// Requests returns a copy of every request received so far, oldest first.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, len(s.requests))
	copy(out, s.requests)
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// SetLatency delays every following response by d (a client that gives up first is
// let go at once).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

func (s *Server) findTeamLocked(ref string) *team {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return s.teams[id]
	}
	ref = strings.ToLower(ref)
	for _, t := range s.teams {
		if t.slug == ref {
			return t
		}
	}
	return nil
}

func (s *Server) memberLoginsLocked(t *team) []string {
	out := make([]string, 0, len(t.members))
	for key := range t.members {
		out = append(out, s.users[key].login)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return out
}

// simpleUser is GitHub's "simple-user" schema with every required field.
type simpleUser struct {
	Login             string  `json:"login"`
	ID                int64   `json:"id"`
	NodeID            string  `json:"node_id"`
	AvatarURL         string  `json:"avatar_url"`
	GravatarID        *string `json:"gravatar_id"`
	URL               string  `json:"url"`
	HTMLURL           string  `json:"html_url"`
	FollowersURL      string  `json:"followers_url"`
	FollowingURL      string  `json:"following_url"`
	GistsURL          string  `json:"gists_url"`
	StarredURL        string  `json:"starred_url"`
	SubscriptionsURL  string  `json:"subscriptions_url"`
	OrganizationsURL  string  `json:"organizations_url"`
	ReposURL          string  `json:"repos_url"`
	EventsURL         string  `json:"events_url"`
	ReceivedEventsURL string  `json:"received_events_url"`
	Type              string  `json:"type"`
	SiteAdmin         bool    `json:"site_admin"`
	UserViewType      string  `json:"user_view_type"`
}

func (s *Server) simpleUser(u *user) simpleUser {
	api := s.URL() + "/users/" + url.PathEscape(u.login)
	empty := ""
	return simpleUser{
		Login:             u.login,
		ID:                u.id,
		NodeID:            base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("04:User%d", u.id))),
		AvatarURL:         fmt.Sprintf("%s/avatars/u/%d", s.srv.URL, u.id),
		GravatarID:        &empty,
		URL:               api,
		HTMLURL:           s.srv.URL + "/" + url.PathEscape(u.login),
		FollowersURL:      api + "/followers",
		FollowingURL:      api + "/following{/other_user}",
		GistsURL:          api + "/gists{/gist_id}",
		StarredURL:        api + "/starred{/owner}{/repo}",
		SubscriptionsURL:  api + "/subscriptions",
		OrganizationsURL:  api + "/orgs",
		ReposURL:          api + "/repos",
		EventsURL:         api + "/events{/privacy}",
		ReceivedEventsURL: api + "/received_events",
		Type:              "User",
		SiteAdmin:         false,
		UserViewType:      "public",
	}
}

// enterpriseTeam is GitHub's "enterprise-team" schema; MembersCount is set only on
// GET team, which returns "enterprise-team-with-member-count".
type enterpriseTeam struct {
	ID                        int64   `json:"id"`
	Name                      string  `json:"name"`
	Description               string  `json:"description"`
	Slug                      string  `json:"slug"`
	URL                       string  `json:"url"`
	SyncToOrganizations       string  `json:"sync_to_organizations"`
	OrganizationSelectionType string  `json:"organization_selection_type"`
	GroupID                   *string `json:"group_id"`
	GroupName                 *string `json:"group_name"`
	HTMLURL                   string  `json:"html_url"`
	MembersURL                string  `json:"members_url"`
	MembersCount              *int    `json:"members_count,omitempty"`
	CreatedAt                 string  `json:"created_at"`
	UpdatedAt                 string  `json:"updated_at"`
	NotificationSetting       string  `json:"notification_setting"`
}

func (s *Server) enterpriseTeam(t *team, withCount bool) enterpriseTeam {
	api := fmt.Sprintf("%s/enterprises/%s/teams/%d", s.URL(), url.PathEscape(s.enterprise), t.id)
	et := enterpriseTeam{
		ID:                        t.id,
		Name:                      t.name,
		Description:               t.description,
		Slug:                      t.slug,
		URL:                       api,
		SyncToOrganizations:       "disabled",
		OrganizationSelectionType: "disabled",
		HTMLURL: fmt.Sprintf("%s/enterprises/%s/teams/%s", s.srv.URL,
			url.PathEscape(s.enterprise), url.PathEscape(strings.TrimPrefix(t.slug, "ent:"))),
		MembersURL:          api + "/memberships{/member}",
		CreatedAt:           t.created.Format(time.RFC3339),
		UpdatedAt:           t.created.Format(time.RFC3339),
		NotificationSetting: "notifications_enabled",
	}
	if withCount {
		n := len(t.members)
		et.MembersCount = &n
	}
	return et
}
