package approvalslack

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"devin-chatops/approvals"
)

func TestGrantLine(t *testing.T) {
	created := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	done := created.Add(2 * time.Hour)
	week := map[string]string{approvals.ParamGrantFor: approvals.GrantForParam(7 * 24 * time.Hour)}
	tests := []struct {
		name string
		r    approvals.Request
		want string
	}{
		{"not time-boxed", approvals.Request{State: approvals.StatePending}, ""},
		{"pending: the end if approved now", approvals.Request{State: approvals.StatePending, CreatedAt: created, Params: week},
			"*For:* 1 week, until <!date^" + unix(created.Add(7*24*time.Hour)) + "^"},
		{"done: the real end", approvals.Request{State: approvals.StateDone, CreatedAt: created, DoneAt: done, Params: week},
			"*For:* 1 week, until <!date^" + unix(done.Add(7*24*time.Hour)) + "^"},
		{"approved: counted from the execution", approvals.Request{State: approvals.StateApproved, Params: week},
			"*For:* 1 week from the execution"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := grantLine(tt.r)
			if tt.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, tt.want)
			assert.Contains(t, details(tt.r), "*For:* 1 week")
		})
	}
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
