package bot

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"devin-chatops/slackui"
)

// User-facing texts.
const (
	busyText = "The bot is busy, try again in a minute."
	// restartText answers a command cut off by a shutdown; nothing it asked for
	// was half-done (changes wait for approval, and executions resume on restart).
	restartText = "The bot restarted before it could answer; please run the command again."
	panicText   = "Something went wrong while handling that. Please try again; if it keeps happening, tell the bot's admins."
)

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

func (b *Bot) handleEnvelope(evt socketmode.Event) {
	if evt.Request == nil {
		return
	}
	received := time.Now()
	id := evt.Request.EnvelopeID
	b.metrics.EnvelopesReceived.Inc()

	// Ack first, whatever happens next: a duplicate is acked too, because Slack
	// redelivers precisely when it missed our ack.
	b.ack(id, received)

	if b.seen.Seen("envelope:" + id) {
		b.metrics.DuplicatesDropped.Inc()
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
				b.metrics.DuplicatesDropped.Inc()
				return
			}
			b.log.Debug("events api event not handled", "envelope_id", id, "type", ev.InnerEvent.Type)
		}
	}
}

// ack hands the ack to slack-go with a deadline: its Client.Ack has no deadline and blocks
// forever once 20 acks are queued on a dead socket.
func (b *Bot) ack(envelopeID string, received time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.AckTimeout)
	defer cancel()
	// Slash commands are acked with no payload: the answer comes via response_url,
	// and an ack payload is capped at 20 KB.
	if err := b.socket.AckCtx(ctx, envelopeID, nil); err != nil {
		b.metrics.AckFailures.Inc()
		b.log.Warn("ack failed", "envelope_id", envelopeID, "error", err)
		return
	}
	b.metrics.EnvelopesAcked.Inc()
	b.metrics.AckLatency.Observe(time.Since(received).Seconds())
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
		b.metrics.AcksResent.Inc()
	}
}

// enqueue never blocks the loop: when the pool is saturated the user is told so instead.
func (b *Bot) enqueue(j job) {
	select {
	case b.queue <- j:
		return
	default:
	}
	b.metrics.QueueFull.Inc()
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
			b.metrics.HandlerPanics.Inc()
			b.metrics.HandlerErrors.Inc()
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
		cb := *j.interaction
		if b.interactions == nil || !b.interactions.HandleInteraction(ctx, cb) {
			b.log.DebugContext(ctx, "interaction ignored", "type", cb.Type, "user", cb.User.ID)
		}
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
		b.metrics.HandlerErrors.Inc()
		b.log.Warn("reply via response_url failed", "envelope_id", j.envelopeID, "kind", j.kind(), "error", err)
	}
}
