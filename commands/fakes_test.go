package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
	"devin-chatops/audit"
	"devin-chatops/clock/clocktest"
	"devin-chatops/slackui"
)

// testNow is the fixed clock of every router test: day 12 of the May 2024 cycle.
var testNow = time.Date(2024, 5, 12, 15, 0, 0, 0, time.UTC)

// fakeDevin answers the Devin calls from its fields and records what it was asked.
type fakeDevin struct {
	mu sync.Mutex

	members    []devin.Member
	membersErr error
	orgs       []devin.Organization
	orgsErr    error
	cycles     []devin.Cycle
	cyclesErr  error
	cons       *devin.Consumption
	consErr    error
	logs       []devin.AuditLogEntry
	logsErr    error
	// sessions, sessionsErr, sessionQueries: see sessions_test.go.
	sessions       []devin.SessionInsight
	sessionsErr    error
	sessionQueries []devin.SessionInsightsQuery
	// gitPerms are the git permissions by organization ID (permissionadd_test.go).
	gitPerms    map[string][]devin.GrantedGitPermission
	gitPermsErr error

	// orgMembers by org ID; orgMembersErr fails ListOrgMembers.
	orgMembers    map[string][]devin.OrgMember
	orgMembersErr error

	// block makes every call wait for its context to end (a slow API).
	block bool

	memberQueries []devin.ListMembersOptions
	consQueries   []devin.ConsumptionQuery
	auditQueries  []devin.AuditLogsQuery
	found         []string
}

func (f *fakeDevin) wait(ctx context.Context) error {
	if f.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (f *fakeDevin) ListMembers(ctx context.Context, opts devin.ListMembersOptions) ([]devin.Member, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.memberQueries = append(f.memberQueries, opts)
	if f.membersErr != nil {
		return nil, f.membersErr
	}
	return append([]devin.Member(nil), f.members...), nil
}

func (f *fakeDevin) ListOrganizations(ctx context.Context) ([]devin.Organization, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	if f.orgsErr != nil {
		return nil, f.orgsErr
	}
	return append([]devin.Organization(nil), f.orgs...), nil
}

// FindOrganization matches like the real client: exact ID, else case-insensitive name.
func (f *fakeDevin) FindOrganization(ctx context.Context, idOrName string) (*devin.Organization, error) {
	f.mu.Lock()
	f.found = append(f.found, idOrName)
	f.mu.Unlock()
	orgs, err := f.ListOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	for i := range orgs {
		if orgs[i].ID == idOrName || strings.EqualFold(orgs[i].Name, idOrName) {
			return &orgs[i], nil
		}
	}
	return nil, &apiclient.Error{API: devin.APIName, Kind: apiclient.KindNotFound, Message: "no organization has the ID or name " + idOrName}
}

func (f *fakeDevin) ListOrgMembers(ctx context.Context, orgID string) ([]devin.OrgMember, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	if f.orgMembersErr != nil {
		return nil, f.orgMembersErr
	}
	return append([]devin.OrgMember(nil), f.orgMembers[orgID]...), nil
}

func (f *fakeDevin) ListCycles(ctx context.Context) ([]devin.Cycle, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	return f.cycles, f.cyclesErr
}

func (f *fakeDevin) DailyConsumption(ctx context.Context, q devin.ConsumptionQuery) (*devin.Consumption, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consQueries = append(f.consQueries, q)
	return f.cons, f.consErr
}

func (f *fakeDevin) AuditLogs(ctx context.Context, q devin.AuditLogsQuery) ([]devin.AuditLogEntry, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auditQueries = append(f.auditQueries, q)
	if f.logsErr != nil {
		return nil, f.logsErr
	}
	return append([]devin.AuditLogEntry(nil), f.logs...), nil
}

// fakeGitHub answers the GitHub calls from its fields.
type fakeGitHub struct {
	mu sync.Mutex

	teams    []github.Team
	teamsErr error
	// members by team as the command passes it ("ent:platform").
	members    map[string][]github.User
	membersErr error
	getTeamErr error
	// unknownUsers are logins GetUser answers 404 for (offboard_test.go).
	unknownUsers map[string]bool
	userErr      error

	memberCalls []string
	userCalls   []string // the logins GetUser was asked for
}

func (f *fakeGitHub) ListTeams(context.Context) ([]github.Team, error) {
	return append([]github.Team(nil), f.teams...), f.teamsErr
}

func (f *fakeGitHub) GetTeam(_ context.Context, team string) (*github.Team, error) {
	if f.getTeamErr != nil {
		return nil, f.getTeamErr
	}
	for _, t := range f.teams {
		if t.Slug == team || teamID(t.ID) == team {
			return &t, nil
		}
	}
	return nil, ghNotFound()
}

func (f *fakeGitHub) ListTeamMembers(_ context.Context, team string) ([]github.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.memberCalls = append(f.memberCalls, team)
	if f.membersErr != nil {
		return nil, f.membersErr
	}
	users, ok := f.members[team]
	if !ok {
		// A team known by slug or id, as GitHub resolves either; without members of
		// its own it has none.
		for _, t := range f.teams {
			if t.Slug == team || teamID(t.ID) == team {
				users, ok = f.members[t.Slug], true
			}
		}
	}
	if !ok {
		return nil, ghNotFound()
	}
	return append([]github.User(nil), users...), nil
}

func ghNotFound() error {
	return &apiclient.Error{API: github.APIName, Hints: github.Hints(), Kind: apiclient.KindNotFound, Status: 404}
}

// fakeApprovals records submissions. Like the real service, Submit checks the
// requester (canRequest, canErr) before it stores anything.
type fakeApprovals struct {
	mu sync.Mutex

	canRequest bool
	canErr     error
	submitErr  error
	pending    []approvals.PendingView
	pendingErr error

	submitted []approvals.Submission
}

func (f *fakeApprovals) Submit(_ context.Context, sub approvals.Submission) (approvals.Request, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.canErr != nil:
		return approvals.Request{}, fmt.Errorf("check requester: %w", f.canErr)
	case !f.canRequest:
		return approvals.Request{}, approvals.ErrNotRequester
	}
	if f.submitErr != nil {
		return approvals.Request{}, f.submitErr
	}
	f.submitted = append(f.submitted, sub)
	return approvals.Request{
		ID: "R7K3QX0", Action: sub.Action, Requester: sub.Requester, Items: sub.Items,
		Role: sub.Role, Org: sub.Org, Team: sub.Team, Reason: sub.Reason, State: approvals.StatePending,
		CreatedAt: testNow, ExpiresAt: testNow.Add(24 * time.Hour),
	}, nil
}

func (f *fakeApprovals) Pending(context.Context) ([]approvals.PendingView, error) {
	return f.pending, f.pendingErr
}

// fakeAudit stores events and counts kicks.
type fakeAudit struct {
	mu     sync.Mutex
	err    error
	events []audit.Event
	kicks  int
	// ctxErr is the state of the context each write was given.
	ctxErrs []error
}

func (f *fakeAudit) AppendAudit(ctx context.Context, events ...audit.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ctxErrs = append(f.ctxErrs, ctx.Err())
	if f.err != nil {
		return f.err
	}
	f.events = append(f.events, events...)
	return nil
}

func (f *fakeAudit) Kick() { f.mu.Lock(); f.kicks++; f.mu.Unlock() }

func (f *fakeAudit) last(t *testing.T) audit.Event {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.events, "no audit event written")
	return f.events[len(f.events)-1]
}

// env is a router wired to fakes, and the log it writes.
type env struct {
	files     *fakeSlackFiles
	devin     *fakeDevin
	github    *fakeGitHub
	approvals *fakeApprovals
	audit     *fakeAudit
	logs      *bytes.Buffer
	deps      Deps
}

func newEnv() *env {
	e := &env{
		devin:     &fakeDevin{},
		github:    &fakeGitHub{members: map[string][]github.User{}},
		approvals: &fakeApprovals{canRequest: true},
		audit:     &fakeAudit{},
		logs:      &bytes.Buffer{},
	}
	e.deps = Deps{
		Devin: e.devin, GitHub: e.github, Approvals: e.approvals,
		Audit: e.audit, Kicker: e.audit, ApprovalChannel: "CAPPROVAL",
	}
	e.files = withReports(e)
	return e
}

func (e *env) router() *Router {
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return NewRouter(e.deps, logger, clocktest.New(testNow))
}

func (e *env) run(t *testing.T, text string) slackui.Reply {
	t.Helper()
	r := e.router().HandleSlash(context.Background(), slash(text))
	checkLimits(t, r.Message)
	return r
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func slash(text string) slack.SlashCommand {
	return slack.SlashCommand{
		Command: "/devin", Text: text, UserID: "U1", ChannelID: "C1",
		ResponseURL: "https://hooks.slack.test/commands/1", TriggerID: "T1",
	}
}

// textOf is everything a user can read in a message: the fallback and every section.
func textOf(m slackui.Message) string {
	parts := []string{m.Text}
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Text != nil {
				parts = append(parts, b.Text.Text)
			}
		case *slack.ContextBlock:
			for _, el := range b.ContextElements.Elements {
				if to, ok := el.(*slack.TextBlockObject); ok {
					parts = append(parts, to.Text)
				}
			}
		}
	}
	return strings.Join(parts, "\n")
}

// blocksText is the text of the blocks only, as Slack renders them.
func blocksText(m slackui.Message) string {
	var parts []string
	for _, b := range m.Blocks {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil {
			parts = append(parts, s.Text.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// checkLimits fails when a message breaks a Block Kit limit or would not encode.
func checkLimits(t *testing.T, m slackui.Message) {
	t.Helper()
	assert.LessOrEqual(t, len(m.Blocks), slackui.MaxBlocks, "too many blocks")
	assert.LessOrEqual(t, utf8.RuneCountInString(m.Text), slackui.MaxMessageText, "fallback text too long")
	for i, b := range m.Blocks {
		s, ok := b.(*slack.SectionBlock)
		if !ok {
			continue
		}
		require.NotNil(t, s.Text, "section %d has no text", i)
		assert.NotEmpty(t, strings.TrimSpace(s.Text.Text), "section %d is empty", i)
		assert.LessOrEqual(t, utf8.RuneCountInString(s.Text.Text), slackui.MaxSectionText, "section %d is too long", i)
	}
	_, err := json.Marshal(slack.Blocks{BlockSet: m.Blocks})
	assert.NoError(t, err)
}

// apiErr is an error as the named API's client returns it, with that client's hints.
func apiErr(api string, kind apiclient.Kind, status int) error {
	hints := map[string]apiclient.Hints{devin.APIName: devin.Hints(), github.APIName: github.Hints()}[api]
	return &apiclient.Error{API: api, Hints: hints, Kind: kind, Status: status, Method: "GET", Path: "/x", RetryAfter: 30 * time.Second}
}

func intp(n int) *int              { return &n }
func timep(t time.Time) *time.Time { return &t }
func floatp(f float64) *float64    { return &f }
