package harness

import (
	"fmt"
	"time"

	"devin-chatops/apiclient/devin"
	devinsandbox "devin-chatops/internal/sandbox/devin"
	githubsandbox "devin-chatops/internal/sandbox/github"
)

// Demo organizations and teams.
const (
	OrgEngineering = "org-eng"
	OrgResearch    = "org-research"
	TeamPlatform   = "ent:platform"
	TeamSecurity   = "ent:security"
	// GitConnection is the Devin git connection repository permissions are granted on
	// (DEVIN_GIT_CONNECTION_ID); Engineering already has acme/api on it.
	GitConnection = "git-conn-demo"
)

// SeedDemo fills the fake APIs with a small company: members, two organizations
// (Engineering with an ACU limit, Ada its admin and Grace a member; Research without a
// limit, Linus and Margaret its members), a current billing cycle with usage,
// sessions, audit entries, and two GitHub enterprise teams. Everyone's ACUs and
// sessions are in the one organization they are a member of, so an organization's
// member count agrees with the people its usage lists.
func SeedDemo(d *devinsandbox.Server, g *githubsandbox.Server, now time.Time) {
	people := []struct{ email, name, role, org, orgRole string }{
		{"ada@example.com", "Ada Lovelace", "account_admin", OrgEngineering, "org_admin"},
		{"grace@example.com", "Grace Hopper", "account_member", OrgEngineering, "org_member"},
		{"linus@example.com", "Linus Torvalds", "account_member", OrgResearch, "org_member"},
		{"margaret@example.com", "Margaret Hamilton", "account_member", OrgResearch, "org_member"},
	}
	members := map[string]map[string]string{OrgEngineering: {}, OrgResearch: {}}
	ids := make([]string, len(people))
	for i, p := range people {
		login := now.Add(-time.Duration(i+1) * 26 * time.Hour)
		m := d.AddMember(devinsandbox.Member{Email: p.email, Name: p.name, Role: p.role, CreatedAt: now.AddDate(0, -3, 0), LastLogin: &login})
		ids[i] = m.UserID
		members[p.org][m.UserID] = p.orgRole
	}
	limit := 1000
	d.AddOrg(devinsandbox.Org{ID: OrgEngineering, Name: "Engineering", MaxCycleACULimit: &limit, Members: members[OrgEngineering]})
	d.AddOrg(devinsandbox.Org{ID: OrgResearch, Name: "Research", Members: members[OrgResearch]})
	d.AddGitConnection(devinsandbox.GitConnection{ID: GitConnection, Name: "acme", ProviderType: "github_app", Host: "github.com"})
	d.AddGitPermission(devinsandbox.GitPermission{OrgID: OrgEngineering, ConnectionID: GitConnection, RepoPaths: []string{"acme/api"}})

	start := devin.BillingDayStart(now).AddDate(0, 0, -9)
	d.SetCycles([]devinsandbox.Cycle{
		{Start: start.AddDate(0, -1, 0), End: start},
		{Start: start, End: start.AddDate(0, 1, 0)},
	})
	for day := 0; day < 10; day++ {
		date := start.AddDate(0, 0, day).Format("2006-01-02")
		d.AddUsage(date, OrgEngineering, ids[0], 40+float64(day*3))
		d.AddUsage(date, OrgEngineering, ids[1], 25.5)
		d.AddUsage(date, OrgResearch, ids[2], 12.25)
		if day%2 == 0 {
			d.AddUsage(date, OrgResearch, ids[3], 8)
		}
	}

	seedSessions(d, ids, now)

	for _, login := range []string{"octocat", "hubot", "mona", "monalisa", "defunkt", "mojombo", "mona_acme"} {
		g.AddUser(login)
	}
	for i := 0; i < 12; i++ {
		g.AddUser(fmt.Sprintf("dev%02d", i))
	}
	g.SeedTeam(TeamPlatform, "Platform", "octocat", "hubot")
	g.SeedTeam(TeamSecurity, "Security", "mona")
}

// seedSessions gives /devin sessions something to show: a few recent sessions of the
// demo members, with pull requests and the analysis' suggestions. ids are the members
// of SeedDemo, in its order.
func seedSessions(d *devinsandbox.Server, ids []string, now time.Time) {
	sessions := []devinsandbox.Session{
		{OrgID: OrgEngineering, UserID: ids[0], Title: "Fix the flaky checkout test", Status: "finished", ACUsConsumed: 6.5,
			CreatedAt: now.Add(-2 * time.Hour), Summary: "Name the failing test and the CI job in the prompt.",
			ActionItems:  []string{"Add a retry-free regression test"},
			PullRequests: []devinsandbox.PullRequest{{URL: "https://github.com/acme/shop/pull/412", State: "merged"}}},
		{OrgID: OrgEngineering, UserID: ids[1], Title: "Upgrade the payments service to Go 1.26", Status: "running", ACUsConsumed: 14.25,
			CreatedAt: now.Add(-5 * time.Hour), Summary: "Say which services may change and which may not.",
			PullRequests: []devinsandbox.PullRequest{{URL: "https://github.com/acme/payments/pull/88", State: "open"}}},
		{OrgID: OrgResearch, UserID: ids[2], Title: "Benchmark the new tokenizer", Status: "blocked", ACUsConsumed: 3,
			CreatedAt: now.Add(-26 * time.Hour), ActionItems: []string{"Give Devin access to the benchmark data set"}},
		{OrgID: OrgResearch, UserID: ids[3], Title: "Draft the evaluation report", Status: "finished", ACUsConsumed: 2.5,
			CreatedAt: now.Add(-50 * time.Hour),
			PullRequests: []devinsandbox.PullRequest{
				{URL: "https://github.com/acme/evals/pull/7", State: "closed"},
				{URL: "https://github.com/acme/evals/pull/8", State: "merged"},
			}},
	}
	for _, s := range sessions {
		d.AddSession(s)
	}
}
