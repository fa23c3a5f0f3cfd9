package commands

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// No command is planned now; the mechanism stays for the next one.
func TestPlannedSpec(t *testing.T) {
	s := planned("later")
	assert.True(t, s.planned)
	assert.Equal(t, "later", s.name)
}
