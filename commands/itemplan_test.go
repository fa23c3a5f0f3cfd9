package commands

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
)

// planEnv is a change environment in which ent:platform has hubot and octocat, and
// GitHub does not know the logins given.
func planEnv(unknown ...string) *env {
	e := changeEnv()
	e.github.members["ent:platform"] = []github.User{{Login: "hubot"}, {Login: "octocat"}}
	e.github.unknownUsers = map[string]bool{}
	for _, u := range unknown {
		e.github.unknownUsers[strings.ToLower(u)] = true
	}
	return e
}

func TestTeamPlanSubmitted(t *testing.T) {
	tests := []struct {
		name        string
		text        string
		wantSummary string
		wantSame    []string
		wantPlan    []string
		wantLookups []string // the logins looked up with GET /users, any order
	}{
		{
			name: "add: members are not looked up, the others are", text: "team add platform mona Hubot defunkt",
			wantSummary: "adds 2 to ent:platform; 1 already a member", wantSame: []string{"Hubot"},
			wantPlan: []string{
				"ent:platform has 2 members now; every login is a GitHub user",
				"to add (2): mona, defunkt",
				"already in ent:platform — no change (1): Hubot",
			},
			wantLookups: []string{"mona", "defunkt"},
		},
		{
			name: "add: nothing already so", text: "team add platform mona",
			wantSummary: "adds 1 to ent:platform", wantSame: []string{},
			wantPlan:    []string{"ent:platform has 2 members now; the login is a GitHub user", "to add (1): mona"},
			wantLookups: []string{"mona"},
		},
		{
			name: "remove: members need no look-up, a login outside the team must exist", text: "team remove platform OCTOCAT mona hubot",
			wantSummary: "removes 2 from ent:platform; 1 not a member", wantSame: []string{"mona"},
			wantPlan: []string{
				"ent:platform has 2 members now; every login is a GitHub user",
				"to remove (2): OCTOCAT, hubot",
				"not in ent:platform — no change (1): mona",
			},
			wantLookups: []string{"mona"},
		},
		{
			name: "remove: two not members", text: "team remove platform hubot mona defunkt",
			wantSummary: "removes 1 from ent:platform; 2 not members", wantSame: []string{"mona", "defunkt"},
			wantPlan: []string{
				"ent:platform has 2 members now; every login is a GitHub user",
				"to remove (1): hubot",
				"not in ent:platform — no change (2): mona, defunkt",
			},
			wantLookups: []string{"mona", "defunkt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := planEnv()
			e.run(t, tt.text)
			require.Len(t, e.approvals.submitted, 1)
			sub := e.approvals.submitted[0]
			assert.Equal(t, tt.wantSummary, sub.Params[approvals.ParamSummary])
			assert.Equal(t, approvals.NoChangeParam(tt.wantSame), sub.Params[approvals.ParamNoChange])
			assert.Equal(t, tt.wantPlan, sub.Plan)
			assert.ElementsMatch(t, tt.wantLookups, e.github.userCalls)
			assert.Equal(t, []string{"ent:platform"}, e.github.memberCalls, "the team's members are read once")
		})
	}
}

func TestTeamPlanRefused(t *testing.T) {
	twelve := make([]string, 12)
	for i := range twelve {
		twelve[i] = fmt.Sprintf("ghost%02d", i)
	}
	tests := []struct {
		name    string
		text    string
		unknown []string
		setup   func(*env)
		want    string
		outcome string
	}{
		{name: "an unknown login, named", text: "team add platform mona newdev", unknown: []string{"newdev"},
			want:    "There is no GitHub user `newdev`, so nothing was submitted. Check the spelling: nothing else in the request was submitted either.",
			outcome: outcomeRefused},
		{name: "every unknown login, named", text: "team add platform ghost1 mona Ghost2 hubot", unknown: []string{"ghost1", "ghost2"},
			want:    "2 logins are not GitHub users, so nothing was submitted: `ghost1`, `Ghost2`. Check the spelling",
			outcome: outcomeRefused},
		{name: "many unknown: ten named, the rest counted", text: "team add platform " + strings.Join(twelve, " "), unknown: twelve,
			want:    "12 logins are not GitHub users, so nothing was submitted: `ghost00`, `ghost01`, `ghost02`, `ghost03`, `ghost04`, `ghost05`, `ghost06`, `ghost07`, `ghost08`, `ghost09`, …and 2 more.",
			outcome: outcomeRefused},
		{name: "an unknown login in a removal too", text: "team remove platform hubot newdev", unknown: []string{"newdev"},
			want: "There is no GitHub user `newdev`", outcome: outcomeRefused},
		{name: "add: everyone in the team already", text: "team add platform hubot OctoCat",
			want:    "Nothing to do: everyone given is in the enterprise team `ent:platform` already, so nothing was submitted.",
			outcome: outcomeRefused},
		{name: "add: the one login in the team already", text: "team add platform hubot",
			want: "Nothing to do: `hubot` is in the enterprise team `ent:platform` already, so nothing was submitted.", outcome: outcomeRefused},
		{name: "remove: nobody in the team", text: "team remove platform mona",
			want: "Nothing to do: `mona` is not in the enterprise team `ent:platform`, so nothing was submitted.", outcome: outcomeRefused},
		{name: "the team's members cannot be read", text: "team add platform mona",
			setup: func(e *env) { e.github.membersErr = apiErr(github.APIName, apiclient.KindServer, 502) },
			want:  "I could not read the members of the enterprise team `ent:platform`, so nothing was submitted: ", outcome: outcomeError},
		{name: "a login cannot be looked up", text: "team add platform mona",
			setup: func(e *env) { e.github.userErr = apiErr(github.APIName, apiclient.KindRateLimited, 429) },
			want:  "I could not check the GitHub user `mona`, so nothing was submitted: ", outcome: outcomeError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := planEnv(tt.unknown...)
			if tt.setup != nil {
				tt.setup(e)
			}
			r := e.run(t, tt.text)
			assert.Contains(t, r.Text, tt.want)
			assert.Empty(t, e.approvals.submitted, "nothing is submitted")
			assert.Equal(t, tt.outcome, e.audit.last(t).Outcome)
		})
	}
}

// TestTeamPlanThousandLogins: 1,000 new logins are each looked up once, and the plan's
// lines stay short enough for the card.
func TestTeamPlanThousandLogins(t *testing.T) {
	e := planEnv()
	logins := make([]string, 1000)
	for i := range logins {
		logins[i] = fmt.Sprintf("login%04d", i)
	}
	r := e.run(t, "team add platform hubot "+strings.Join(logins[1:], " "))
	require.Len(t, e.approvals.submitted, 1, r.Text)
	sub := e.approvals.submitted[0]
	assert.Len(t, e.github.userCalls, 999, "every login outside the team, once")
	assert.Equal(t, "adds 999 to ent:platform; 1 already a member", sub.Params[approvals.ParamSummary])
	for _, l := range sub.Plan {
		assert.LessOrEqual(t, utf8.RuneCountInString(l), 300, l)
	}
	assert.Contains(t, sub.Plan[1], "to add (999): login0001, login0002")
	assert.Contains(t, sub.Plan[1], "more")
	text := blocksText(r.Message)
	assert.Contains(t, text, "It will add 999 GitHub users")
	assert.Contains(t, text, "Already in it — no change (1): hubot")
}

func TestInvitePlan(t *testing.T) {
	members := []devin.Member{{UserID: "u1", Email: "ada@example.com"}, {UserID: "u2", Email: "Grace@Example.com"}}
	t.Run("members already are no change; the others are to invite", func(t *testing.T) {
		e := changeEnv()
		e.devin.members = members
		r := e.run(t, "invite new@example.com ada@example.com")
		require.Len(t, e.approvals.submitted, 1)
		sub := e.approvals.submitted[0]
		assert.Equal(t, []string{"new@example.com", "ada@example.com"}, sub.Items, "the request keeps every item")
		assert.Equal(t, map[string]string{approvals.ParamNoChange: `["ada@example.com"]`, approvals.ParamSummary: "invites 1; 1 already a member"}, sub.Params)
		assert.Equal(t, []string{
			"to invite (1) as member: new@example.com",
			"already members of the Devin enterprise — no change (1): ada@example.com",
		}, sub.Plan)
		assert.ElementsMatch(t, []devin.ListMembersOptions{{Email: "new@example.com"}, {Email: "ada@example.com"}}, e.devin.memberQueries,
			"a few emails are looked up one by one")
		assertInOrder(t, blocksText(r.Message), []string{
			"*Plan:* invites 1; 1 already a member",
			"It will invite 1 person to the Devin enterprise as member:\nnew@example.com",
			"Already members — no change (1): ada@example.com",
		})
	})
	t.Run("with --org and --role admin, the plan says members stay as they are", func(t *testing.T) {
		e := changeEnv()
		e.devin.members = members
		e.run(t, "invite new@example.com grace@example.com other@example.com --org platform --role admin")
		require.Len(t, e.approvals.submitted, 1)
		sub := e.approvals.submitted[0]
		assert.Equal(t, "invites 2; 1 already a member", sub.Params[approvals.ParamSummary])
		assert.Equal(t, []string{
			"to invite (2) as admin, into Platform (org_1): new@example.com, other@example.com",
			"already members of the Devin enterprise — no change (1): grace@example.com",
			"an invitation leaves members as they are, role and organizations included; /devin org add adds members to an organization",
		}, sub.Plan)
	})
	t.Run("many emails: one listing of every member", func(t *testing.T) {
		e := changeEnv()
		e.devin.members = members
		emails := apEmailsN(30)
		e.run(t, "invite ada@example.com "+strings.Join(emails, " "))
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, []devin.ListMembersOptions{{}}, e.devin.memberQueries)
		assert.Equal(t, "invites 30; 1 already a member", e.approvals.submitted[0].Params[approvals.ParamSummary])
	})
	refusals := []struct {
		name    string
		text    string
		setup   func(*env)
		want    string
		outcome string
	}{
		{name: "the one address is a member", text: "invite ada@example.com",
			want: "Nothing to do: `ada@example.com` is a member of the Devin enterprise already, so nothing was submitted.", outcome: outcomeRefused},
		{name: "every address is a member, with --org", text: "invite ada@example.com grace@example.com --org platform",
			want:    "Nothing to do: all 2 addresses are members of the Devin enterprise already, so nothing was submitted: `ada@example.com`, `grace@example.com`. `/devin org add` adds members to an organization.",
			outcome: outcomeRefused},
		{name: "the members cannot be read", text: "invite new@example.com",
			setup: func(e *env) { e.devin.membersErr = apiErr(devin.APIName, apiclient.KindServer, 503) },
			want:  "I could not check who is in the Devin enterprise already, so nothing was submitted: ", outcome: outcomeError},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			e := changeEnv()
			e.devin.members = members
			if tt.setup != nil {
				tt.setup(e)
			}
			r := e.run(t, tt.text)
			assert.Contains(t, r.Text, tt.want)
			assert.Empty(t, e.approvals.submitted)
			assert.Equal(t, tt.outcome, e.audit.last(t).Outcome)
		})
	}
}

func apEmailsN(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("p%03d@example.com", i)
	}
	return out
}
