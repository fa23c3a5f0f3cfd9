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
)

// SeedDemo fills the fake APIs with a small company: members, two organizations
// (one with an ACU limit, Ada its admin and Grace a member; the other without a limit
// and empty), a current billing cycle with usage, audit entries, and two GitHub
// enterprise teams.
func SeedDemo(d *devinsandbox.Server, g *githubsandbox.Server, now time.Time) {
	limit := 1000
	d.AddOrg(devinsandbox.Org{ID: OrgEngineering, Name: "Engineering", MaxCycleACULimit: &limit, Members: map[string]string{
		devinsandbox.UserIDFor("ada@example.com"): "org_admin", devinsandbox.UserIDFor("grace@example.com"): "org_member"}})
	d.AddOrg(devinsandbox.Org{ID: OrgResearch, Name: "Research"})

	people := []struct{ email, name, role string }{
		{"ada@example.com", "Ada Lovelace", "account_admin"},
		{"grace@example.com", "Grace Hopper", "account_member"},
		{"linus@example.com", "Linus Torvalds", "account_member"},
		{"margaret@example.com", "Margaret Hamilton", "account_member"},
	}
	ids := make([]string, len(people))
	for i, p := range people {
		login := now.Add(-time.Duration(i+1) * 26 * time.Hour)
		m := d.AddMember(devinsandbox.Member{Email: p.email, Name: p.name, Role: p.role, CreatedAt: now.AddDate(0, -3, 0), LastLogin: &login})
		ids[i] = m.UserID
	}

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

	for _, login := range []string{"octocat", "hubot", "mona", "monalisa", "defunkt", "mojombo", "mona_acme"} {
		g.AddUser(login)
	}
	for i := 0; i < 12; i++ {
		g.AddUser(fmt.Sprintf("dev%02d", i))
	}
	g.SeedTeam(TeamPlatform, "Platform", "octocat", "hubot")
	g.SeedTeam(TeamSecurity, "Security", "mona")
}
