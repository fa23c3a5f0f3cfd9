package readshare_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/readshare"
	"devin-chatops/clock/clocktest"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// fakeDevin answers the reads with fixed data, through a gate.
type fakeDevin struct{ *gate }

var day = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func (f fakeDevin) ListMembers(ctx context.Context, opts devin.ListMembersOptions) ([]devin.Member, error) {
	if err := f.enter(ctx, "ListMembers"); err != nil {
		return nil, err
	}
	return []devin.Member{{UserID: "u1", Email: "ada@example.com", LastLogin: ptr(day), LoginCount: ptr(3)}}, nil
}

func (f fakeDevin) ListOrganizations(ctx context.Context) ([]devin.Organization, error) {
	if err := f.enter(ctx, "ListOrganizations"); err != nil {
		return nil, err
	}
	return []devin.Organization{
		{ID: "org-1", Name: "Platform", MaxCycleACULimit: ptr(500), MaxSessionACULimit: ptr(20), CreatedAt: ptr(day)},
		{ID: "org-2", Name: "Data"},
	}, nil
}

func (f fakeDevin) FindOrganization(context.Context, string) (*devin.Organization, error) {
	panic("FindOrganization is answered from the shared list, never passed on")
}

func (f fakeDevin) ListOrgMembers(ctx context.Context, orgID string) ([]devin.OrgMember, error) {
	if err := f.enter(ctx, "ListOrgMembers"); err != nil {
		return nil, err
	}
	return []devin.OrgMember{{UserID: "u1", Email: "ada@example.com", OrgRole: "org_admin"}}, nil
}

func (f fakeDevin) ListCycles(ctx context.Context) ([]devin.Cycle, error) {
	if err := f.enter(ctx, "ListCycles"); err != nil {
		return nil, err
	}
	return []devin.Cycle{{Start: day.AddDate(0, -1, 0), End: day, ACUsUsed: ptr(12.5)}}, nil
}

func (f fakeDevin) DailyConsumption(ctx context.Context, q devin.ConsumptionQuery) (*devin.Consumption, error) {
	if err := f.enter(ctx, "DailyConsumption"); err != nil {
		return nil, err
	}
	return &devin.Consumption{TotalACUs: 3, ByDate: map[string]float64{"2026-03-10": 3},
		ByOrg: map[string]float64{"org-1": 3}, ByUser: map[string]float64{"u1": 3}}, nil
}

func (f fakeDevin) AuditLogs(ctx context.Context, q devin.AuditLogsQuery) ([]devin.AuditLogEntry, error) {
	if err := f.enter(ctx, "AuditLogs"); err != nil {
		return nil, err
	}
	return []devin.AuditLogEntry{{ID: "a1", Action: "add_member", CreatedAt: day,
		Extra: map[string]any{"roles": []any{"org_admin", map[string]any{"id": "r1"}}, "n": 1.0}}}, nil
}

func (f fakeDevin) SessionInsights(ctx context.Context, q devin.SessionInsightsQuery) ([]devin.SessionInsight, error) {
	if err := f.enter(ctx, "SessionInsights"); err != nil {
		return nil, err
	}
	return []devin.SessionInsight{{SessionID: "s1", OrgID: "org-1", UserID: "u1", CreatedAt: day,
		PullRequests: []devin.PullRequest{{URL: "https://github.example/a/pull/1", State: "open"}},
		Suggestions:  []string{"Name the repo"}}}, nil
}

func (f fakeDevin) ListGitPermissions(ctx context.Context, _ string) ([]devin.GrantedGitPermission, error) {
	if err := f.enter(ctx, "ListGitPermissions"); err != nil {
		return nil, err
	}
	return []devin.GrantedGitPermission{{ID: "p1", RepoPaths: []string{"acme/api"}, GroupPrefixes: []string{"acme/ops"}}}, nil
}

// devinReads are the shared reads, each as a test calls it; method is the call the
// fake receives.
var devinReads = []struct {
	name   string
	method string
	read   func(ctx context.Context, d *readshare.Devin, i int) (any, error)
}{
	{"members", "ListMembers", func(ctx context.Context, d *readshare.Devin, _ int) (any, error) {
		return d.ListMembers(ctx, devin.ListMembersOptions{})
	}},
	{"organizations", "ListOrganizations", func(ctx context.Context, d *readshare.Devin, _ int) (any, error) {
		return d.ListOrganizations(ctx)
	}},
	{"organization look-ups share the list", "ListOrganizations", func(ctx context.Context, d *readshare.Devin, i int) (any, error) {
		if i%2 == 0 {
			return d.FindOrganization(ctx, "platform")
		}
		return d.FindOrganization(ctx, "org-1")
	}},
	{"organization members", "ListOrgMembers", func(ctx context.Context, d *readshare.Devin, _ int) (any, error) {
		return d.ListOrgMembers(ctx, "org-1")
	}},
	{"cycles", "ListCycles", func(ctx context.Context, d *readshare.Devin, _ int) (any, error) {
		return d.ListCycles(ctx)
	}},
	{"consumption up to different moments of one billing day", "DailyConsumption", func(ctx context.Context, d *readshare.Devin, i int) (any, error) {
		return d.DailyConsumption(ctx, devin.ConsumptionQuery{Start: day.AddDate(0, 0, -9), End: day.Add(time.Duration(i) * time.Second)})
	}},
	{"audit logs", "AuditLogs", func(ctx context.Context, d *readshare.Devin, _ int) (any, error) {
		return d.AuditLogs(ctx, devin.AuditLogsQuery{Limit: 200})
	}},
	{"session insights", "SessionInsights", func(ctx context.Context, d *readshare.Devin, _ int) (any, error) {
		return d.SessionInsights(ctx, devin.SessionInsightsQuery{Limit: 10, OrgIDs: []string{"org-1"}})
	}},
	{"an organization's git permissions", "ListGitPermissions", func(ctx context.Context, d *readshare.Devin, _ int) (any, error) {
		return d.ListGitPermissions(ctx, "org-1")
	}},
}

func TestDevinSharesEachRead(t *testing.T) {
	for _, tt := range devinReads {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				clk := clocktest.New(time.Time{})
				fake := fakeDevin{newGate(true)}
				d := readshare.NewDevin(fake, readshare.DefaultTTL, clk)
				wait := concurrently(20, func(i int) (any, error) { return tt.read(t.Context(), d, i) })
				synctest.Wait()
				assert.Equal(t, 1, fake.count(tt.method), "20 callers at once share one call")
				close(fake.open)
				answers := wait(t)
				for _, a := range answers[1:] {
					assert.Equal(t, answers[0], a)
				}

				_, err := tt.read(t.Context(), d, 0)
				require.NoError(t, err)
				assert.Equal(t, 1, fake.count(tt.method), "a caller soon after gets the kept answer")

				clk.Advance(readshare.DefaultTTL)
				_, err = tt.read(t.Context(), d, 0)
				require.NoError(t, err)
				assert.Equal(t, 2, fake.count(tt.method), "after the TTL the answer is read again")

				d.Forget()
				_, err = tt.read(t.Context(), d, 0)
				require.NoError(t, err)
				assert.Equal(t, 3, fake.count(tt.method), "after Forget the answer is read again")
			})
		})
	}
}

func TestDevinKeysByArguments(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name   string
		method string
		a, b   func(d *readshare.Devin) error
	}{
		{"members by email", "ListMembers",
			func(d *readshare.Devin) error { _, err := d.ListMembers(ctx, devin.ListMembersOptions{}); return err },
			func(d *readshare.Devin) error {
				_, err := d.ListMembers(ctx, devin.ListMembersOptions{Email: "ada@example.com"})
				return err
			}},
		{"consumption by billing day", "DailyConsumption",
			func(d *readshare.Devin) error {
				_, err := d.DailyConsumption(ctx, devin.ConsumptionQuery{End: day})
				return err
			},
			func(d *readshare.Devin) error {
				_, err := d.DailyConsumption(ctx, devin.ConsumptionQuery{End: day.Add(24 * time.Hour)})
				return err
			}},
		{"consumption by organization", "DailyConsumption",
			func(d *readshare.Devin) error {
				_, err := d.DailyConsumption(ctx, devin.ConsumptionQuery{End: day})
				return err
			},
			func(d *readshare.Devin) error {
				_, err := d.DailyConsumption(ctx, devin.ConsumptionQuery{End: day, OrgIDs: []string{"org-1"}})
				return err
			}},
		{"git permissions by organization", "ListGitPermissions",
			func(d *readshare.Devin) error { _, err := d.ListGitPermissions(ctx, "org-1"); return err },
			func(d *readshare.Devin) error { _, err := d.ListGitPermissions(ctx, "org-2"); return err }},
		{"organization members by organization", "ListOrgMembers",
			func(d *readshare.Devin) error { _, err := d.ListOrgMembers(ctx, "org-1"); return err },
			func(d *readshare.Devin) error { _, err := d.ListOrgMembers(ctx, "org-2"); return err }},
		{"audit logs by query", "AuditLogs",
			func(d *readshare.Devin) error {
				_, err := d.AuditLogs(ctx, devin.AuditLogsQuery{Limit: 200})
				return err
			},
			func(d *readshare.Devin) error {
				_, err := d.AuditLogs(ctx, devin.AuditLogsQuery{Limit: 10})
				return err
			}},
		{"session insights by limit", "SessionInsights",
			func(d *readshare.Devin) error {
				_, err := d.SessionInsights(ctx, devin.SessionInsightsQuery{Limit: 10})
				return err
			},
			func(d *readshare.Devin) error {
				_, err := d.SessionInsights(ctx, devin.SessionInsightsQuery{Limit: 30})
				return err
			}},
		{"session insights by user", "SessionInsights",
			func(d *readshare.Devin) error {
				_, err := d.SessionInsights(ctx, devin.SessionInsightsQuery{Limit: 10})
				return err
			},
			func(d *readshare.Devin) error {
				_, err := d.SessionInsights(ctx, devin.SessionInsightsQuery{Limit: 10, UserIDs: []string{"u1"}})
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakeDevin{newGate(false)}
			d := readshare.NewDevin(fake, readshare.DefaultTTL, clocktest.New(time.Time{}))
			require.NoError(t, tt.a(d))
			require.NoError(t, tt.b(d))
			assert.Equal(t, 2, fake.count(tt.method))
		})
	}
}

func TestDevinFindOrganizationErrors(t *testing.T) {
	d := readshare.NewDevin(fakeDevin{newGate(false)}, readshare.DefaultTTL, nil)
	_, err := d.FindOrganization(t.Context(), "Sales")
	require.ErrorContains(t, err, `no organization has the ID or name "Sales"`)
}

func TestDevinAnswersAreCopies(t *testing.T) {
	fake := fakeDevin{newGate(false)}
	d := readshare.NewDevin(fake, readshare.DefaultTTL, clocktest.New(time.Time{}))
	ctx := t.Context()

	// Change everything a caller can reach in one set of answers...
	ms, err := d.ListMembers(ctx, devin.ListMembersOptions{})
	require.NoError(t, err)
	ms[0].Email, *ms[0].LastLogin, *ms[0].LoginCount = "x", time.Time{}, 0
	orgs, err := d.ListOrganizations(ctx)
	require.NoError(t, err)
	orgs[0].Name, *orgs[0].MaxCycleACULimit, *orgs[0].MaxSessionACULimit, *orgs[0].CreatedAt = "x", 0, 0, time.Time{}
	org, err := d.FindOrganization(ctx, "org-1")
	require.NoError(t, err)
	org.Name, *org.MaxCycleACULimit = "y", 1
	om, err := d.ListOrgMembers(ctx, "org-1")
	require.NoError(t, err)
	om[0].OrgRole = "x"
	cycles, err := d.ListCycles(ctx)
	require.NoError(t, err)
	*cycles[0].ACUsUsed = 0
	cons, err := d.DailyConsumption(ctx, devin.ConsumptionQuery{})
	require.NoError(t, err)
	cons.TotalACUs, cons.ByDate["x"], cons.ByOrg["org-1"], cons.ByUser["u1"] = 0, 1, 0, 0
	logs, err := d.AuditLogs(ctx, devin.AuditLogsQuery{})
	require.NoError(t, err)
	logs[0].Extra["n"] = 2.0
	logs[0].Extra["roles"].([]any)[0] = "x"
	logs[0].Extra["roles"].([]any)[1].(map[string]any)["id"] = "x"
	insights, err := d.SessionInsights(ctx, devin.SessionInsightsQuery{})
	require.NoError(t, err)
	insights[0].Title, insights[0].PullRequests[0].State, insights[0].Suggestions[0] = "x", "x", "x"
	perms, err := d.ListGitPermissions(ctx, "org-1")
	require.NoError(t, err)
	perms[0].RepoPaths[0], perms[0].GroupPrefixes[0] = "x", "x"

	// ...and the next callers get the answers as the API gave them, without a new call.
	want, err := fakeDevin{newGate(false)}.ListMembers(ctx, devin.ListMembersOptions{})
	require.NoError(t, err)
	got, err := d.ListMembers(ctx, devin.ListMembersOptions{})
	require.NoError(t, err)
	assert.Equal(t, want, got)
	wantOrgs, _ := fakeDevin{newGate(false)}.ListOrganizations(ctx)
	gotOrgs, err := d.ListOrganizations(ctx)
	require.NoError(t, err)
	assert.Equal(t, wantOrgs, gotOrgs)
	wantOM, _ := fakeDevin{newGate(false)}.ListOrgMembers(ctx, "org-1")
	gotOM, err := d.ListOrgMembers(ctx, "org-1")
	require.NoError(t, err)
	assert.Equal(t, wantOM, gotOM)
	wantCycles, _ := fakeDevin{newGate(false)}.ListCycles(ctx)
	gotCycles, err := d.ListCycles(ctx)
	require.NoError(t, err)
	assert.Equal(t, wantCycles, gotCycles)
	wantCons, _ := fakeDevin{newGate(false)}.DailyConsumption(ctx, devin.ConsumptionQuery{})
	gotCons, err := d.DailyConsumption(ctx, devin.ConsumptionQuery{})
	require.NoError(t, err)
	assert.Equal(t, wantCons, gotCons)
	wantLogs, _ := fakeDevin{newGate(false)}.AuditLogs(ctx, devin.AuditLogsQuery{})
	gotLogs, err := d.AuditLogs(ctx, devin.AuditLogsQuery{})
	require.NoError(t, err)
	assert.Equal(t, wantLogs, gotLogs)
	wantInsights, _ := fakeDevin{newGate(false)}.SessionInsights(ctx, devin.SessionInsightsQuery{})
	gotInsights, err := d.SessionInsights(ctx, devin.SessionInsightsQuery{})
	require.NoError(t, err)
	assert.Equal(t, wantInsights, gotInsights)
	wantPerms, _ := fakeDevin{newGate(false)}.ListGitPermissions(ctx, "org-1")
	gotPerms, err := d.ListGitPermissions(ctx, "org-1")
	require.NoError(t, err)
	assert.Equal(t, wantPerms, gotPerms)
	for _, m := range []string{"ListMembers", "ListOrganizations", "ListCycles", "DailyConsumption", "AuditLogs", "ListOrgMembers", "SessionInsights", "ListGitPermissions"} {
		assert.Equal(t, 1, fake.count(m), m)
	}
}

// TestDevinOverTheClient shares the real client's listing: 30 commands at once while
// the API takes 200 ms make one request.
func TestDevinOverTheClient(t *testing.T) {
	fake := devinsandbox.New()
	t.Cleanup(fake.Close)
	fake.SeedMembers(3)
	fake.SetLatency("/members", 200*time.Millisecond)
	c, err := devin.New(fake.URL(), fake.APIKey(), devin.WithHTTPClient(fake.Client()))
	require.NoError(t, err)
	d := readshare.NewDevin(c, readshare.DefaultTTL, nil)

	answers := concurrently(30, func(int) ([]devin.Member, error) { return d.ListMembers(t.Context(), devin.ListMembersOptions{}) })(t)
	for _, a := range answers {
		assert.Len(t, a, 3)
	}
	assert.Equal(t, 1, fake.Count("GET", "/members"))
}
