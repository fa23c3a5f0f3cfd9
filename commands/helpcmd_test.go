package commands

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHelpCommand(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"", []string{"*`/devin` runs the Devin enterprise", "`/devin usage [--post]`"}},
		{"help", []string{"*Read-only*", "*Needs approval*"}},
		{"help invite", []string{"`/devin invite EMAIL… [--role member|admin] [--org ORG] [--reason TEXT]`", "Example: `/devin invite"}},
		{"team add --help", []string{"`/devin team add TEAM LOGIN… [--reason TEXT]`", "`mona_acme`"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			e := newEnv()
			r := e.run(t, tt.text)
			for _, w := range tt.want {
				assert.Contains(t, blocksText(r.Message), w)
			}
			assert.False(t, r.InChannel)
			assert.Equal(t, "help", e.audit.last(t).Command)
		})
	}
}

func TestTextMessageSplitsInsteadOfClipping(t *testing.T) {
	line := strings.Repeat("x", 1000)
	text := strings.Repeat(line+"\n", 10) + "END"
	m := textMessage(text)
	checkLimits(t, m)
	assert.Len(t, m.Blocks, 5, "two 1000-character lines per section")
	assert.Contains(t, blocksText(m), "END")
	assert.NotContains(t, blocksText(m), "…")
}
