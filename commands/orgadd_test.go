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

const orgAddUsage = "/devin org add ORG EMAIL… [--role member|admin] [--reason TEXT]"

// orgAddEnv is orgEnv with four enterprise members; ada is an admin and grace a
// member of Engineering.
func orgAddEnv() *env {
	e := orgEnv()
	for _, n := range []string{"ada", "grace", "linus", "margaret"} {
		e.devin.members = append(e.devin.members, devin.Member{UserID: "u-" + n, Email: n + "@example.com"})
	}
	e.devin.orgMembers = map[string][]devin.OrgMember{"org-eng": {
		{UserID: "u-ada", Email: "ada@example.com", OrgRole: "org_admin"},
		{UserID: "u-grace", Email: "grace@example.com", OrgRole: "org_member"},
	}}
	return e
}

func TestParseOrgAddAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"one email", "org add Engineering ada@example.com", OrgAdd{Org: "Engineering", Emails: []string{"ada@example.com"}, Role: "member"}},
		{"many, lower-cased, deduped, commas and mailto forms", "org add org-eng Ada@Example.com,<mailto:grace@example.com|grace@example.com> ada@example.com",
			OrgAdd{Org: "org-eng", Emails: []string{"ada@example.com", "grace@example.com"}, Role: "member"}},
		{"admin, a quoted name and a reason", `org add "Data  Science" ada@example.com --role=ADMIN --reason "tech lead"`,
			OrgAdd{Org: "Data Science", Emails: []string{"ada@example.com"}, Role: "admin", Reason: "tech lead"}},
	})
}

func TestParseOrgAddRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "nothing", text: "org add",
			wantMsg: []string{"Which organization? Give its name or ID, then the email addresses of the enterprise members to add."}, wantUsage: orgAddUsage},
		{name: "an email where the organization goes", text: "org add ada@example.com Engineering",
			wantMsg: []string{"`ada@example.com` is an email address: give the organization first, then the emails, like `/devin org add Engineering ada@example.com`."}},
		{name: "an unquoted name with spaces", text: "org add Data Science ada@example.com",
			wantMsg: []string{"`Science` is not an email address. If the organization's name has spaces, put it in quotes: `/devin org add \"Data Science\" …`."}},
		{name: "no email", text: "org add Engineering", wantMsg: []string{"Give at least one email address."}},
		{name: "a bad email", text: "org add Engineering ada@example.com grace@",
			wantMsg: []string{"`grace@` is not a valid email address (the domain needs a dot, like example.com)."}},
		{name: "a bad role", text: "org add Engineering ada@example.com --role owner",
			wantMsg: []string{"`--role` must be `member` or `admin`, not `owner`."}},
		{name: "too many emails", text: "org add Engineering " + strings.Join(numbered("p%04d@example.com", 1001), " "),
			wantMsg: []string{"Too many email addresses: 1001 given, the limit is 1000 per request."}},
		{name: "a user mention for the organization", text: "org add <@U1|bob> ada@example.com",
			wantMsg: []string{"`@bob` is a Slack user, not an organization."}},
	})
}

func TestOrgAdd(t *testing.T) {
	t.Run("as members: each person checked, the user IDs stored, the requester told", func(t *testing.T) {
		e := orgAddEnv()
		r := e.run(t, `org add engineering linus@example.com grace@example.com ada@example.com --reason "platform work"`)
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, approvals.Submission{
			Requester: "U1", OriginChannel: "C1", Action: approvals.ActionOrgAdd,
			Items: []string{"linus@example.com", "grace@example.com", "ada@example.com"},
			Org:   "org-eng", Role: "member", Reason: "platform work",
			Params: map[string]string{"org_name": "Engineering", "user_ids": `["u-linus","u-grace","u-ada"]`},
			Plan: []string{
				"3 enterprise members found; 1 to add as member, 2 already in it (no change)",
				"linus@example.com — enterprise member (u-linus), not in Engineering yet",
				"grace@example.com — enterprise member (u-grace), already in Engineering as member: no change",
				"ada@example.com — enterprise member (u-ada), already in Engineering as admin: no change",
			},
		}, e.approvals.submitted[0])
		assertInOrder(t, blocksText(r.Message), []string{
			"Request `R7K3QX0` is waiting for approval in <#CAPPROVAL>.",
			"It will add 3 enterprise members to the organization *Engineering* `org-eng` as member (2 of them are in it already):",
			"linus@example.com, grace@example.com, ada@example.com",
			"*Reason:* platform work",
		})
		assert.ElementsMatch(t, []devin.ListMembersOptions{{Email: "linus@example.com"}, {Email: "grace@example.com"}, {Email: "ada@example.com"}},
			e.devin.memberQueries, "a few emails are looked up one by one")
		assert.Equal(t, outcomeOK, e.audit.last(t).Outcome)
	})
	t.Run("as admins: members are promoted, admins left alone", func(t *testing.T) {
		e := orgAddEnv()
		e.run(t, "org add Engineering grace@example.com margaret@example.com ada@example.com --role admin")
		require.Len(t, e.approvals.submitted, 1)
		sub := e.approvals.submitted[0]
		assert.Equal(t, "admin", sub.Role)
		assert.Equal(t, []string{
			"3 enterprise members found; 1 to add as admin, 1 to make admin, 1 already in it (no change)",
			"grace@example.com — enterprise member (u-grace), in Engineering as member: becomes admin",
			"margaret@example.com — enterprise member (u-margaret), not in Engineering yet",
			"ada@example.com — enterprise member (u-ada), already in Engineering as admin: no change",
		}, sub.Plan)
	})
	t.Run("a custom org role is kept as member, replaced only to become admin", func(t *testing.T) {
		e := orgAddEnv()
		e.devin.orgMembers["org-eng"] = append(e.devin.orgMembers["org-eng"], devin.OrgMember{UserID: "u-linus", OrgRole: "org_viewer"})
		r := e.run(t, "org add Engineering linus@example.com")
		assert.Equal(t, "That person is in *Engineering* already, with that role or a higher one; nothing to change, so nothing was submitted.", r.Text)
		e.run(t, "org add Engineering linus@example.com --role admin")
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, "linus@example.com — enterprise member (u-linus), in Engineering as viewer: becomes admin", e.approvals.submitted[0].Plan[1])
	})
	t.Run("more than 25 emails are found in one listing", func(t *testing.T) {
		e := orgAddEnv()
		emails := numbered("p%03d@example.com", 30)
		for i, em := range emails {
			e.devin.members = append(e.devin.members, devin.Member{UserID: fmt.Sprintf("u-%d", i), Email: em})
		}
		e.run(t, "org add Research "+strings.Join(emails, ","))
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, []devin.ListMembersOptions{{}}, e.devin.memberQueries)
		assert.Equal(t, "30 enterprise members found; 30 to add as member", e.approvals.submitted[0].Plan[0])
	})
	t.Run("the organization's members cannot be read: submitted, the card says so", func(t *testing.T) {
		e := orgAddEnv()
		e.devin.orgMembersErr = apiErr(devin.APIName, apiclient.KindServer, 503)
		r := e.run(t, "org add Engineering ada@example.com")
		require.Len(t, e.approvals.submitted, 1)
		plan := e.approvals.submitted[0].Plan
		assert.True(t, strings.HasPrefix(plan[0], "1 enterprise member found; the organization's members could not be read (Devin API"), plan[0])
		assert.Contains(t, plan[0], "): who is in it already will be checked when it runs")
		assert.Equal(t, "ada@example.com — enterprise member (u-ada)", plan[1])
		assert.NotContains(t, blocksText(r.Message), "in it already")
	})

	refusals := []struct {
		name, text, want string
	}{
		{"an email that is not a member", "org add Engineering linus@example.com nobody@example.com",
			"`nobody@example.com` is not a member of the Devin enterprise, so nothing was submitted. Invite them first with `/devin invite`: `/devin org add` only adds people already in the enterprise."},
		{"several that are not", "org add Engineering x@example.com linus@example.com y@example.com",
			"2 addresses are not members of the Devin enterprise, so nothing was submitted: `x@example.com`, `y@example.com`. Invite them first with `/devin invite`: `/devin org add` only adds people already in the enterprise."},
		{"everyone is in already", "org add Engineering ada@example.com grace@example.com",
			"Everyone given is in *Engineering* already, with that role or a higher one; nothing to change, so nothing was submitted."},
		{"the one person is in already", "org add Engineering grace@example.com",
			"That person is in *Engineering* already, with that role or a higher one; nothing to change, so nothing was submitted."},
		{"an unknown organization", "org add Reserch ada@example.com",
			"There is no Devin organization with the name or ID *Reserch*, so nothing was submitted. Did you mean *Research*? `/devin orgs` lists them."},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			e := orgAddEnv()
			r := e.run(t, tt.text)
			assert.Equal(t, tt.want, r.Text)
			assert.Empty(t, e.approvals.submitted)
			assert.Equal(t, outcomeRefused, e.audit.last(t).Outcome)
		})
	}
	t.Run("the members cannot be looked up: nothing submitted, the API's reason shown", func(t *testing.T) {
		e := orgAddEnv()
		e.devin.membersErr = apiErr(devin.APIName, apiclient.KindForbidden, 403)
		r := e.run(t, "org add Engineering ada@example.com")
		assert.Contains(t, r.Text, "Devin API")
		assert.Empty(t, e.approvals.submitted)
		assert.Equal(t, outcomeError, e.audit.last(t).Outcome)
	})
}
