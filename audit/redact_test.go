package audit

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedact(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bot token", "post: invalid_auth xoxb-1-2-abc", "post: invalid_auth [redacted]"},
		{"app token", "dial xapp-1-A0-123-abc failed", "dial [redacted] failed"},
		{"bearer header", "Authorization: Bearer ghp_abc.def", "Authorization: [redacted]"},
		{"plain error untouched", "channel_not_found", "channel_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Redact(tt.in))
		})
	}
}
