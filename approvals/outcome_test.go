package approvals_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"devin-chatops/approvals"
)

func outcomes(pairs ...string) []approvals.ItemOutcome {
	var out []approvals.ItemOutcome
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, approvals.ItemOutcome{Item: pairs[i], Status: pairs[i+1]})
	}
	return out
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name string
		in   []approvals.ItemOutcome
		want string
	}{
		{"nothing", nil, "nothing to do"},
		{"spec example", outcomes("a", "invited", "b", "invited", "c", "invited", "d", "already_member", "e", "failed"),
			"3 invited, 1 already a member, 1 failed"},
		{"plurals", outcomes("a", "already_member", "b", "already_member", "c", "not_member", "d", "not_member"),
			"2 already members, 2 not members"},
		{"fixed order", outcomes("a", "failed", "b", "removed", "c", "not_member"), "1 removed, 1 not a member, 1 failed"},
		{"exists and unchanged", outcomes("a", "unchanged", "b", "created", "c", "exists"), "1 created, 1 already existed, 1 no change"},
		{"unknown status counted, as plain text", outcomes("a", "weird<!x>"), "1 weird<!x>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, approvals.Summary(tt.in))
		})
	}
}

func TestOutcomeOKForNothingToDo(t *testing.T) {
	// Finding the work already done is a success, not a failure of the request.
	assert.True(t, approvals.OutcomeOK(approvals.OutcomeExists))
	assert.True(t, approvals.OutcomeOK(approvals.OutcomeUnchanged))
	assert.False(t, approvals.OutcomeOK(approvals.OutcomeFailed))
}

func TestCommandLineSaysHowLong(t *testing.T) {
	for _, tc := range []struct {
		forParam, want string
	}{
		{"", "team add ent:platform"},
		{"2h0m0s", "team add ent:platform --for 2h"},
		{"336h0m0s", "team add ent:platform --for 2w"},
		{"168h0m0s", "team add ent:platform --for 1w"},
		{"72h0m0s", "team add ent:platform --for 3d"},
		{"1h30m0s", "team add ent:platform --for 90m"},
	} {
		r := approvals.Request{Action: approvals.ActionTeamAdd, Team: "ent:platform"}
		if tc.forParam != "" {
			r.Params = map[string]string{approvals.ParamGrantFor: tc.forParam}
		}
		assert.Equal(t, tc.want, approvals.CommandLine(r))
	}
}
