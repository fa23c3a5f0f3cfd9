package devinsandbox

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Member is an enterprise member as the fake stores it.
type Member struct {
	UserID          string
	Email           string
	Name            string
	Role            string // enterprise role ID
	CreatedAt       time.Time
	LastLogin       *time.Time
	LoginCount      *int
	SessionsCreated int
}

// Role is an enterprise ("account") or organization ("org") role.
type Role struct {
	ID   string
	Name string
	Type string
}

// Org is an organization as the fake stores it.
type Org struct {
	ID                 string
	Name               string
	MaxCycleACULimit   *int
	MaxSessionACULimit *int
	CreatedAt          time.Time
	UpdatedAt          time.Time         // zero: CreatedAt
	Members            map[string]string // user ID -> org role ID
}

type org struct {
	Org
	memberOrder []string // user IDs in the order they joined, for stable listings
}

// Cycle is a billing cycle; ACUs used are computed from the usage records.
type Cycle struct {
	Start time.Time
	End   time.Time
}

// Usage is ACUs consumed on one billing day ("YYYY-MM-DD", the day starting at
// 08:00 UTC). An empty OrgID is usage not tied to an organization (Cascade,
// Terminal), which org-filtered queries leave out as the real API does.
type Usage struct {
	Date   string
	OrgID  string
	UserID string
	ACUs   float64
}

// AuditLog is one audit entry; Extra holds the action-specific fields.
type AuditLog struct {
	ID        string
	Action    string
	UserID    string
	UserEmail string
	OrgID     string
	CreatedAt time.Time
	Extra     map[string]any
}

// Session is a Devin session with its insight: Summary is the analysis' one
// feedback item on the prompt, ActionItems its action items.
type Session struct {
	SessionID    string
	OrgID        string
	UserID       string
	Title        string
	Status       string
	URL          string
	ACUsConsumed float64
	CreatedAt    time.Time
	UpdatedAt    time.Time // zero: CreatedAt
	Summary      string
	ActionItems  []string
	PullRequests []PullRequest
}

// PullRequest is a pull request a session opened; State is "open", "merged" or
// "closed".
type PullRequest struct {
	URL   string
	State string
}

// GitPermission is a git permission granted to an organization: v2 grants several
// repositories or group prefixes in one, v3 one repository, group prefix or prefix
// path each.
type GitPermission struct {
	ID            string
	OrgID         string
	ConnectionID  string
	RepoPaths     []string
	GroupPrefixes []string
	PrefixPath    string
	ReadOnly      bool
	CreatedAt     time.Time
}

// GitConnection is a git provider connection of the enterprise (v3 lists them).
type GitConnection struct {
	ID           string
	ProviderType string // "github_app", "github_token", …
	Name         string
	Host         string
	CreatedAt    time.Time
}

// UserIDFor is the user ID the fake gives an invited email: "email|" and 16 hex
// digits derived from the address, so tests can predict it.
func UserIDFor(email string) string {
	return "email|" + hexOf(strings.ToLower(strings.TrimSpace(email)), 8)
}

// AddMember adds a member and returns it as stored. Missing fields are filled: the
// user ID from UserIDFor, role account_member, a name from the address, creation
// now. An email that is already a member returns the existing member unchanged.
func (s *Server) AddMember(m Member) Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addMemberLocked(m)
}

func (s *Server) addMemberLocked(m Member) *Member {
	key := strings.ToLower(m.Email)
	if existing, ok := s.memberByEmail[key]; ok {
		return existing
	}
	if m.UserID == "" {
		m.UserID = UserIDFor(m.Email)
	}
	if m.Role == "" {
		m.Role = "account_member"
	}
	if m.Name == "" {
		m.Name, _, _ = strings.Cut(m.Email, "@")
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.now().UTC()
	}
	p := &m
	s.members = append(s.members, p)
	s.memberByID[m.UserID] = p
	s.memberByEmail[key] = p
	return p
}

// SeedMembers adds n members (seedNNNNNN@example.com) quickly, without audit
// entries, and returns them.
func (s *Server) SeedMembers(n int) []Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Member, 0, n)
	base := s.now().UTC().Add(-time.Duration(n) * time.Minute)
	for i := 0; len(out) < n; i++ {
		email := fmt.Sprintf("seed%06d@example.com", len(s.members)+i)
		if _, taken := s.memberByEmail[email]; taken {
			continue
		}
		out = append(out, *s.addMemberLocked(Member{Email: email, CreatedAt: base.Add(time.Duration(i) * time.Minute)}))
	}
	return out
}

// Members returns every member in creation order.
func (s *Server) Members() []Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Member, len(s.members))
	for i, m := range s.members {
		out[i] = *m
	}
	return out
}

// MemberByEmail finds a member by email, case-insensitively.
func (s *Server) MemberByEmail(email string) (Member, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.memberByEmail[strings.ToLower(email)]
	if !ok {
		return Member{}, false
	}
	return *m, true
}

// RejectInvites makes the fake silently skip these emails when invited, the way
// the real API skips addresses it will not invite without saying why.
func (s *Server) RejectInvites(emails ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range emails {
		s.rejected[strings.ToLower(e)] = true
	}
}

// SetRoles replaces the enterprise's roles.
func (s *Server) SetRoles(roles []Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles = append([]Role(nil), roles...)
}

// Roles returns the enterprise's roles.
func (s *Server) Roles() []Role {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Role(nil), s.roles...)
}

// AddOrg adds an organization and returns it; an empty ID is generated.
func (s *Server) AddOrg(o Org) Org {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addOrgLocked(o).snapshot()
}

func (s *Server) addOrgLocked(o Org) *org {
	if o.ID == "" {
		o.ID = "org-" + s.nextHexLocked(o.Name, 8)
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = s.now().UTC()
	}
	stored := &org{Org: o}
	stored.Members = map[string]string{}
	for uid, role := range o.Members {
		stored.Members[uid] = role
		stored.memberOrder = append(stored.memberOrder, uid)
	}
	sort.Strings(stored.memberOrder)
	s.orgs = append(s.orgs, stored)
	s.orgByID[o.ID] = stored
	delete(s.deletedOrgs, o.ID)
	return stored
}

func (o *org) snapshot() Org {
	c := o.Org
	c.Members = maps.Clone(o.Members)
	return c
}

// Orgs returns every organization in creation order.
func (s *Server) Orgs() []Org {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Org, len(s.orgs))
	for i, o := range s.orgs {
		out[i] = o.snapshot()
	}
	return out
}

// OrgByID returns one organization.
func (s *Server) OrgByID(id string) (Org, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgByID[id]
	if !ok {
		return Org{}, false
	}
	return o.snapshot(), true
}

// SetCycles replaces the billing cycles (oldest first).
func (s *Server) SetCycles(cycles []Cycle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cycles = append([]Cycle(nil), cycles...)
}

// SetConsumption replaces every usage record.
func (s *Server) SetConsumption(records []Usage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usage = append([]Usage(nil), records...)
}

// AddUsage records acus consumed on billing day date ("YYYY-MM-DD") by userID in
// orgID (empty for usage outside any organization).
func (s *Server) AddUsage(date, orgID, userID string, acus float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usage = append(s.usage, Usage{Date: date, OrgID: orgID, UserID: userID, ACUs: acus})
}

// AddAuditLog appends an audit entry and returns it; an empty ID or time is filled.
func (s *Server) AddAuditLog(e AuditLog) AuditLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addAuditLocked(e)
}

func (s *Server) addAuditLocked(e AuditLog) AuditLog {
	if e.ID == "" {
		e.ID = "audit_log-" + s.nextHexLocked("audit", 16)
	}
	if e.CreatedAt.IsZero() {
		// Strictly increasing (at millisecond precision, the API's unit), so
		// "newest first" is well defined even for entries made in the same instant.
		t := s.now().UTC().Truncate(time.Millisecond)
		if !t.After(s.lastAudit) {
			t = s.lastAudit.Add(time.Millisecond)
		}
		e.CreatedAt = t
	}
	if e.CreatedAt.After(s.lastAudit) {
		s.lastAudit = e.CreatedAt
	}
	s.audit = append(s.audit, e)
	return e
}

// auditAsOwner records an action the fake's key owner performed.
func (s *Server) auditAsOwner(action, orgID string, extra map[string]any) {
	s.addAuditLocked(AuditLog{Action: action, UserID: OwnerUserID, UserEmail: OwnerEmail, OrgID: orgID, Extra: extra})
}

// AuditLogs returns every audit entry, oldest first.
func (s *Server) AuditLogs() []AuditLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AuditLog(nil), s.audit...)
}

// AddSession adds a session; an empty ID or time is filled.
func (s *Server) AddSession(sess Session) Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess.SessionID == "" {
		sess.SessionID = "devin-" + s.nextHexLocked("session", 16)
	}
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = s.now().UTC()
	}
	if sess.URL == "" {
		sess.URL = "https://app.devin.ai/sessions/" + strings.TrimPrefix(sess.SessionID, "devin-")
	}
	if sess.Status == "" {
		sess.Status = "finished"
	}
	sess.ActionItems = slices.Clone(sess.ActionItems)
	sess.PullRequests = slices.Clone(sess.PullRequests)
	s.sessions = append(s.sessions, sess)
	return sess
}

// AddGitPermission grants a git permission as if it had been granted before, and
// returns it as stored (with an ID when it had none).
func (s *Server) AddGitPermission(p GitPermission) GitPermission {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ID == "" {
		p.ID = "perm-" + s.nextHexLocked("perm", 8)
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.now().UTC()
	}
	s.gitPerms = append(s.gitPerms, p)
	return p
}

// AddGitConnection adds a git connection and returns it as stored: the provider
// type defaults to github_app, the host to github.com. v3 grants permissions only on
// a connection the enterprise has.
func (s *Server) AddGitConnection(c GitConnection) GitConnection {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ID == "" {
		c.ID = "git-conn-" + s.nextHexLocked("conn", 8)
	}
	if c.ProviderType == "" {
		c.ProviderType = "github_app"
	}
	if c.Host == "" {
		c.Host = "github.com"
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now().UTC()
	}
	s.connections = append(s.connections, c)
	return c
}

// GitPermissions returns the git permissions granted to an organization.
func (s *Server) GitPermissions(orgID string) []GitPermission {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []GitPermission
	for _, p := range s.gitPerms {
		if p.OrgID == orgID {
			out = append(out, p)
		}
	}
	return out
}

// defaultCycles is three monthly cycles starting on the 1st at 08:00 UTC, the last
// one containing now.
func defaultCycles(now time.Time) []Cycle {
	u := now.UTC()
	start := time.Date(u.Year(), u.Month(), 1, 8, 0, 0, 0, time.UTC)
	if u.Before(start) {
		start = start.AddDate(0, -1, 0)
	}
	var out []Cycle
	for i := -2; i <= 0; i++ {
		s := start.AddDate(0, i, 0)
		out = append(out, Cycle{Start: s, End: s.AddDate(0, 1, 0)})
	}
	return out
}
