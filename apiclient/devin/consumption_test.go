package devin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient/devin"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestBillingDayStart(t *testing.T) {
	pst := time.FixedZone("PST", -8*3600)
	paris := time.FixedZone("CET", 3600)
	tests := []struct {
		in   time.Time
		want string
	}{
		{utc("2026-03-10T12:00:00Z"), "2026-03-10T08:00:00Z"},
		{utc("2026-03-10T08:00:00Z"), "2026-03-10T08:00:00Z"},
		{utc("2026-03-10T07:59:59Z"), "2026-03-09T08:00:00Z"},
		{utc("2026-03-10T00:00:00Z"), "2026-03-09T08:00:00Z"},
		{utc("2026-03-01T03:00:00Z"), "2026-02-28T08:00:00Z"},
		{utc("2024-03-01T03:00:00Z"), "2024-02-29T08:00:00Z"},               // leap year
		{utc("2026-01-01T07:00:00Z"), "2025-12-31T08:00:00Z"},               // year boundary
		{time.Date(2026, 3, 10, 0, 0, 0, 0, pst), "2026-03-10T08:00:00Z"},   // midnight PST is the boundary
		{time.Date(2026, 3, 10, 23, 59, 0, 0, pst), "2026-03-10T08:00:00Z"}, // still the same billing day
		{time.Date(2026, 3, 10, 9, 0, 0, 0, paris), "2026-03-10T08:00:00Z"},
		{time.Date(2026, 3, 10, 8, 30, 0, 0, paris), "2026-03-09T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.in.Format(time.RFC3339), func(t *testing.T) {
			got := devin.BillingDayStart(tt.in)
			assert.Equal(t, tt.want, got.Format(time.RFC3339))
			assert.Equal(t, time.UTC, got.Location())
		})
	}
}

func TestListCyclesShapes(t *testing.T) {
	cycles := []devinsandbox.Cycle{
		{Start: utc("2026-01-01T08:00:00Z"), End: utc("2026-02-01T08:00:00Z")},
		{Start: utc("2026-02-01T08:00:00Z"), End: utc("2026-03-01T08:00:00Z")},
		{Start: utc("2026-03-01T08:00:00Z"), End: utc("2026-04-01T08:00:00Z")},
	}
	for _, examples := range []bool{false, true} {
		t.Run(map[bool]string{false: "schema bare array", true: "examples cycles with start_date"}[examples], func(t *testing.T) {
			fake := newFake(t)
			fake.SetCycles(cycles)
			fake.AddUsage("2026-03-02", "org-1", "u1", 12.5)
			fake.AddUsage("2026-03-03", "", "u2", 0.25)
			fake.UseExampleShapes(examples)
			c, _ := newClient(t, fake)

			got, err := c.ListCycles(context.Background())
			require.NoError(t, err)
			require.Len(t, got, 3)
			cur, ok := devin.CurrentCycle(got, testNow())
			require.True(t, ok)
			assert.True(t, cur.Start.Equal(cycles[2].Start), "start %s", cur.Start)
			assert.True(t, cur.End.Equal(cycles[2].End), "end %s", cur.End)
			if examples {
				require.NotNil(t, cur.ACUsUsed)
				assert.InDelta(t, 12.75, *cur.ACUsUsed, 1e-9)
			} else {
				assert.Nil(t, cur.ACUsUsed)
			}
		})
	}
}

func TestCurrentCycle(t *testing.T) {
	jan := devin.Cycle{Start: utc("2026-01-01T08:00:00Z"), End: utc("2026-02-01T08:00:00Z")}
	feb := devin.Cycle{Start: utc("2026-02-01T08:00:00Z"), End: utc("2026-03-01T08:00:00Z")}
	mar := devin.Cycle{Start: utc("2026-03-01T08:00:00Z"), End: utc("2026-04-01T08:00:00Z")}
	tests := []struct {
		name   string
		cycles []devin.Cycle
		now    time.Time
		want   devin.Cycle
		ok     bool
	}{
		{"empty", nil, testNow(), devin.Cycle{}, false},
		{"contains now", []devin.Cycle{jan, feb, mar}, utc("2026-02-14T00:00:00Z"), feb, true},
		{"start is inclusive", []devin.Cycle{jan, feb, mar}, feb.Start, feb, true},
		{"end is exclusive", []devin.Cycle{jan, feb, mar}, feb.End, mar, true},
		{"newest first", []devin.Cycle{mar, feb, jan}, utc("2026-01-14T00:00:00Z"), jan, true},
		{"after every cycle: the latest", []devin.Cycle{feb, mar, jan}, utc("2026-06-01T00:00:00Z"), mar, true},
		{"before every cycle: the latest", []devin.Cycle{feb, jan}, utc("2025-06-01T00:00:00Z"), feb, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := devin.CurrentCycle(tt.cycles, tt.now)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDailyConsumption(t *testing.T) {
	fake := newFake(t)
	fake.AddUsage("2026-03-01", "org-a", "u1", 10.5)
	fake.AddUsage("2026-03-02", "org-a", "u2", 0.25)
	fake.AddUsage("2026-03-02", "org-b", "u1", 3)
	fake.AddUsage("2026-03-02", "", "u3", 1.125)    // Cascade/Terminal: no org
	fake.AddUsage("2026-03-05", "org-b", "u2", 100) // after the end
	fake.AddUsage("2026-02-28", "org-a", "u1", 50)  // before the start
	c, _ := newClient(t, fake)

	q := devin.ConsumptionQuery{
		Start: utc("2026-03-01T09:30:00Z"), // floored to 2026-03-01T08:00Z
		End:   utc("2026-03-03T07:00:00Z"), // ceiled to 2026-03-03T08:00Z
	}
	got, err := c.DailyConsumption(context.Background(), q)
	require.NoError(t, err)
	assert.InDelta(t, 14.875, got.TotalACUs, 1e-9)
	assert.Equal(t, map[string]float64{"2026-03-01": 10.5, "2026-03-02": 4.375}, got.ByDate)
	assert.Equal(t, map[string]float64{"org-a": 10.75, "org-b": 3}, got.ByOrg)
	assert.Equal(t, map[string]float64{"u1": 13.5, "u2": 0.25, "u3": 1.125}, got.ByUser)

	query, err := url.ParseQuery(fake.Requests()[0].RawQuery)
	require.NoError(t, err)
	assert.Equal(t, "2026-03-01T08:00:00Z", query.Get("start_date"))
	assert.Equal(t, "2026-03-03T08:00:00Z", query.Get("end_date"))

	t.Run("org filter as repeated keys", func(t *testing.T) {
		fake.ResetRequests()
		q.OrgIDs = []string{"org-a", "org-b"}
		got, err := c.DailyConsumption(context.Background(), q)
		require.NoError(t, err)
		assert.InDelta(t, 13.75, got.TotalACUs, 1e-9, "org-filtered totals hold Devin-session ACUs only")
		assert.Contains(t, fake.Requests()[0].RawQuery, "org_ids=org-a&org_ids=org-b")
	})
	t.Run("an end on the boundary stays", func(t *testing.T) {
		fake.ResetRequests()
		_, err := c.DailyConsumption(context.Background(), devin.ConsumptionQuery{End: utc("2026-03-03T08:00:00Z")})
		require.NoError(t, err)
		assert.Equal(t, "end_date=2026-03-03T08%3A00%3A00Z", fake.Requests()[0].RawQuery)
	})
	t.Run("no bounds: the API default", func(t *testing.T) {
		fake.ResetRequests()
		_, err := c.DailyConsumption(context.Background(), devin.ConsumptionQuery{})
		require.NoError(t, err)
		assert.Empty(t, fake.Requests()[0].RawQuery)
	})
}

func TestConsumptionQueryKey(t *testing.T) {
	base := devin.ConsumptionQuery{Start: utc("2026-03-01T09:30:00Z"), End: utc("2026-03-03T07:00:00Z")}
	tests := []struct {
		name string
		q    devin.ConsumptionQuery
		same bool
	}{
		{"the same billing days", devin.ConsumptionQuery{Start: utc("2026-03-01T08:00:00Z"), End: utc("2026-03-02T23:59:00Z")}, true},
		{"another zone, same instants", devin.ConsumptionQuery{Start: base.Start.In(time.FixedZone("PST", -8*3600)), End: base.End}, true},
		{"a later end day", devin.ConsumptionQuery{Start: base.Start, End: utc("2026-03-03T09:00:00Z")}, false},
		{"an org filter", devin.ConsumptionQuery{Start: base.Start, End: base.End, OrgIDs: []string{"org-a"}}, false},
		{"no bounds", devin.ConsumptionQuery{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.same, tt.q.Key() == base.Key(), "%q vs %q", tt.q.Key(), base.Key())
		})
	}
}

func TestUserDailyConsumption(t *testing.T) {
	fake := newFake(t)
	m := fake.AddMember(devinsandbox.Member{Email: "ada@example.com"})
	fake.AddUsage("2026-03-02", "org-a", m.UserID, 2.5)
	fake.AddUsage("2026-03-02", "org-a", "someone-else", 7)
	c, _ := newClient(t, fake)

	got, err := c.UserDailyConsumption(context.Background(), m.UserID, devin.ConsumptionQuery{Start: utc("2026-03-01T08:00:00Z")})
	require.NoError(t, err)
	assert.InDelta(t, 2.5, got.TotalACUs, 1e-9)
	assert.Equal(t, map[string]float64{"org-a": 2.5}, got.ByOrg)
	assert.NotNil(t, got.ByUser, "maps are never nil")
	assert.Empty(t, got.ByUser)
	assert.Equal(t, "/v2/enterprise/consumption/daily/email%7C"+m.UserID[len("email|"):], fake.Requests()[0].Path)
}

func TestConsumptionAcceptsLooseNumbers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"total_acus":"12.5","consumption_by_date":{"2026-03-01":12.5}}`)
	}))
	defer srv.Close()
	c, err := devin.New(srv.URL, "k")
	require.NoError(t, err)
	got, err := c.DailyConsumption(context.Background(), devin.ConsumptionQuery{})
	require.NoError(t, err)
	assert.InDelta(t, 12.5, got.TotalACUs, 1e-9)
	assert.Empty(t, got.ByOrg)
}
