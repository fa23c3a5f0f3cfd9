package commands

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
)

func changeEnv() *env {
	e := newEnv()
	e.devin.orgs = []devin.Organization{{ID: "org_1", Name: "Platform"}, {ID: "org_2", Name: "Research"}}
	e.github.teams = []github.Team{{ID: 7, Slug: "ent:platform", Name: "Platform Engineering"}}
	e.github.members["ent:platform"] = []github.User{{Login: "Hubot"}}
	return e
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
		for _, text := range []string{"invite a@x.io --org platform", "team add platform octocat", "team remove platform hubot"} {
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
