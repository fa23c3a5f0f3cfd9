package devinsandbox_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// Usage inside an organization is carried by sessions of that user in that org: one
// per billing day of use, updated at that day's end (or now), with its ACUs. Usage
// outside any org has none, and a user and org with added sessions keep just those.
func TestV3SessionsCarryTheUsage(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	usage := []devinsandbox.Usage{
		{Date: "2026-03-13", OrgID: "org-a", UserID: "u1", ACUs: 4},
		{Date: "2026-03-13", OrgID: "org-a", UserID: "u1", ACUs: 1.5},
		{Date: "2026-03-15", OrgID: "org-a", UserID: "u1", ACUs: 2},
		{Date: "2026-03-14", OrgID: "org-b", UserID: "u1", ACUs: 3},
		{Date: "2026-03-14", OrgID: "", UserID: "u2", ACUs: 9},      // Cascade: no session
		{Date: "2026-03-14", OrgID: "org-a", UserID: "u3", ACUs: 7}, // described by the added session
	}
	f := newV3(t, devinsandbox.WithNow(func() time.Time { return now }))
	f.AddOrg(devinsandbox.Org{ID: "org-a", Name: "A"})
	f.AddOrg(devinsandbox.Org{ID: "org-b", Name: "B"})
	f.SetConsumption(usage)
	f.AddSession(devinsandbox.Session{SessionID: "devin-added", OrgID: "org-a", UserID: "u3", ACUsConsumed: 1, CreatedAt: now.Add(-time.Hour)})

	type row struct {
		user, org string
		acus      float64
		created   int64
		updated   int64
	}
	list := func(path string) []row {
		var out []row
		for _, s := range decodePage(t, v3do(t, f, "GET", path, "")).Items {
			out = append(out, row{fmt.Sprint(s["user_id"]), fmt.Sprint(s["org_id"]), s["acus_consumed"].(float64),
				int64(s["created_at"].(float64)), int64(s["updated_at"].(float64))})
		}
		return out
	}
	day := func(d int) time.Time { return time.Date(2026, 3, d, 8, 0, 0, 0, time.UTC) }
	assert.Equal(t, []row{
		{"u3", "org-a", 1, now.Add(-time.Hour).Unix(), now.Add(-time.Hour).Unix()},
		{"u1", "org-a", 2, day(15).Unix(), now.Unix()},
		{"u1", "org-b", 3, day(14).Unix(), day(15).Unix() - 1},
		{"u1", "org-a", 5.5, day(13).Unix(), day(14).Unix() - 1},
	}, list("/v3/enterprise/sessions"))

	// A window's bound: sessions updated since its start carry at least its ACUs.
	assert.Equal(t, []row{
		{"u1", "org-a", 2, day(15).Unix(), now.Unix()},
		{"u1", "org-b", 3, day(14).Unix(), day(15).Unix() - 1},
	}, list(fmt.Sprintf("/v3/enterprise/sessions?updated_after=%d&user_ids=u1", day(14).Unix())))
	assert.Len(t, list("/v3/organizations/org-b/sessions"), 1)

	// A derived session is found by its ID like any other.
	first := decodePage(t, v3do(t, f, "GET", "/v3/enterprise/sessions?user_ids=u1&first=1", "")).Items[0]
	got := decode(t, v3do(t, f, "GET", "/v3/enterprise/sessions/"+first["session_id"].(string), "").body)
	assert.Equal(t, first["session_id"], got["session_id"])
	assert.Equal(t, first["session_id"], decodePage(t, v3do(t, f, "GET", "/v3/enterprise/sessions?user_ids=u1&first=1", "")).Items[0]["session_id"], "stable IDs")

	// v2's insights listing shows the added sessions only, as before.
	v2 := devinsandbox.New(devinsandbox.WithNow(func() time.Time { return now }))
	t.Cleanup(v2.Close)
	v2.SetConsumption(usage)
	v2.AddSession(devinsandbox.Session{SessionID: "devin-added", OrgID: "org-a", UserID: "u3", CreatedAt: now.Add(-time.Hour)})
	items := decode(t, do(t, v2, v2.APIKey(), "GET", "/v2/enterprise/sessions/insights", "").body)
	require.Contains(t, items, "items")
	assert.Len(t, items["items"], 1)
}
