// Package config loads the bot's configuration from the environment (design §2),
// checks every value and reports every problem at once, one line each, without ever
// echoing a secret.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/robfig/cron/v3"
)

// Secret is a credential. Its String, GoString and LogValue hide it, so a Config can be
// logged or printed with %v/%+v without leaking; Reveal gives the value to the clients.
type Secret string

const redacted = "[redacted]"

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}
func (s Secret) GoString() string { return s.String() }

// LogValue keeps slog from printing the secret.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps encoders from printing the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret itself, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

// Mode says how the bot runs: against real Slack, or in console mode against
// in-process fakes, where no Slack credentials are needed.
type Mode int

const (
	ModeRun Mode = iota
	ModeConsole
)

// Config is the validated configuration.
type Config struct {
	SlackBotToken Secret
	SlackAppToken Secret
	SlackAPIURL   string

	DevinAPIKey Secret
	// DevinAPIVersion is the Devin API the bot speaks: "v2" or "v3", from
	// DEVIN_API_VERSION or, when that is empty, from the key's prefix (cog_ -> v3).
	DevinAPIVersion      string
	DevinAPIURL          string
	DevinGitConnectionID string

	GitHubToken      Secret
	GitHubAPIURL     string
	GitHubEnterprise string

	ApprovalChannel   string
	AuditChannel      string
	Approvers         []string
	RequiredApprovals int
	AllowSelfApproval bool
	RequestTTL        time.Duration
	// GrantMax is the longest `--for` a time-boxed request may ask (GRANT_MAX).
	GrantMax   time.Duration
	Requesters []string

	UsageReportChannel   string
	UsageReportSchedule  string
	UsageAlertThresholds []float64

	// DatabaseURL may carry a PostgreSQL password, so it prints as a secret.
	DatabaseURL Secret
	HTTPAddr    string
	LogLevel    slog.Level
	LogFormat   string
}

// DevinEnabled reports whether Devin commands can run.
func (c Config) DevinEnabled() bool { return c.DevinAPIKey != "" }

// GitHubEnabled reports whether team commands can run.
func (c Config) GitHubEnabled() bool { return c.GitHubToken != "" && c.GitHubEnterprise != "" }

// raw mirrors the environment as strings, so that a malformed value is reported by our
// own validation (all problems at once) instead of stopping envconfig at the first one.
type raw struct {
	SlackBotToken        string `envconfig:"SLACK_BOT_TOKEN"`
	SlackAppToken        string `envconfig:"SLACK_APP_TOKEN"`
	SlackAPIURL          string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`
	DevinAPIKey          string `envconfig:"DEVIN_API_KEY"`
	DevinAPIVersion      string `envconfig:"DEVIN_API_VERSION"`
	DevinAPIURL          string `envconfig:"DEVIN_API_URL" default:"https://api.devin.ai"`
	DevinGitConnectionID string `envconfig:"DEVIN_GIT_CONNECTION_ID"`
	GitHubToken          string `envconfig:"GITHUB_TOKEN"`
	GitHubAPIURL         string `envconfig:"GITHUB_API_URL" default:"https://api.github.com"`
	GitHubEnterprise     string `envconfig:"GITHUB_ENTERPRISE"`
	ApprovalChannel      string `envconfig:"APPROVAL_CHANNEL"`
	AuditChannel         string `envconfig:"AUDIT_CHANNEL"`
	Approvers            string `envconfig:"APPROVERS"`
	RequiredApprovals    string `envconfig:"REQUIRED_APPROVALS" default:"1"`
	AllowSelfApproval    string `envconfig:"ALLOW_SELF_APPROVAL" default:"false"`
	RequestTTL           string `envconfig:"REQUEST_TTL" default:"24h"`
	GrantMax             string `envconfig:"GRANT_MAX" default:"2160h"`
	Requesters           string `envconfig:"REQUESTERS"`
	UsageReportChannel   string `envconfig:"USAGE_REPORT_CHANNEL"`
	UsageReportSchedule  string `envconfig:"USAGE_REPORT_SCHEDULE" default:"0 9 * * 1"`
	UsageAlertThresholds string `envconfig:"USAGE_ALERT_THRESHOLDS" default:"80,100"`
	DatabaseURL          string `envconfig:"DATABASE_URL" default:"sqlite:devin-chatops.db"`
	HTTPAddr             string `envconfig:"HTTP_ADDR" default:":8080"`
	LogLevel             string `envconfig:"LOG_LEVEL" default:"info"`
	LogFormat            string `envconfig:"LOG_FORMAT" default:"json"`
}

// Problems lists every configuration problem, one per line.
type Problems []string

func (p Problems) Error() string { return strings.Join(p, "\n") }

// ErrInvalid is matched by errors.Is for any configuration error.
var ErrInvalid = errors.New("invalid configuration")

func (p Problems) Is(target error) bool { return target == ErrInvalid }

// The range of REQUEST_TTL. Expiry is timed to the request (within 5 s of it), so
// even a few seconds is honoured; the short end is for trying the bot out.
const (
	MinRequestTTL = 5 * time.Second
	MaxRequestTTL = 30 * 24 * time.Hour
)

var (
	userOrGroupID = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`)
	channelID     = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
	enterprise    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)
)

// Load reads the environment. It returns Problems (one line per problem) when
// anything is missing or malformed; no line ever contains a secret's value.
func Load(mode Mode) (Config, error) {
	var r raw
	if err := envconfig.Process("", &r); err != nil {
		// Only string fields: this can only fail on envconfig misuse.
		return Config{}, fmt.Errorf("read environment: %w", err)
	}
	r.applyDefaultsToEmpty()
	return r.validate(mode)
}

// applyDefaultsToEmpty treats a variable set to the empty string like an unset one:
// deployment tools often write NAME= for "no value", and that must not mean "invalid".
func (r *raw) applyDefaultsToEmpty() {
	v := reflect.ValueOf(r).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if def, ok := t.Field(i).Tag.Lookup("default"); ok && strings.TrimSpace(v.Field(i).String()) == "" {
			v.Field(i).SetString(def)
		}
	}
}

func (r raw) validate(mode Mode) (Config, error) {
	var p Problems
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	c := Config{
		SlackBotToken:        Secret(strings.TrimSpace(r.SlackBotToken)),
		SlackAppToken:        Secret(strings.TrimSpace(r.SlackAppToken)),
		SlackAPIURL:          strings.TrimSpace(r.SlackAPIURL),
		DevinAPIKey:          Secret(strings.TrimSpace(r.DevinAPIKey)),
		DevinAPIURL:          strings.TrimRight(strings.TrimSpace(r.DevinAPIURL), "/"),
		DevinGitConnectionID: strings.TrimSpace(r.DevinGitConnectionID),
		GitHubToken:          Secret(strings.TrimSpace(r.GitHubToken)),
		GitHubAPIURL:         strings.TrimRight(strings.TrimSpace(r.GitHubAPIURL), "/"),
		GitHubEnterprise:     strings.TrimSpace(r.GitHubEnterprise),
		ApprovalChannel:      strings.TrimSpace(r.ApprovalChannel),
		AuditChannel:         strings.TrimSpace(r.AuditChannel),
		UsageReportChannel:   strings.TrimSpace(r.UsageReportChannel),
		UsageReportSchedule:  strings.TrimSpace(r.UsageReportSchedule),
		DatabaseURL:          Secret(strings.TrimSpace(r.DatabaseURL)),
		HTTPAddr:             strings.TrimSpace(r.HTTPAddr),
		LogFormat:            strings.ToLower(strings.TrimSpace(r.LogFormat)),
	}

	if mode == ModeRun {
		checkToken(add, "SLACK_BOT_TOKEN", c.SlackBotToken, "xoxb-")
		checkToken(add, "SLACK_APP_TOKEN", c.SlackAppToken, "xapp-")
	}
	if !strings.HasSuffix(c.SlackAPIURL, "/") {
		c.SlackAPIURL += "/"
	}
	checkURL(add, "SLACK_API_URL", c.SlackAPIURL)
	checkURL(add, "DEVIN_API_URL", c.DevinAPIURL)
	c.DevinAPIVersion = devinAPIVersion(add, r.DevinAPIVersion, c.DevinAPIKey)
	checkURL(add, "GITHUB_API_URL", c.GitHubAPIURL)
	if c.GitHubEnterprise != "" && !enterprise.MatchString(c.GitHubEnterprise) {
		add("GITHUB_ENTERPRISE must be the enterprise slug (letters, digits and hyphens)")
	}
	if c.GitHubToken != "" && c.GitHubEnterprise == "" {
		add("GITHUB_ENTERPRISE is required when GITHUB_TOKEN is set")
	}

	if mode == ModeRun || c.ApprovalChannel != "" {
		checkChannel(add, "APPROVAL_CHANNEL", c.ApprovalChannel, true)
	}
	if mode == ModeRun || c.AuditChannel != "" {
		checkChannel(add, "AUDIT_CHANNEL", c.AuditChannel, true)
	}
	checkChannel(add, "USAGE_REPORT_CHANNEL", c.UsageReportChannel, false)

	c.Approvers = splitIDs(add, "APPROVERS", r.Approvers)
	if len(c.Approvers) == 0 && mode == ModeRun {
		add("APPROVERS is required: a comma-separated list of Slack user IDs (U…) or user-group IDs (S…)")
	}
	c.Requesters = splitIDs(add, "REQUESTERS", r.Requesters)

	if n, err := strconv.Atoi(strings.TrimSpace(r.RequiredApprovals)); err != nil || n < 1 || n > 10 {
		add("REQUIRED_APPROVALS must be a whole number from 1 to 10, got %q", clip(r.RequiredApprovals))
	} else {
		c.RequiredApprovals = n
	}
	if b, err := strconv.ParseBool(strings.TrimSpace(r.AllowSelfApproval)); err != nil {
		add("ALLOW_SELF_APPROVAL must be true or false, got %q", clip(r.AllowSelfApproval))
	} else {
		c.AllowSelfApproval = b
	}
	if d, err := time.ParseDuration(strings.TrimSpace(r.RequestTTL)); err != nil || d < MinRequestTTL || d > MaxRequestTTL {
		add("REQUEST_TTL must be a duration from 5s to 720h (e.g. 24h), got %q", clip(r.RequestTTL))
	} else {
		c.RequestTTL = d
	}
	if d, err := time.ParseDuration(strings.TrimSpace(r.GrantMax)); err != nil || d < time.Minute {
		add("GRANT_MAX must be a duration of at least 1m (e.g. 2160h for 90 days), got %q", clip(r.GrantMax))
	} else {
		c.GrantMax = d
	}

	if c.UsageReportSchedule != "" {
		if _, err := ParseSchedule(c.UsageReportSchedule); err != nil {
			add("USAGE_REPORT_SCHEDULE must be a 5-field cron spec (CRON_TZ= allowed) or @every DURATION: %v", err)
		}
	}
	c.UsageAlertThresholds = parseThresholds(add, r.UsageAlertThresholds)

	checkDatabaseURL(add, c.DatabaseURL.Reveal())
	if c.HTTPAddr != "" && !strings.Contains(c.HTTPAddr, ":") {
		add("HTTP_ADDR must be host:port or :port, got %q", clip(c.HTTPAddr))
	}
	if err := c.LogLevel.UnmarshalText([]byte(strings.TrimSpace(r.LogLevel))); err != nil {
		add("LOG_LEVEL must be debug, info, warn or error, got %q", clip(r.LogLevel))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		add("LOG_FORMAT must be json or text, got %q", clip(r.LogFormat))
	}
	if len(p) > 0 {
		return Config{}, p
	}
	return c, nil
}

// ParseSchedule parses USAGE_REPORT_SCHEDULE: a 5-field cron spec, optionally prefixed
// with CRON_TZ=Zone, or a descriptor such as @every 24h or @weekly.
//
// An @every schedule's slots are aligned to multiples of its interval (counted from
// the zero time, in UTC), not to when the process started: replicas started at
// different moments then agree on the slots, and each slot is claimed and posted once.
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, err
	}
	if every, ok := s.(cron.ConstantDelaySchedule); ok {
		return alignedEvery(every.Delay), nil
	}
	return s, nil
}

// alignedEvery is an @every schedule whose slots fall on multiples of the interval.
type alignedEvery time.Duration

func (d alignedEvery) Next(t time.Time) time.Time {
	return t.Truncate(time.Duration(d)).Add(time.Duration(d))
}

func checkToken(add func(string, ...any), name string, v Secret, prefix string) {
	switch {
	case v == "":
		add("%s is required (a %s… token)", name, prefix)
	case !strings.HasPrefix(string(v), prefix):
		// Never echo the value: say only what shape was expected.
		add("%s must start with %s", name, prefix)
	}
}

func checkURL(add func(string, ...any), name, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		add("%s must be an http(s) URL, got %q", name, clip(v))
	}
}

func checkChannel(add func(string, ...any), name, v string, required bool) {
	switch {
	case v == "" && required:
		add("%s is required: a Slack channel ID such as C0123ABCD", name)
	case v != "" && !channelID.MatchString(v):
		add("%s must be a Slack channel ID (C…, G… or D…), got %q", name, clip(v))
	}
}

func splitIDs(add func(string, ...any), name, v string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !userOrGroupID.MatchString(f) {
			add("%s must list Slack user IDs (U…/W…) or user-group IDs (S…), got %q", name, clip(f))
			continue
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

func parseThresholds(add func(string, ...any), v string) []float64 {
	var out []float64
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f), "%"))
		if f == "" {
			continue
		}
		n, err := strconv.ParseFloat(f, 64)
		if err != nil || n <= 0 || n > 1000 {
			add("USAGE_ALERT_THRESHOLDS must be percentages such as 80,100, got %q", clip(f))
			continue
		}
		out = append(out, n)
	}
	return out
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Devin API versions the bot speaks.
const (
	DevinV2 = "v2"
	DevinV3 = "v3"
)

// devinAPIVersion picks the Devin API version: DEVIN_API_VERSION when set, else by the
// key's prefix: v3 service-user credentials and personal access tokens start with cog_,
// v2 keys never do.
func devinAPIVersion(add func(string, ...any), set string, key Secret) string {
	switch v := strings.ToLower(strings.TrimSpace(set)); v {
	case DevinV2, DevinV3:
		return v
	case "":
		if strings.HasPrefix(key.Reveal(), "cog_") {
			return DevinV3
		}
		return DevinV2
	default:
		add("DEVIN_API_VERSION must be v2 or v3 (or empty, to choose by the key's prefix), got %q", clip(set))
		return ""
	}
}

// checkDatabaseURL accepts sqlite:PATH (one replica, the embedded default) and
// postgres:// or postgresql:// (any number of replicas on one database). Its messages
// never echo a PostgreSQL URL: it carries a password. The store parses the URL in full
// when it connects; this catches the obvious mistakes before anything starts.
func checkDatabaseURL(add func(string, ...any), v string) {
	lower := strings.ToLower(v)
	switch {
	case strings.HasPrefix(lower, "sqlite:") && len(v) > len("sqlite:"):
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		u, err := url.Parse(v)
		switch {
		case err != nil:
			add("DATABASE_URL: the PostgreSQL URL cannot be parsed (not shown: it may carry a password); expected postgres://USER:PASSWORD@HOST:PORT/DB")
		case u.Host == "" && u.Query().Get("host") == "":
			add("DATABASE_URL: the PostgreSQL URL names no host; expected postgres://USER:PASSWORD@HOST:PORT/DB")
		}
	case strings.HasPrefix(lower, "postgres:"), strings.HasPrefix(lower, "postgresql:"):
		add("DATABASE_URL: a PostgreSQL URL must start postgres:// (postgres://USER:PASSWORD@HOST:PORT/DB)")
	default:
		add("DATABASE_URL must be sqlite:PATH (for example sqlite:devin-chatops.db, one replica) or postgres://USER:PASSWORD@HOST:PORT/DB (several replicas)")
	}
}
