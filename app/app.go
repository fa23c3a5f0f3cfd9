// Package app wires the bot together: configuration -> store -> API clients ->
// approval service -> command router -> Slack runtime, plus the background workers
// (audit echo, expiry timer and sweeper, execution pool, recovery) and the health listener.
// Both the `run` subcommand and console mode start the bot through it, so they share
// one wiring.
package app

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
	"devin-chatops/apiclient/readshare"
	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/auditecho"
	"devin-chatops/bot"
	"devin-chatops/clock"
	"devin-chatops/commands"
	"devin-chatops/config"
	"devin-chatops/executor"
	"devin-chatops/metrics"
	"devin-chatops/reports"
	"devin-chatops/store"
	"devin-chatops/usage"
)

// Options are the knobs tests and console mode turn; zero values mean production.
type Options struct {
	// APIHTTPClient is used for the Devin and GitHub clients.
	APIHTTPClient *http.Client
	// Clock defaults to the wall clock.
	Clock clock.Clock
	// SweepEvery is how often the sweeper runs (default 1 minute): the backstop for the
	// expiry timer, and what brings Slack up to date after a failure.
	SweepEvery time.Duration
	// EchoPoll is how often the audit outbox is polled besides kicks (default 1 s).
	EchoPoll time.Duration
	// EchoBackoff is the first and the largest wait after a failed echo
	// (defaults 1 s and 5 min).
	EchoBackoffBase, EchoBackoffMax time.Duration
	// Bot tunes the Slack runtime (workers, ping interval, …); tokens and API URL
	// come from the configuration.
	Bot bot.Config
	// PosterOptions tune the outbound poster (pacing, retries).
	PosterOptions []bot.PosterOption
	// ShutdownGrace is how long, from SIGTERM, executions in flight get to finish
	// before their API calls are cancelled and they are left for the next start
	// (default 25 s: below Kubernetes' default 30 s terminationGracePeriodSeconds).
	ShutdownGrace time.Duration
	// Listener, when set, serves the health endpoints instead of HTTP_ADDR.
	Listener net.Listener
	// ReportsOff keeps the report scheduler from running: no scheduled posts, no alert
	// checks at start-up or hourly (reports asked for still check). Tests of other parts
	// set it so that the Devin calls and audit lines they count are their own.
	ReportsOff bool
	// ReadShareTTL is how long the answers of the commands' API reads are reused
	// (default readshare.DefaultTTL); negative reuses none, and only calls in flight
	// are shared.
	ReadShareTTL time.Duration
	// GrantLease, GrantRetry and GrantAttempts tune the revoker (executor.RevokerConfig:
	// claim lease, first retry wait, attempts before a revocation is reported failed);
	// zero takes its defaults. Tests shorten them.
	GrantLease, GrantRetry time.Duration
	GrantAttempts          int
	// ExecLease is how long an execution is held without a heartbeat before another
	// replica may take it over (default executor.DefaultLease); ExecOwner names this
	// process in the lease (default a random ID). Tests shorten the one and set the
	// other to tell replicas apart.
	ExecLease time.Duration
	ExecOwner string
	// EchoLease is how long the audit echo's claim on an event lasts (default one
	// minute), so also how long the echo waits for a replica that died holding one.
	EchoLease time.Duration
}

// App is a wired bot, ready to Run.
type App struct {
	cfg     config.Config
	opts    Options
	log     *slog.Logger
	DB      *store.DB
	Bot     *bot.Bot
	Poster  *bot.Poster
	Service *approvals.Service
	Runner  *executor.Runner
	Sweeper *executor.Sweeper
	// Revoker takes time-boxed access back when it ends.
	Revoker *executor.Revoker
	Router  *commands.Router
	Clicks  *approvalslack.Handler
	Echoer  *auditecho.Echoer
	// Reports builds usage reports; Scheduler posts them on schedule and checks the
	// alert thresholds. Both are nil without the Devin API.
	Reports   *reports.Service
	Scheduler *reports.Scheduler
	// Leases hands back this process's execution leases at shutdown (the Runner).
	Leases LeaseReleaser
	// Metrics is what /metrics serves; every part counts into it.
	Metrics  *metrics.Registry
	health   *http.Server
	listener net.Listener
}

// New builds every part without starting anything but the database.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger, opts Options) (*App, error) {
	opts.Clock = clock.OrSystem(opts.Clock)
	if opts.SweepEvery <= 0 {
		opts.SweepEvery = time.Minute
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = DefaultShutdownGrace
	}
	// The store decides with this clock which requests the sweeper may retry in Slack.
	db, err := store.Open(ctx, cfg.DatabaseURL.Reveal(), store.WithClock(opts.Clock))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	a := &App{cfg: cfg, opts: opts, log: logger, DB: db}
	if err := a.build(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build() error {
	cfg, opts := a.cfg, a.opts

	bc := opts.Bot
	// The bot's own drain of its handlers fits in the grace period.
	if bc.ShutdownTimeout <= 0 || bc.ShutdownTimeout > opts.ShutdownGrace {
		bc.ShutdownTimeout = opts.ShutdownGrace
	}
	bc.BotToken = cfg.SlackBotToken.Reveal()
	bc.AppToken = cfg.SlackAppToken.Reveal()
	bc.APIURL = cfg.SlackAPIURL
	api := bot.NewSlackClient(bc)
	a.Metrics = metrics.New(metrics.WithProcessCollectors())
	a.Metrics.WatchState(a.DB, opts.Clock.Now, 0, a.log.With("component", "metrics"))
	a.Poster = bot.NewPoster(api, a.log.With("component", "poster"),
		append([]bot.PosterOption{bot.WithPostObserver(a.Metrics)}, opts.PosterOptions...)...)

	echoOpts := []auditecho.EchoerOption{}
	if opts.EchoPoll > 0 {
		echoOpts = append(echoOpts, auditecho.WithPollInterval(opts.EchoPoll))
	}
	if opts.EchoBackoffBase > 0 {
		echoOpts = append(echoOpts, auditecho.WithBackoff(opts.EchoBackoffBase, max(opts.EchoBackoffMax, opts.EchoBackoffBase)))
	}
	if opts.EchoLease > 0 {
		echoOpts = append(echoOpts, auditecho.WithClaimLease(opts.EchoLease))
	}
	a.Echoer = auditecho.NewEchoer(a.DB, a.Poster, cfg.AuditChannel, opts.Clock, a.log.With("component", "audit"), echoOpts...)

	deps := commands.Deps{Audit: a.DB, Kicker: a.Echoer, ApprovalChannel: cfg.ApprovalChannel, GitConnectionID: cfg.DevinGitConnectionID, GrantMax: cfg.GrantMax}
	actions := executor.Actions{
		approvals.ActionInvite:        executor.Unavailable("the Devin API is not configured (DEVIN_API_KEY)"),
		approvals.ActionOrgCreate:     executor.Unavailable("the Devin API is not configured (DEVIN_API_KEY)"),
		approvals.ActionOrgLimit:      executor.Unavailable("the Devin API is not configured (DEVIN_API_KEY)"),
		approvals.ActionOrgAdd:        executor.Unavailable("the Devin API is not configured (DEVIN_API_KEY)"),
		approvals.ActionPermissionAdd: executor.Unavailable("the Devin API is not configured (DEVIN_API_KEY)"),
		approvals.ActionOffboard:      executor.Unavailable("the Devin API is not configured (DEVIN_API_KEY)"),
		approvals.ActionTeamAdd:       executor.Unavailable("the GitHub API is not configured (GITHUB_TOKEN, GITHUB_ENTERPRISE)"),
		approvals.ActionTeamRemove:    executor.Unavailable("the GitHub API is not configured (GITHUB_TOKEN, GITHUB_ENTERPRISE)"),
	}
	// The commands read through readshare, so people asking at once share one API call
	// and an answer is reused for a few seconds. The actions use the clients directly
	// (an execution must see the API as it is) and then make the shared reads forget
	// what they kept, so the next read shows the change.
	shareTTL := opts.ReadShareTTL
	switch {
	case shareTTL == 0:
		shareTTL = readshare.DefaultTTL
	case shareTTL < 0:
		shareTTL = 0
	}
	// The offboard action needs both clients and both shared reads' Forget.
	var (
		devinClient  devin.API
		githubClient *github.Client
		forgets      []func()
	)
	if cfg.DevinEnabled() {
		dc, err := devin.Open(cfg.DevinAPIVersion, cfg.DevinAPIURL, cfg.DevinAPIKey.Reveal(),
			devin.WithHTTPClient(opts.APIHTTPClient), devin.WithLogger(a.log.With("component", "devin")),
			devin.WithObserver(a.Metrics))
		if err != nil {
			return fmt.Errorf("devin client: %w", err)
		}
		a.log.Info("devin api", "version", dc.Version(), "base_url", dc.BaseURL())
		deps.DevinAPIVersion = dc.Version()
		devinReads := readshare.NewDevin(dc, shareTTL, opts.Clock)
		deps.Devin = devinReads
		devinClient, forgets = dc, append(forgets, devinReads.Forget)
		actions[approvals.ActionPermissionAdd] = executor.Then(executor.NewPermissionAdd(dc), devinReads.Forget)
		// An organization change also shows in the next usage report.
		forgetOrgs := func() {
			devinReads.Forget()
			if a.Reports != nil {
				a.Reports.Forget()
			}
		}
		actions[approvals.ActionOrgCreate] = executor.Then(executor.NewOrgCreate(dc), forgetOrgs)
		actions[approvals.ActionOrgLimit] = executor.Then(executor.NewOrgLimit(dc), forgetOrgs)
		actions[approvals.ActionOrgAdd] = executor.Then(executor.NewOrgAdd(dc), forgetOrgs)
		// Reports read through the same shared calls as the commands.
		if err := a.buildReports(devinReads); err != nil {
			return err
		}
		deps.Usage = a.Reports
		forgets = append(forgets, a.Reports.Forget)
		actions[approvals.ActionInvite] = executor.Then(executor.NewInvite(dc), func() {
			devinReads.Forget()
			a.Reports.Forget()
		})
	}
	if cfg.GitHubEnabled() {
		gc, err := github.New(cfg.GitHubAPIURL, cfg.GitHubEnterprise, cfg.GitHubToken.Reveal(),
			github.WithHTTPClient(opts.APIHTTPClient), github.WithLogger(a.log.With("component", "github")),
			github.WithObserver(a.Metrics))
		if err != nil {
			return fmt.Errorf("github client: %w", err)
		}
		githubReads := readshare.NewGitHub(gc, shareTTL, opts.Clock)
		deps.GitHub = githubReads
		githubClient, forgets = gc, append(forgets, githubReads.Forget)
		actions[approvals.ActionTeamAdd] = executor.Then(executor.NewTeamAdd(gc), githubReads.Forget)
		actions[approvals.ActionTeamRemove] = executor.Then(executor.NewTeamRemove(gc), githubReads.Forget)
	}
	if devinClient != nil {
		var teams executor.TeamLeaver // nil, not a nil *github.Client, without GitHub
		if githubClient != nil {
			teams = githubClient
		}
		actions[approvals.ActionOffboard] = executor.Then(executor.NewOffboard(devinClient, teams), func() {
			for _, forget := range forgets {
				forget()
			}
		})
	}

	msgr, err := approvalslack.NewMessenger(a.Poster, cfg.ApprovalChannel, a.log.With("component", "approvals"),
		approvalslack.WithApprovers(cfg.Approvers))
	if err != nil {
		return err
	}
	queue := executor.NewQueue()
	svc, err := approvals.NewService(approvals.Config{
		Approvers:         cfg.Approvers,
		Requesters:        cfg.Requesters,
		RequiredApprovals: cfg.RequiredApprovals,
		AllowSelfApproval: cfg.AllowSelfApproval,
		TTL:               cfg.RequestTTL,
	}, approvals.Deps{
		Store:     a.DB,
		Messenger: msgr,
		Queue:     queue,
		Groups:    slackGroups{api: api},
		Kicker:    a.Echoer,
		Clock:     opts.Clock,
		Logger:    a.log.With("component", "approvals"),

		Grants:         a.DB,
		GrantMessenger: msgr,
		GrantsChanged:  func() { a.Revoker.Kick() },
		Decisions:      a.Metrics,
	})
	if err != nil {
		return fmt.Errorf("approval service: %w", err)
	}
	a.Service = svc
	a.Runner = executor.NewRunner(svc, actions, queue, 0, a.log.With("component", "executor"),
		executor.WithLease(opts.ExecOwner, opts.ExecLease, opts.Clock), executor.WithExecutionObserver(a.Metrics))
	a.Leases = a.Runner
	// A request Slack refused is retried on the next sweep, then less and less often.
	takers := map[approvals.Action]executor.Taker{}
	if githubClient != nil {
		takers[approvals.ActionTeamAdd] = executor.TeamTaker{GitHub: githubClient}
	}
	if devinClient != nil {
		takers[approvals.ActionInvite] = executor.MemberTaker{Devin: devinClient}
	}
	a.Revoker = executor.NewRevoker(a.DB, msgr, takers, a.Echoer, opts.Clock, executor.RevokerConfig{
		Owner: newOwnerID(), Lease: opts.GrantLease, RetryBase: opts.GrantRetry, MaxAttempts: opts.GrantAttempts,
		Observer: a.Metrics,
	}, a.log.With("component", "grants"))
	a.Sweeper = executor.NewSweeper(svc, a.DB, a.Runner, opts.Clock, opts.SweepEvery, a.log.With("component", "sweeper"))
	a.Sweeper.Backstop(a.Revoker.Pass)
	a.Clicks = approvalslack.NewHandler(svc, a.Poster, a.log.With("component", "approvals"))

	deps.Approvals = svc
	deps.Grants = svc
	// The click handler also answers cancel ID and requests ID, worded as the card.
	deps.Desk = a.Clicks
	a.Router = commands.NewRouter(deps, a.log.With("component", "commands"), opts.Clock)
	a.Bot = bot.New(bc, a.Router, a.log.With("component", "bot"),
		bot.WithSlackClient(api), bot.WithResponder(a.Poster), bot.WithInteractions(a.Clicks),
		bot.WithMetrics(a.Metrics))
	return nil
}

// buildReports wires the usage reports, their schedule and the ACU-limit alerts.
func (a *App) buildReports(api reports.DevinUsage) error {
	cfg, clk := a.cfg, a.opts.Clock
	log := a.log.With("component", "reports")
	owner := newOwnerID()
	pub := reports.NewPublisher(a.Poster, nil)
	alerts := reports.NewAlerter(a.DB, a.Poster, a.Echoer, cfg.UsageReportChannel, owner, clk, log)
	a.Reports = reports.NewService(reports.NewFetcher(api, clk, log, 0),
		usage.Options{Thresholds: cfg.UsageAlertThresholds}, alerts, pub, clk, log)
	sc := reports.SchedulerConfig{
		Channel: cfg.UsageReportChannel, Reports: a.Reports, Publisher: pub, Poster: a.Poster,
		Store: a.DB, Owner: owner, Clock: clk, Log: log,
	}
	if cfg.UsageReportChannel != "" && cfg.UsageReportSchedule != "" {
		spec, err := config.ParseSchedule(cfg.UsageReportSchedule)
		if err != nil {
			return fmt.Errorf("USAGE_REPORT_SCHEDULE: %w", err)
		}
		sc.Schedule = spec
	}
	a.Scheduler = reports.NewScheduler(sc)
	return nil
}

// newOwnerID names this process in the claims it takes on scheduled posts.
func newOwnerID() string {
	var b [12]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// slackGroups resolves user-group members with usergroups.users.list; the approval
// service caches the answers.
type slackGroups struct{ api *slack.Client }

func (g slackGroups) Members(ctx context.Context, groupID string) ([]string, error) {
	return g.api.GetUserGroupMembersContext(ctx, groupID)
}

// Run starts the health listener, finishes work a crash left behind, starts the
// background workers and runs the Slack runtime until ctx ends (SIGTERM). It then
// shuts down in steps (see shutdown): the socket is closed first, so Slack sends the
// envelopes to other replicas; executions in flight get until ShutdownGrace after ctx
// ended to finish, and what does not finish stays resumable. It closes the database
// before returning.
func (a *App) Run(ctx context.Context) error {
	if err := a.listen(); err != nil {
		_ = a.DB.Close()
		return err
	}
	endedAt := make(chan time.Time, 1)
	stopWatch := context.AfterFunc(ctx, func() { endedAt <- time.Now() })
	defer stopWatch()

	// take ends when the workers must start nothing new; exec when executions still
	// running must give up. Both outlive ctx, so that shutdown can order them.
	take, stopTaking := context.WithCancel(context.WithoutCancel(ctx))
	defer stopTaking()
	exec, abortExec := context.WithCancel(context.WithoutCancel(ctx))
	defer abortExec()
	echoCtx, stopEcho := context.WithCancel(context.WithoutCancel(ctx))
	defer stopEcho()
	w := &workers{}

	w.health.Go(func() {
		if err := a.health.Serve(a.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("health listener stopped", "error", err)
		}
	})
	w.echo.Go(func() { a.Echoer.Run(echoCtx) })
	// Its first pass revokes what came due while no process ran.
	w.takers.Go(func() { a.Revoker.Run(take) })
	// Each request expires on time (within 5 s of expires_at); the sweep is the backstop.
	w.takers.Go(func() { a.Service.RunExpiry(take) })
	w.takers.Go(func() { a.Sweeper.Run(take, a.opts.SweepEvery) })
	// Approved requests run here, off the Slack handlers.
	w.exec.Go(func() { a.Runner.RunDraining(take, exec) })
	w.takers.Go(func() {
		// Recovery talks to Slack and the APIs; it must not hold up the socket.
		if err := a.Sweeper.Recover(take); err != nil && take.Err() == nil {
			a.log.Error("recovering unfinished requests failed", "error", err)
		}
	})
	if a.Scheduler != nil && !a.opts.ReportsOff {
		w.takers.Go(func() { a.Scheduler.Run(take) })
	}

	// Bot.Run returns once ctx has ended and it has closed the socket and let its
	// handlers finish (within the bot's ShutdownTimeout), or at once on a rejected token.
	err := a.Bot.Run(ctx)
	started := time.Now()
	select {
	case t := <-endedAt:
		started = t
	default:
	}
	a.shutdown(started, w, stopEcho, stopTaking, abortExec)
	return err
}

// Addr is the health listener's address once Run has started listening.
func (a *App) Addr() string {
	if a.listener == nil {
		return ""
	}
	return a.listener.Addr().String()
}

func (a *App) listen() error {
	a.health = &http.Server{Handler: a.Bot.HealthHandler(), ReadHeaderTimeout: 5 * time.Second}
	if a.opts.Listener != nil {
		a.listener = a.opts.Listener
		return nil
	}
	addr := a.cfg.HTTPAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on HTTP_ADDR %s: %w", addr, err)
	}
	a.listener = l
	return nil
}
