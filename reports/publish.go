package reports

import (
	"context"
	"fmt"
	"strings"

	"devin-chatops/slackui"
	"devin-chatops/usage"
)

// Poster is the Slack the reports post to (*bot.Poster).
type Poster interface {
	Post(ctx context.Context, channel string, m slackui.Message) (string, error)
	Upload(ctx context.Context, channel string, f slackui.File) (string, error)
	UploadDM(ctx context.Context, user string, f slackui.File) (string, error)
}

// ChartFunc draws a report's chart as PNG (usage.Chart).
type ChartFunc func(usage.Report) ([]byte, error)

// Publisher posts reports with their charts.
type Publisher struct {
	poster Poster
	chart  ChartFunc
}

// NewPublisher returns a Publisher; chart nil means usage.Chart.
func NewPublisher(p Poster, chart ChartFunc) *Publisher {
	if chart == nil {
		chart = usage.Chart
	}
	return &Publisher{poster: p, chart: chart}
}

// ChartError is a report that was posted but whose chart was not.
type ChartError struct{ Err error }

func (e *ChartError) Error() string { return "the chart was not uploaded: " + e.Err.Error() }
func (e *ChartError) Unwrap() error { return e.Err }

// Publish posts the report in channel, then its chart under it. An error before the
// report is posted is returned as is; a chart that fails after it is a *ChartError.
func (p *Publisher) Publish(ctx context.Context, channel string, r usage.Report) error {
	if _, err := p.poster.Post(ctx, channel, usage.Message(r)); err != nil {
		return fmt.Errorf("post the usage report: %w", err)
	}
	f, err := p.file(r)
	if err != nil {
		return &ChartError{Err: err}
	}
	if _, err := p.poster.Upload(ctx, channel, f); err != nil {
		return &ChartError{Err: err}
	}
	return nil
}

// SendChart sends the report's chart to user in a direct message.
func (p *Publisher) SendChart(ctx context.Context, user string, r usage.Report) error {
	f, err := p.file(r)
	if err != nil {
		return err
	}
	if _, err := p.poster.UploadDM(ctx, user, f); err != nil {
		return fmt.Errorf("send the usage chart: %w", err)
	}
	return nil
}

func (p *Publisher) file(r usage.Report) (slackui.File, error) {
	png, err := p.chart(r)
	if err != nil {
		return slackui.File{}, fmt.Errorf("draw the usage chart: %w", err)
	}
	name := "devin-usage-" + usage.DayStart(r.Cycle.Start).Format("2006-01-02")
	title := "Devin ACUs, billing cycle from " + usage.DayStart(r.Cycle.Start).Format("Jan 2")
	if r.Scope != nil {
		name += "-" + fileSafe(r.Scope.ID)
		title += " · " + strings.Join(strings.Fields(r.Scope.Name), " ")
	}
	return slackui.File{Name: name + ".png", Title: slackui.Clip(title, 200), Data: png}, nil
}

// fileSafe keeps letters, digits, dashes and underscores.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return -1
	}, s)
}
