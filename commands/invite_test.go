package commands

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
)

func TestParseInviteAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"invite one", "invite ada@example.com", Invite{Emails: []string{"ada@example.com"}, Role: "member"}},
		{"invite many, lower-cased, order kept", "invite Grace@Example.com ada@example.com",
			Invite{Emails: []string{"grace@example.com", "ada@example.com"}, Role: "member"}},
		{"invite dedupes ignoring case, first kept", "invite b@x.io A@x.io B@X.IO a@x.io",
			Invite{Emails: []string{"b@x.io", "a@x.io"}, Role: "member"}},
		{"invite comma separated", "invite a@x.io,b@x.io, c@x.io ,d@x.io,",
			Invite{Emails: []string{"a@x.io", "b@x.io", "c@x.io", "d@x.io"}, Role: "member"}},
		{"invite one per line", "invite\na@x.io\nb@x.io\n", Invite{Emails: []string{"a@x.io", "b@x.io"}, Role: "member"}},
		{"invite no-break space separates", "invite a@x.io\u00a0b@x.io", Invite{Emails: []string{"a@x.io", "b@x.io"}, Role: "member"}},
		{"invite Slack mailto forms", "invite <mailto:a@x.io|a@x.io> <mailto:B@x.io|B@x.io>,<mailto:c@x.io>",
			Invite{Emails: []string{"a@x.io", "b@x.io", "c@x.io"}, Role: "member"}},
		{"invite plus, dots and subdomains", "invite first.last+devin@mail.corp.example.co.uk",
			Invite{Emails: []string{"first.last+devin@mail.corp.example.co.uk"}, Role: "member"}},
		{"invite --role admin", "invite a@x.io --role admin", Invite{Emails: []string{"a@x.io"}, Role: "admin"}},
		{"invite --role=ADMIN", "invite a@x.io --role=ADMIN", Invite{Emails: []string{"a@x.io"}, Role: "admin"}},
		{"invite --role member", "invite a@x.io --role member", Invite{Emails: []string{"a@x.io"}, Role: "member"}},
		{"invite flags before and between emails", "invite --role admin a@x.io --org acme b@x.io",
			Invite{Emails: []string{"a@x.io", "b@x.io"}, Role: "admin", Org: "acme"}},
		{"invite flag name in capitals", "invite a@x.io --ROLE admin", Invite{Emails: []string{"a@x.io"}, Role: "admin"}},
		{"invite --org quoted with spaces", `invite a@x.io --org "Acme Research"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Org: "Acme Research"}},
		{"invite --org= quoted", `invite a@x.io --org="Acme Research"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Org: "Acme Research"}},
		{"invite --org of 100 characters", "invite a@x.io --org " + strings.Repeat("o", 100),
			Invite{Emails: []string{"a@x.io"}, Role: "member", Org: strings.Repeat("o", 100)}},
		{"invite --reason quoted", `invite a@x.io --reason "new platform hire"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "new platform hire"}},
		{"invite --reason smart double quotes", "invite a@x.io --reason “new platform hire”",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "new platform hire"}},
		{"invite --reason mixed smart and straight quotes", "invite a@x.io --reason “new hire\"",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "new hire"}},
		{"invite --reason smart single quotes with apostrophe", "invite a@x.io --reason ‘it’s Ada’s team’",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "it’s Ada’s team"}},
		{"invite --reason straight single quotes with apostrophe", "invite a@x.io --reason 'don't wait'",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "don't wait"}},
		{"invite --reason= single quoted", "invite a@x.io --reason='on call'",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "on call"}},
		{"invite --reason= smart quoted", "invite a@x.io --reason=“on call”",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "on call"}},
		{"invite unquoted apostrophe is text", "invite a@x.io --reason O’Brien's",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "O’Brien's"}},
		{"invite double quotes keep single quotes", `invite a@x.io --reason "it's 'fine'"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "it's 'fine'"}},
		{"invite quoted value that looks like a flag", `invite a@x.io --reason "--force was needed"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "--force was needed"}},
		{"invite --reason with a link and a mention written out",
			`invite a@x.io --reason "see <https://jira.example.com/X-1|X-1> for <@U123|ada> in <#C9|eng>"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "see X-1 (https://jira.example.com/X-1) for @ada in #eng"}},
		{"invite --reason lone link", "invite a@x.io --reason <https://jira.example.com/X-1>",
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "https://jira.example.com/X-1"}},
		{"invite --reason Slack entities undone", `invite a@x.io --reason "R&amp;D &lt;3"`,
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: "R&D <3"}},
		{"invite --reason of 500 characters", "invite a@x.io --reason " + strings.Repeat("é", 500),
			Invite{Emails: []string{"a@x.io"}, Role: "member", Reason: strings.Repeat("é", 500)}},
		{"invite en-dash flags", "invite a@x.io –role admin", Invite{Emails: []string{"a@x.io"}, Role: "admin"}},
		{"invite email split by quotes like a shell", `invite "a"@x.io`, Invite{Emails: []string{"a@x.io"}, Role: "member"}},
		{"invite address starting with an apostrophe, mid-word", "invite b@x.io,'a@x.io",
			Invite{Emails: []string{"b@x.io", "'a@x.io"}, Role: "member"}},
		{"invite address starting with an apostrophe, quoted", `invite "'a@x.io"`,
			Invite{Emails: []string{"'a@x.io"}, Role: "member"}},
		{"invite everything", `invite a@x.io, b@x.io --role=admin --org "Acme" --reason “Q3 hires”`,
			Invite{Emails: []string{"a@x.io", "b@x.io"}, Role: "admin", Org: "Acme", Reason: "Q3 hires"}},
	})
}

func TestParseInviteRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "org of 101 characters", text: "invite a@x.io --org " + strings.Repeat("o", 101),
			wantMsg: []string{"`--org` is 101 characters long; the limit is 100."}},
		{name: "org as a channel", text: "invite a@x.io --org <#C1|acme>",
			wantMsg: []string{"`--org` `#acme` is a Slack channel, not an organization."}},
		{name: "org mixing text and a Slack mention", text: "invite a@x.io --org x<!channel>y",
			wantMsg: []string{"`--org` `x&lt;!channel&gt;y` is a Slack mention, not an organization."}},
		{name: "bad role", text: "invite a@x.io --role owner",
			wantMsg: []string{"`--role` must be `member` or `admin`, not `owner`."}, wantUsage: inviteUsage},
	})
}

func TestInvite(t *testing.T) {
	t.Run("submitted, and the requester is told what will happen", func(t *testing.T) {
		e := changeEnv()
		r := e.run(t, `invite Ada@Example.com <mailto:grace@example.com|grace@example.com> --role admin --reason "new <!channel> team"`)
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, approvals.Submission{
			Requester: "U1", OriginChannel: "C1", Action: approvals.ActionInvite,
			Items: []string{"ada@example.com", "grace@example.com"}, Role: "admin",
			Reason: "new @channel team",
			Params: map[string]string{approvals.ParamNoChange: "[]", approvals.ParamSummary: "invites 2"},
			Plan:   []string{"to invite (2) as admin: ada@example.com, grace@example.com"},
		}, e.approvals.submitted[0])
		text := blocksText(r.Message)
		assertInOrder(t, text, []string{
			"Request `R7K3QX0` is waiting for approval in <#CAPPROVAL>.",
			"*Plan:* invites 2",
			"It will invite 2 people to the Devin enterprise as admin:",
			"ada@example.com, grace@example.com",
			"*Reason:* new @\u2060channel team",
			"It expires <!date^",
		})
		assert.Equal(t, "Request `R7K3QX0` is waiting for approval in <#CAPPROVAL>.", strings.SplitN(r.Text, "\n", 2)[0])
		assert.False(t, r.InChannel, "the confirmation is only for the requester")
		ev := e.audit.last(t)
		assert.Equal(t, outcomeOK, ev.Outcome)
		assert.Equal(t, "R7K3QX0", ev.RequestID)
		assert.Empty(t, e.devin.found, "no --org, no org lookup")
	})
	t.Run("--org by name is resolved to its id first", func(t *testing.T) {
		e := changeEnv()
		r := e.run(t, "invite a@x.io --org platform")
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, "org_1", e.approvals.submitted[0].Org)
		assert.Equal(t, []string{"platform"}, e.devin.found)
		assert.Contains(t, blocksText(r.Message), "It will invite 1 person to the Devin enterprise as member, and add them to the organization *Platform* `org_1`:")
	})
	t.Run("--org by id", func(t *testing.T) {
		e := changeEnv()
		e.run(t, "invite a@x.io --org org_2")
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, "org_2", e.approvals.submitted[0].Org)
	})
	t.Run("an unknown --org is refused and nothing is submitted", func(t *testing.T) {
		e := changeEnv()
		r := e.run(t, `invite a@x.io --org "a&amp;b &lt;x&gt;"`)
		assert.Equal(t, "There is no Devin organization with the ID or name `a&amp;b &lt;x&gt;`, so nothing was submitted. `/devin orgs` lists them.", r.Text)
		assert.Empty(t, e.approvals.submitted)
		assert.Equal(t, outcomeRefused, e.audit.last(t).Outcome)
	})
	t.Run("an ambiguous --org is refused with the API's explanation", func(t *testing.T) {
		e := changeEnv()
		e.devin.orgsErr = &apiclient.Error{API: devin.APIName, Kind: apiclient.KindValidation,
			Message: `2 organizations are named "dup" (org_a, org_b); use the organization ID`}
		r := e.run(t, "invite a@x.io --org dup")
		assert.Contains(t, r.Text, "use the organization ID")
		assert.Empty(t, e.approvals.submitted)
	})
	t.Run("1,000 emails: the confirmation lists some and counts the rest", func(t *testing.T) {
		e := changeEnv()
		emails := make([]string, 1000)
		for i := range emails {
			emails[i] = fmt.Sprintf("person%04d@example.com", i)
		}
		r := e.run(t, "invite "+strings.Join(emails, ","))
		require.Len(t, e.approvals.submitted, 1)
		assert.Len(t, e.approvals.submitted[0].Items, 1000)
		text := blocksText(r.Message)
		assert.Contains(t, text, "It will invite 1,000 people")
		assert.Contains(t, text, "person0000@example.com, ")
		assert.Contains(t, text, "…and 950 more")
	})
}
