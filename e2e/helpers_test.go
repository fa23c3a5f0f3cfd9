package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"devin-chatops/internal/harness"
	slacksandbox "devin-chatops/internal/sandbox/slack"
)

// start brings up the bot with its fakes and fails the test on any Block Kit
// violation or unacked envelope.
func start(t *testing.T, opts harness.Options) *harness.Env {
	t.Helper()
	opts.Slack.T = t
	env, err := harness.Start(t.Context(), opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, env.Close())
		require.Empty(t, env.Slack.Unacked(), "every envelope must be acked")
	})
	return env
}

func waitCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// slash runs /devin text as user in channel and returns the bot's reply.
func slash(t *testing.T, env *harness.Env, user, channel, text string) slacksandbox.Response {
	t.Helper()
	it := env.Slack.SlashCommand(user, channel, text)
	r, err := it.WaitResponse(waitCtx(t, 15*time.Second))
	require.NoError(t, err, "no reply to /devin %s", text)
	return r
}

// waitAudit waits for an audit-channel line containing every part.
func waitAudit(t *testing.T, env *harness.Env, parts ...string) slacksandbox.Message {
	t.Helper()
	m, err := env.Slack.WaitMessage(waitCtx(t, 10*time.Second), func(m slacksandbox.Message) bool {
		return m.Channel == harness.AuditChannel && containsAll(m.AllText(), parts...)
	})
	require.NoError(t, err, "no audit line with %q", parts)
	return m
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
