package harness

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient/devin"
	devinsandbox "devin-chatops/internal/sandbox/devin"
	githubsandbox "devin-chatops/internal/sandbox/github"
)

// The demo data must agree with itself as the bot reads it through the API, on either
// version: every organization's member count (v2 has one) is the number of its
// members, whoever has ACUs in an organization (v2 breaks them down by org per user)
// or sessions in it is one of them, and reading it breaks no rule of the API.
func TestSeedDemoOrganizationsAgreeWithTheirUsage(t *testing.T) {
	for _, version := range []string{"v2", "v3"} {
		t.Run(version, func(t *testing.T) {
			key := devinsandbox.DefaultAPIKey
			if version == "v3" {
				key = devinsandbox.V3APIKey
			}
			d := devinsandbox.New(devinsandbox.WithVersions(devinsandbox.VersionsFor(version)), devinsandbox.WithAPIKey(key))
			g := githubsandbox.New(Enterprise)
			t.Cleanup(d.Close)
			t.Cleanup(g.Close)
			now := time.Now()
			SeedDemo(d, g, now)
			c, err := devin.Open(version, d.URL(), d.APIKey())
			require.NoError(t, err)
			ctx := context.Background()

			orgs, err := c.ListOrganizations(ctx)
			require.NoError(t, err)
			require.Len(t, orgs, 2)
			members := map[string][]string{} // org ID -> member user IDs, sorted
			for _, o := range orgs {
				ms, err := c.ListOrgMembers(ctx, o.ID)
				require.NoError(t, err)
				require.NotEmpty(t, ms, "organization %s has members", o.Name)
				for _, m := range ms {
					members[o.ID] = append(members[o.ID], m.UserID)
				}
				sort.Strings(members[o.ID])
				if version == "v2" {
					assert.Equal(t, len(ms), o.MemberCount, "member count of %s", o.Name)
				}
			}

			if version == "v2" {
				everyone, err := c.ListMembers(ctx, devin.ListMembersOptions{})
				require.NoError(t, err)
				using := map[string][]string{} // org ID -> user IDs with ACUs there, sorted
				for _, m := range everyone {
					use, err := c.UserDailyConsumption(ctx, m.UserID, devin.ConsumptionQuery{Start: now.AddDate(0, 0, -40), End: now})
					require.NoError(t, err)
					for org, acus := range use.ByOrg {
						if acus > 0 {
							using[org] = append(using[org], m.UserID)
						}
					}
				}
				for org := range using {
					sort.Strings(using[org])
				}
				assert.Equal(t, members, using, "the people with ACUs in each organization are its members")
			}

			sessions, err := c.SessionInsights(ctx, devin.SessionInsightsQuery{})
			require.NoError(t, err)
			require.NotEmpty(t, sessions)
			for _, s := range sessions {
				assert.Contains(t, members[s.OrgID], s.UserID, "session %q is by a member of its organization", s.Title)
			}
			assert.Empty(t, d.Violations())
		})
	}
}
