package approvals_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"devin-chatops/approvals"
)

func TestNoChange(t *testing.T) {
	tests := []struct {
		name        string
		params      map[string]string
		wantSame    map[string]bool
		wantChecked bool
	}{
		{"never checked: no parameter", nil, nil, false},
		{"never checked: other parameters only", map[string]string{"org_name": "x"}, nil, false},
		{"checked, everything changes", map[string]string{approvals.ParamNoChange: approvals.NoChangeParam(nil)}, map[string]bool{}, true},
		{"checked, keys ignore case and space", map[string]string{approvals.ParamNoChange: approvals.NoChangeParam([]string{" OctoCat", "ada@Example.com"})},
			map[string]bool{"octocat": true, "ada@example.com": true}, true},
		{"unreadable: checked, nothing skipped", map[string]string{approvals.ParamNoChange: "{not json"}, map[string]bool{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			same, checked := approvals.Request{Params: tt.params}.NoChange()
			assert.Equal(t, tt.wantChecked, checked)
			assert.Equal(t, tt.wantSame, same)
		})
	}
}

func TestNoChangeParam(t *testing.T) {
	assert.Equal(t, "[]", approvals.NoChangeParam(nil))
	assert.Equal(t, `["mona","a\u0026b"]`, approvals.NoChangeParam([]string{"mona", "a&b"}))
}
