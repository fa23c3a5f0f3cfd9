// Package harness starts the whole bot against in-process fakes of Slack, the Devin
// API and the GitHub API. End-to-end tests drive it through the fake Slack, and
// console mode puts a prompt in front of it.
package harness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"devin-chatops/app"
	"devin-chatops/bot"
	"devin-chatops/config"
	devinsandbox "devin-chatops/internal/sandbox/devin"
	githubsandbox "devin-chatops/internal/sandbox/github"
	slacksandbox "devin-chatops/internal/sandbox/slack"
)

// The people and channels of the fake workspace.
const (
	Requester       = "U0REQUESTER"
	Alice           = "U0ALICE" // approver
	Bob             = "U0BOB"   // approver
	Carol           = "U0CAROL" // approver through the admins user group
	Mallory         = "U0MALLORY"
	AdminsGroup     = "S0ADMINS"
	ApprovalChannel = "C0APPROVALS"
	AuditChannel    = "C0AUDIT"
	GeneralChannel  = "C0GENERAL"
	Enterprise      = "acme"
)

// Options shape an environment; the zero value is a working one with demo data.
type Options struct {
	// DatabaseURL defaults to an in-memory database; restart tests pass a file.
	DatabaseURL string
	// Configure adjusts the configuration before the bot starts.
	Configure func(*config.Config)
	// App tunes the bot's runtime; fast test defaults are filled in.
	App app.Options
	// Slack tunes the fake Slack.
	Slack slacksandbox.Options
	// Logger defaults to one that discards everything.
	Logger *slog.Logger
	// NoSeed leaves the fake APIs empty.
	NoSeed bool
	// Reports runs the report scheduler (scheduled posts, alert checks at start-up and
	// hourly). Off by default, so that other tests count only their own API calls.
	Reports bool
	// DevinAPIVersion is the Devin API the bot speaks and the only one the fake
	// serves: "v2" or "v3". Empty takes E2E_DEVIN_API_VERSION, else v3, so one
	// suite runs against either version.
	DevinAPIVersion string
	// NoBot starts the fakes only: the bots are other processes (the multi-replica
	// tests), pointed at the fakes by Config. Env.App is then nil.
	NoBot bool
}

// DevinVersionEnv names the environment variable that picks the Devin API version
// of environments that do not set one.
const DevinVersionEnv = "E2E_DEVIN_API_VERSION"

// DevinAPIVersion resolves the version an environment with these options uses.
func DevinAPIVersion(opts Options) (string, error) {
	v := opts.DevinAPIVersion
	if v == "" {
		v = strings.ToLower(strings.TrimSpace(os.Getenv(DevinVersionEnv)))
	}
	switch v {
	case "":
		return config.DevinV3, nil
	case config.DevinV2, config.DevinV3:
		return v, nil
	}
	return "", fmt.Errorf("harness: Devin API version must be v2 or v3, got %q (%s or Options.DevinAPIVersion)", v, DevinVersionEnv)
}

// Env is a running bot with its fakes.
type Env struct {
	// DevinAPIVersion is the Devin API in use: "v2" or "v3".
	DevinAPIVersion string

	Slack  *slacksandbox.Server
	Devin  *devinsandbox.Server
	GitHub *githubsandbox.Server
	Config config.Config
	App    *app.App

	opts   Options
	cancel context.CancelFunc
	done   chan error
}

// Start brings up the fakes and the bot, and waits until the bot's socket is connected.
func Start(ctx context.Context, opts Options) (*Env, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	version, err := DevinAPIVersion(opts)
	if err != nil {
		return nil, err
	}
	e := &Env{opts: opts, DevinAPIVersion: version}
	e.Slack = slacksandbox.New(opts.Slack)
	// The fake serves only the version the bot is meant to speak, so a call of the
	// other is a recorded violation; v3 takes a service-user credential.
	key := devinsandbox.DefaultAPIKey
	if version == config.DevinV3 {
		key = devinsandbox.V3APIKey
	}
	e.Devin = devinsandbox.New(devinsandbox.WithVersions(devinsandbox.VersionsFor(version)), devinsandbox.WithAPIKey(key))
	e.GitHub = githubsandbox.New(Enterprise)
	for _, u := range []struct{ id, name string }{
		{Requester, "rita"}, {Alice, "alice"}, {Bob, "bob"}, {Carol, "carol"}, {Mallory, "mallory"},
	} {
		e.Slack.AddUser(u.id, u.name)
	}
	e.Slack.AddUserGroup(AdminsGroup, Carol)
	e.Slack.AddChannel(ApprovalChannel, "approvals")
	e.Slack.AddChannel(AuditChannel, "audit")
	e.Slack.AddChannel(GeneralChannel, "general")
	if !opts.NoSeed {
		SeedDemo(e.Devin, e.GitHub, time.Now())
	}

	so := e.Slack.Options()
	e.Config = config.Config{
		SlackBotToken:     config.Secret(so.BotToken),
		SlackAppToken:     config.Secret(so.AppToken),
		SlackAPIURL:       e.Slack.APIURL(),
		DevinAPIKey:       config.Secret(e.Devin.APIKey()),
		DevinAPIURL:       e.Devin.URL(),
		DevinAPIVersion:   version,
		GitHubToken:       config.Secret(e.GitHub.Token()),
		GitHubAPIURL:      e.GitHub.URL(),
		GitHubEnterprise:  Enterprise,
		ApprovalChannel:   ApprovalChannel,
		AuditChannel:      AuditChannel,
		Approvers:         []string{Alice, Bob, AdminsGroup},
		RequiredApprovals: 1,
		RequestTTL:        24 * time.Hour,
		DatabaseURL:       config.Secret(opts.DatabaseURL),
		HTTPAddr:          "127.0.0.1:0",
		LogLevel:          slog.LevelInfo,
		LogFormat:         "text",
	}
	// The git connection `permission add` grants on.
	e.Config.DevinGitConnectionID = GitConnection
	if e.Config.DatabaseURL == "" {
		e.Config.DatabaseURL = "sqlite::memory:"
	}
	if opts.Configure != nil {
		opts.Configure(&e.Config)
	}
	if opts.NoBot {
		return e, nil
	}
	if err := e.startApp(ctx); err != nil {
		e.closeFakes()
		return nil, err
	}
	return e, nil
}

func (e *Env) appOptions() app.Options {
	o := e.opts.App
	o.ReportsOff = !e.opts.Reports
	if o.APIHTTPClient == nil {
		o.APIHTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.EchoBackoffBase == 0 {
		o.EchoBackoffBase, o.EchoBackoffMax = 20*time.Millisecond, 200*time.Millisecond
	}
	if o.EchoPoll == 0 {
		o.EchoPoll = 100 * time.Millisecond
	}
	if o.SweepEvery == 0 {
		o.SweepEvery = 50 * time.Millisecond
	}
	if o.PosterOptions == nil {
		// Slack's ~1 message/s per channel would make every audit-heavy test take
		// seconds per event; the pacing itself is tested in package bot.
		o.PosterOptions = []bot.PosterOption{bot.WithPacing(2*time.Millisecond, 50)}
	}
	return o
}

func (e *Env) startApp(ctx context.Context) error {
	a, err := app.New(ctx, e.Config, e.opts.Logger, e.appOptions())
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	e.App, e.cancel, e.done = a, cancel, done

	waitCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	for !a.Bot.Connected() {
		select {
		case err := <-done:
			cancel()
			return fmt.Errorf("bot stopped during start-up: %w", err)
		case <-waitCtx.Done():
			cancel()
			<-done
			return errors.New("bot did not connect to the fake Slack within 10s")
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// StopBot stops the bot (as SIGTERM would) and returns Run's result; the fakes stay up.
func (e *Env) StopBot() error {
	if e.cancel == nil {
		return nil
	}
	e.cancel()
	err := <-e.done
	e.cancel = nil
	return err
}

// Restart stops the bot and starts a new one with the same configuration, database
// and fakes: a process restart.
func (e *Env) Restart(ctx context.Context) error {
	if err := e.StopBot(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	return e.startApp(ctx)
}

// Close stops the bot and the fakes. It fails when the fake Devin recorded a
// request that broke the API's contract (an invalid v3 request, a path of the
// version not in use), so every test that closes its environment checks that.
func (e *Env) Close() error {
	err := e.StopBot()
	e.closeFakes()
	if v := e.Devin.Violations(); len(v) > 0 {
		err = errors.Join(err, fmt.Errorf("the fake Devin API (%s) recorded %d request(s) that break its contract:\n  %s",
			e.DevinAPIVersion, len(v), strings.Join(v, "\n  ")))
	}
	return err
}

func (e *Env) closeFakes() {
	e.Slack.Close()
	e.Devin.Close()
	e.GitHub.Close()
}
