package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"devin-chatops/slackui"
)

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
			b.metrics.Reconnects.Inc()
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
		b.metrics.AckFailures.Inc()
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
