package reports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"

	"devin-chatops/apiclient"
	"devin-chatops/clock"
	"devin-chatops/slackui"
	"devin-chatops/usage"
)

// KindReport is the posts kind of scheduled report slots.
const KindReport = "usage-report"

// alertEvery is how often thresholds are checked between reports.
const alertEvery = time.Hour

// Reporter builds reports (the Service).
type Reporter interface {
	Report(ctx context.Context, q Query) (usage.Report, error)
}

// Scheduler posts the report at each slot of a cron schedule, once: each slot is
// claimed in the store under its time before it is posted, so a crash right after
// posting or a second process on the same database cannot post it again, and a slot
// missed while the bot was down is posted once at start-up. It also checks the alert
// thresholds at start-up and hourly.
type Scheduler struct {
	schedule cron.Schedule // nil: alerts only
	channel  string
	reports  Reporter
	pub      *Publisher
	poster   MessagePoster
	store    PostStore
	owner    string
	clock    clock.Clock
	log      *slog.Logger
}

// SchedulerConfig are the Scheduler's settings and collaborators.
type SchedulerConfig struct {
	Schedule  cron.Schedule
	Channel   string
	Reports   Reporter
	Publisher *Publisher
	Poster    MessagePoster
	Store     PostStore
	Owner     string
	Clock     clock.Clock
	Log       *slog.Logger
}

// NewScheduler returns a Scheduler. Without a schedule or a channel it only checks
// alerts.
func NewScheduler(c SchedulerConfig) *Scheduler {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{schedule: c.Schedule, channel: c.Channel, reports: c.Reports, pub: c.Publisher, poster: c.Poster,
		store: c.Store, owner: c.Owner, clock: clock.OrSystem(c.Clock), log: c.Log}
	if c.Channel == "" {
		s.schedule = nil
	}
	return s
}

// slotKey names a slot in the store: its time, in UTC.
func slotKey(t time.Time) string { return KindReport + "/" + t.UTC().Format(time.RFC3339) }

// Run posts slots and checks alerts until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	// The next slot counts from the start: the catch-up and the first alert check can
	// take a while, and a slot falling meanwhile must not be skipped.
	start := s.clock.Now()
	var nextSlot time.Time
	if s.schedule != nil {
		nextSlot = s.schedule.Next(start)
	}
	s.catchUp(ctx)
	s.checkAlerts(ctx)
	nextAlert := s.clock.Now().Add(alertEvery)
	for ctx.Err() == nil {
		now := s.clock.Now()
		wake := nextAlert
		if !nextSlot.IsZero() && nextSlot.Before(wake) {
			wake = nextSlot
		}
		if retry, ok := s.nextRetry(ctx, now); ok && retry.Before(wake) {
			wake = retry
		}
		// A floor, so that a wake time already past (a slot another process holds, a
		// clock step) cannot make the loop spin.
		if err := s.clock.Sleep(ctx, max(wake.Sub(now), minWait)); err != nil {
			return
		}
		now = s.clock.Now()
		if !nextSlot.IsZero() && !now.Before(nextSlot) {
			s.runSlot(ctx, nextSlot)
			nextSlot = s.schedule.Next(now)
		}
		s.retryOpen(ctx)
		if !now.Before(nextAlert) {
			s.checkAlerts(ctx)
			nextAlert = now.Add(alertEvery)
		}
	}
}

// catchUp posts, once, the latest slot missed while the bot was down: the latest
// slot at or before now that is after the last one recorded. A first start records
// nothing to catch up on, so a new deployment does not post an old slot.
func (s *Scheduler) catchUp(ctx context.Context) {
	if s.schedule == nil {
		return
	}
	last, found, err := s.store.LatestPost(ctx, KindReport)
	if err != nil {
		s.log.ErrorContext(ctx, "usage schedule: cannot read the last slot", "error", err)
		return
	}
	now := s.clock.Now()
	if !found {
		return
	}
	missed := time.Time{}
	// Walk the schedule from the last recorded slot; bounded, for a schedule of every
	// minute and a bot down for months.
	for t, i := s.schedule.Next(last.At), 0; !t.IsZero() && !t.After(now) && i < 1_000_000; t, i = s.schedule.Next(t), i+1 {
		missed = t
	}
	if !missed.IsZero() {
		s.log.InfoContext(ctx, "usage schedule: posting the slot missed while the bot was down", "slot", missed)
		s.runSlot(ctx, missed)
	}
	s.retryOpen(ctx)
}

// runSlot claims the slot and posts its report.
func (s *Scheduler) runSlot(ctx context.Context, slot time.Time) {
	now := s.clock.Now()
	claimed, err := s.store.ClaimPost(ctx, slotKey(slot), KindReport, "", slot, s.owner, now, now.Add(claimLease))
	if err != nil {
		s.log.ErrorContext(ctx, "usage schedule: cannot claim the slot", "slot", slot, "error", err)
		return
	}
	if !claimed {
		return // another process has it
	}
	s.post(ctx, slotKey(slot), slot, 0)
}

// retryOpen takes the slots whose earlier attempt failed, or whose process died
// before posting, once they are due.
func (s *Scheduler) retryOpen(ctx context.Context) {
	if s.schedule == nil {
		return
	}
	now := s.clock.Now()
	open, err := s.store.OpenPosts(ctx, KindReport, now)
	if err != nil {
		s.log.ErrorContext(ctx, "usage schedule: cannot read open slots", "error", err)
		return
	}
	for _, p := range open {
		claimed, err := s.store.ClaimPost(ctx, p.Key, KindReport, "", p.At, s.owner, now, now.Add(claimLease))
		if err != nil || !claimed {
			continue
		}
		s.post(ctx, p.Key, p.At, p.Attempts)
	}
}

// minWait is the shortest the loop sleeps.
const minWait = time.Second

// nextRetry is when the earliest unsent slot may be taken again: its retry, or the end
// of the claim another process holds on it.
func (s *Scheduler) nextRetry(ctx context.Context, _ time.Time) (time.Time, bool) {
	if s.schedule == nil {
		return time.Time{}, false
	}
	next, found, err := s.store.NextOpenPost(ctx, KindReport)
	if err != nil || !found {
		return time.Time{}, false
	}
	return next, true
}

// maxSlotAttempts bounds the retries of one slot; the next slot comes anyway.
const maxSlotAttempts = 8

// post builds the report of a claimed slot and posts it at most once. A failure
// before anything reached Slack is said in the channel and retried later.
func (s *Scheduler) post(ctx context.Context, key string, slot time.Time, attempts int) {
	r, err := s.reports.Report(ctx, Query{})
	if err != nil {
		s.failed(ctx, key, slot, attempts, "could not be built: "+readable(err), err)
		return
	}
	now := s.clock.Now()
	ok, err := s.store.MarkPosting(ctx, key, s.owner, now)
	if err != nil || !ok {
		s.log.WarnContext(ctx, "usage schedule: lost the slot before posting", "slot", slot, "error", err)
		return
	}
	err = s.pub.Publish(ctx, s.channel, r)
	var chartErr *ChartError
	switch {
	case err == nil:
	case errors.As(err, &chartErr):
		s.log.WarnContext(ctx, "usage schedule: report posted without its chart", "slot", slot, "error", err)
	case certainlyNotPosted(err):
		s.failed(ctx, key, slot, attempts, "could not be posted: "+readable(err), err)
		return
	default:
		// Slack may have the report: posting again could show it twice.
		s.log.ErrorContext(ctx, "usage schedule: the report may not have been posted; not posting it again", "slot", slot, "error", err)
	}
	if _, err := s.store.MarkPosted(ctx, key, s.owner, s.clock.Now()); err != nil {
		s.log.ErrorContext(ctx, "usage schedule: cannot record the post", "slot", slot, "error", err)
	}
	s.log.InfoContext(ctx, "usage schedule: report posted", "slot", slot)
}

// failed records a failed attempt and says so in the channel, with when the next
// attempt comes, or that there will be none.
func (s *Scheduler) failed(ctx context.Context, key string, slot time.Time, attempts int, what string, err error) {
	attempts++
	now := s.clock.Now()
	s.log.WarnContext(ctx, "usage schedule: slot failed", "slot", slot, "attempt", attempts, "error", err)
	msg := fmt.Sprintf(":warning: The scheduled Devin usage report for %s %s.", slot.UTC().Format("Jan 2 15:04 UTC"), slackui.Escape(strings.TrimRight(what, ". ")))
	var held bool
	var serr error
	if attempts >= maxSlotAttempts {
		msg += " It was tried " + slackui.Int(attempts) + " times and is not tried again; `/devin usage` answers on demand."
		held, serr = s.store.MarkPosted(ctx, key, s.owner, now)
	} else {
		next := now.Add(backoff(attempts))
		msg += " Trying again at " + next.UTC().Format("15:04 UTC") + "."
		held, serr = s.store.RetryPost(ctx, key, s.owner, attempts, next, err.Error())
	}
	switch {
	case serr != nil:
		s.log.ErrorContext(ctx, "usage schedule: cannot record the failure", "slot", slot, "error", serr)
	case !held:
		// Another process took the slot over meanwhile: it speaks for it.
		s.log.WarnContext(ctx, "usage schedule: lost the slot while building it", "slot", slot)
		return
	}
	if _, perr := s.poster.Post(ctx, s.channel, slackui.Text(msg)); perr != nil {
		s.log.WarnContext(ctx, "usage schedule: cannot say the slot failed", "slot", slot, "error", perr)
	}
}

// checkAlerts builds the current report (shared with anyone asking at the same time)
// so that its alerts are checked.
func (s *Scheduler) checkAlerts(ctx context.Context) {
	if _, err := s.reports.Report(ctx, Query{}); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "usage alerts: cannot read usage", "error", err)
	}
}

// backoff is the wait before attempt n+1 of a post: 1, 2, 4 … minutes, at most 30.
func backoff(n int) time.Duration {
	d := time.Minute << min(max(n-1, 0), 5)
	return min(d, 30*time.Minute)
}

// certainlyNotPosted reports whether a failed post never reached a channel: Slack
// answered with an error, or asked to wait. A network failure or a timeout may have
// posted it.
func certainlyNotPosted(err error) bool {
	var se *slackui.Error
	if errors.As(err, &se) && (se.Code != "" || se.Kind == slackui.RateLimited) {
		return true
	}
	// An HTTP error status is Slack's answer; a failed dial or name lookup never sent
	// anything.
	var status slack.StatusCodeError
	if errors.As(err, &status) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// readable is an error as a short sentence for a channel: the API's own words where
// there are some, never a token.
func readable(err error) string {
	var nc *NoCycleError
	if errors.As(err, &nc) {
		return nc.Error()
	}
	var se *slackui.Error
	if errors.As(err, &se) {
		return "Slack answered " + se.Code
	}
	// The bot retries by itself: drop the advice to try again.
	msg, _, _ := strings.Cut(apiclient.UserMessage(err), "; try again")
	return msg
}
