// Package bot is the Slack runtime: it holds the Socket Mode connection, acks and
// de-duplicates envelopes, runs handlers on a bounded worker pool, posts outbound
// messages through a paced Poster and reports health.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"devin-chatops/clock"
	"devin-chatops/metrics"
	"devin-chatops/slackui"
)

// SlashHandler answers slash commands (commands.Router).
type SlashHandler interface {
	// HandleSlash runs off the event loop, after the ack. The bot delivers the reply
	// through the command's response_url; a zero Reply sends nothing.
	HandleSlash(ctx context.Context, cmd slack.SlashCommand) slackui.Reply
}

// InteractionHandler acts on clicks and modal submissions (approvalslack.Handler).
type InteractionHandler interface {
	// HandleInteraction runs off the event loop, after the ack (block_actions,
	// view_submission, view_closed), and reports whether the interaction was its own.
	HandleInteraction(ctx context.Context, cb slack.InteractionCallback) bool
}

// WithInteractions mounts the handler of interactions; without one they are acked
// and ignored.
func WithInteractions(h InteractionHandler) Option { return func(b *Bot) { b.interactions = h } }

// Responder delivers a reply through a response_url. *Poster implements it.
type Responder interface {
	Respond(ctx context.Context, responseURL string, r slackui.Reply) error
}

// Option configures a Bot.
type Option func(*Bot)

// WithSlackClient makes the bot use api (built by NewSlackClient) instead of its own.
func WithSlackClient(api *slack.Client) Option { return func(b *Bot) { b.api = api } }

// WithResponder sets what delivers slash replies; by default a Poster on the bot's
// Slack client.
func WithResponder(r Responder) Option { return func(b *Bot) { b.responder = r } }

// WithMetrics makes the bot count into reg, which /metrics then serves; by default
// the bot has a registry of its own.
func WithMetrics(reg *metrics.Registry) Option { return func(b *Bot) { b.registry = reg } }

// WithClock replaces the wall clock used for de-duplication TTLs.
func WithClock(c clock.Clock) Option { return func(b *Bot) { b.clock = c } }

// Bot is the Slack Socket Mode runtime. Create it with New and start it with Run.
type Bot struct {
	cfg     Config
	handler SlashHandler
	// interactions is nil when no interactive part is mounted.
	interactions InteractionHandler
	log          *slog.Logger
	clock        clock.Clock
	api          *slack.Client
	socket       *socketmode.Client
	responder    Responder
	seen         *dedupe
	acked        *ackLog // loop goroutine only
	queue        chan job
	registry     *metrics.Registry
	metrics      *metrics.Runtime
	busy         chan struct{} // semaphore for busy replies

	connected      atomic.Bool
	tokensValid    atomic.Bool
	tokensRejected atomic.Bool
	started        atomic.Bool

	// Set by Run before the event loop starts.
	workCtx context.Context
	bg      sync.WaitGroup // busy replies
}

// New builds a Bot. It does not touch the network; Run does.
func New(cfg Config, h SlashHandler, logger *slog.Logger, opts ...Option) *Bot {
	cfg = cfg.withDefaults()
	b := &Bot{
		cfg:     cfg,
		handler: h,
		log:     orDiscard(logger),
		clock:   clock.System(),
		queue:   make(chan job, cfg.QueueSize),
		busy:    make(chan struct{}, maxBusyReplies),
		workCtx: context.Background(),
	}
	for _, o := range opts {
		o(b)
	}
	if b.registry == nil {
		b.registry = metrics.New()
	}
	b.metrics = b.registry.Runtime
	b.registry.WatchBot(func() int { return len(b.queue) }, b.Connected)
	if b.api == nil {
		b.api = NewSlackClient(cfg)
	}
	if b.responder == nil {
		b.responder = NewPoster(b.api, b.log)
	}
	b.seen = newDedupe(cfg.DedupeTTL, dedupeMaxEntries, b.clock)
	b.acked = newAckLog(slackAckDeadline, ackLogMaxEntries)
	b.socket = socketmode.New(b.api,
		socketmode.OptionPingInterval(cfg.PingInterval),
		socketmode.OptionLog(slogOutput{b.log.With("component", "socketmode")}),
	)
	return b
}

// Connected reports whether the Socket Mode connection is up.
func (b *Bot) Connected() bool { return b.connected.Load() }

// TokensValid reports whether auth.test accepted the bot token and Slack has not
// rejected a token since.
func (b *Bot) TokensValid() bool { return b.tokensValid.Load() && !b.tokensRejected.Load() }

// Run verifies the tokens, connects and serves envelopes until ctx ends, then shuts
// down gracefully and returns nil. It returns an error at once if a token is rejected,
// at start-up or later. Run may be called once.
func (b *Bot) Run(ctx context.Context) error {
	if !b.started.CompareAndSwap(false, true) {
		return errors.New("bot: Run called more than once")
	}
	if err := b.validate(); err != nil {
		return err
	}
	if err := b.verifyTokens(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}

	// Work outlives ctx: in-flight handlers get ShutdownTimeout to finish after ctx
	// ends, and are cancelled only then.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	b.workCtx = workCtx
	var workers sync.WaitGroup
	for range b.cfg.Workers {
		workers.Go(func() {
			for j := range b.queue {
				b.runJob(workCtx, j)
			}
		})
	}

	// The socket is closed by us, after the loop stops, not by ctx directly: that
	// leaves a moment for queued acks to be written.
	sockCtx, cancelSock := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSock()
	fatal := make(chan error, 1)
	var supervisor sync.WaitGroup
	supervisor.Go(func() { b.supervise(sockCtx, fatal) })

	runErr := b.loop(ctx, fatal)

	deadline := time.Now().Add(b.cfg.ShutdownTimeout)
	b.log.Info("slack bot stopping", "queued", len(b.queue), "error", runErr)
	if runErr == nil {
		flush := time.NewTimer(min(ackFlushDelay, b.cfg.ShutdownTimeout/4))
		<-flush.C
	}
	cancelSock()
	supervisor.Wait()
	b.setConnected(false)

	close(b.queue)
	done := make(chan struct{})
	go func() {
		workers.Wait()
		b.bg.Wait()
		close(done)
	}()
	wait := time.NewTimer(time.Until(deadline))
	defer wait.Stop()
	select {
	case <-done:
		b.log.Info("slack bot stopped")
	case <-wait.C:
		b.log.Warn("shutdown timeout: cancelling unfinished work", "timeout", b.cfg.ShutdownTimeout, "queued", len(b.queue))
		cancelWork()
		// What a cancelled handler still writes (a command's audit line is recorded
		// even when the command was cut short) must land before the caller closes the
		// store; a handler that ignores its context is not waited for past this.
		after := time.NewTimer(cancelledWorkWait)
		defer after.Stop()
		select {
		case <-done:
		case <-after.C:
			b.log.Warn("shutdown: handlers still running after cancellation; leaving them", "waited", cancelledWorkWait)
		}
	}
	return runErr
}

func (b *Bot) validate() error {
	var problems []string
	if b.cfg.BotToken == "" {
		problems = append(problems, "SLACK_BOT_TOKEN is empty")
	}
	if b.cfg.AppToken == "" {
		problems = append(problems, "SLACK_APP_TOKEN is empty")
	}
	if b.cfg.APIURL != "" && !strings.HasSuffix(b.cfg.APIURL, "/") {
		problems = append(problems, "SLACK_API_URL must end with '/'")
	}
	if b.handler == nil {
		problems = append(problems, "no handler")
	}
	if len(problems) > 0 {
		return fmt.Errorf("bot: %s", strings.Join(problems, "; "))
	}
	return nil
}

// slogOutput adapts slog to slack-go's logger interface. slack-go only logs in debug
// mode, which stays off; this keeps it off stderr regardless.
type slogOutput struct{ l *slog.Logger }

func (o slogOutput) Output(_ int, s string) error {
	o.l.Debug(strings.TrimSpace(s))
	return nil
}
