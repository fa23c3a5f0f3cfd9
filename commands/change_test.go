package commands

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
)

func changeEnv() *env {
	e := newEnv()
	e.devin.orgs = []devin.Organization{{ID: "org_1", Name: "Platform"}, {ID: "org_2", Name: "Research"}}
	e.github.teams = []github.Team{{ID: 7, Slug: "ent:platform", Name: "Platform Engineering"}}
	return e
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
		}, e.approvals.submitted[0])
		text := blocksText(r.Message)
		assertInOrder(t, text, []string{
			"Request `R7K3QX0` is waiting for approval in <#CAPPROVAL>.",
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

func TestTeamChange(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		action approvals.Action
		items  []string
		want   string
	}{
		{"add", `team add platform octocat mona_acme --reason "on call"`, approvals.ActionTeamAdd, []string{"octocat", "mona_acme"},
			"It will add 2 GitHub users to the enterprise team `ent:platform` (Platform Engineering):\noctocat, mona_acme\n*Reason:* on call"},
		{"remove", "team remove ent:platform @octocat", approvals.ActionTeamRemove, []string{"octocat"},
			"It will remove 1 GitHub user from the enterprise team `ent:platform` (Platform Engineering):\noctocat"},
		{"by id", "team add 7 hubot", approvals.ActionTeamAdd, []string{"hubot"},
			"It will add 1 GitHub user to the enterprise team `7` (Platform Engineering):"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := changeEnv()
			r := e.run(t, tt.text)
			require.Len(t, e.approvals.submitted, 1)
			sub := e.approvals.submitted[0]
			assert.Equal(t, tt.action, sub.Action)
			assert.Equal(t, tt.items, sub.Items)
			assert.Equal(t, "U1", sub.Requester)
			assert.Equal(t, "C1", sub.OriginChannel)
			assert.Contains(t, blocksText(r.Message), "Request `R7K3QX0` is waiting for approval in <#CAPPROVAL>.")
			assert.Contains(t, blocksText(r.Message), tt.want)
			assert.Equal(t, "R7K3QX0", e.audit.last(t).RequestID)
		})
	}
	t.Run("an unknown team is refused and nothing is submitted", func(t *testing.T) {
		e := changeEnv()
		r := e.run(t, "team add nope octocat")
		assert.Equal(t, "There is no GitHub enterprise team `ent:nope` that the bot's token can see. `/devin teams` lists the teams.", r.Text)
		assert.Empty(t, e.approvals.submitted)
	})
}

func TestChangeRefusals(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*env)
		want    string
		outcome string
	}{
		{"not a requester", func(e *env) { e.approvals.canRequest = false }, msgNotRequester, outcomeRefused},
		{"requester groups cannot be read", func(e *env) { e.approvals.canErr = approvals.ErrGroupLookup }, msgGroupLookup, outcomeError},
		{"Submit says not a requester", func(e *env) { e.approvals.submitErr = approvals.ErrNotRequester }, msgNotRequester, outcomeRefused},
		{"Submit cannot read the groups", func(e *env) {
			e.approvals.submitErr = fmt.Errorf("check requester: %w", approvals.ErrGroupLookup)
		}, msgGroupLookup, outcomeError},
		{"Submit finds it invalid", func(e *env) {
			e.approvals.submitErr = fmt.Errorf("%w: no team", approvals.ErrInvalidSubmission)
		}, msgInvalid, outcomeError},
		{"the store fails", func(e *env) { e.approvals.submitErr = errors.New("store request: disk I/O error") }, msgNotStored, outcomeError},
	}
	for _, tt := range tests {
		for _, text := range []string{"invite a@x.io --org platform", "team add platform octocat", "team remove platform octocat"} {
			t.Run(tt.name+"/"+text, func(t *testing.T) {
				e := changeEnv()
				tt.setup(e)
				r := e.run(t, text)
				assert.Equal(t, tt.want, r.Text)
				assert.Empty(t, e.approvals.submitted)
				ev := e.audit.last(t)
				assert.Equal(t, tt.outcome, ev.Outcome)
				assert.Empty(t, ev.RequestID)
				assert.NotContains(t, textOf(r.Message), "disk I/O")
			})
		}
	}
}

func TestChannelRef(t *testing.T) {
	assert.Equal(t, "<#C0123ABC>", channelRef("C0123ABC"))
	assert.Equal(t, "<#G0123ABC>", channelRef("G0123ABC"))
	assert.Equal(t, "the approvals channel", channelRef(""))
	assert.Equal(t, "#approvals&lt;x&gt;", channelRef("#approvals<x>"))
}
