package approvalslack

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"devin-chatops/approvals"
)

// A long list shown or sent in full still marks what the check found already so.
func TestFullListMarksNoChange(t *testing.T) {
	r := approvals.Request{ID: "R1", Action: approvals.ActionInvite, Items: []string{"a@x.io", "B@x.io", "c@x.io"},
		Params: map[string]string{approvals.ParamNoChange: approvals.NoChangeParam([]string{"b@x.io"})}}
	assert.Equal(t, []string{"• a@x.io", "• B@x.io — no change", "• c@x.io"}, fullLines(r))
	file := string(itemsFile(r).Data)
	assert.True(t, strings.HasSuffix(file, "a@x.io\nB@x.io — no change\nc@x.io\n"), file)
}
