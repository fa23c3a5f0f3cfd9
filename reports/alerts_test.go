package reports

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/audit"
	"devin-chatops/slackui"
	"devin-chatops/usage"
)

func limf(v float64) *float64 { return &v }

// reportAt builds a report of December where Platform (limit 1,000) used acus.
func reportAt(acus float64, now time.Time) usage.Report {
	d := usage.Data{
		Cycle:       usage.Cycle{Start: december.Start, End: december.End},
		Consumption: usage.Consumption{Total: acus, ByDate: map[string]float64{"2026-12-01": acus}, ByOrg: map[string]float64{"org-plat": acus}},
		Orgs:        []usage.Org{{ID: "org-plat", Name: "Platform", Limit: limf(1000)}},
		OrgsKnown:   true,
	}
	return usage.Build(d, now, usage.Options{Thresholds: []float64{80, 100}})
}

func TestAlertsOncePerThresholdPerCycle(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	poster := &fakePoster{}
	now := december.Start.Add(2 * time.Hour)
	newAlerter := func() *Alerter {
		return NewAlerter(db, poster, &kicks{}, "CREPORTS", "A", fixedClock(now), nil)
	}
	a := newAlerter()

	require.NoError(t, a.Check(ctx, reportAt(500, now)))
	assert.Empty(t, poster.Posts(), "50% crosses nothing")

	require.NoError(t, a.Check(ctx, reportAt(850, now)))
	require.Len(t, poster.Posts(), 1)
	assert.Contains(t, poster.Posts()[0].text, "*Platform* has used 85% of its cycle ACU limit (850 of 1,000 ACUs), past the 80% alert threshold")
	assert.Equal(t, "CREPORTS", poster.Posts()[0].channel)

	require.NoError(t, a.Check(ctx, reportAt(900, now)))
	require.NoError(t, newAlerter().Check(ctx, reportAt(900, now)), "a restart")
	assert.Len(t, poster.Posts(), 1, "80% is announced once, also across a restart")

	require.NoError(t, a.Check(ctx, reportAt(1020, now)))
	require.Len(t, poster.Posts(), 2)
	assert.Contains(t, poster.Posts()[1].text, ":red_circle: *Platform* has reached its cycle ACU limit: 1,020 of 1,000 ACUs (102%)")

	// The next cycle starts afresh.
	jan := december.End.Add(time.Hour)
	r := reportAt(900, jan)
	r.Cycle = usage.Cycle{Start: december.End, End: december.End.AddDate(0, 1, 0)}
	require.NoError(t, NewAlerter(db, poster, nil, "CREPORTS", "A", fixedClock(jan), nil).Check(ctx, r))
	assert.Len(t, poster.Posts(), 3)

	// Every alert went to the audit log, to be echoed.
	due, err := db.Due(ctx, jan, 100)
	require.NoError(t, err)
	var alerts []string
	for _, p := range due {
		if p.Event.Kind == audit.KindUsageAlert {
			alerts = append(alerts, p.Event.Detail)
		}
	}
	require.Len(t, alerts, 3)
	assert.True(t, strings.HasPrefix(alerts[0], "Platform has used 85%"), alerts[0])
}

func TestAlertsCrossingTwoThresholdsAtOnceSayTheHigher(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	poster := &fakePoster{}
	now := december.Start.Add(2 * time.Hour)
	a := NewAlerter(db, poster, nil, "CREPORTS", "A", fixedClock(now), nil)
	require.NoError(t, a.Check(ctx, reportAt(1200, now)))
	require.Len(t, poster.Posts(), 1)
	assert.Contains(t, poster.Posts()[0].text, "has reached its cycle ACU limit")
	require.NoError(t, a.Check(ctx, reportAt(1200, now)))
	assert.Len(t, poster.Posts(), 1, "80% is not announced after 100%")
}

func TestAlertsWithoutReportChannelGoThroughTheAuditEcho(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	poster := &fakePoster{}
	k := &kicks{}
	now := december.Start.Add(2 * time.Hour)
	a := NewAlerter(db, poster, k, "", "A", fixedClock(now), nil)
	require.NoError(t, a.Check(ctx, reportAt(850, now)))
	require.NoError(t, a.Check(ctx, reportAt(850, now)))
	assert.Empty(t, poster.Posts(), "the audit echo posts it, once")
	due, err := db.Due(ctx, now, 10)
	require.NoError(t, err)
	require.Len(t, due, 1)
	assert.Equal(t, audit.KindUsageAlert, due[0].Event.Kind)
	assert.Equal(t, int32(1), k.n.Load())
}

func TestAlertForecastOncePerCycle(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	poster := &fakePoster{}
	now := december.Start.Add(7 * 24 * time.Hour)
	d := usage.Data{
		Cycle:       usage.Cycle{Start: december.Start, End: december.End},
		Consumption: usage.Consumption{Total: 350, ByDate: map[string]float64{}, ByOrg: map[string]float64{"org-plat": 350}},
		Recent:      &usage.Consumption{ByOrg: map[string]float64{"org-plat": 350}},
		Orgs:        []usage.Org{{ID: "org-plat", Name: "Platform", Limit: limf(1000)}},
		OrgsKnown:   true,
	}
	for i := range 7 {
		d.Consumption.ByDate[december.Start.AddDate(0, 0, i).Format(time.DateOnly)] = 50
	}
	r := usage.Build(d, now, usage.Options{})
	require.NotNil(t, r.Orgs[0].PassesOn)
	a := NewAlerter(db, poster, nil, "CREPORTS", "A", fixedClock(now), nil)
	require.NoError(t, a.Check(ctx, r))
	require.NoError(t, a.Check(ctx, r))
	require.Len(t, poster.Posts(), 1)
	assert.Contains(t, poster.Posts()[0].text, "*Platform* is on track to pass its cycle ACU limit of 1,000 on Dec 21")
}

func TestAlertRetriedWhenSlackRefused(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	poster := &fakePoster{failPost: []error{&slackui.Error{Kind: slackui.RateLimited, Method: "chat.postMessage", Code: "ratelimited"}}}
	clk := &movable{t: december.Start.Add(2 * time.Hour)}
	a := NewAlerter(db, poster, nil, "CREPORTS", "A", clk, nil)
	require.NoError(t, a.Check(ctx, reportAt(850, clk.t)))
	assert.Empty(t, poster.Posts())
	require.NoError(t, a.Check(ctx, reportAt(850, clk.t)))
	assert.Empty(t, poster.Posts(), "not before the backoff")
	clk.t = clk.t.Add(time.Minute)
	require.NoError(t, a.Check(ctx, reportAt(850, clk.t)))
	require.Len(t, poster.Posts(), 1, "posted on the retry, once")
}

func TestAlertsIgnoreOtherCyclesAndOrgReports(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	poster := &fakePoster{}
	late := december.End.Add(time.Hour)
	a := NewAlerter(db, poster, nil, "CREPORTS", "A", fixedClock(late), nil)
	require.NoError(t, a.Check(ctx, reportAt(1500, late)), "a complete cycle announces nothing")
	r := reportAt(1500, december.Start.Add(time.Hour))
	r.Scope = &r.Orgs[0]
	require.NoError(t, a.Check(ctx, r))
	assert.Empty(t, poster.Posts())
}
