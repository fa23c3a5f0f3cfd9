package executor_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
	"devin-chatops/executor"
)

// planned is a request checked before it was asked, with these items found already
// as asked; unchecked leaves the plan out, as a request stored before the check.
func planned(action approvals.Action, items []string, noChange ...string) approvals.Request {
	return approvals.Request{Action: action, Team: "ent:eng", Items: items,
		Params: map[string]string{approvals.ParamNoChange: approvals.NoChangeParam(noChange)}}
}

// reasons are the outcomes' reasons, by item.
func reasons(out []approvals.ItemOutcome) map[string]string {
	m := map[string]string{}
	for _, o := range out {
		if o.Reason != "" {
			m[o.Item] = o.Reason
		}
	}
	return m
}

func TestExecutorInvitePlan(t *testing.T) {
	tests := []struct {
		name        string
		req         approvals.Request
		members     []string // the enterprise's members when it runs
		want        []approvals.ItemOutcome
		wantReasons map[string]string // substrings
		wantSent    []string          // nil: no invitation sent
	}{
		{
			name: "no change is not sent; the rest is invited", req: planned(approvals.ActionInvite, []string{"a@x.io", "B@x.io", "c@x.io"}, "b@x.io"),
			members:  []string{"b@x.io"},
			want:     outcomes("a@x.io", "invited", "B@x.io", "already_member", "c@x.io", "invited"),
			wantSent: []string{"a@x.io", "c@x.io"},
		},
		{
			name: "joined since the card: not invited again, and said so", req: planned(approvals.ActionInvite, []string{"a@x.io", "b@x.io"}),
			members:     []string{"a@x.io"},
			want:        outcomes("a@x.io", "already_member", "b@x.io", "invited"),
			wantReasons: map[string]string{"a@x.io": "joined the enterprise since the card was posted"},
			wantSent:    []string{"b@x.io"},
		},
		{
			name: "no change on the card, left since: not invited, and said so", req: planned(approvals.ActionInvite, []string{"a@x.io", "b@x.io"}, "a@x.io"),
			want:        outcomes("a@x.io", "unchanged", "b@x.io", "invited"),
			wantReasons: map[string]string{"a@x.io": "left the enterprise since the card was posted; not invited, since the card showed no change"},
			wantSent:    []string{"b@x.io"},
		},
		{
			name: "nothing left to send: no call", req: planned(approvals.ActionInvite, []string{"a@x.io", "b@x.io"}, "a@x.io"),
			members:     []string{"a@x.io", "b@x.io"},
			want:        outcomes("a@x.io", "already_member", "b@x.io", "already_member"),
			wantReasons: map[string]string{"b@x.io": "joined the enterprise since the card was posted"},
		},
		{
			name: "a request stored before the check: members skipped, nothing said about since", req: approvals.Request{Action: approvals.ActionInvite, Items: []string{"a@x.io", "b@x.io"}},
			members:  []string{"a@x.io"},
			want:     outcomes("a@x.io", "already_member", "b@x.io", "invited"),
			wantSent: []string{"b@x.io"},
		},
		{
			name: "repeats get their address's outcome", req: planned(approvals.ActionInvite, []string{"a@x.io", "A@X.IO", "b@x.io"}, "b@x.io"),
			members:  []string{"b@x.io"},
			want:     outcomes("a@x.io", "invited", "A@X.IO", "invited", "b@x.io", "already_member"),
			wantSent: []string{"a@x.io"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDevin{members: tt.members}
			got, err := executor.NewInvite(d).Execute(context.Background(), tt.req)
			require.NoError(t, err)
			assert.Equal(t, tt.want, statuses(got))
			for item, want := range tt.wantReasons {
				assert.Contains(t, reasons(got)[item], want, item)
			}
			for _, o := range got {
				if _, ok := tt.wantReasons[o.Item]; !ok {
					assert.Empty(t, o.Reason, o.Item)
				}
			}
			if tt.wantSent == nil {
				assert.Empty(t, d.got, "no invitation sent")
				return
			}
			require.Len(t, d.got, 1)
			assert.Equal(t, tt.wantSent, d.got[0].Emails)
		})
	}
	t.Run("the members cannot be read: every item fails, nothing is sent", func(t *testing.T) {
		d := &fakeDevin{listErr: &apiclient.Error{API: devin.APIName, Hints: devin.Hints(), Kind: apiclient.KindServer, Status: 503}}
		got, err := executor.NewInvite(d).Execute(context.Background(), planned(approvals.ActionInvite, []string{"a@x.io"}))
		require.Error(t, err)
		assert.Equal(t, outcomes("a@x.io", "failed"), statuses(got))
		assert.Contains(t, got[0].Reason, "could not check who is a member before inviting")
		assert.Empty(t, d.got)
	})
}

func TestExecutorTeamsPlan(t *testing.T) {
	tests := []struct {
		name        string
		req         approvals.Request
		members     []string // the team's members when it runs
		want        []approvals.ItemOutcome
		wantReasons map[string]string // substrings
		wantCalls   []string
		wantMembers []string
	}{
		{
			name: "add: no change is not sent", req: planned(approvals.ActionTeamAdd, []string{"octocat", "hubot"}, "octocat"),
			members:   []string{"octocat"},
			want:      outcomes("octocat", "already_member", "hubot", "added"),
			wantCalls: []string{"list ent:eng", "add hubot"}, wantMembers: []string{"octocat", "hubot"},
		},
		{
			name: "add: in the team since the card", req: planned(approvals.ActionTeamAdd, []string{"octocat", "hubot"}),
			members:     []string{"octocat"},
			want:        outcomes("octocat", "already_member", "hubot", "added"),
			wantReasons: map[string]string{"octocat": "in the team since the card was posted"},
			wantCalls:   []string{"list ent:eng", "add hubot"}, wantMembers: []string{"octocat", "hubot"},
		},
		{
			name: "add: no change on the card, left since: not added back", req: planned(approvals.ActionTeamAdd, []string{"octocat", "hubot"}, "octocat"),
			want:        outcomes("octocat", "unchanged", "hubot", "added"),
			wantReasons: map[string]string{"octocat": "left the team since the card was posted; not added back"},
			wantCalls:   []string{"list ent:eng", "add hubot"}, wantMembers: []string{"hubot"},
		},
		{
			name: "remove: left since the card", req: planned(approvals.ActionTeamRemove, []string{"octocat", "hubot"}),
			members:     []string{"hubot"},
			want:        outcomes("octocat", "not_member", "hubot", "removed"),
			wantReasons: map[string]string{"octocat": "left the team since the card was posted"},
			wantCalls:   []string{"list ent:eng", "remove hubot"}, wantMembers: []string{},
		},
		{
			name: "remove: no change on the card, joined since: not removed", req: planned(approvals.ActionTeamRemove, []string{"octocat", "hubot"}, "octocat"),
			members:     []string{"octocat", "hubot"},
			want:        outcomes("octocat", "unchanged", "hubot", "removed"),
			wantReasons: map[string]string{"octocat": "joined the team since the card was posted; not removed"},
			wantCalls:   []string{"list ent:eng", "remove hubot"}, wantMembers: []string{"octocat"},
		},
		{
			name: "remove: everything as asked already: nothing sent", req: planned(approvals.ActionTeamRemove, []string{"octocat", "hubot"}, "octocat"),
			want:        outcomes("octocat", "not_member", "hubot", "not_member"),
			wantReasons: map[string]string{"hubot": "left the team since the card was posted"},
			wantCalls:   []string{"list ent:eng"}, wantMembers: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			teams := newFakeTeams(tt.members...)
			got, err := executor.Actions{
				approvals.ActionTeamAdd: executor.NewTeamAdd(teams), approvals.ActionTeamRemove: executor.NewTeamRemove(teams),
			}.Execute(context.Background(), tt.req)
			require.NoError(t, err)
			assert.Equal(t, tt.want, statuses(got))
			for item, want := range tt.wantReasons {
				assert.Contains(t, reasons(got)[item], want, item)
			}
			for _, o := range got {
				if _, ok := tt.wantReasons[o.Item]; !ok {
					assert.Empty(t, o.Reason, o.Item)
				}
			}
			assert.Equal(t, tt.wantCalls, teams.calls)
			var now []string
			for l := range teams.members {
				now = append(now, l)
			}
			assert.ElementsMatch(t, tt.wantMembers, now)
		})
	}
}
