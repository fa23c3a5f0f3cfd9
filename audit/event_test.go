package audit

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestApprovedBy(t *testing.T) {
	tests := []struct {
		name   string
		event  Event
		want   []string
		wantOK bool
	}{
		{"one", Event{Kind: KindApproved, Detail: ApprovedByDetail([]string{"U1"})}, []string{"U1"}, true},
		{"two", Event{Kind: KindApproved, Detail: ApprovedByDetail([]string{"U1", "U2"})}, []string{"U1", "U2"}, true},
		{"spaces and empties tolerated", Event{Kind: KindApproved, Detail: "approved by U1, ,U2 "}, []string{"U1", "U2"}, true},
		{"nobody", Event{Kind: KindApproved, Detail: "approved by "}, nil, false},
		{"another detail", Event{Kind: KindApproved, Detail: "resumed"}, nil, false},
		{"another kind", Event{Kind: KindDenied, Detail: "approved by U1"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ApprovedBy(tt.event)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
	assert.Equal(t, "approved by U1,U2", ApprovedByDetail([]string{"U1", "U2"}), "the form stored events already have")
}
