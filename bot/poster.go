package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"devin-chatops/clock"
	"devin-chatops/slackui"
)

// Poster is the one way the bot talks to Slack's Web API, response_urls and file upload
// URLs. It paces writes per channel (Slack allows about one message per second per
// channel, with short bursts), waits out 429 Retry-After per method, and retries
// transient failures.
// Permanent API errors (ok:false such as channel_not_found or invalid_blocks) are
// returned at once: repeating them cannot succeed.
//
// Text is sent as given: callers escape user-supplied parts with slackui.Escape.
type Poster struct {
	api         *slack.Client
	log         *slog.Logger
	clock       clock.Clock
	pace        *pacer
	maxAttempts int
	backoffBase time.Duration
	backoffMax  time.Duration
	observe     PostObserver

	mu           sync.Mutex
	blockedUntil map[string]time.Time // Slack method -> end of its Retry-After window

	dmMu sync.Mutex
	dms  map[string]string // user ID -> DM channel ID
}

// PosterOption configures a Poster.
type PosterOption func(*Poster)

// WithPosterClock replaces the wall clock, for tests that must not sleep.
func WithPosterClock(c clock.Clock) PosterOption { return func(p *Poster) { p.clock = c } }

// PostObserver counts the poster's calls (the metrics registry).
type PostObserver interface {
	// SlackCall is told once per call, when it has succeeded or given up.
	SlackCall(method string, ok bool)
	// SlackRateLimited is told of every 429 answer.
	SlackRateLimited(method string)
}

// WithPostObserver counts every call and every 429 into o.
func WithPostObserver(o PostObserver) PosterOption { return func(p *Poster) { p.observe = o } }

// noObserver counts nothing.
type noObserver struct{}

func (noObserver) SlackCall(string, bool)  {}
func (noObserver) SlackRateLimited(string) {}

// WithPacing sets the per-channel rate: one message per interval, with bursts of up to
// burst messages. An interval of 0 turns pacing off.
func WithPacing(interval time.Duration, burst int) PosterOption {
	return func(p *Poster) { p.pace = newPacer(interval, burst) }
}

// WithRetries bounds how often one call is attempted (the first try included) and the
// exponential backoff between attempts on transient failures.
func WithRetries(maxAttempts int, base, maxBackoff time.Duration) PosterOption {
	return func(p *Poster) {
		p.maxAttempts = max(maxAttempts, 1)
		p.backoffBase = base
		p.backoffMax = maxBackoff
	}
}

// Poster defaults.
const (
	DefaultPaceInterval = time.Second
	DefaultPaceBurst    = 3
	defaultMaxAttempts  = 4
	defaultBackoffBase  = 500 * time.Millisecond
	defaultBackoffMax   = 8 * time.Second
	// dmCacheMax bounds the DM channel cache; past it the cache starts over, which
	// costs one extra conversations.open per user.
	dmCacheMax = 10000
)

// NewPoster returns a Poster that uses api for every call.
func NewPoster(api *slack.Client, logger *slog.Logger, opts ...PosterOption) *Poster {
	p := &Poster{
		api:          api,
		log:          orDiscard(logger),
		clock:        clock.System(),
		pace:         newPacer(DefaultPaceInterval, DefaultPaceBurst),
		maxAttempts:  defaultMaxAttempts,
		backoffBase:  defaultBackoffBase,
		backoffMax:   defaultBackoffMax,
		blockedUntil: make(map[string]time.Time),
		dms:          make(map[string]string),
		observe:      noObserver{},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Post sends m to channel and returns the new message's ts.
func (p *Poster) Post(ctx context.Context, channel string, m slackui.Message) (string, error) {
	var ts string
	err := p.do(ctx, "chat.postMessage", channel, func(ctx context.Context) error {
		_, t, err := p.api.PostMessageContext(ctx, channel, messageOptions(m)...)
		ts = t
		return err
	})
	return ts, err
}

// Update replaces the message channel/ts with m. Blocks are always sent, so an update
// to a text-only message removes the old blocks (and their buttons).
func (p *Poster) Update(ctx context.Context, channel, ts string, m slackui.Message) error {
	return p.do(ctx, "chat.update", channel, func(ctx context.Context) error {
		_, _, _, err := p.api.UpdateMessageContext(ctx, channel, ts,
			slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
		return err
	})
}

// Ephemeral shows m to user only, in channel.
func (p *Poster) Ephemeral(ctx context.Context, channel, user string, m slackui.Message) error {
	return p.do(ctx, "chat.postEphemeral", channel, func(ctx context.Context) error {
		_, err := p.api.PostEphemeralContext(ctx, channel, user, messageOptions(m)...)
		return err
	})
}

// DM sends m to user in the bot's direct-message channel with them.
func (p *Poster) DM(ctx context.Context, user string, m slackui.Message) error {
	channel, err := p.dmChannel(ctx, user)
	if err != nil {
		return err
	}
	_, err = p.Post(ctx, channel, m)
	if dmChannelGone(classify("chat.postMessage", err)) {
		// The cached channel went away; the next DM reopens it.
		p.forgetDM(user)
	}
	return err
}

// Respond answers through a response_url (slash commands and interactions). It is
// ephemeral unless r.InChannel. response_urls are not paced: Slack limits them per URL
// (5 uses in 30 minutes), not per channel.
func (p *Poster) Respond(ctx context.Context, responseURL string, r slackui.Reply) error {
	if responseURL == "" {
		return classify("response_url", errors.New("respond: empty response_url"))
	}
	responseType := slack.ResponseTypeEphemeral
	if r.InChannel {
		responseType = slack.ResponseTypeInChannel
	}
	opts := append([]slack.MsgOption{slack.MsgOptionResponseURL(responseURL, responseType)}, messageOptions(r.Message)...)
	return p.do(ctx, "response_url", "", func(ctx context.Context) error {
		_, _, err := p.api.PostMessageContext(ctx, "", opts...)
		return err
	})
}

// OpenView opens a modal. trigger_ids expire after 3 s, so callers should open the
// view before any slow work.
func (p *Poster) OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) error {
	return p.do(ctx, "views.open", "", func(ctx context.Context) error {
		_, err := p.api.OpenViewContext(ctx, triggerID, view)
		return err
	})
}

func (p *Poster) dmChannel(ctx context.Context, user string) (string, error) {
	p.dmMu.Lock()
	ch, ok := p.dms[user]
	p.dmMu.Unlock()
	if ok {
		return ch, nil
	}
	err := p.do(ctx, "conversations.open", "", func(ctx context.Context) error {
		c, _, _, err := p.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
		if err == nil {
			if c == nil || c.ID == "" {
				return errors.New("conversations.open returned no channel")
			}
			ch = c.ID
		}
		return err
	})
	if err != nil {
		return "", err
	}
	p.dmMu.Lock()
	if len(p.dms) >= dmCacheMax {
		clear(p.dms)
	}
	p.dms[user] = ch
	p.dmMu.Unlock()
	return ch, nil
}

func (p *Poster) forgetDM(user string) {
	p.dmMu.Lock()
	delete(p.dms, user)
	p.dmMu.Unlock()
}

func messageOptions(m slackui.Message) []slack.MsgOption {
	// Escaping is the caller's job (slackui.Escape); escaping again here would turn
	// intended mrkdwn such as <@U123> into literal text.
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if m.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(m.ThreadTS))
	}
	return opts
}

// do runs call until it succeeds, fails permanently, runs out of attempts or ctx ends.
// Every attempt, retries included, waits for the method's Retry-After window and for a
// token of paceKey's bucket (when paceKey is not empty), because each is a new request
// as far as Slack's limits are concerned. Every failure is returned as a
// *slackui.Error.
func (p *Poster) do(ctx context.Context, method, paceKey string, call func(context.Context) error) error {
	err := p.attempt(ctx, method, paceKey, call)
	p.observe.SlackCall(method, err == nil)
	return err
}

// attempt is do without the counting: the loop of attempts.
func (p *Poster) attempt(ctx context.Context, method, paceKey string, call func(context.Context) error) error {
	// reached is whether a request so far may have been acted on by Slack; until then
	// every failure is marked NotSent.
	reached := false
	giveUp := func(err error) error {
		failed := classify(method, err)
		if reached || failed.NotSent {
			return failed
		}
		marked := *failed
		marked.NotSent = true
		return &marked
	}
	for attempt := 1; ; attempt++ {
		if err := p.waitMethod(ctx, method); err != nil {
			return giveUp(err)
		}
		if paceKey != "" {
			if err := p.waitPace(ctx, paceKey); err != nil {
				return giveUp(err)
			}
		}
		if err := ctx.Err(); err != nil {
			return giveUp(err) // waitPace does not look at ctx when no wait is due
		}
		err := call(ctx)
		if err == nil {
			return nil
		}
		failed := classify(method, err)
		if !refusedUnread(err, failed) {
			reached = true
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return giveUp(ctxErr)
		}
		wait, rateLimited, retry := p.retryPlan(method, err, failed, attempt)
		if rateLimited {
			p.observe.SlackRateLimited(method)
			// Slack's limit is per method: hold back every caller of it, not only
			// this one, even when this call gives up now.
			p.blockMethod(method, wait)
		}
		if !retry || attempt >= p.maxAttempts {
			return giveUp(failed)
		}
		p.log.Debug("retrying Slack call", "method", method, "attempt", attempt, "wait", wait, "error", failed.Err)
		if rateLimited {
			continue // waitMethod sleeps out the window
		}
		if err := p.clock.Sleep(ctx, wait); err != nil {
			return giveUp(err)
		}
	}
}

// retryPlan decides whether the call that failed with err (classified as failed) is
// worth another attempt and how long to wait first. A post that may have reached Slack
// (a timeout or a reset after the request was sent) is not sent again unless resending
// is harmless: a second chat.postMessage would be a second approval card, and a second
// response_url post a duplicate reply.
func (p *Poster) retryPlan(method string, err error, failed *slackui.Error, attempt int) (wait time.Duration, rateLimited, retry bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		if rl.RetryAfter > 0 {
			return rl.RetryAfter, true, true
		}
		return p.backoff(attempt), true, true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		switch {
		case sc.Code >= 500, sc.Code == http.StatusTooManyRequests, sc.Code == http.StatusRequestTimeout:
			return p.backoff(attempt), false, true
		default:
			return 0, false, false
		}
	}
	// Slack's documented transient ok:false codes; all other codes are permanent.
	if retryableCode(failed) {
		return p.backoff(attempt), false, true
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		if idempotentMethod(method) || neverSent(err) {
			return p.backoff(attempt), false, true
		}
	}
	return 0, false, false
}

// idempotentMethod reports whether sending the same call twice leaves Slack as once,
// as far as anyone can see: a second upload URL that is never completed is discarded,
// and a second POST of a file's bytes replaces the first.
func idempotentMethod(method string) bool {
	switch method {
	case "chat.update", "conversations.open", methodGetUploadURL, methodUploadURL:
		return true
	}
	return false
}

// refusedUnread reports whether a failed request certainly had no effect: Slack
// answered 429, or refused it with an ok:false code it documents as a refusal (rate
// limit, auth, a gone channel or user), or the request never left. A 5xx, an unknown
// code or a connection lost mid-way may have been acted on.
func refusedUnread(err error, failed *slackui.Error) bool {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code == http.StatusTooManyRequests
	}
	if okFalse(failed) {
		kind, known := codeKind(failed.Method, failed.Code)
		return known && kind != slackui.Transient
	}
	return neverSent(err)
}

// neverSent reports whether a network error happened before the request left: a
// failed dial or DNS lookup.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// backoff is exponential with equal jitter, so callers that failed together do not
// retry in lockstep.
func (p *Poster) backoff(attempt int) time.Duration {
	d := p.backoffBase << min(attempt-1, 16)
	if d <= 0 || d > p.backoffMax {
		d = p.backoffMax
	}
	if half := d / 2; half > 0 {
		return half + rand.N(half+1)
	}
	return d
}

func (p *Poster) blockMethod(method string, d time.Duration) {
	until := p.clock.Now().Add(d)
	p.mu.Lock()
	if until.After(p.blockedUntil[method]) {
		p.blockedUntil[method] = until
	}
	p.mu.Unlock()
}

func (p *Poster) waitMethod(ctx context.Context, method string) error {
	for {
		p.mu.Lock()
		until, ok := p.blockedUntil[method]
		p.mu.Unlock()
		if !ok {
			return ctx.Err()
		}
		d := until.Sub(p.clock.Now())
		if d <= 0 {
			p.mu.Lock()
			if p.blockedUntil[method].Equal(until) {
				delete(p.blockedUntil, method)
			}
			p.mu.Unlock()
			return ctx.Err()
		}
		if err := p.clock.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (p *Poster) waitPace(ctx context.Context, key string) error {
	d := p.pace.reserve(key, p.clock.Now())
	if d <= 0 {
		return nil
	}
	if err := p.clock.Sleep(ctx, d); err != nil {
		p.pace.cancel(key, p.clock.Now())
		return err
	}
	return nil
}

func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
