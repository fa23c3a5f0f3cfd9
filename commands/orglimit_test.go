package commands

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
)

const orgLimitUsage = "/devin org limit ORG N|none [--reason TEXT]"

// orgUsageEnv is orgEnv in the May 2024 cycle, Engineering having used 812.5 ACUs.
func orgUsageEnv() *env {
	e := orgEnv()
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	e.devin.cycles = []devin.Cycle{{Start: start.AddDate(0, -1, 0), End: start}, {Start: start, End: start.AddDate(0, 1, 0)}}
	e.devin.cons = &devin.Consumption{TotalACUs: 815.5, ByOrg: map[string]float64{"org-eng": 812.5, "org-research": 3}}
	return e
}

func TestParseOrgLimitAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"a name and a number", "org limit Engineering 2000", OrgLimit{Org: "Engineering", Limit: intp(2000)}},
		{"grouped by commas", "org limit Engineering 2,000", OrgLimit{Org: "Engineering", Limit: intp(2000)}},
		{"zero", "org limit org-eng 0", OrgLimit{Org: "org-eng", Limit: intp(0)}},
		{"none, in any case", "org limit Engineering NONE", OrgLimit{Org: "Engineering"}},
		{"a quoted name with spaces", `org limit "Data  Science" none --reason "budget cut"`,
			OrgLimit{Org: "Data Science", Reason: "budget cut"}},
	})
}

func TestParseOrgLimitRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "nothing", text: "org limit",
			wantMsg: []string{"Which organization? Give its name or ID, then the new limit: a number of ACUs, or `none` to remove it."}, wantUsage: orgLimitUsage},
		{name: "no limit", text: "org limit Engineering",
			wantMsg: []string{"Give the new limit after the organization: a number of ACUs per billing cycle, or `none` to remove it."}},
		{name: "an unquoted name with spaces", text: "org limit Data Science 500",
			wantMsg: []string{"An organization's name is one argument, so a name with spaces goes in quotes: `/devin org limit \"Data Science\" 500`."}},
		{name: "a word too many after a quoted name", text: `org limit "Data Science" 500 ACUs`,
			wantMsg: []string{"`/devin org limit` takes an organization and a limit; `ACUs` is one word too many."}},
		{name: "a limit in words", text: "org limit Engineering lots",
			wantMsg: []string{"`lots` is not a valid limit (a whole number of ACUs). Give the ACUs the organization may use per billing cycle, 0 or more (0 blocks all usage), or `none` to remove the limit."}},
		{name: "a negative limit", text: "org limit Engineering -1", wantMsg: []string{"`-1` is not a valid limit (it cannot be negative)."}},
		{name: "a limit too large", text: "org limit Engineering 99999999999", wantMsg: []string{"(the most is 1,000,000,000)"}},
		{name: "a mention for a limit", text: "org limit Engineering <@U1|bob>", wantMsg: []string{"`@bob` is not a valid limit (it is a Slack user)."}},
		{name: "a link for the organization", text: "org limit <https://x.io> 5", wantMsg: []string{"`https://x.io` is a link, not an organization."}},
		{name: "an organization of 101 characters", text: "org limit " + strings.Repeat("o", 101) + " 5",
			wantMsg: []string{"The organization is 101 characters long; the limit is 100."}},
	})
}

func TestOrgLimit(t *testing.T) {
	t.Run("raised: the card shows now and after and what was used this cycle", func(t *testing.T) {
		e := orgUsageEnv()
		r := e.run(t, `org limit engineering 2,000 --reason "Q3 launch"`)
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, approvals.Submission{
			Requester: "U1", OriginChannel: "C1", Action: approvals.ActionOrgLimit,
			Items: []string{"Engineering"}, Org: "org-eng", Reason: "Q3 launch",
			Params: map[string]string{"limit": "2000", "limit_before": "1000"},
			Plan:   []string{"cycle ACU limit now 1,000, after 2,000", "ACUs used this cycle: 812.5"},
		}, e.approvals.submitted[0])
		assertInOrder(t, blocksText(r.Message), []string{
			"Request `R7K3QX0` is waiting for approval in <#CAPPROVAL>.",
			"It will change the cycle ACU limit of this organization `org-eng` from 1,000 to 2,000:",
			"Engineering",
		})
		require.Len(t, e.devin.consQueries, 1)
		assert.Equal(t, devin.ConsumptionQuery{Start: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC), End: testNow,
			OrgIDs: []string{"org-eng"}, Detail: devin.DetailOrgs},
			e.devin.consQueries[0], "the org's cycle so far: one call on v2 and on v3 (which has no enterprise-wide per-org split)")
	})
	t.Run("removed, by ID", func(t *testing.T) {
		e := orgUsageEnv()
		r := e.run(t, "org limit org-eng none")
		require.Len(t, e.approvals.submitted, 1)
		sub := e.approvals.submitted[0]
		assert.Equal(t, map[string]string{"limit": "none", "limit_before": "1000"}, sub.Params)
		assert.Equal(t, "cycle ACU limit now 1,000, after none", sub.Plan[0])
		assert.Contains(t, blocksText(r.Message), "It will remove the cycle ACU limit (1,000) of this organization `org-eng`:")
	})
	t.Run("set where there was none; an org that used nothing used 0", func(t *testing.T) {
		e := orgUsageEnv()
		e.devin.cons.ByOrg = map[string]float64{"org-eng": 812.5}
		e.run(t, "org limit Research 500")
		require.Len(t, e.approvals.submitted, 1)
		sub := e.approvals.submitted[0]
		assert.Equal(t, map[string]string{"limit": "500", "limit_before": "none"}, sub.Params)
		assert.Equal(t, []string{"cycle ACU limit now none, after 500", "ACUs used this cycle: 0"}, sub.Plan)
	})
	t.Run("a limit below what was used warns that it stops the organization at once", func(t *testing.T) {
		e := orgUsageEnv()
		e.run(t, "org limit Engineering 800")
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, []string{"cycle ACU limit now 1,000, after 800", "ACUs used this cycle: 812.5",
			"warning: Engineering has already used 812.5 ACUs this cycle, at least the new limit: its Devin activity stops at once"},
			e.approvals.submitted[0].Plan)
	})
	t.Run("a limit of 0 warns that it stops all usage", func(t *testing.T) {
		e := orgUsageEnv()
		e.run(t, "org limit Engineering 0")
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, "warning: a limit of 0 stops all Devin usage in Engineering until it is raised", e.approvals.submitted[0].Plan[2])
	})
	t.Run("usage that cannot be read is left out", func(t *testing.T) {
		e := orgUsageEnv()
		e.devin.cyclesErr = apiErr(devin.APIName, apiclient.KindServer, 503)
		e.run(t, "org limit Engineering 2000")
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, []string{"cycle ACU limit now 1,000, after 2,000"}, e.approvals.submitted[0].Plan)
	})

	refusals := []struct {
		name, text, want string
	}{
		{"the same limit", "org limit Engineering 1,000",
			"*Engineering*'s cycle ACU limit is already 1,000; nothing to change, so nothing was submitted."},
		{"none where there is none", "org limit research none",
			"*Research* has no cycle ACU limit already; nothing to change, so nothing was submitted."},
		{"an unknown name, with the closest", "org limit Enginering 5",
			"There is no Devin organization with the name or ID *Enginering*, so nothing was submitted. Did you mean *Engineering*? `/devin orgs` lists them."},
		{"several close names, a name shared by two offered once", "org limit r 5",
			"There is no Devin organization with the name or ID *r*, so nothing was submitted. Did you mean *Engineering* or *Research*? `/devin orgs` lists them."},
		{"a typo of a name two share", "org limit dta 5",
			"There is no Devin organization with the name or ID *dta*, so nothing was submitted. Did you mean *Data*? `/devin orgs` lists them."},
		{"nothing close", "org limit Marketing 5",
			"There is no Devin organization with the name or ID *Marketing*, so nothing was submitted. `/devin orgs` lists them."},
		{"an ambiguous name", "org limit DATA 5",
			"2 organizations are called *DATA* (`org-d1`, `org-d2`), so nothing was submitted: give the ID of the one you mean."},
		{"a name that could ping is inert", `org limit "&lt;!channel&gt; x" 5`,
			"There is no Devin organization with the name or ID *&lt;!channel&gt; x*, so nothing was submitted. `/devin orgs` lists them."},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			e := orgUsageEnv()
			r := e.run(t, tt.text)
			assert.Equal(t, tt.want, r.Text)
			assert.Empty(t, e.approvals.submitted)
			assert.Equal(t, outcomeRefused, e.audit.last(t).Outcome)
		})
	}
}
