package main

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunRefusesBadConfigurationOneLineEach(t *testing.T) {
	for _, n := range []string{"SLACK_APP_TOKEN", "APPROVAL_CHANNEL", "AUDIT_CHANNEL", "APPROVERS", "DEVIN_API_KEY", "GITHUB_TOKEN"} {
		t.Setenv(n, "")
	}
	t.Setenv("SLACK_BOT_TOKEN", "xapp-SECRET-IN-WRONG-PLACE")
	t.Setenv("REQUIRED_APPROVALS", "many")
	var stdout, stderr bytes.Buffer
	code := run([]string{"run"}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, 1, code)
	out := stderr.String()
	assert.Contains(t, out, "devin-chatops cannot start:")
	for _, want := range []string{
		"SLACK_BOT_TOKEN must start with xoxb-",
		"SLACK_APP_TOKEN is required",
		"APPROVAL_CHANNEL is required",
		"AUDIT_CHANNEL is required",
		"APPROVERS is required",
		`REQUIRED_APPROVALS must be a whole number from 1 to 10, got "many"`,
	} {
		assert.Contains(t, out, "\n  "+want)
	}
	assert.NotContains(t, out, "SECRET")
}

func TestRunUnknownSubcommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run([]string{"frobnicate"}, strings.NewReader(""), &stdout, &stderr))
	assert.Contains(t, stderr.String(), `unknown subcommand "frobnicate"`)
	assert.Contains(t, stderr.String(), "usage: devin-chatops")
}

func TestHealthcheck(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(status.Load()))
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, port, _ := net.SplitHostPort(l.Addr().String())
	t.Setenv("HTTP_ADDR", ":"+port)

	var stderr bytes.Buffer
	assert.Equal(t, 0, healthcheck(&stderr))
	status.Store(http.StatusServiceUnavailable)
	assert.Equal(t, 1, healthcheck(&stderr))
	assert.Contains(t, stderr.String(), "503")
}

func TestConsoleArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"--db without a path", []string{"console", "--db"}, 2, "flag needs an argument: -db"},
		{"a stray argument", []string{"console", "extra"}, 2, `console: unexpected argument "extra"`},
		{"a path with a question mark", []string{"console", "--db", "x.db?mode=memory"}, 1, "the path must not contain '?'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tt.code, run(tt.args, strings.NewReader(""), &stdout, &stderr))
			assert.Contains(t, stderr.String(), tt.want)
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for the console's writer and the test's reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
