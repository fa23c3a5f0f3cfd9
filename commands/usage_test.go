package commands

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
)

var (
	aprilCycle = devin.Cycle{Start: time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC), End: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)}
	mayCycle   = devin.Cycle{Start: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC), End: time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)}
)

func usageEnv() *env {
	e := newEnv()
	e.devin.cycles = []devin.Cycle{aprilCycle, mayCycle}
	e.devin.orgs = []devin.Organization{
		{ID: "org_1", Name: "Platform", MaxCycleACULimit: intp(1000)},
		{ID: "org_2", Name: "Research"},
		{ID: "org_3", Name: "Frozen", MaxCycleACULimit: intp(0)},
		{ID: "org_4", Name: "Idle"},
	}
	byUser := map[string]float64{"u_unknown": 0.5}
	for i := range 11 {
		id := fmt.Sprintf("u%02d", i)
		byUser[id] = float64(10 * (i + 1))
		e.devin.members = append(e.devin.members, devin.Member{UserID: id, Email: id + "@example.com"})
	}
	byUser["u_unknown"] = 200
	e.devin.cons = &devin.Consumption{
		TotalACUs: 1234.56,
		ByOrg:     map[string]float64{"org_1": 500, "org_2": 300.25, "org_x": 10},
		ByUser:    byUser,
	}
	return e
}

func TestUsageReport(t *testing.T) {
	e := usageEnv()
	r := e.run(t, "usage")
	text := blocksText(r.Message)
	assertInOrder(t, text, []string{
		"*Devin usage* — billing cycle 2024-05-01 – 2024-05-31 (day 12 of 31)",
		"*Total:* 1,234.6 ACUs",
		"*By organization*",
		"• *Platform* — 500 ACUs of 1,000 (50%)",
		"• *Research* — 300.3 ACUs (no limit)",
		"• `org_x` — 10 ACUs\n",
		"• *Frozen* — 0 ACUs of a limit of 0 (usage blocked)",
		"*Top 10 users*",
		"1. `u_unknown` — 200 ACUs",
		"2. u10@example.com — 110 ACUs",
		"10. u02@example.com — 30 ACUs",
	})
	assert.NotContains(t, text, "Idle", "an org with no usage and no limit is noise")
	assert.NotContains(t, text, "u01@example.com", "only the top 10")
	assert.False(t, r.InChannel)
	assert.Equal(t, "*Devin usage* — billing cycle 2024-05-01 – 2024-05-31 (day 12 of 31): 1,234.6 ACUs", r.Text)
	require.Len(t, e.devin.consQueries, 1)
	assert.Equal(t, devin.ConsumptionQuery{Start: mayCycle.Start, End: testNow}, e.devin.consQueries[0])
}

func TestUsagePost(t *testing.T) {
	e := usageEnv()
	r := e.run(t, "usage --post")
	assert.True(t, r.InChannel)
	assert.Equal(t, outcomeOK, e.audit.last(t).Outcome)
}

func TestUsageOverLimit(t *testing.T) {
	e := usageEnv()
	e.devin.cons.ByOrg["org_1"] = 1200
	e.devin.cons.ByOrg["org_2"] = 0
	e.devin.orgs[1].MaxCycleACULimit = intp(100000)
	r := e.run(t, "usage")
	text := blocksText(r.Message)
	assert.Contains(t, text, "• *Platform* — 1,200 ACUs of 1,000 (120%) :warning: over the limit")
	assert.Contains(t, text, "• *Research* — 0 ACUs of 100,000 (0%)")
}

func TestUsageSmallShareIsNotZero(t *testing.T) {
	assert.Equal(t, " of 100,000 (<1%)", limitUse(5, intp(100000)))
	assert.Equal(t, " of 3 (33%)", limitUse(1, intp(3)))
	assert.Equal(t, " (no limit)", limitUse(1, nil))
}

func TestUsageCycles(t *testing.T) {
	t.Run("no cycles: the API's default window", func(t *testing.T) {
		e := usageEnv()
		e.devin.cycles = nil
		r := e.run(t, "usage")
		assert.Contains(t, blocksText(r.Message), "*Devin usage* — current billing cycle")
		assert.Equal(t, devin.ConsumptionQuery{}, e.devin.consQueries[0])
	})
	t.Run("now after the last cycle: the last cycle, to its end", func(t *testing.T) {
		e := usageEnv()
		e.devin.cycles = []devin.Cycle{aprilCycle}
		r := e.run(t, "usage")
		text := blocksText(r.Message)
		assert.Contains(t, text, "billing cycle 2024-04-01 – 2024-04-30\n")
		assert.NotContains(t, text, "day ")
		assert.Equal(t, devin.ConsumptionQuery{Start: aprilCycle.Start, End: aprilCycle.End}, e.devin.consQueries[0])
	})
	t.Run("an open-ended cycle", func(t *testing.T) {
		e := usageEnv()
		e.devin.cycles = []devin.Cycle{{Start: mayCycle.Start}}
		r := e.run(t, "usage")
		assert.Contains(t, blocksText(r.Message), "billing cycle from 2024-05-01")
	})
	t.Run("nothing used yet", func(t *testing.T) {
		e := usageEnv()
		e.devin.cons = nil
		e.devin.orgs = nil
		r := e.run(t, "usage")
		text := blocksText(r.Message)
		assert.Contains(t, text, "*Total:* 0 ACUs")
		assert.NotContains(t, text, "By organization")
		assert.NotContains(t, text, "Top")
		assert.Empty(t, e.devin.memberQueries, "no users to name, no member lookup")
	})
}

func TestUsageNamesAreOptional(t *testing.T) {
	e := usageEnv()
	e.devin.orgsErr = apiErr(devin.APIName, apiclient.KindServer, 502)
	e.devin.membersErr = apiErr(devin.APIName, apiclient.KindRateLimited, 429)
	r := e.run(t, "usage")
	text := blocksText(r.Message)
	assert.Contains(t, text, "• `org_1` — 500 ACUs\n", "no limit is claimed when the limits are unknown")
	assert.Contains(t, text, "2. `u10` — 110 ACUs")
	assert.Contains(t, text, "Organization names and limits could not be read: Devin API is having trouble (502); try again in a few minutes.")
	assert.Contains(t, text, "Member emails could not be read: Devin API is rate limiting the bot; try again in 30 seconds.")
	assert.Equal(t, outcomeOK, e.audit.last(t).Outcome)
}

func TestUsageHostileNames(t *testing.T) {
	e := usageEnv()
	e.devin.orgs[0].Name = "<!channel>"
	e.devin.members[10].Email = "<@U1>"
	r := e.run(t, "usage --post")
	assert.NotContains(t, textOf(r.Message), "<!channel>")
	assert.NotContains(t, textOf(r.Message), "<@U1>")
	assert.Contains(t, blocksText(r.Message), "&lt;!channel&gt;")
}

func TestUsageManyOrgsStayWithinLimits(t *testing.T) {
	e := usageEnv()
	e.devin.cons.ByOrg = map[string]float64{}
	e.devin.orgs = nil
	for i := range 200 {
		id := fmt.Sprintf("org_%03d", i)
		e.devin.cons.ByOrg[id] = float64(i)
		e.devin.orgs = append(e.devin.orgs, devin.Organization{ID: id, Name: "Organization with a rather long name " + id, MaxCycleACULimit: intp(1000)})
	}
	r := e.run(t, "usage")
	assert.Contains(t, blocksText(r.Message), "…and 175 more")
}

func TestCycleWindow(t *testing.T) {
	assert.Equal(t, "2024-05-01 – 2024-05-31 (day 1 of 31)", cycleWindow(mayCycle, mayCycle.Start))
	assert.Equal(t, "2024-05-01 – 2024-05-31 (day 31 of 31)", cycleWindow(mayCycle, mayCycle.End.Add(-time.Second)))
	assert.Equal(t, "2024-05-01 – 2024-05-31 (day 1 of 31)", cycleWindow(mayCycle, time.Date(2024, 5, 2, 7, 59, 0, 0, time.UTC)))
	assert.Equal(t, "2024-05-01 – 2024-05-31", cycleWindow(mayCycle, mayCycle.End))
}

func TestParseUsageAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"usage", "usage", Usage{}},
		{"usage --post", "usage --post", Usage{Post: true}},
		{"usage em-dash flag", "usage —post", Usage{Post: true}},
	})
}
