package reports

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"devin-chatops/audit"
	"devin-chatops/clock"
	"devin-chatops/slackui"
	"devin-chatops/store"
	"devin-chatops/usage"
)

// PostStore records the posts the bot makes on its own, each at most once (*store.DB).
type PostStore interface {
	ClaimPost(ctx context.Context, key, kind, payload string, at time.Time, owner string, now, until time.Time, events ...audit.Event) (bool, error)
	RecordPost(ctx context.Context, key, kind, payload string, at, now time.Time, events ...audit.Event) (bool, error)
	MarkPosting(ctx context.Context, key, owner string, now time.Time) (bool, error)
	MarkPosted(ctx context.Context, key, owner string, at time.Time) (bool, error)
	RetryPost(ctx context.Context, key, owner string, attempts int, next time.Time, lastErr string) (bool, error)
	OpenPosts(ctx context.Context, kind string, now time.Time) ([]store.Post, error)
	NextOpenPost(ctx context.Context, kind string) (time.Time, bool, error)
	LatestPost(ctx context.Context, kind string) (store.Post, bool, error)
}

// MessagePoster posts one message (*bot.Poster).
type MessagePoster interface {
	Post(ctx context.Context, channel string, m slackui.Message) (string, error)
}

// Kicker wakes the audit echo after events were stored.
type Kicker interface{ Kick() }

// KindAlert is the posts kind of ACU-limit alerts.
const KindAlert = "usage-alert"

// claimLease is how long a claim on a post holds before another process may take it
// over: well beyond one post, short enough that a crash delays a post little.
const claimLease = 5 * time.Minute

// Alerter announces organizations crossing their alert thresholds, once per
// threshold per cycle, and those on track to pass their limit before the cycle ends,
// once per cycle. Alerts go to the report channel and are echoed to the audit channel
// through the audit log; without a report channel the audit echo is the alert.
type Alerter struct {
	store   PostStore
	poster  MessagePoster
	kicker  Kicker
	channel string // "" = the audit channel only
	owner   string
	clock   clock.Clock
	log     *slog.Logger
}

// NewAlerter returns an Alerter. owner names this process in claims.
func NewAlerter(st PostStore, poster MessagePoster, kicker Kicker, channel, owner string, clk clock.Clock, log *slog.Logger) *Alerter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Alerter{store: st, poster: poster, kicker: kicker, channel: channel, owner: owner, clock: clock.OrSystem(clk), log: log}
}

// alert is one announcement and the keys it settles.
type alert struct {
	key  string
	text string
	// quiet are keys recorded without a post: lower thresholds crossed at the same
	// time as a higher one, so that they are not announced later.
	quiet []string
}

// Check announces what r shows that has not been announced in r's cycle, and retries
// alerts an earlier attempt could not post. Only enterprise reports of the current
// cycle are checked: another cycle's or one org's figures would announce the past.
func (a *Alerter) Check(ctx context.Context, r usage.Report) error {
	if r.Scope != nil || (!r.Cycle.End.IsZero() && !r.Now.Before(r.Cycle.End)) {
		return nil
	}
	var firstErr error
	keep := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for _, al := range alertsOf(r) {
		keep(a.announce(ctx, r.Cycle, al))
	}
	keep(a.retry(ctx))
	return firstErr
}

// alertsOf lists the alerts r calls for, before knowing which were already made.
func alertsOf(r usage.Report) []alert {
	cycle := usage.DayStart(r.Cycle.Start).Format("2006-01-02")
	var out []alert
	for _, o := range r.Orgs {
		if o.Limit == nil || !o.Known {
			continue
		}
		prefix := "usage-alert/" + cycle + "/" + o.ID + "/"
		if o.Threshold > 0 {
			al := alert{key: prefix + thresholdKey(o.Threshold), text: thresholdText(r, o)}
			for _, t := range r.Thresholds {
				if t < o.Threshold {
					al.quiet = append(al.quiet, prefix+thresholdKey(t))
				}
			}
			out = append(out, al)
		}
		if o.PassesOn != nil {
			out = append(out, alert{key: prefix + "forecast", text: forecastText(r, o)})
		}
	}
	return out
}

func thresholdKey(t float64) string { return strings.TrimSuffix(fmt.Sprintf("%.4g", t), ".0") }

// orgName is the org's name for an alert line.
func orgName(o usage.OrgRow) string {
	if n := strings.ReplaceAll(strings.TrimSpace(o.Name), "*", ""); n != "" {
		return "*" + slackui.Inert(n, 60) + "*"
	}
	return "`" + strings.ReplaceAll(slackui.Inert(o.ID, 60), "`", "'") + "`"
}

func thresholdText(r usage.Report, o usage.OrgRow) string {
	used := slackui.Number(o.ACUs) + " of " + slackui.Number(*o.Limit) + " ACUs"
	if o.Threshold >= 100 {
		s := ":red_circle: " + orgName(o) + " has reached its cycle ACU limit: " + used
		if *o.Limit > 0 {
			s += fmt.Sprintf(" (%d%%)", int(o.Percent))
		}
		s += ". Devin sessions in this org stop until the limit is raised"
		if !r.Cycle.End.IsZero() && *o.Limit > 0 {
			s += " or the cycle resets on " + usage.DayStart(r.Cycle.End).Format("Jan 2")
		}
		return s + "."
	}
	return fmt.Sprintf(":large_orange_circle: %s has used %d%% of its cycle ACU limit (%s), past the %s%% alert threshold.",
		orgName(o), int(o.Percent), used, thresholdKey(o.Threshold))
}

func forecastText(r usage.Report, o usage.OrgRow) string {
	return fmt.Sprintf(":chart_with_upwards_trend: %s is on track to pass its cycle ACU limit of %s on %s, before the cycle ends: %s ACUs used, about %s a day over the last days.",
		orgName(o), slackui.Number(*o.Limit), o.PassesOn.UTC().Format("Jan 2"), slackui.Number(o.ACUs), slackui.Number(o.BurnRate))
}

// announce records and posts one alert unless its key was seen before.
func (a *Alerter) announce(ctx context.Context, cycle usage.Cycle, al alert) error {
	now := a.clock.Now()
	for _, k := range al.quiet {
		if _, err := a.store.RecordPost(ctx, k, KindAlert, "", cycle.Start, now); err != nil {
			return err
		}
	}
	ev := audit.Event{Kind: audit.KindUsageAlert, Detail: plain(al.text), At: now}
	if a.channel == "" {
		created, err := a.store.RecordPost(ctx, al.key, KindAlert, al.text, cycle.Start, now, ev)
		if created {
			a.log.InfoContext(ctx, "usage alert", "key", al.key)
			a.kick()
		}
		return err
	}
	claimed, err := a.store.ClaimPost(ctx, al.key, KindAlert, al.text, cycle.Start, a.owner, now, now.Add(claimLease), ev)
	if err != nil || !claimed {
		return err
	}
	a.kick()
	return a.send(ctx, store.Post{Key: al.key, Payload: al.text})
}

// retry posts alerts claimed earlier that did not go out (a failure, or a crash
// before posting).
func (a *Alerter) retry(ctx context.Context) error {
	if a.channel == "" {
		return nil
	}
	now := a.clock.Now()
	open, err := a.store.OpenPosts(ctx, KindAlert, now)
	if err != nil {
		return err
	}
	for _, p := range open {
		claimed, err := a.store.ClaimPost(ctx, p.Key, KindAlert, p.Payload, p.At, a.owner, now, now.Add(claimLease))
		if err != nil {
			return err
		}
		if claimed {
			if err := a.send(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// send posts a claimed alert at most once.
func (a *Alerter) send(ctx context.Context, p store.Post) error {
	now := a.clock.Now()
	ok, err := a.store.MarkPosting(ctx, p.Key, a.owner, now)
	if err != nil || !ok {
		return err
	}
	_, err = a.poster.Post(ctx, a.channel, slackui.Text(p.Payload))
	if err != nil {
		if certainlyNotPosted(err) {
			next := now.Add(backoff(p.Attempts + 1))
			a.log.WarnContext(ctx, "usage alert not posted; will retry", "key", p.Key, "error", err, "next", next)
			_, err := a.store.RetryPost(ctx, p.Key, a.owner, p.Attempts+1, next, err.Error())
			return err
		}
		// Slack may have it: posting again could say it twice.
		a.log.ErrorContext(ctx, "usage alert may not have been posted; not retried to avoid a duplicate", "key", p.Key, "error", err)
	}
	_, err = a.store.MarkPosted(ctx, p.Key, a.owner, a.clock.Now())
	return err
}

func (a *Alerter) kick() {
	if a.kicker != nil {
		a.kicker.Kick()
	}
}

// plain strips the mrkdwn an alert uses, for the audit log.
func plain(s string) string {
	s = strings.NewReplacer("*", "", "`", "", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	if i := strings.Index(s, ": "); i > 0 && strings.HasPrefix(s, ":") && !strings.Contains(s[:i], " ") {
		s = s[i+2:]
	}
	return strings.TrimSpace(s)
}
