package commands

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
	"devin-chatops/approvals"
)

const offboardUsage = "/devin offboard EMAIL [--github LOGIN] [--reason TEXT]"

func (f *fakeGitHub) GetUser(_ context.Context, login string) (*github.User, error) {
	f.mu.Lock()
	f.userCalls = append(f.userCalls, login)
	f.mu.Unlock()
	if f.userErr != nil {
		return nil, f.userErr
	}
	if f.unknownUsers[strings.ToLower(login)] {
		return nil, ghNotFound()
	}
	return &github.User{Login: strings.ToLower(login), ID: 1}, nil
}

func TestParseOffboardAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"an email, lower-cased", "offboard Grace@Example.com", Offboard{Email: "grace@example.com"}},
		{"Slack's mailto form", "offboard <mailto:grace@example.com|grace@example.com>", Offboard{Email: "grace@example.com"}},
		{"the same address twice is one", "offboard grace@example.com,GRACE@example.com", Offboard{Email: "grace@example.com"}},
		{"with a GitHub login, @ dropped", "offboard grace@example.com --github @Hubot", Offboard{Email: "grace@example.com", GitHub: "Hubot"}},
		{"a managed user's login", "offboard grace@example.com --github=mona_acme", Offboard{Email: "grace@example.com", GitHub: "mona_acme"}},
		{"with a reason, flags first", `offboard --reason "left the company" --github hubot grace@example.com`,
			Offboard{Email: "grace@example.com", GitHub: "hubot", Reason: "left the company"}},
	})
}

func TestParseOffboardRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "nobody", text: "offboard", wantMsg: []string{"Whom? Give the person's email address"}, wantUsage: offboardUsage},
		{name: "two people", text: "offboard a@x.io b@x.io", wantMsg: []string{"one person at a time, but got 2 addresses"}},
		{name: "not an email", text: "offboard grace", wantMsg: []string{"`grace` is not a valid email address"}},
		{name: "a Slack user instead of an email", text: "offboard <@U123|grace>", wantMsg: []string{"it is a Slack user"}},
		{name: "a bad login", text: "offboard a@x.io --github -mona", wantMsg: []string{"`--github` `-mona` is not a valid GitHub login (it cannot start or end with a hyphen or underscore)."}},
		{name: "a Slack user as the login", text: "offboard a@x.io --github <@U1|mona>", wantMsg: []string{"is not a valid GitHub login (it is a Slack user)"}},
		{name: "no login after --github", text: "offboard a@x.io --github", wantMsg: []string{"`--github` needs a value: `--github LOGIN`"}},
		{name: "an unknown flag", text: "offboard a@x.io --gh mona", wantMsg: []string{"Unknown flag `--gh`"}},
	})
}

// offboardEnv is a change environment with members and three teams: hubot is in
// platform and security, mona in security only.
func offboardEnv() *env {
	e := changeEnv()
	e.devin.members = []devin.Member{
		{UserID: "u-grace", Email: "grace@example.com", Name: "Grace Hopper", Role: "account_member"},
		{UserID: "u-ada", Email: "ada@example.com", Name: "Ada Lovelace", Role: "account_admin"},
	}
	group := "idp-1"
	e.github.teams = []github.Team{
		{ID: 7, Slug: "ent:platform", Name: "Platform Engineering"},
		{ID: 8, Slug: "ent:security", Name: "Security", GroupID: &group},
		{ID: 9, Slug: "ent:design", Name: "design"},
	}
	e.github.members = map[string][]github.User{
		"ent:platform": {{Login: "hubot"}, {Login: "octocat"}},
		"ent:security": {{Login: "Hubot"}, {Login: "mona"}},
		"ent:design":   {},
	}
	e.github.unknownUsers = map[string]bool{"ghost": true}
	return e
}

// The fake Devin answers ListMembers with every member whatever the email filter, as a
// server that ignores it would: the command checks the address itself.
func TestOffboard(t *testing.T) {
	t.Run("a member and every team of the login, with the plan", func(t *testing.T) {
		e := offboardEnv()
		r := e.run(t, `offboard grace@example.com --github HUBOT --reason "left <!channel>"`)
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, approvals.Submission{
			Requester: "U1", OriginChannel: "C1", Action: approvals.ActionOffboard,
			Items:  []string{"grace@example.com", "ent:platform", "ent:security"},
			Reason: "left @channel",
			Params: map[string]string{"email": "grace@example.com", "github_login": "hubot", "devin_user_id": "u-grace"},
			Plan: []string{
				"Devin member: Grace Hopper, grace@example.com, role account_member, user ID u-grace",
				"GitHub user hubot is in 2 of the 3 enterprise teams:",
				"team ent:platform (Platform Engineering)",
				"team ent:security: synced from an identity-provider group, whose next sync may add them back",
			},
		}, e.approvals.submitted[0])
		assert.Equal(t, []devin.ListMembersOptions{{Email: "grace@example.com"}}, e.devin.memberQueries, "the member is looked up by email")
		assert.ElementsMatch(t, []string{"ent:platform", "ent:security", "ent:design"}, e.github.memberCalls, "every team's members are read")
		text := blocksText(r.Message)
		assertInOrder(t, text, []string{
			"Request `R7K3QX0` is waiting for approval in <#CAPPROVAL>.",
			"It will remove grace@example.com from the Devin enterprise, and the GitHub user `hubot` from 2 enterprise teams. The steps:",
			"grace@example.com, ent:platform, ent:security",
			"*Reason:* left @\u2060channel",
		})
		assert.NotContains(t, text, "warning")
		assert.Equal(t, outcomeOK, e.audit.last(t).Outcome)
	})
	t.Run("an enterprise admin gets the warning about the bot's key", func(t *testing.T) {
		e := offboardEnv()
		r := e.run(t, "offboard ada@example.com")
		require.Len(t, e.approvals.submitted, 1)
		sub := e.approvals.submitted[0]
		assert.Equal(t, []string{"ada@example.com"}, sub.Items)
		require.NotEmpty(t, sub.Plan)
		assert.True(t, strings.HasPrefix(sub.Plan[0], "warning: Ada Lovelace is an enterprise admin (account_admin). The bot's v2 API key belongs to an enterprise admin"), sub.Plan[0])
		assert.Contains(t, sub.Plan, "no --github login given: GitHub teams not looked at")
		assert.Empty(t, e.github.memberCalls, "no login, no team read")
		assertInOrder(t, blocksText(r.Message), []string{
			":warning: *Ada Lovelace is an enterprise admin: if the bot's Devin API key is theirs, it stops working with this removal.*",
			"It will remove ada@example.com from the Devin enterprise. The steps:",
		})
	})
	t.Run("with v3 an enterprise admin gets no warning: the service user is no person", func(t *testing.T) {
		e := offboardEnv()
		e.deps.DevinAPIVersion = "v3"
		r := e.run(t, "offboard ada@example.com")
		require.Len(t, e.approvals.submitted, 1)
		sub := e.approvals.submitted[0]
		require.NotEmpty(t, sub.Plan)
		assert.True(t, strings.HasPrefix(sub.Plan[0], "Devin member: Ada Lovelace"), sub.Plan[0])
		text := blocksText(r.Message)
		assert.NotContains(t, text, "warning")
		assert.Contains(t, text, "It will remove ada@example.com from the Devin enterprise. The steps:")
	})
	t.Run("not a member, but in teams: only the team steps", func(t *testing.T) {
		e := offboardEnv()
		r := e.run(t, "offboard gone@example.com --github mona")
		require.Len(t, e.approvals.submitted, 1)
		sub := e.approvals.submitted[0]
		assert.Equal(t, []string{"ent:security"}, sub.Items)
		assert.Equal(t, map[string]string{"email": "gone@example.com", "github_login": "mona", "devin_user_id": ""}, sub.Params)
		assert.Equal(t, "gone@example.com is not a Devin member: no Devin step", sub.Plan[0])
		assert.Contains(t, blocksText(r.Message), "gone@example.com is not a Devin member. It will remove the GitHub user `mona` from 1 enterprise team. The steps:")
	})
	t.Run("a member whose login is in no team: only the Devin step", func(t *testing.T) {
		e := offboardEnv()
		e.run(t, "offboard grace@example.com --github octodog")
		require.Len(t, e.approvals.submitted, 1)
		sub := e.approvals.submitted[0]
		assert.Equal(t, []string{"grace@example.com"}, sub.Items)
		assert.Contains(t, sub.Plan, "GitHub user octodog is in none of the 3 enterprise teams: no team step")
	})
	refusals := []struct {
		name  string
		text  string
		setup func(*env)
		want  string
		calls bool // whether GitHub's teams were read
	}{
		{name: "nothing to offboard without --github", text: "offboard gone@example.com",
			want: "Nothing to offboard, so nothing was submitted: no member of the Devin enterprise has the email `gone@example.com` (the members were looked up by that address), and no `--github` login was given, so no GitHub team was looked at."},
		{name: "nothing to offboard with a login in no team", text: "offboard gone@example.com --github octodog", calls: true,
			want: "Nothing to offboard, so nothing was submitted: no member of the Devin enterprise has the email `gone@example.com` (the members were looked up by that address), and the GitHub user `octodog` is in none of the enterprise's 3 teams (every team's members were read)."},
		{name: "an unknown GitHub login", text: "offboard grace@example.com --github ghost",
			want: "There is no GitHub user `ghost`, so nothing was submitted. Check the spelling of `--github`."},
		{name: "a server that ignores the email filter does not offboard someone else", text: "offboard other@example.com",
			want: "Nothing to offboard, so nothing was submitted: no member of the Devin enterprise has the email `other@example.com` (the members were looked up by that address), and no `--github` login was given, so no GitHub team was looked at."},
		{name: "--github without GitHub configured", text: "offboard grace@example.com --github hubot", setup: func(e *env) { e.deps.GitHub = nil },
			want: "`--github` needs the GitHub API, which is not configured: set GITHUB_TOKEN and GITHUB_ENTERPRISE, or offboard without `--github`."},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			e := offboardEnv()
			if tt.setup != nil {
				tt.setup(e)
			}
			r := e.run(t, tt.text)
			assert.Equal(t, tt.want, r.Text)
			assert.Empty(t, e.approvals.submitted)
			assert.Equal(t, outcomeRefused, e.audit.last(t).Outcome)
			assert.Equal(t, tt.calls, len(e.github.memberCalls) > 0)
		})
	}
	t.Run("a team that cannot be read does not hold up the offboarding", func(t *testing.T) {
		e := offboardEnv()
		e.github.membersErr = apiErr(github.APIName, apiclient.KindServer, 502)
		e.run(t, "offboard grace@example.com --github hubot")
		require.Len(t, e.approvals.submitted, 1)
		sub := e.approvals.submitted[0]
		assert.Equal(t, "grace@example.com", sub.Items[0], "the Devin step still runs")
		assert.Greater(t, len(sub.Items), 1, "each unreadable team is a step, checked again at execution")
		assert.Contains(t, strings.Join(sub.Plan, "\n"), "could not be checked")
	})
	t.Run("nothing else to offboard and the teams unreadable: nothing is submitted", func(t *testing.T) {
		e := offboardEnv()
		e.github.membersErr = apiErr(github.APIName, apiclient.KindServer, 502)
		r := e.run(t, "offboard nobody@example.com --github hubot")
		assert.Contains(t, r.Text, "I could not read the members of")
		assert.Empty(t, e.approvals.submitted)
		assert.Equal(t, outcomeError, e.audit.last(t).Outcome)
	})
	t.Run("the members cannot be read: nothing is submitted", func(t *testing.T) {
		e := offboardEnv()
		e.devin.membersErr = apiErr(devin.APIName, apiclient.KindUnauthorized, 401)
		r := e.run(t, "offboard grace@example.com")
		assert.Contains(t, r.Text, "The Devin API key was rejected")
		assert.Empty(t, e.approvals.submitted)
	})
}

// slowTeams counts how many member listings run at once.
type slowTeams struct {
	teams          []github.Team
	inFlight, peak atomic.Int32
	calls          atomic.Int32
	mu             sync.Mutex
}

func (s *slowTeams) GetUser(_ context.Context, login string) (*github.User, error) {
	return &github.User{Login: login}, nil
}

func (s *slowTeams) ListTeams(context.Context) ([]github.Team, error) { return s.teams, nil }

func (s *slowTeams) ListTeamMembers(_ context.Context, team string) ([]github.User, error) {
	s.calls.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	s.mu.Lock()
	if n > s.peak.Load() {
		s.peak.Store(n)
	}
	s.mu.Unlock()
	time.Sleep(2 * time.Millisecond)
	if team == "ent:t-07" || team == "ent:t-13" {
		return []github.User{{Login: "mona"}}, nil
	}
	return []github.User{{Login: "other"}}, nil
}

func TestFindTeamsIsBounded(t *testing.T) {
	s := &slowTeams{}
	for i := range 20 {
		s.teams = append(s.teams, github.Team{ID: int64(i), Slug: fmt.Sprintf("ent:t-%02d", i)})
	}
	login, found, unchecked, all, err := findTeams(t.Context(), s, "mona")
	assert.Empty(t, unchecked)
	require.NoError(t, err)
	assert.Equal(t, "mona", login)
	assert.Equal(t, 20, all)
	assert.Equal(t, []string{"ent:t-07", "ent:t-13"}, []string{teamRef(found[0]), teamRef(found[1])}, "in GitHub's order")
	assert.Len(t, found, 2)
	assert.EqualValues(t, 20, s.calls.Load(), "one listing per team")
	assert.LessOrEqual(t, s.peak.Load(), int32(offboardWorkers), "at most offboardWorkers at once")
	assert.Greater(t, s.peak.Load(), int32(1), "the listings overlap")
}
