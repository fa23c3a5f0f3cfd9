package reports

import (
	"context"
	"log/slog"

	"devin-chatops/clock"
	"devin-chatops/usage"
)

// Service builds reports from fresh or shared data and checks their alerts.
type Service struct {
	fetch  *Fetcher
	opts   usage.Options
	alerts *Alerter
	pub    *Publisher
	clock  clock.Clock
	log    *slog.Logger
}

// NewService returns a Service. alerts may be nil (no alerts).
func NewService(f *Fetcher, opts usage.Options, alerts *Alerter, pub *Publisher, clk clock.Clock, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{fetch: f, opts: opts, alerts: alerts, pub: pub, clock: clock.OrSystem(clk), log: log}
}

// Report builds the report q selects. Every report of the current cycle for the whole
// enterprise also checks the alert thresholds.
func (s *Service) Report(ctx context.Context, q Query) (usage.Report, error) {
	d, err := s.fetch.Fetch(ctx, q)
	if err != nil {
		return usage.Report{}, err
	}
	r := usage.Build(d, s.clock.Now(), s.opts)
	if s.alerts != nil && q.Cycle == CurrentCycle && q.Org == "" {
		if err := s.alerts.Check(ctx, r); err != nil {
			s.log.WarnContext(ctx, "usage alerts: check failed", "error", err)
		}
	}
	return r, nil
}

// Publish posts the report and its chart in channel.
func (s *Service) Publish(ctx context.Context, channel string, r usage.Report) error {
	return s.pub.Publish(ctx, channel, r)
}

// SendChart sends the report's chart to user in a direct message.
func (s *Service) SendChart(ctx context.Context, user string, r usage.Report) error {
	return s.pub.SendChart(ctx, user, r)
}

// Forget drops the fetched data kept for the next reports, after a change (an
// invitation) that the next report should show.
func (s *Service) Forget() { s.fetch.Forget() }
