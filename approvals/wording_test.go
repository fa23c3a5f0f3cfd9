package approvals

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWordingCountsRight(t *testing.T) {
	failed := func(n int) []ItemOutcome {
		out := []ItemOutcome{{Item: "ok@example.com", Status: OutcomeInvited}}
		for i := range n {
			out = append(out, ItemOutcome{Item: string(rune('a'+i)) + "@example.com", Status: OutcomeFailed, Reason: "no"})
		}
		return out
	}
	tests := []struct {
		name, got, want string
	}{
		{"one approval", needs(1), "needs 1 approval"},
		{"two approvals", needs(2), "needs 2 approvals"},
		{"three failures", failureDetail(failed(3)), "a@example.com: no; b@example.com: no; c@example.com: no"},
		{"one more failure", failureDetail(failed(4)), "a@example.com: no; b@example.com: no; c@example.com: no; and 1 more failure"},
		{"more failures", failureDetail(failed(5)), "a@example.com: no; b@example.com: no; c@example.com: no; and 2 more failures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, tt.got) })
	}
}
