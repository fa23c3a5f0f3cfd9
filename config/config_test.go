package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	botToken = "xoxb-1111-SECRETBOT"
	appToken = "xapp-1-SECRETAPP"
	devinKey = "apk_user_SECRETDEVIN"
	ghToken  = "ghp_SECRETGITHUB"
)

func validEnv() map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN":   botToken,
		"SLACK_APP_TOKEN":   appToken,
		"DEVIN_API_KEY":     devinKey,
		"GITHUB_TOKEN":      ghToken,
		"GITHUB_ENTERPRISE": "acme",
		"APPROVAL_CHANNEL":  "C0APPROVE",
		"AUDIT_CHANNEL":     "C0AUDIT",
		"APPROVERS":         "U01ALICE, S0ADMINS",
	}
}

var allNames = []string{
	"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL", "DEVIN_API_KEY", "DEVIN_API_VERSION", "DEVIN_API_URL",
	"DEVIN_GIT_CONNECTION_ID", "GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_ENTERPRISE",
	"APPROVAL_CHANNEL", "AUDIT_CHANNEL", "APPROVERS", "REQUIRED_APPROVALS", "ALLOW_SELF_APPROVAL",
	"REQUEST_TTL", "REQUESTERS", "USAGE_REPORT_CHANNEL", "USAGE_REPORT_SCHEDULE",
	"USAGE_ALERT_THRESHOLDS", "DATABASE_URL", "HTTP_ADDR", "LOG_LEVEL", "LOG_FORMAT",
}

// setEnv clears every variable the bot reads, then sets env.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, n := range allNames {
		t.Setenv(n, "")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestLoadDefaults(t *testing.T) {
	setEnv(t, validEnv())
	// envconfig applies defaults only to unset variables, not empty ones.
	for _, n := range []string{"SLACK_API_URL", "DEVIN_API_URL", "GITHUB_API_URL", "REQUIRED_APPROVALS", "ALLOW_SELF_APPROVAL",
		"REQUEST_TTL", "USAGE_REPORT_SCHEDULE", "USAGE_ALERT_THRESHOLDS", "DATABASE_URL", "HTTP_ADDR", "LOG_LEVEL", "LOG_FORMAT"} {
		unset(t, n)
	}
	c, err := Load(ModeRun)
	require.NoError(t, err)
	assert.Equal(t, "https://slack.com/api/", c.SlackAPIURL)
	assert.Equal(t, "https://api.devin.ai", c.DevinAPIURL)
	assert.Equal(t, "https://api.github.com", c.GitHubAPIURL)
	assert.Equal(t, 1, c.RequiredApprovals)
	assert.False(t, c.AllowSelfApproval)
	assert.Equal(t, 24*time.Hour, c.RequestTTL)
	assert.Equal(t, "0 9 * * 1", c.UsageReportSchedule)
	assert.Equal(t, []float64{80, 100}, c.UsageAlertThresholds)
	assert.Equal(t, "sqlite:devin-chatops.db", c.DatabaseURL.Reveal())
	assert.Equal(t, ":8080", c.HTTPAddr)
	assert.Equal(t, slog.LevelInfo, c.LogLevel)
	assert.Equal(t, "json", c.LogFormat)
	assert.Equal(t, []string{"U01ALICE", "S0ADMINS"}, c.Approvers)
	assert.Equal(t, devinKey, c.DevinAPIKey.Reveal())
	assert.True(t, c.DevinEnabled())
	assert.True(t, c.GitHubEnabled())
}

func unset(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "x") // registers restore
	require.NoError(t, os.Unsetenv(name))
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name  string
		mode  Mode
		env   map[string]string
		wants []string
	}{
		{"missing slack tokens", ModeRun, map[string]string{"SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": ""},
			[]string{"SLACK_BOT_TOKEN is required", "SLACK_APP_TOKEN is required"}},
		{"tokens swapped", ModeRun, map[string]string{"SLACK_BOT_TOKEN": appToken, "SLACK_APP_TOKEN": botToken},
			[]string{"SLACK_BOT_TOKEN must start with xoxb-", "SLACK_APP_TOKEN must start with xapp-"}},
		{"console needs no slack tokens", ModeConsole, map[string]string{"SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "", "APPROVERS": ""}, nil},
		{"missing channels and approvers", ModeRun, map[string]string{"APPROVAL_CHANNEL": "", "AUDIT_CHANNEL": "", "APPROVERS": ""},
			[]string{"APPROVAL_CHANNEL is required", "AUDIT_CHANNEL is required", "APPROVERS is required"}},
		{"channel name instead of id", ModeRun, map[string]string{"APPROVAL_CHANNEL": "#approvals"},
			[]string{`APPROVAL_CHANNEL must be a Slack channel ID (C…, G… or D…), got "#approvals"`}},
		{"approver handle", ModeRun, map[string]string{"APPROVERS": "U01ALICE,@bob"},
			[]string{`APPROVERS must list Slack user IDs (U…/W…) or user-group IDs (S…), got "@bob"`}},
		{"bad numbers and durations", ModeRun, map[string]string{"REQUIRED_APPROVALS": "two", "REQUEST_TTL": "soon", "ALLOW_SELF_APPROVAL": "maybe"},
			[]string{"REQUIRED_APPROVALS must be a whole number", "REQUEST_TTL must be a duration", "ALLOW_SELF_APPROVAL must be true or false"}},
		{"TTL too short", ModeRun, map[string]string{"REQUEST_TTL": "4s"}, []string{`REQUEST_TTL must be a duration from 5s to 720h (e.g. 24h), got "4s"`}},
		{"TTL too long", ModeRun, map[string]string{"REQUEST_TTL": "721h"}, []string{`REQUEST_TTL must be a duration from 5s to 720h (e.g. 24h), got "721h"`}},
		{"zero approvals", ModeRun, map[string]string{"REQUIRED_APPROVALS": "0"}, []string{"REQUIRED_APPROVALS must be a whole number from 1 to 10"}},
		{"bad schedule", ModeRun, map[string]string{"USAGE_REPORT_SCHEDULE": "every monday"}, []string{"USAGE_REPORT_SCHEDULE must be"}},
		{"bad thresholds", ModeRun, map[string]string{"USAGE_ALERT_THRESHOLDS": "80,lots"}, []string{`USAGE_ALERT_THRESHOLDS must be percentages such as 80,100, got "lots"`}},
		{"bad database", ModeRun, map[string]string{"DATABASE_URL": "mysql://x"}, []string{"DATABASE_URL must be sqlite:PATH"}},
		{"postgres", ModeRun, map[string]string{"DATABASE_URL": "postgres://bot:SECRETPG@db:5432/chatops?sslmode=require"}, nil},
		{"postgresql scheme", ModeRun, map[string]string{"DATABASE_URL": "postgresql://bot:SECRETPG@db/chatops"}, nil},
		{"postgres host in the query", ModeRun, map[string]string{"DATABASE_URL": "postgres:///chatops?host=/run/postgresql"}, nil},
		{"postgres unparseable", ModeRun, map[string]string{"DATABASE_URL": "postgres://bot:SECRETPG@db:port/chatops"}, []string{"DATABASE_URL: the PostgreSQL URL cannot be parsed"}},
		{"postgres no host", ModeRun, map[string]string{"DATABASE_URL": "postgres://bot:SECRETPG@/chatops"}, []string{"DATABASE_URL: the PostgreSQL URL names no host"}},
		{"postgres without //", ModeRun, map[string]string{"DATABASE_URL": "postgres:bot:SECRETPG@db"}, []string{"must start postgres://"}},
		{"bad urls", ModeRun, map[string]string{"DEVIN_API_URL": "api.devin.ai", "GITHUB_API_URL": "ftp://x"},
			[]string{"DEVIN_API_URL must be an http(s) URL", "GITHUB_API_URL must be an http(s) URL"}},
		{"github token without enterprise", ModeRun, map[string]string{"GITHUB_ENTERPRISE": ""}, []string{"GITHUB_ENTERPRISE is required when GITHUB_TOKEN is set"}},
		{"bad log settings", ModeRun, map[string]string{"LOG_LEVEL": "loud", "LOG_FORMAT": "xml"},
			[]string{"LOG_LEVEL must be debug, info, warn or error", "LOG_FORMAT must be json or text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := validEnv()
			for k, v := range tt.env {
				env[k] = v
			}
			setEnv(t, env)
			_, err := Load(tt.mode)
			if tt.wants == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			lines := strings.Split(err.Error(), "\n")
			assert.Len(t, lines, len(tt.wants), "one line per problem: %q", err.Error())
			for _, w := range tt.wants {
				assert.Contains(t, err.Error(), w)
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	env := validEnv()
	env["DATABASE_URL"] = "postgres://chatops:SECRETPG@db.internal:5432/chatops"
	setEnv(t, env)
	c, err := Load(ModeRun)
	require.NoError(t, err)

	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("config", "config", c, "bot", c.SlackBotToken)
	js, err := json.Marshal(c)
	require.NoError(t, err)

	for _, out := range []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(c.SlackAppToken),
		logged.String(), string(js),
	} {
		assertNoSecret(t, out)
		assert.Contains(t, out, redacted)
	}
}

func TestMalformedTokenNotEchoed(t *testing.T) {
	env := validEnv()
	env["SLACK_BOT_TOKEN"] = "not-a-token-SECRETBOT"
	setEnv(t, env)
	_, err := Load(ModeRun)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "SECRETBOT")
}

func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{"SECRETBOT", "SECRETAPP", "SECRETDEVIN", "SECRETGITHUB", "SECRETPG"} {
		assert.NotContains(t, s, secret)
	}
}

func TestRequestTTLRange(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"5s", 5 * time.Second, true},
		{"90s", 90 * time.Second, true},
		{" 24h ", 24 * time.Hour, true},
		{"720h", 720 * time.Hour, true},
		{"4999ms", 0, false},
		{"0s", 0, false},
		{"-1h", 0, false},
		{"720h1s", 0, false},
		{"30d", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			env := validEnv()
			env["REQUEST_TTL"] = tt.in
			setEnv(t, env)
			c, err := Load(ModeRun)
			if !tt.ok {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "REQUEST_TTL must be a duration from 5s to 720h")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.RequestTTL)
		})
	}
}

func TestDevinAPIVersion(t *testing.T) {
	tests := []struct {
		name, key, version string
		want               string
		problem            string
	}{
		{name: "a v2 key", key: "apk_user_abc", want: "v2"},
		{name: "a cog_ credential", key: "cog_abc", want: "v3"},
		{name: "forced v2 with a cog_ key", key: "cog_abc", version: "v2", want: "v2"},
		{name: "forced v3, any case", key: "apk_user_abc", version: " V3 ", want: "v3"},
		{name: "no key", want: "v2"},
		{name: "unknown version", key: "cog_abc", version: "v4", problem: `DEVIN_API_VERSION must be v2 or v3 (or empty, to choose by the key's prefix), got "v4"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := validEnv()
			env["DEVIN_API_KEY"] = tt.key
			env["DEVIN_API_VERSION"] = tt.version
			setEnv(t, env)
			c, err := Load(ModeRun)
			if tt.problem != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.problem)
				assert.NotContains(t, err.Error(), tt.key)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.DevinAPIVersion)
		})
	}
}

// Two replicas started at different moments agree on an @every schedule's slots.
func TestEveryScheduleAlignedAcrossProcesses(t *testing.T) {
	s, err := ParseSchedule("@every 2s")
	require.NoError(t, err)
	a := time.Date(2026, 1, 5, 9, 0, 0, 300_000_000, time.UTC)
	b := a.Add(1100 * time.Millisecond)
	assert.Equal(t, time.Date(2026, 1, 5, 9, 0, 2, 0, time.UTC), s.Next(a))
	assert.Equal(t, s.Next(a), s.Next(b), "the same next slot from either start")
	assert.Equal(t, time.Date(2026, 1, 5, 9, 0, 4, 0, time.UTC), s.Next(s.Next(a)))
}
