package executor_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
	"devin-chatops/executor"
)

type fakeDevin struct {
	result    *devin.InviteResult
	inviteErr error
	got       []devin.InviteRequest
	// members are the enterprise's members now, by email; listErr fails the listing.
	members []string
	listErr error
}

func (d *fakeDevin) ListMembers(_ context.Context, opts devin.ListMembersOptions) ([]devin.Member, error) {
	if d.listErr != nil {
		return nil, d.listErr
	}
	var out []devin.Member
	for _, m := range d.members {
		if opts.Email == "" || strings.EqualFold(m, opts.Email) {
			out = append(out, devin.Member{UserID: "id-" + m, Email: m})
		}
	}
	return out, nil
}

// Invite answers result and inviteErr; with neither set, everyone sent is invited.
func (d *fakeDevin) Invite(_ context.Context, req devin.InviteRequest) (*devin.InviteResult, error) {
	d.got = append(d.got, req)
	if d.result == nil && d.inviteErr == nil {
		res := &devin.InviteResult{}
		for _, e := range req.Emails {
			res.Outcomes = append(res.Outcomes, devin.InviteOutcome{Email: e, Status: devin.StatusInvited})
		}
		return res, nil
	}
	return d.result, d.inviteErr
}

// fakeTeams is a GitHub team with scripted failures.
type fakeTeams struct {
	mu      sync.Mutex
	members map[string]bool // lower-cased logins
	unknown map[string]bool // logins GitHub does not know
	listErr error
	bulkErr error // returned by bulk calls instead of applying them (unless nil)
	addErr  error // returned by AddMember for known logins
	calls   []string
}

func newFakeTeams(members ...string) *fakeTeams {
	f := &fakeTeams{members: map[string]bool{}, unknown: map[string]bool{}}
	for _, m := range members {
		f.members[strings.ToLower(m)] = true
	}
	return f
}

func (f *fakeTeams) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeTeams) ListTeamMembers(_ context.Context, team string) ([]github.User, error) {
	f.record("list " + team)
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out []github.User
	for l := range f.members {
		out = append(out, github.User{Login: strings.ToUpper(l[:1]) + l[1:]}) // GitHub's own casing
	}
	return out, nil
}

func validation(msg string) error {
	return &apiclient.Error{API: github.APIName, Hints: github.Hints(), Kind: apiclient.KindValidation, Status: 422, Message: msg}
}

func (f *fakeTeams) bulk(op string, logins []string, apply func(string)) ([]github.User, error) {
	f.record(op + " " + strings.Join(logins, ","))
	if f.bulkErr != nil {
		return nil, f.bulkErr
	}
	for _, l := range logins {
		if f.unknown[strings.ToLower(l)] {
			return nil, &github.BulkError{Op: op, Unconfirmed: logins, Err: validation("Could not resolve to a User with the login of '" + l + "'")}
		}
	}
	var out []github.User
	for _, l := range logins {
		apply(strings.ToLower(l))
		out = append(out, github.User{Login: l})
	}
	return out, nil
}

func (f *fakeTeams) BulkAddMembers(_ context.Context, _ string, logins []string) ([]github.User, error) {
	return f.bulk("add", logins, func(l string) { f.members[l] = true })
}

func (f *fakeTeams) BulkRemoveMembers(_ context.Context, _ string, logins []string) ([]github.User, error) {
	return f.bulk("remove", logins, func(l string) { delete(f.members, l) })
}

func (f *fakeTeams) AddMember(_ context.Context, _ string, login string) (*github.User, error) {
	f.record("put " + login)
	if f.unknown[strings.ToLower(login)] {
		return nil, validation("Could not resolve to a User with the login of '" + login + "'")
	}
	if f.addErr != nil {
		return nil, f.addErr
	}
	f.members[strings.ToLower(login)] = true
	return &github.User{Login: login}, nil
}

func outcomes(pairs ...string) []approvals.ItemOutcome {
	var out []approvals.ItemOutcome
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, approvals.ItemOutcome{Item: pairs[i], Status: pairs[i+1]})
	}
	return out
}

func statuses(out []approvals.ItemOutcome) []approvals.ItemOutcome {
	cp := make([]approvals.ItemOutcome, len(out))
	for i, o := range out {
		cp[i] = approvals.ItemOutcome{Item: o.Item, Status: o.Status}
	}
	return cp
}

func TestExecutorInvite(t *testing.T) {
	forbidden := &apiclient.Error{API: devin.APIName, Hints: devin.Hints(), Kind: apiclient.KindForbidden, Status: 403}
	tests := []struct {
		name      string
		req       approvals.Request
		devin     *fakeDevin
		want      []approvals.ItemOutcome
		wantOrgID string
		wantErr   bool
		reason    string // the reason every failed item must carry, when set
	}{
		{
			name: "outcomes mapped per email, org ID as the request carries it",
			req:  approvals.Request{Action: approvals.ActionInvite, Items: []string{"A@x.com", "b@x.com", "c@x.com"}, Role: "admin", Org: "org-1"},
			devin: &fakeDevin{result: &devin.InviteResult{Outcomes: []devin.InviteOutcome{
				{Email: "a@x.com", Status: devin.StatusInvited},
				{Email: "b@x.com", Status: devin.StatusAlreadyMember},
				{Email: "c@x.com", Status: devin.StatusFailed, Reason: "not added to the organization"},
			}}},
			want:      outcomes("A@x.com", "invited", "b@x.com", "already_member", "c@x.com", "failed"),
			wantOrgID: "org-1",
		},
		{
			name: "auth failure part-way keeps the outcomes so far",
			req:  approvals.Request{Action: approvals.ActionInvite, Items: []string{"a@x.com", "b@x.com"}},
			devin: &fakeDevin{inviteErr: forbidden, result: &devin.InviteResult{Outcomes: []devin.InviteOutcome{
				{Email: "a@x.com", Status: devin.StatusInvited},
			}}},
			want:    outcomes("a@x.com", "invited", "b@x.com", "failed"),
			wantErr: true, reason: "not an Enterprise Admin key",
		},
		{
			name:    "whole call fails",
			req:     approvals.Request{Action: approvals.ActionInvite, Items: []string{"a@x.com"}},
			devin:   &fakeDevin{inviteErr: &apiclient.Error{API: devin.APIName, Hints: devin.Hints(), Kind: apiclient.KindServer, Status: 502}},
			want:    outcomes("a@x.com", "failed"),
			wantErr: true, reason: "Devin API is having trouble (502)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := executor.NewInvite(tt.devin).Execute(context.Background(), tt.req)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, statuses(got))
			for _, o := range got {
				if o.Status == approvals.OutcomeFailed {
					assert.NotEmpty(t, o.Reason, o.Item)
					if tt.reason != "" {
						assert.Contains(t, o.Reason, tt.reason)
					}
				}
			}
			if tt.wantOrgID != "" {
				require.Len(t, tt.devin.got, 1)
				assert.Equal(t, tt.wantOrgID, tt.devin.got[0].OrgID)
				assert.Equal(t, tt.req.Role, tt.devin.got[0].Role)
				assert.Equal(t, tt.req.Items, tt.devin.got[0].Emails)
			}
		})
	}
}

func TestExecutorTeams(t *testing.T) {
	unauthorized := &apiclient.Error{API: github.APIName, Hints: github.Hints(), Kind: apiclient.KindUnauthorized, Status: 401}
	tests := []struct {
		name      string
		action    approvals.Action
		items     []string
		teams     func() *fakeTeams
		want      []approvals.ItemOutcome
		wantErr   bool
		wantCalls []string
		reasons   map[string]string
	}{
		{
			name: "add skips current members", action: approvals.ActionTeamAdd, items: []string{"octocat", "hubot", "mona"},
			teams:     func() *fakeTeams { return newFakeTeams("octocat") },
			want:      outcomes("octocat", "already_member", "hubot", "added", "mona", "added"),
			wantCalls: []string{"list ent:eng", "add hubot,mona"},
		},
		{
			name: "add with nothing to do sends nothing", action: approvals.ActionTeamAdd, items: []string{"OctoCat"},
			teams:     func() *fakeTeams { return newFakeTeams("octocat") },
			want:      outcomes("OctoCat", "already_member"),
			wantCalls: []string{"list ent:eng"},
		},
		{
			name: "422 on the bulk call falls back to one by one", action: approvals.ActionTeamAdd, items: []string{"hubot", "ghost", "mona"},
			teams: func() *fakeTeams {
				f := newFakeTeams()
				f.unknown["ghost"] = true
				return f
			},
			want:      outcomes("hubot", "added", "ghost", "failed", "mona", "added"),
			wantCalls: []string{"list ent:eng", "add hubot,ghost,mona", "put hubot", "put ghost", "put mona"},
			reasons:   map[string]string{"ghost": "Could not resolve to a User with the login of 'ghost'"},
		},
		{
			name: "auth failure while adding one by one stops and fails the rest", action: approvals.ActionTeamAdd, items: []string{"ghost", "hubot", "mona"},
			teams: func() *fakeTeams {
				f := newFakeTeams()
				f.unknown["ghost"] = true
				f.addErr = unauthorized
				return f
			},
			want:      outcomes("ghost", "failed", "hubot", "failed", "mona", "failed"),
			wantErr:   true,
			wantCalls: []string{"list ent:eng", "add ghost,hubot,mona", "put ghost", "put hubot"},
			reasons:   map[string]string{"hubot": "GitHub token was rejected", "mona": "GitHub token was rejected"},
		},
		{
			name: "server error on the bulk call fails the unconfirmed", action: approvals.ActionTeamAdd, items: []string{"hubot"},
			teams: func() *fakeTeams {
				f := newFakeTeams()
				f.bulkErr = &github.BulkError{Op: "add", Unconfirmed: []string{"hubot"}, Err: &apiclient.Error{API: github.APIName, Hints: github.Hints(), Kind: apiclient.KindServer, Status: 500}}
				return f
			},
			want:    outcomes("hubot", "failed"),
			wantErr: true,
			reasons: map[string]string{"hubot": "GitHub API is having trouble (500)"},
		},
		{
			name: "listing fails: every item fails", action: approvals.ActionTeamAdd, items: []string{"a", "b"},
			teams: func() *fakeTeams {
				f := newFakeTeams()
				f.listErr = unauthorized
				return f
			},
			want:      outcomes("a", "failed", "b", "failed"),
			wantErr:   true,
			wantCalls: []string{"list ent:eng"},
			reasons:   map[string]string{"a": "GitHub token was rejected (401)", "b": "GitHub token was rejected (401)"},
		},
		{
			name: "remove skips non-members", action: approvals.ActionTeamRemove, items: []string{"octocat", "hubot"},
			teams:     func() *fakeTeams { return newFakeTeams("octocat") },
			want:      outcomes("octocat", "removed", "hubot", "not_member"),
			wantCalls: []string{"list ent:eng", "remove octocat"},
		},
		{
			name: "remove partly confirmed", action: approvals.ActionTeamRemove, items: []string{"a", "b"},
			teams: func() *fakeTeams {
				f := newFakeTeams("a", "b")
				f.bulkErr = &github.BulkError{Op: "remove", Applied: []string{"a"}, Unconfirmed: []string{"b"}, Err: &apiclient.Error{API: github.APIName, Hints: github.Hints(), Kind: apiclient.KindTransport}}
				return f
			},
			want:    outcomes("a", "removed", "b", "failed"),
			wantErr: true,
			reasons: map[string]string{"b": "could not be reached"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			teams := tt.teams()
			got, err := executor.Actions{
				approvals.ActionTeamAdd: executor.NewTeamAdd(teams), approvals.ActionTeamRemove: executor.NewTeamRemove(teams),
			}.Execute(context.Background(),
				approvals.Request{Action: tt.action, Team: "ent:eng", Items: tt.items})
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, statuses(got))
			for item, reason := range tt.reasons {
				for _, o := range got {
					if o.Item == item {
						assert.Contains(t, o.Reason, reason, item)
					}
				}
			}
			if tt.wantCalls != nil {
				assert.Equal(t, tt.wantCalls, teams.calls)
			}
		})
	}
}

func TestExecutorWithoutClients(t *testing.T) {
	ex := executor.Actions{
		approvals.ActionInvite:     executor.Unavailable("the Devin API is not configured (DEVIN_API_KEY)"),
		approvals.ActionTeamAdd:    executor.Unavailable("the GitHub API is not configured (GITHUB_TOKEN, GITHUB_ENTERPRISE)"),
		approvals.ActionTeamRemove: executor.Unavailable("the GitHub API is not configured (GITHUB_TOKEN, GITHUB_ENTERPRISE)"),
	}
	for _, a := range []approvals.Action{approvals.ActionInvite, approvals.ActionTeamAdd, approvals.ActionTeamRemove, "other"} {
		got, err := ex.Execute(context.Background(), approvals.Request{Action: a, Team: "ent:x", Items: []string{"x"}})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, approvals.OutcomeFailed, got[0].Status)
		assert.NotEmpty(t, got[0].Reason)
	}
}

// scripted is an Action that answers, fails or panics as told.
type scripted struct {
	err   error
	panic bool
}

func (s scripted) Execute(_ context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	if s.panic {
		panic("action panicked")
	}
	out := []approvals.ItemOutcome{{Item: r.Items[0], Status: approvals.OutcomeInvited}}
	if s.err != nil {
		out[0] = approvals.ItemOutcome{Item: r.Items[0], Status: approvals.OutcomeFailed, Reason: s.err.Error()}
	}
	return out, s.err
}

func TestThenRunsAfterEveryOutcome(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name   string
		action scripted
	}{
		{"success", scripted{}},
		{"failure", scripted{err: boom}},
		{"panic", scripted{panic: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			afters := 0
			act := executor.Then(tt.action, func() { afters++ })
			req := approvals.Request{Action: approvals.ActionInvite, Items: []string{"ada@example.com"}}
			if tt.action.panic {
				assert.Panics(t, func() { _, _ = act.Execute(context.Background(), req) })
			} else {
				got, err := act.Execute(context.Background(), req)
				assert.Equal(t, tt.action.err, err, "the action's own result")
				require.Len(t, got, 1)
			}
			assert.Equal(t, 1, afters)
		})
	}
}
