package approvals

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTally(t *testing.T) {
	approvers := map[string]bool{"UA": true, "UB": true, "UC": true, "UREQ": true}
	isApprover := func(u string) bool { return approvers[u] }
	yes := func(voter string) Vote { return Vote{RequestID: "R1", Voter: voter, Approve: true} }
	no := func(voter string) Vote { return Vote{RequestID: "R1", Voter: voter, Approve: false} }

	tests := []struct {
		name       string
		votes      []Vote
		isApprover func(string) bool
		allowSelf  bool
		required   int
		want       Result
	}{
		{
			name: "no votes is pending", required: 1,
			want: Result{Status: StatePending, Needed: 1},
		},
		{
			name: "single approval meets N=1", votes: []Vote{yes("UA")}, required: 1,
			want: Result{Status: StateApproved, Approvers: []string{"UA"}},
		},
		{
			name: "same approver twice counts once", votes: []Vote{yes("UA"), yes("UA")}, required: 2,
			want: Result{Status: StatePending, Approvers: []string{"UA"}, Needed: 1},
		},
		{
			name: "N=2 needs two distinct", votes: []Vote{yes("UA"), yes("UB")}, required: 2,
			want: Result{Status: StateApproved, Approvers: []string{"UA", "UB"}},
		},
		{
			name: "N=3 with two approvals is still pending", votes: []Vote{yes("UA"), yes("UB")}, required: 3,
			want: Result{Status: StatePending, Approvers: []string{"UA", "UB"}, Needed: 1},
		},
		{
			name: "deny wins over earlier approvals", votes: []Vote{yes("UA"), no("UB")}, required: 2,
			want: Result{Status: StateDenied, Approvers: []string{"UA"}, Deniers: []string{"UB"}},
		},
		{
			name: "single deny ends it", votes: []Vote{no("UA"), yes("UB"), yes("UC")}, required: 1,
			want: Result{Status: StateDenied, Deniers: []string{"UA"}},
		},
		{
			name: "votes after the decision change nothing", votes: []Vote{yes("UA"), no("UB")}, required: 1,
			want: Result{Status: StateApproved, Approvers: []string{"UA"}},
		},
		{
			name: "a voter's first vote is the one that counts", votes: []Vote{yes("UA"), no("UA")}, required: 2,
			want: Result{Status: StatePending, Approvers: []string{"UA"}, Needed: 1},
		},
		{
			name: "non-approver approval ignored", votes: []Vote{yes("UX")}, required: 1,
			want: Result{Status: StatePending, Needed: 1},
		},
		{
			name: "non-approver deny ignored", votes: []Vote{no("UX"), yes("UA")}, required: 1,
			want: Result{Status: StateApproved, Approvers: []string{"UA"}},
		},
		{
			name: "requester's own vote ignored without self approval", votes: []Vote{yes("UREQ")}, required: 1,
			want: Result{Status: StatePending, Needed: 1},
		},
		{
			name: "requester's own deny ignored without self approval", votes: []Vote{no("UREQ"), yes("UA")}, required: 1,
			want: Result{Status: StateApproved, Approvers: []string{"UA"}},
		},
		{
			name: "requester's own vote counts with self approval", votes: []Vote{yes("UREQ")}, allowSelf: true, required: 1,
			want: Result{Status: StateApproved, Approvers: []string{"UREQ"}},
		},
		{
			name: "required<1 treated as 1", votes: []Vote{yes("UA")}, required: 0,
			want: Result{Status: StateApproved, Approvers: []string{"UA"}},
		},
		{
			name: "required<1 never approves without a vote", required: -3,
			want: Result{Status: StatePending, Needed: 1},
		},
		{
			name: "nobody is an approver", votes: []Vote{yes("UA")}, required: 1,
			isApprover: func(string) bool { return false },
			want:       Result{Status: StatePending, Needed: 1},
		},
		{
			name: "empty voter ignored", votes: []Vote{yes("")}, required: 1,
			isApprover: func(string) bool { return true },
			want:       Result{Status: StatePending, Needed: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := isApprover
			if tt.isApprover != nil {
				check = tt.isApprover
			}
			assert.Equal(t, tt.want, Tally(tt.votes, check, "UREQ", tt.allowSelf, tt.required))
		})
	}

	t.Run("nil isApprover means nobody", func(t *testing.T) {
		assert.Equal(t, Result{Status: StatePending, Needed: 1}, Tally([]Vote{yes("UA")}, nil, "UREQ", false, 1))
	})
}
