package commands

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
)

const orgCreateUsage = "/devin org create NAME [--acu-limit N] [--reason TEXT]"

// orgEnv is a router over an enterprise with four organizations: Engineering (limit
// 1,000), Research (no limit) and two called Data.
func orgEnv() *env {
	e := newEnv()
	e.devin.orgs = []devin.Organization{
		{ID: "org-eng", Name: "Engineering", MaxCycleACULimit: intp(1000)},
		{ID: "org-research", Name: "Research"},
		{ID: "org-d1", Name: "Data"},
		{ID: "org-d2", Name: "data"},
	}
	return e
}

func TestParseOrgCreateAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"one word", "org create Ops", OrgCreate{OrgName: "Ops"}},
		{"quoted with spaces, runs of spaces as one", `org create "  Data   Science "`, OrgCreate{OrgName: "Data Science"}},
		{"smart quotes", "org create “Data Science”", OrgCreate{OrgName: "Data Science"}},
		{"an emoji made of several characters", "org create \"👩‍💻 Devs\"", OrgCreate{OrgName: "👩‍💻 Devs"}},
		{"a limit", "org create Ops --acu-limit 500", OrgCreate{OrgName: "Ops", ACULimit: intp(500)}},
		{"a limit grouped as the bot shows it", "org create Ops --acu-limit=1,000,000", OrgCreate{OrgName: "Ops", ACULimit: intp(1000000)}},
		{"a limit of 0", "org create Ops --acu-limit 0", OrgCreate{OrgName: "Ops", ACULimit: intp(0)}},
		{"the highest limit", "org create Ops --acu-limit 1000000000", OrgCreate{OrgName: "Ops", ACULimit: intp(1000000000)}},
		{"flags first, a reason", `org create --acu-limit 5 "R&amp;D" --reason "new lab"`, OrgCreate{OrgName: "R&D", ACULimit: intp(5), Reason: "new lab"}},
		{"a name of 100 characters", "org create " + strings.Repeat("é", 100), OrgCreate{OrgName: strings.Repeat("é", 100)}},
		{"subcommand in capitals", "ORG CREATE Ops", OrgCreate{OrgName: "Ops"}},
	})
}

func TestParseOrgCreateRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "no name", text: "org create --acu-limit 5",
			wantMsg: []string{"Give the new organization's name, like `/devin org create \"Data Science\"`."}, wantUsage: orgCreateUsage},
		{name: "a name of several words, unquoted", text: "org create Data Science --acu-limit 5",
			wantMsg: []string{"An organization's name is one argument, so a name with spaces goes in quotes: `/devin org create \"Data Science\"`."}},
		{name: "an unquoted reason spills into the name", text: "org create Ops --reason new team",
			wantMsg: []string{"`/devin org create \"Ops team\"`", "If `team` belongs to `--reason`, put the whole value in quotes."}},
		{name: "a word after a quoted name", text: `org create "Data Science" now`,
			wantMsg: []string{"`/devin org create` takes one name, quoted here already; `now` is one word too many."}},
		{name: "an empty name", text: `org create "  "`, wantMsg: []string{"The name is empty."}},
		{name: "a name of 101 characters", text: "org create " + strings.Repeat("o", 101),
			wantMsg: []string{"The name is 101 characters long; the limit is 100."}},
		{name: "an invisible character", text: "org create \"Data\u200bScience\"",
			wantMsg: []string{"has invisible or control characters; type the name again."}},
		{name: "a mention", text: "org create <!here>", wantMsg: []string{"`@\u2060here` is a Slack mention, not an organization."}},
		{name: "a channel", text: "org create <#C1|eng>", wantMsg: []string{"`#eng` is a Slack channel, not an organization."}},
		{name: "a negative limit", text: "org create Ops --acu-limit -5",
			wantMsg: []string{"`--acu-limit` `-5` is not a valid limit (it cannot be negative). Give the ACUs the organization may use per billing cycle, 0 or more; 0 blocks all usage."}},
		{name: "a limit in words", text: "org create Ops --acu-limit ten",
			wantMsg: []string{"`--acu-limit` `ten` is not a valid limit (a whole number of ACUs)."}},
		{name: "a fraction", text: "org create Ops --acu-limit 2.5", wantMsg: []string{"(a whole number of ACUs)"}},
		{name: "commas that do not group thousands", text: "org create Ops --acu-limit 1,00",
			wantMsg: []string{"(commas must group thousands, like 1,000)"}},
		{name: "a limit too large", text: "org create Ops --acu-limit 1000000001",
			wantMsg: []string{"(the most is 1,000,000,000)"}},
		{name: "a limit with no value", text: "org create Ops --acu-limit", wantMsg: []string{"`--acu-limit` needs a value: `--acu-limit N`."}},
		{name: "an unknown flag", text: "org create Ops --limit 5", wantMsg: []string{"Unknown flag `--limit` for `/devin org create`."}},
	})
}

func TestOrgCreate(t *testing.T) {
	t.Run("submitted with the checked plan, and the requester told what will happen", func(t *testing.T) {
		e := orgEnv()
		r := e.run(t, `org create "Data  Science" --acu-limit 1500 --reason "new <!channel> team"`)
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, approvals.Submission{
			Requester: "U1", OriginChannel: "C1", Action: approvals.ActionOrgCreate,
			Items: []string{"Data Science"}, Reason: "new @channel team",
			Params: map[string]string{"acu_limit": "1500"},
			Plan:   []string{`no organization is called "Data Science" yet`, "cycle ACU limit: 1,500"},
		}, e.approvals.submitted[0])
		assertInOrder(t, blocksText(r.Message), []string{
			"Request `R7K3QX0` is waiting for approval in <#CAPPROVAL>.",
			"It will create this Devin organization, with a cycle ACU limit of 1,500:",
			"Data Science",
			"*Reason:* new @\u2060channel team",
		})
		ev := e.audit.last(t)
		assert.Equal(t, outcomeOK, ev.Outcome)
		assert.Equal(t, "R7K3QX0", ev.RequestID)
	})
	t.Run("without a limit", func(t *testing.T) {
		e := orgEnv()
		r := e.run(t, "org create Ops")
		require.Len(t, e.approvals.submitted, 1)
		sub := e.approvals.submitted[0]
		assert.Nil(t, sub.Params)
		assert.Equal(t, []string{`no organization is called "Ops" yet`, "no cycle ACU limit"}, sub.Plan)
		assert.Contains(t, blocksText(r.Message), "It will create this Devin organization, without an ACU limit:")
	})
	t.Run("a limit of 0 is a warning on the card", func(t *testing.T) {
		e := orgEnv()
		r := e.run(t, "org create Frozen --acu-limit 0")
		require.Len(t, e.approvals.submitted, 1)
		sub := e.approvals.submitted[0]
		assert.Equal(t, map[string]string{"acu_limit": "0"}, sub.Params)
		assert.Equal(t, "warning: a cycle ACU limit of 0 blocks all Devin usage in the new organization until it is raised", sub.Plan[1])
		assert.Contains(t, blocksText(r.Message), "with a cycle ACU limit of 0 (which blocks all usage)")
	})

	refusals := []struct {
		name, text, want string
	}{
		{"a name taken, in another case and spacing", `org create " engineering "`,
			"An organization called *Engineering* already exists (`org-eng`), so nothing was submitted. Choose another name."},
		{"a name that is another organization's ID", "org create org-research",
			"`org-research` is the ID of the organization *Research*; choose another name, so that names and IDs cannot be confused. Nothing was submitted."},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			e := orgEnv()
			r := e.run(t, tt.text)
			assert.Equal(t, tt.want, r.Text)
			assert.Empty(t, e.approvals.submitted)
			assert.Equal(t, outcomeRefused, e.audit.last(t).Outcome)
		})
	}
	t.Run("the organizations cannot be read: nothing submitted, the API's reason shown", func(t *testing.T) {
		e := orgEnv()
		e.devin.orgsErr = apiErr(devin.APIName, apiclient.KindServer, 503)
		r := e.run(t, "org create Ops")
		assert.Contains(t, r.Text, "Devin API")
		assert.Empty(t, e.approvals.submitted)
		assert.Equal(t, outcomeError, e.audit.last(t).Outcome)
	})
}
