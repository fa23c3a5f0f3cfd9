package e2e

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image/png"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/config"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
	"devin-chatops/slackui"
	"devin-chatops/usage"
)

const reportChannel = "C0REPORTS"

// bigEnterprise fills the fake Devin with 40 orgs (every fourth with a limit), 2,000
// members, one of whom has left, and usage on every day of a cycle up to now and of the
// previous cycle. It returns the raw records, for an independent computation.
func bigEnterprise(d *devinsandbox.Server, now time.Time) (cycle devinsandbox.Cycle, records []devinsandbox.Usage) {
	rng := rand.New(rand.NewPCG(7, 8))
	start := usage.DayStart(now).AddDate(0, 0, -14)
	cycle = devinsandbox.Cycle{Start: start, End: start.AddDate(0, 0, 30)}
	prev := devinsandbox.Cycle{Start: start.AddDate(0, 0, -30), End: start}
	d.SetCycles([]devinsandbox.Cycle{prev, cycle})
	for i := range 40 {
		o := devinsandbox.Org{ID: fmt.Sprintf("org-%02d", i), Name: fmt.Sprintf("Org %02d", i)}
		if i%4 == 0 {
			l := 3000 + 400*i
			o.MaxCycleACULimit = &l
		}
		d.AddOrg(o)
	}
	for i := range 2000 {
		d.AddMember(devinsandbox.Member{UserID: fmt.Sprintf("user-%04d", i), Email: fmt.Sprintf("p%d@example.com", i), Name: fmt.Sprintf("Person %d", i)})
	}
	for day := prev.Start; day.Before(now); day = day.Add(usage.Day) {
		for range 120 {
			u := fmt.Sprintf("user-%04d", rng.IntN(2001)) // user-2000 has left
			org := fmt.Sprintf("org-%02d", rng.IntN(41))  // org-40: no org (Cascade, Terminal)
			if org == "org-40" {
				org = ""
			}
			records = append(records, devinsandbox.Usage{Date: day.Format(time.DateOnly), OrgID: org, UserID: u, ACUs: float64(rng.IntN(300)) / 10})
		}
	}
	d.SetConsumption(records)
	return cycle, records
}

func TestUsageReportMatchesAnIndependentComputation(t *testing.T) {
	env := roStart(t, harness.Options{NoSeed: true})
	now := time.Now()
	cycle, records := bigEnterprise(env.Devin, now)

	total, byOrg, byUser := 0.0, map[string]float64{}, map[string]float64{}
	for _, r := range records {
		day, _ := time.Parse(time.DateOnly, r.Date)
		if day.Add(8 * time.Hour).Before(cycle.Start) {
			continue
		}
		total += r.ACUs
		if r.OrgID != "" {
			byOrg[r.OrgID] += r.ACUs
		}
		byUser[r.UserID] += r.ACUs
	}
	attributed := 0.0
	for _, v := range byOrg {
		attributed += v
	}
	users := make([]string, 0, len(byUser))
	for u := range byUser {
		users = append(users, u)
	}
	slices.SortFunc(users, func(a, b string) int { return cmp.Or(cmp.Compare(byUser[b], byUser[a]), cmp.Compare(a, b)) })

	before := len(env.Devin.Requests())
	r, err := env.Slack.SlashCommand(harness.Requester, harness.GeneralChannel, "usage").WaitResponse(waitCtx(t, 15*time.Second))
	require.NoError(t, err, "no reply to /devin usage")
	calls := env.Devin.Requests()[before:]
	ops := map[devinsandbox.Op]int{}
	for _, c := range calls {
		ops[c.Op]++
	}
	t.Logf("%s: /devin usage made %d Devin API calls for 40 orgs and 2,000 members: %v", env.DevinAPIVersion, len(calls), ops)
	// v2 answers the cycle's figures in one call; v3 takes one call per org (V24), the
	// sessions listing (V28) and at most 64 per-user reads (V25).
	budget := 30
	if isV3(env) {
		budget = 150
	}
	assert.LessOrEqual(t, len(calls), budget)
	shown := roShown(r.Content)
	assert.Contains(t, shown, "*"+slackui.Number(total)+" ACUs* · day 15 of 30")
	for id, v := range byOrg {
		var n int
		fmt.Sscanf(id, "org-%d", &n)
		line := fmt.Sprintf("• *Org %02d* — %s", n, slackui.Number(v))
		if n%4 == 0 {
			line += " of " + slackui.Number(float64(3000+400*n))
		} else {
			line += " (no limit)"
		}
		assert.Contains(t, shown, line)
	}
	assert.Contains(t, shown, "• _Not in any organization_ (Cascade, Terminal) — "+slackui.Number(total-attributed))
	for i, u := range users[:10] {
		var who string
		if u == "user-2000" {
			who = "`user-2000` — " + slackui.Number(byUser[u]) + " _(no longer a member)_"
		} else {
			var n int
			fmt.Sscanf(u, "user-%d", &n)
			who = fmt.Sprintf("Person %d · p%d@example.com — %s", n, n, slackui.Number(byUser[u]))
		}
		assert.Contains(t, shown, fmt.Sprintf("%d. %s", i+1, who))
	}
	// One members listing (2,000 members are 10 pages of 200), for the names, never
	// one listing call per user.
	assert.LessOrEqual(t, env.Devin.CountOp(devinsandbox.OpListMembers), 10)
	// v3 proves no ranking here: 1 ACU in 41 is outside any organization, spread over
	// members it would take a call each to tell apart. It reads the 64 users whose
	// sessions carry the most, and says the ranking is approximate (its top ten are
	// still the exact ones above: no member's other products lift them past those).
	approx := "_Top users are approximate: reading every member who could still rank among them would take at least "
	if isV3(env) {
		assert.Contains(t, shown, approx)
	} else {
		assert.NotContains(t, shown, "approximate")
	}

	// The chart went to the requester's direct messages, as a PNG.
	files := env.Slack.Files("")
	require.Len(t, files, 1)
	img, err := png.Decode(bytes.NewReader(files[0].Data))
	require.NoError(t, err)
	assert.Equal(t, 1200, img.Bounds().Dx())
}

func TestUsagePostCarriesTheChart(t *testing.T) {
	env := roStart(t, harness.Options{})
	r := slash(t, env, harness.Requester, harness.GeneralChannel, "usage --post")
	assert.Equal(t, ":white_check_mark: Usage report posted.", r.Text)
	msgs := env.Slack.Messages(harness.GeneralChannel)
	require.NotEmpty(t, msgs)
	assert.True(t, strings.HasPrefix(msgs[0].Text, "Devin usage · "), msgs[0].Text)
	files := env.Slack.Files(harness.GeneralChannel)
	require.Len(t, files, 1)
	_, err := png.Decode(bytes.NewReader(files[0].Data))
	require.NoError(t, err, "a valid PNG")
	assert.Contains(t, files[0].Title, "Devin ACUs")
}

func TestScheduledReportAndAlertsOnceAcrossRestart(t *testing.T) {
	db := "sqlite:" + t.TempDir() + "/bot.db"
	env := roStart(t, harness.Options{Reports: true, DatabaseURL: db, Configure: func(c *config.Config) {
		c.UsageReportChannel = reportChannel
		c.UsageReportSchedule = "@every 2s"
	}})
	env.Slack.AddChannel(reportChannel, "reports")
	require.Eventually(t, func() bool { return len(env.Slack.Files(reportChannel)) >= 1 }, 15*time.Second, 50*time.Millisecond,
		"the scheduled report and its chart reach the report channel")

	// Engineering (limit 1,000) is at 79%: 20 more ACUs cross 80%. The next process
	// sees them at start-up.
	env.Devin.AddUsage(usage.DayStart(time.Now()).Format(time.DateOnly), harness.OrgEngineering, "", 20)
	require.NoError(t, env.Restart(context.Background()))
	alerts := func() []string {
		var out []string
		for _, m := range env.Slack.Messages(reportChannel) {
			if strings.Contains(m.Text, "alert threshold") || strings.Contains(m.Text, "on track to pass") {
				out = append(out, m.Text)
			}
		}
		return out
	}
	require.Eventually(t, func() bool { return len(alerts()) == 2 }, 10*time.Second, 50*time.Millisecond, "%v", alerts())
	assert.Contains(t, strings.Join(alerts(), "\n"), "*Engineering* has used 81% of its cycle ACU limit (810 of 1,000 ACUs), past the 80% alert threshold.")
	require.Eventually(t, func() bool {
		n := 0
		for _, m := range env.Slack.Messages(harness.AuditChannel) {
			if strings.Contains(m.Text, "usage_alert") {
				n++
			}
		}
		return n == 2
	}, 10*time.Second, 50*time.Millisecond, "each alert echoed to the audit channel")

	require.NoError(t, env.Restart(context.Background()))
	reports := len(env.Slack.Files(reportChannel))
	require.Eventually(t, func() bool { return len(env.Slack.Files(reportChannel)) > reports }, 15*time.Second, 50*time.Millisecond,
		"the schedule goes on after the restart")
	assert.Len(t, alerts(), 2, "no alert is repeated after the restart")
}
