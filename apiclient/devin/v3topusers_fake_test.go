package devin_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient/devin"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// A deleted organization's sessions leave the sessions listing unless it is asked
// for them, while their ACUs still count in the user's and the enterprise's figures:
// the bounds must come from every session, or the top user who worked in a deleted
// organization is never read and the ranking, marked exact, is wrong.
func TestV3TopUsersCountSessionsOfDeletedOrganizations(t *testing.T) {
	f := devinsandbox.New(devinsandbox.WithAPIKey("cog_top_users_test"), devinsandbox.WithVersions(devinsandbox.ServeV3),
		devinsandbox.WithNow(func() time.Time { return reportNow }))
	t.Cleanup(f.Close)
	f.AddMember(devinsandbox.Member{UserID: "u-top", Email: "top@example.com"})
	f.AddMember(devinsandbox.Member{UserID: "u-next", Email: "next@example.com"})
	f.AddOrg(devinsandbox.Org{ID: "org-gone", Name: "Gone"})
	f.AddOrg(devinsandbox.Org{ID: "org-kept", Name: "Kept"})
	f.SetConsumption([]devinsandbox.Usage{
		{Date: "2026-03-05", OrgID: "org-gone", UserID: "u-top", ACUs: 100},
		{Date: "2026-03-05", OrgID: "org-kept", UserID: "u-next", ACUs: 50},
	})
	req, err := http.NewRequest(http.MethodDelete, f.URL()+"/v3/enterprise/organizations/org-gone", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+f.APIKey())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)

	c, err := devin.NewV3(f.URL(), f.APIKey(), devin.WithClock(newFakeClockAt(reportNow)))
	require.NoError(t, err)
	got, err := c.DailyConsumption(context.Background(), devin.ConsumptionQuery{Start: cycleStart, End: reportNow, TopUsers: 1})
	require.NoError(t, err)
	assert.Equal(t, 100.0, got.ByUser["u-top"], "the top user worked in the deleted organization")
	assert.Empty(t, f.Violations())
}

// A member who used ACUs in the window and has left the enterprise since still has
// sessions, so the bounds name them; their own figure (V25) is then a 404. The report
// must still be built: the others' figures are read, and theirs is not proven.
func TestV3TopUsersSurviveAMemberWhoLeft(t *testing.T) {
	f := devinsandbox.New(devinsandbox.WithAPIKey("cog_top_users_test"), devinsandbox.WithVersions(devinsandbox.ServeV3),
		devinsandbox.WithNow(func() time.Time { return reportNow }))
	t.Cleanup(f.Close)
	f.AddMember(devinsandbox.Member{UserID: "u-next", Email: "next@example.com"})
	f.AddOrg(devinsandbox.Org{ID: "org-kept", Name: "Kept"})
	f.SetConsumption([]devinsandbox.Usage{
		{Date: "2026-03-05", OrgID: "org-kept", UserID: "u-left", ACUs: 100},
		{Date: "2026-03-05", OrgID: "org-kept", UserID: "u-next", ACUs: 50},
	})

	c, err := devin.NewV3(f.URL(), f.APIKey(), devin.WithClock(newFakeClockAt(reportNow)))
	require.NoError(t, err)
	got, err := c.DailyConsumption(context.Background(), devin.ConsumptionQuery{Start: cycleStart, End: reportNow, TopUsers: 10})
	require.NoError(t, err)
	assert.Equal(t, 50.0, got.ByUser["u-next"])
	assert.Equal(t, 100.0, got.ByUser["u-left"], "their sessions' ACUs")
	assert.Equal(t, 150.0, got.TotalACUs)
	require.NotNil(t, got.ByUserApprox, "a figure from sessions only is not exact")
	assert.Equal(t, []string{"u-left"}, got.ByUserApprox.Partial)
	assert.Empty(t, f.Violations())
}
