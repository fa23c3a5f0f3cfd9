package commands

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSpecTable keeps the command table and the command types in step: every example in
// the help parses to a command with that name and approval rule.
func TestSpecTable(t *testing.T) {
	for _, s := range registry() {
		t.Run(s.name, func(t *testing.T) {
			require.NotNil(t, s.build)
			require.NotEmpty(t, s.summary)
			cmd, err := Parse(strings.TrimPrefix(s.example, "/devin "))
			require.NoError(t, err)
			assert.Equal(t, s.name, cmd.Name())
			assert.Equal(t, s.changes, cmd.Changes())
			for _, f := range s.flags {
				assert.NotEmpty(t, f.help, "--%s", f.name)
			}
		})
	}
}
