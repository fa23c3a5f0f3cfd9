package executor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
	"devin-chatops/executor"
)

// fakeEnterprise is the Devin members and the GitHub teams an offboard changes, with
// scripted failures, recording every call in order.
type fakeEnterprise struct {
	members   map[string]bool            // Devin user IDs
	teams     map[string]map[string]bool // team -> lower-cased logins
	removeErr error                      // Devin RemoveMember
	checkErr  map[string]error           // IsMember by team
	leaveErr  map[string]error           // BulkRemoveMembers by team
	calls     []string
}

func (f *fakeEnterprise) RemoveMember(_ context.Context, userID string) error {
	f.calls = append(f.calls, "devin remove "+userID)
	if f.removeErr != nil {
		return f.removeErr
	}
	if !f.members[userID] {
		return &apiclient.Error{API: devin.APIName, Kind: apiclient.KindNotFound, Status: 404, Message: "User not found in enterprise"}
	}
	delete(f.members, userID)
	return nil
}

func (f *fakeEnterprise) IsMember(_ context.Context, team, login string) (bool, error) {
	f.calls = append(f.calls, "is member "+team)
	if err := f.checkErr[team]; err != nil {
		return false, err
	}
	return f.teams[team][strings.ToLower(login)], nil
}

func (f *fakeEnterprise) BulkRemoveMembers(_ context.Context, team string, logins []string) ([]github.User, error) {
	f.calls = append(f.calls, "remove "+team+" "+strings.Join(logins, ","))
	if err := f.leaveErr[team]; err != nil {
		return nil, &github.BulkError{Op: "remove", Team: team, Unconfirmed: logins, Err: err}
	}
	for _, l := range logins {
		delete(f.teams[team], strings.ToLower(l))
	}
	return []github.User{{Login: logins[0]}}, nil
}

func newFakeEnterprise() *fakeEnterprise {
	return &fakeEnterprise{
		members: map[string]bool{"u-1": true},
		teams: map[string]map[string]bool{
			"ent:platform": {"hubot": true},
			"ent:security": {"hubot": true, "mona": true},
		},
		checkErr: map[string]error{},
		leaveErr: map[string]error{},
	}
}

func offboardRequest(userID string, items ...string) approvals.Request {
	return approvals.Request{Action: approvals.ActionOffboard, Items: items,
		Params: map[string]string{"email": "grace@example.com", "devin_user_id": userID, "github_login": "Hubot"}}
}

func TestExecutorOffboard(t *testing.T) {
	ghServerErr := &apiclient.Error{API: github.APIName, Hints: github.Hints(), Kind: apiclient.KindServer, Status: 500, Message: "Internal Server Error"}
	devinForbidden := &apiclient.Error{API: devin.APIName, Hints: devin.Hints(), Kind: apiclient.KindForbidden, Status: 403}
	tests := []struct {
		name      string
		req       approvals.Request
		setup     func(*fakeEnterprise)
		noGitHub  bool
		want      []approvals.ItemOutcome
		wantCalls []string
		wantErr   bool
	}{
		{
			name: "every step done, the Devin membership first",
			req:  offboardRequest("u-1", "grace@example.com", "ent:platform", "ent:security"),
			want: outcomes("grace@example.com", "removed", "ent:platform", "removed", "ent:security", "removed"),
			wantCalls: []string{"devin remove u-1", "is member ent:platform", "remove ent:platform Hubot",
				"is member ent:security", "remove ent:security Hubot"},
		},
		{
			name:  "one team fails: the others are still done",
			req:   offboardRequest("u-1", "grace@example.com", "ent:platform", "ent:security"),
			setup: func(f *fakeEnterprise) { f.leaveErr["ent:platform"] = ghServerErr },
			want:  outcomes("grace@example.com", "removed", "ent:platform", "failed", "ent:security", "removed"),
			wantCalls: []string{"devin remove u-1", "is member ent:platform", "remove ent:platform Hubot",
				"is member ent:security", "remove ent:security Hubot"},
			wantErr: true,
		},
		{
			name:      "the Devin step fails: the teams are still done",
			req:       offboardRequest("u-1", "grace@example.com", "ent:platform"),
			setup:     func(f *fakeEnterprise) { f.removeErr = devinForbidden },
			want:      outcomes("grace@example.com", "failed", "ent:platform", "removed"),
			wantCalls: []string{"devin remove u-1", "is member ent:platform", "remove ent:platform Hubot"},
			wantErr:   true,
		},
		{
			name:      "a team whose membership cannot be checked fails, nothing is sent for it",
			req:       offboardRequest("", "ent:platform", "ent:security"),
			setup:     func(f *fakeEnterprise) { f.checkErr["ent:platform"] = ghServerErr },
			want:      outcomes("ent:platform", "failed", "ent:security", "removed"),
			wantCalls: []string{"is member ent:platform", "is member ent:security", "remove ent:security Hubot"},
			wantErr:   true,
		},
		{
			name: "already gone since the card: not a member, not a failure",
			req:  offboardRequest("u-1", "grace@example.com", "ent:platform"),
			setup: func(f *fakeEnterprise) {
				delete(f.members, "u-1")
				delete(f.teams["ent:platform"], "hubot")
			},
			want: []approvals.ItemOutcome{
				{Item: "grace@example.com", Status: approvals.OutcomeNotMember, Reason: "already removed"},
				{Item: "ent:platform", Status: approvals.OutcomeNotMember, Reason: "already removed"},
			},
			wantCalls: []string{"devin remove u-1", "is member ent:platform"},
		},
		{
			name:      "without a Devin member, the first item is a team",
			req:       offboardRequest("", "ent:security"),
			want:      outcomes("ent:security", "removed"),
			wantCalls: []string{"is member ent:security", "remove ent:security Hubot"},
		},
		{
			name:      "GitHub not configured: the team steps fail, the Devin step runs",
			req:       offboardRequest("u-1", "grace@example.com", "ent:platform"),
			noGitHub:  true,
			want:      outcomes("grace@example.com", "removed", "ent:platform", "failed"),
			wantCalls: []string{"devin remove u-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEnterprise()
			if tt.setup != nil {
				tt.setup(f)
			}
			var gh executor.TeamLeaver = f
			if tt.noGitHub {
				gh = nil
			}
			got, err := executor.NewOffboard(f, gh).Execute(context.Background(), tt.req)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			if tt.want[0].Reason != "" {
				assert.Equal(t, tt.want, got)
			} else {
				assert.Equal(t, tt.want, statuses(got))
			}
			for _, o := range got {
				if o.Status == approvals.OutcomeFailed {
					assert.NotEmpty(t, o.Reason, "a failed step says why")
				} else if o.Status == approvals.OutcomeRemoved {
					assert.Empty(t, o.Reason)
				}
			}
			assert.Equal(t, tt.wantCalls, f.calls)
			assert.Equal(t, !tt.wantErr && !tt.noGitHub, approvals.AllOK(got), "the request is done only when every step is")
		})
	}
	t.Run("the failure carries GitHub's reason", func(t *testing.T) {
		f := newFakeEnterprise()
		f.leaveErr["ent:security"] = ghServerErr
		got, err := executor.NewOffboard(f, f).Execute(context.Background(), offboardRequest("u-1", "grace@example.com", "ent:platform", "ent:security"))
		require.Error(t, err)
		assert.Equal(t, "ent:security", got[2].Item)
		assert.Equal(t, apiclient.UserMessage(ghServerErr), got[2].Reason)
		assert.False(t, approvals.AllOK(got), "the request ends failed")
	})
	t.Run("a second run after a crash reports the first run's work as already removed", func(t *testing.T) {
		f := newFakeEnterprise()
		a := executor.NewOffboard(f, f)
		r := offboardRequest("u-1", "grace@example.com", "ent:security")
		_, err := a.Execute(context.Background(), r)
		require.NoError(t, err)
		again, err := a.Execute(context.Background(), r)
		require.NoError(t, err)
		assert.Equal(t, outcomes("grace@example.com", "not_member", "ent:security", "not_member"), statuses(again))
		assert.True(t, approvals.AllOK(again))
	})
}
