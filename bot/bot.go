// Package bot is the Slack runtime: it holds the Socket Mode connection, acks and
// de-duplicates envelopes, runs handlers on a bounded worker pool, posts outbound
// messages through a paced Poster and reports health.
package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"devin-chatops/clock"
	"devin-chatops/slackui"
)

// Handler is what the bot runs for each envelope, always off the event loop and after
// the ack.
type Handler interface {
	// HandleSlash runs off the event loop, after the ack. The bot delivers the reply
	// through the command's response_url; a zero Reply sends nothing.
	HandleSlash(ctx context.Context, cmd slack.SlashCommand) slackui.Reply
	// HandleInteraction runs off the event loop, after the ack (block_actions,
	// view_submission, view_closed).
	HandleInteraction(ctx context.Context, cb slack.InteractionCallback)
}

// Responder delivers a reply through a response_url. *Poster implements it.
type Responder interface {
	Respond(ctx context.Context, responseURL string, r slackui.Reply) error
}

// Config is the bot's runtime configuration. Zero values take the defaults below.
type Config struct {
	BotToken string // xoxb-…: every Web API call
	AppToken string // xapp-…: apps.connections.open only
	// APIURL is the Slack Web API base and must end in "/"; empty means Slack's.
	APIURL string
	// Workers is the number of handler goroutines. Handlers mostly wait on the Devin
	// and GitHub APIs, so many cheap goroutines keep a burst's last answer close to its
	// first (200 commands on a 2 s API: 26 s for the last answer with 16, 8 s with 64).
	Workers int
	// QueueSize bounds the acked work waiting for a worker.
	QueueSize int
	// DedupeTTL is how long envelope and event IDs are remembered; at least
	// MinDedupeTTL. Slack's last event retry comes 5 minutes after the first delivery.
	DedupeTTL time.Duration
	// ShutdownTimeout bounds how long Run waits for in-flight work after ctx ends.
	ShutdownTimeout time.Duration
	// PingInterval is slack-go's watchdog: with no server ping for this long the
	// connection is considered dead and reopened.
	PingInterval time.Duration
	// AckTimeout bounds one ack. Acks only block while the socket is down (slack-go
	// queues 20), and an ack later than Slack's 3 s deadline is useless anyway.
	AckTimeout time.Duration
	// HTTPClient is used for Web API calls; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
}

// Config defaults.
const (
	DefaultWorkers         = 64
	DefaultQueueSize       = 1024
	DefaultDedupeTTL       = 10 * time.Minute
	MinDedupeTTL           = DefaultDedupeTTL
	DefaultShutdownTimeout = 20 * time.Second
	DefaultPingInterval    = 30 * time.Second
	DefaultAckTimeout      = 2 * time.Second
	defaultHTTPTimeout     = 30 * time.Second
	// dedupeMaxEntries bounds dedupe memory; 100k IDs cover far more than 10 minutes of
	// any realistic traffic for one workspace.
	dedupeMaxEntries = 100_000
	// maxBusyReplies bounds the goroutines telling users the bot is busy, so an
	// overload cannot turn into unbounded goroutine growth.
	maxBusyReplies = 32
	// ackFlushDelay lets acks already handed to slack-go reach the socket before
	// shutdown closes it.
	ackFlushDelay = 200 * time.Millisecond
	// slackAckDeadline is how long Slack waits for an ack.
	slackAckDeadline = 3 * time.Second
	// ackLogMaxEntries bounds the acks remembered for re-sending after a reconnect.
	ackLogMaxEntries = 4096
	// restartReplyTimeout bounds the reply to a command cut off by shutdown.
	restartReplyTimeout = 3 * time.Second
	// replyTimeout bounds one reply through a response_url.
	replyTimeout = 30 * time.Second
)

// User-facing texts.
const (
	busyText = "The bot is busy, try again in a minute."
	// restartText answers a command cut off by a shutdown; nothing it asked for
	// was half-done (changes wait for approval, and executions resume on restart).
	restartText = "The bot restarted before it could answer; please run the command again."
	panicText   = "Something went wrong while handling that. Please try again; if it keeps happening, tell the bot's admins."
)

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.DedupeTTL < MinDedupeTTL {
		c.DedupeTTL = MinDedupeTTL
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return c
}

// NewSlackClient builds the Web API client for cfg. Build it once and share it between
// the Poster and the Bot (WithSlackClient). Web API debug stays off: slack-go's
// OptionDebug makes Slack recycle the socket every ~6 minutes.
func NewSlackClient(cfg Config) *slack.Client {
	cfg = cfg.withDefaults()
	opts := []slack.Option{
		slack.OptionAppLevelToken(cfg.AppToken),
		slack.OptionHTTPClient(cfg.HTTPClient),
	}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	return slack.New(cfg.BotToken, opts...)
}

// Option configures a Bot.
type Option func(*Bot)

// WithSlackClient makes the bot use api (built by NewSlackClient) instead of its own.
func WithSlackClient(api *slack.Client) Option { return func(b *Bot) { b.api = api } }

// WithResponder sets what delivers slash replies; by default a Poster on the bot's
// Slack client.
func WithResponder(r Responder) Option { return func(b *Bot) { b.responder = r } }

// WithClock replaces the wall clock used for de-duplication TTLs.
func WithClock(c clock.Clock) Option { return func(b *Bot) { b.clock = c } }

// Bot is the Slack Socket Mode runtime. Create it with New and start it with Run.
type Bot struct {
	cfg       Config
	handler   Handler
	log       *slog.Logger
	clock     clock.Clock
	api       *slack.Client
	socket    *socketmode.Client
	responder Responder
	seen      *dedupe
	acked     *ackLog // loop goroutine only
	queue     chan job
	metrics   *metrics
	busy      chan struct{} // semaphore for busy replies

	connected      atomic.Bool
	tokensValid    atomic.Bool
	tokensRejected atomic.Bool
	started        atomic.Bool

	// Set by Run before the event loop starts.
	workCtx context.Context
	bg      sync.WaitGroup // busy replies
}

// job is one acked envelope waiting for a worker.
type job struct {
	envelopeID  string
	slash       *slack.SlashCommand
	interaction *slack.InteractionCallback
}

func (j job) responseURL() string {
	switch {
	case j.slash != nil:
		return j.slash.ResponseURL
	case j.interaction != nil:
		return j.interaction.ResponseURL
	default:
		return ""
	}
}

func (j job) kind() string {
	switch {
	case j.slash != nil:
		return "slash_command"
	case j.interaction != nil:
		return string(j.interaction.Type)
	default:
		return "unknown"
	}
}

// New builds a Bot. It does not touch the network; Run does.
func New(cfg Config, h Handler, logger *slog.Logger, opts ...Option) *Bot {
	cfg = cfg.withDefaults()
	b := &Bot{
		cfg:     cfg,
		handler: h,
		log:     orDiscard(logger),
		clock:   clock.System(),
		queue:   make(chan job, cfg.QueueSize),
		metrics: newMetrics(),
		busy:    make(chan struct{}, maxBusyReplies),
		workCtx: context.Background(),
	}
	for _, o := range opts {
		o(b)
	}
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

// verifyTokens fails fast on a bad bot token: without this a wrong token would only
// surface as failed replies long after start-up. The app token is proven by the first
// apps.connections.open.
//
// A Slack outage or a network error at start-up is not a reason to exit: auth.test is
// retried with backoff (the process stays up and /readyz says why it is not ready)
// until it answers or ctx ends. Only a rejected token stops the bot.
func (b *Bot) verifyTokens(ctx context.Context) error {
	wait := time.Second
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		resp, err := b.api.AuthTestContext(attemptCtx)
		cancel()
		if err == nil {
			return b.acceptAuth(resp)
		}
		if code, ok := rejectedTokenCode(methodAuthTest, err); ok {
			b.tokensRejected.Store(true)
			return fmt.Errorf("SLACK_BOT_TOKEN was rejected by Slack (%s)", code)
		}
		b.log.Warn("auth.test failed; retrying", "error", scrubURL(err), "retry_in", wait)
		if b.clock.Sleep(ctx, wait) != nil {
			return fmt.Errorf("checking SLACK_BOT_TOKEN with auth.test: %w", scrubURL(err))
		}
		wait = min(wait*2, time.Minute)
	}
}

func (b *Bot) acceptAuth(resp *slack.AuthTestResponse) error {
	b.tokensValid.Store(true)
	b.log.Info("slack bot token verified", "team_id", resp.TeamID, "user_id", resp.UserID, "bot_id", resp.BotID)
	return nil
}

// supervise keeps slack-go's client running. RunContext reconnects by itself and
// returns only on a fatal auth error or on cancellation; anything else is unexpected
// and restarted with backoff rather than taking the process down.
func (b *Bot) supervise(ctx context.Context, fatal chan<- error) {
	backoff := time.Second
	for {
		err := b.socket.RunContext(ctx)
		if ctx.Err() != nil {
			return
		}
		if code, ok := rejectedTokenCode(methodConnectionsOpen, err); ok {
			b.rejectAppToken(fatal, code)
			return
		}
		var sc slack.StatusCodeError
		if errors.As(err, &sc) && sc.Code == http.StatusNotFound {
			// slack-go gives up on a 404 from apps.connections.open; so do we.
			b.tokensRejected.Store(true)
			sendFatal(fatal, errors.New("socket mode: apps.connections.open returned HTTP 404; check SLACK_API_URL and SLACK_APP_TOKEN"))
			return
		}
		b.log.Warn("socket mode client stopped unexpectedly; restarting", "error", err, "backoff", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		backoff = min(backoff*2, time.Minute)
	}
}

func (b *Bot) rejectAppToken(fatal chan<- error, code string) {
	b.tokensRejected.Store(true)
	b.setConnected(false)
	sendFatal(fatal, fmt.Errorf("SLACK_APP_TOKEN was rejected by Slack (%s)", code))
}

// sendFatal reports err unless a fatal error is already pending; the first one wins.
func sendFatal(fatal chan<- error, err error) {
	select {
	case fatal <- err:
	default:
	}
}

// loop is the event loop. It must never block for long: slack-go stops reading the
// socket while Events is full, misses pings and drops the connection. So it only
// tracks state, acks, de-duplicates and enqueues.
func (b *Bot) loop(ctx context.Context, fatal chan error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-fatal:
			return err
		case evt := <-b.socket.Events:
			b.dispatch(evt, fatal)
		}
	}
}

func (b *Bot) dispatch(evt socketmode.Event, fatal chan<- error) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.setConnected(false)
	case socketmode.EventTypeConnectionError:
		b.setConnected(false)
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			// slack-go retries these forever, but a wrong kind of token or a missing
			// scope never heals by itself: stop with a clear message instead.
			if code, ok := rejectedTokenCode(methodConnectionsOpen, ce.ErrorObj); ok {
				b.rejectAppToken(fatal, code)
				return
			}
			b.log.Warn("socket mode connection failed", "attempt", ce.Attempt, "backoff", ce.Backoff, "error", ce.ErrorObj)
		}
	case socketmode.EventTypeInvalidAuth:
		b.tokensRejected.Store(true)
		b.setConnected(false)
	case socketmode.EventTypeConnected:
		if ce, ok := evt.Data.(*socketmode.ConnectedEvent); ok && ce.ConnectionCount > 0 {
			b.metrics.reconnects.Add(1)
		}
		b.setConnected(true)
	case socketmode.EventTypeHello:
		b.setConnected(true)
		b.reack()
	case socketmode.EventTypeDisconnect:
		b.setConnected(false)
	case socketmode.EventTypeIncomingError:
		var err error
		if ie, ok := evt.Data.(*slack.IncomingEventError); ok {
			err = ie.ErrorObj
		}
		// slack-go keeps the connection after a malformed frame; every other read
		// error means the socket is going away.
		var syntaxErr *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &syntaxErr) && !errors.As(err, &typeErr) {
			b.setConnected(false)
		}
		b.log.Debug("socket mode read error", "error", err)
	case socketmode.EventTypeErrorBadMessage:
		// slack-go could not parse the envelope, so there is no envelope ID to ack.
		// The message is not logged: it may carry user text.
		if bm, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			b.log.Warn("unparseable socket mode message dropped", "error", bm.Cause, "bytes", len(bm.Message))
		}
	case socketmode.EventTypeErrorWriteFailed:
		b.metrics.ackFailures.Add(1)
		if wf, ok := evt.Data.(*socketmode.ErrorWriteFailed); ok && wf.Response != nil {
			b.log.Warn("socket mode ack write failed", "envelope_id", wf.Response.EnvelopeID, "error", wf.Cause)
		}
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		b.handleEnvelope(evt)
	default:
		b.log.Debug("socket mode event ignored", "type", evt.Type)
	}
}

func (b *Bot) setConnected(up bool) {
	if b.connected.Swap(up) != up {
		b.log.Info("socket mode connection state", "connected", up)
	}
}

func (b *Bot) handleEnvelope(evt socketmode.Event) {
	if evt.Request == nil {
		return
	}
	received := time.Now()
	id := evt.Request.EnvelopeID
	b.metrics.envelopesReceived.Add(1)

	// Ack first, whatever happens next: a duplicate is acked too, because Slack
	// redelivers precisely when it missed our ack.
	b.ack(id, received)

	if b.seen.Seen("envelope:" + id) {
		b.metrics.duplicatesDropped.Add(1)
		b.log.Debug("duplicate envelope dropped", "envelope_id", id, "retry_attempt", evt.Request.RetryAttempt)
		return
	}

	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			return
		}
		b.log.Debug("slash command", "envelope_id", id, "command", cmd.Command, "user_id", cmd.UserID, "channel_id", cmd.ChannelID)
		b.enqueue(job{envelopeID: id, slash: &cmd})
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			return
		}
		switch cb.Type {
		case slack.InteractionTypeBlockActions, slack.InteractionTypeViewSubmission, slack.InteractionTypeViewClosed:
			b.log.Debug("interaction", "envelope_id", id, "type", cb.Type, "user_id", cb.User.ID)
			b.enqueue(job{envelopeID: id, interaction: &cb})
		default:
			b.log.Debug("interaction type not handled", "envelope_id", id, "type", cb.Type)
		}
	case socketmode.EventTypeEventsAPI:
		// A retried event can arrive in a new envelope (even on another connection),
		// so events are de-duplicated by event_id as well.
		if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
			if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && b.seen.Seen("event:"+cb.EventID) {
				b.metrics.duplicatesDropped.Add(1)
				return
			}
			b.log.Debug("events api event not handled", "envelope_id", id, "type", ev.InnerEvent.Type)
		}
	}
}

// ack hands the ack to slack-go with a deadline: Client.Ack uses context.TODO and blocks
// forever once 20 acks are queued on a dead socket.
func (b *Bot) ack(envelopeID string, received time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.AckTimeout)
	defer cancel()
	// Slash commands are acked with no payload: the answer comes via response_url,
	// and an ack payload is capped at 20 KB.
	if err := b.socket.AckCtx(ctx, envelopeID, nil); err != nil {
		b.metrics.ackFailures.Add(1)
		b.log.Warn("ack failed", "envelope_id", envelopeID, "error", err)
		return
	}
	b.metrics.envelopesAcked.Add(1)
	b.metrics.ackLatency.observe(time.Since(received))
	b.acked.add(envelopeID, time.Now())
}

// reack sends again, on a fresh connection, the acks of the last few seconds: slack-go
// can lose acks queued while it swaps connections (see ackLog). hello is the first
// frame of a new connection, so its sender is running and every write that failed on
// the old socket has already happened.
func (b *Bot) reack() {
	for _, id := range b.acked.recent(time.Now()) {
		ctx, cancel := context.WithTimeout(context.Background(), b.cfg.AckTimeout)
		err := b.socket.AckCtx(ctx, id, nil)
		cancel()
		if err != nil {
			b.log.Warn("re-ack failed", "envelope_id", id, "error", err)
			return
		}
		b.metrics.acksResent.Add(1)
	}
}

// enqueue never blocks the loop: when the pool is saturated the user is told so instead.
func (b *Bot) enqueue(j job) {
	select {
	case b.queue <- j:
		return
	default:
	}
	b.metrics.queueFull.Add(1)
	b.log.Warn("work queue full; turning envelope away", "envelope_id", j.envelopeID, "kind", j.kind(), "queue_size", cap(b.queue))
	url := j.responseURL()
	if url == "" {
		return
	}
	select {
	case b.busy <- struct{}{}:
	default:
		return // already telling enough users; this one sees nothing
	}
	b.bg.Go(func() {
		defer func() { <-b.busy }()
		ctx, cancel := context.WithTimeout(b.workCtx, replyTimeout)
		defer cancel()
		if err := b.responder.Respond(ctx, url, slackui.Reply{Message: slackui.Text(busyText)}); err != nil {
			b.log.Warn("busy reply failed", "envelope_id", j.envelopeID, "error", err)
		}
	})
}

func (b *Bot) runJob(ctx context.Context, j job) {
	if ctx.Err() != nil {
		// Past the shutdown deadline: what is still queued is dropped, not started, and
		// the user is told rather than left waiting.
		b.log.Debug("work dropped at shutdown", "envelope_id", j.envelopeID, "kind", j.kind())
		b.tellRestarting(j)
		return
	}
	defer func() {
		if r := recover(); r != nil {
			b.metrics.handlerPanics.Add(1)
			b.metrics.handlerErrors.Add(1)
			b.log.Error("handler panicked", "envelope_id", j.envelopeID, "kind", j.kind(), "panic", r, "stack", string(debug.Stack()))
			if url := j.responseURL(); url != "" {
				b.reply(ctx, j, url, slackui.Reply{Message: slackui.Text(panicText)})
			}
		}
	}()
	switch {
	case j.slash != nil:
		r := b.handler.HandleSlash(ctx, *j.slash)
		if ctx.Err() != nil {
			// Cut off by the shutdown deadline: whatever the handler made of the
			// cancellation, the user should hear that it was a restart.
			b.tellRestarting(j)
			return
		}
		if r.Text == "" && len(r.Blocks) == 0 {
			return
		}
		b.reply(ctx, j, j.slash.ResponseURL, r)
	case j.interaction != nil:
		b.handler.HandleInteraction(ctx, *j.interaction)
	}
}

// tellRestarting answers a slash command the shutdown cut off. The work context is
// already cancelled, so the reply gets a short context of its own.
func (b *Bot) tellRestarting(j job) {
	if j.slash == nil || j.slash.ResponseURL == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), restartReplyTimeout)
	defer cancel()
	b.reply(ctx, j, j.slash.ResponseURL, slackui.Reply{Message: slackui.Text(restartText)})
}

func (b *Bot) reply(ctx context.Context, j job, url string, r slackui.Reply) {
	ctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	if err := b.responder.Respond(ctx, url, r); err != nil {
		b.metrics.handlerErrors.Add(1)
		b.log.Warn("reply via response_url failed", "envelope_id", j.envelopeID, "kind", j.kind(), "error", err)
	}
}

// rejectedTokenCode recognises the codes with which Slack refuses a token on method
// (auth.test or apps.connections.open): no retry can make them work. An HTTP status
// alone (a proxy's 401) is not taken as a verdict on the token.
func rejectedTokenCode(method string, err error) (string, bool) {
	e := classify(method, err)
	if e == nil || e.Kind != slackui.Auth || e.Code == "" {
		return "", false
	}
	return e.Code, true
}

// slogOutput adapts slog to slack-go's logger interface. slack-go only logs in debug
// mode, which stays off; this keeps it off stderr regardless.
type slogOutput struct{ l *slog.Logger }

func (o slogOutput) Output(_ int, s string) error {
	o.l.Debug(strings.TrimSpace(s))
	return nil
}
