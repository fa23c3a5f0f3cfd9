package devin_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/clock/clocktest"
)

// consumptionFake serves V7, V23–V25, V1 and V28 for a few users; userDevin are
// their Devin ACUs (carried by sessions), userOther their ACUs of other products
// (no session).
type consumptionFake struct {
	*v3Server
	userDevin, userOther map[string]float64
	orgs                 map[string]float64
}

func daily(total float64, products map[string]any) map[string]any {
	return map[string]any{"total_acus": total, "consumption_by_date": []any{
		map[string]any{"date": time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC).Unix(), "acus": total, "acus_by_product": products},
	}}
}

func newConsumptionFake(t *testing.T, devinACUs, otherACUs map[string]float64) *consumptionFake {
	f := &consumptionFake{v3Server: newV3Server(t), userDevin: devinACUs, userOther: otherACUs, orgs: map[string]float64{"org-a": 0, "org-b": 0}}
	totalDevin, totalOther := 0.0, 0.0
	for _, a := range devinACUs {
		totalDevin += a
	}
	for _, a := range otherACUs {
		totalOther += a
	}
	f.orgs["org-a"], f.orgs["org-b"] = totalDevin*0.75, totalDevin*0.25
	f.on("GET", "/v3/enterprise/consumption/daily", reply(200, daily(totalDevin+totalOther, map[string]any{"devin": totalDevin, "cascade": totalOther})))
	f.on("GET", "/v3/enterprise/organizations", reply(200, page([]any{
		map[string]any{"org_id": "org-a", "name": "A"}, map[string]any{"org_id": "org-b", "name": "B"}}, "")))
	for id, a := range f.orgs {
		f.on("GET", "/v3/enterprise/consumption/daily/organizations/"+id, reply(200, daily(a, map[string]any{"devin": a})))
	}
	ids := map[string]bool{}
	for id := range devinACUs {
		ids[id] = true
	}
	for id := range otherACUs {
		ids[id] = true
	}
	var members, sessions []any
	for id := range ids {
		members = append(members, user(id, id+"@x.io", "Member"))
		f.on("GET", "/v3/enterprise/consumption/daily/users/"+url.PathEscape(id),
			reply(200, daily(devinACUs[id]+otherACUs[id], map[string]any{"devin": devinACUs[id], "cascade": otherACUs[id]})))
		if a := devinACUs[id]; a > 0 {
			// Two sessions, whose lifetime ACUs exceed the window's by 1.
			sessions = append(sessions, map[string]any{"session_id": id + "-1", "user_id": id, "acus_consumed": a/2 + 1},
				map[string]any{"session_id": id + "-2", "user_id": id, "acus_consumed": a / 2})
		}
	}
	sessions = append(sessions, map[string]any{"session_id": "svc", "user_id": nil, "service_user_id": "svc-1", "acus_consumed": 999})
	f.on("GET", "/v3/enterprise/members/users", reply(200, page(members, "")))
	f.on("GET", "/v3/enterprise/sessions", reply(200, page(sessions, "")))
	return f
}

func (f *consumptionFake) count(prefix string) int {
	n := 0
	for _, c := range f.Calls() {
		if strings.HasPrefix(c.Path, prefix) {
			n++
		}
	}
	return n
}

func (f *consumptionFake) clientAt(t *testing.T, now time.Time) *devin.ClientV3 {
	c, err := devin.NewV3(f.srv.URL, v3Key, devin.WithRetryPolicy(apiclient.RetryPolicy{MaxAttempts: 1}), devin.WithClock(newFakeClockAt(now)))
	require.NoError(t, err)
	return c
}

var (
	cycleStart = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	reportNow  = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
)

func TestV3TopUsersExactWithFewCalls(t *testing.T) {
	acus := map[string]float64{}
	for i := range 40 {
		acus["u"+strconv.Itoa(i)] = float64(i * 10)
	}
	f := newConsumptionFake(t, acus, nil)
	c := f.clientAt(t, reportNow)
	got, err := c.DailyConsumption(context.Background(), devin.ConsumptionQuery{Start: cycleStart, End: reportNow, TopUsers: 3})
	require.NoError(t, err)
	assert.Equal(t, 370.0, got.ByUser["u37"])
	assert.Equal(t, 390.0, got.ByUser["u39"])
	for id := range got.ByUser {
		n, _ := strconv.Atoi(strings.TrimPrefix(id, "u"))
		assert.GreaterOrEqual(t, n, 36, "only users that could reach the top 3 are read: %s", id)
	}
	assert.LessOrEqual(t, f.count("/v3/enterprise/consumption/daily/users/"), 4, "3 exact figures and at most one more to close the bound")
	assert.Equal(t, 0, f.count("/v3/enterprise/members/users"), "only Devin ACUs: members without sessions cannot reach the top")
	assert.Nil(t, got.ByUserApprox, "exact under the budget")
	assert.InDelta(t, 7800.0, got.TotalACUs, 0.001)
	assert.Equal(t, map[string]float64{"org-a": 5850, "org-b": 1950}, got.ByOrg)

	var sess v3Call
	for _, call := range f.Calls() {
		if call.Path == "/v3/enterprise/sessions" {
			sess = call
		}
		if call.Path == "/v3/enterprise/consumption/daily" {
			assert.Equal(t, strconv.FormatInt(cycleStart.Unix(), 10), call.Query.Get("time_after"))
			assert.Equal(t, strconv.FormatInt(time.Date(2026, 3, 11, 8, 0, 0, 0, time.UTC).Unix(), 10), call.Query.Get("time_before"),
				"the end is the next billing-day boundary, so today counts")
		}
	}
	assert.Equal(t, strconv.FormatInt(cycleStart.Unix(), 10), sess.Query.Get("updated_after"))
	assert.Equal(t, "200", sess.Query.Get("first"))
}

func TestV3TopUsersCountsAUserWithoutSessions(t *testing.T) {
	// w1 used only another product (no session) and leads; the others hold Devin
	// ACUs. The non-Devin ACUs bound everyone, so the members listing brings w1 in.
	f := newConsumptionFake(t, map[string]float64{"a": 50, "b": 40, "c": 30, "d": 1}, map[string]float64{"w1": 45})
	got, err := f.clientAt(t, reportNow).DailyConsumption(context.Background(), devin.ConsumptionQuery{Start: cycleStart, End: reportNow, TopUsers: 2})
	require.NoError(t, err)
	assert.Equal(t, 50.0, got.ByUser["a"])
	assert.Equal(t, 45.0, got.ByUser["w1"])
	assert.Equal(t, 1, f.count("/v3/enterprise/members/users"))
	assert.Nil(t, got.ByUserApprox)
}

func TestV3AllUsersWhenNoTopIsGiven(t *testing.T) {
	f := newConsumptionFake(t, map[string]float64{"a": 5, "b": 4}, map[string]float64{"c": 3})
	got, err := f.clientAt(t, reportNow).DailyConsumption(context.Background(), devin.ConsumptionQuery{Start: cycleStart, End: reportNow})
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"a": 5, "b": 4, "c": 3}, got.ByUser)
	assert.Equal(t, 0, f.count("/v3/enterprise/sessions"))
}

func TestV3ConsumptionReusesWhatAReportRead(t *testing.T) {
	f := newConsumptionFake(t, map[string]float64{"a": 8}, nil)
	c := f.clientAt(t, reportNow)
	ctx := context.Background()
	_, err := c.DailyConsumption(ctx, devin.ConsumptionQuery{Start: cycleStart, End: reportNow, TopUsers: 10})
	require.NoError(t, err)
	before := len(f.Calls())

	recent, err := c.DailyConsumption(ctx, devin.ConsumptionQuery{Start: reportNow.AddDate(0, 0, -7), End: reportNow, Detail: devin.DetailOrgs})
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"org-a": 6, "org-b": 2}, recent.ByOrg, "the recent window is summed from the cycle's days")
	trend, err := c.DailyConsumption(ctx, devin.ConsumptionQuery{Start: cycleStart, End: reportNow, OrgIDs: []string{"org-a"}, Detail: devin.DetailTotals})
	require.NoError(t, err)
	assert.Equal(t, 6.0, trend.TotalACUs)
	assert.Equal(t, map[string]float64{"2026-03-09": 6}, trend.ByDate)
	assert.Equal(t, before, len(f.Calls()), "no call: every figure was read with the cycle")

	_, err = c.DailyConsumption(ctx, devin.ConsumptionQuery{Start: cycleStart.AddDate(0, -1, 0), End: cycleStart, Detail: devin.DetailTotals})
	require.NoError(t, err)
	assert.Equal(t, before+1, len(f.Calls()), "another window with totals only is one call")
}

func TestV3UserDailyConsumption(t *testing.T) {
	f := newConsumptionFake(t, map[string]float64{"google|1": 8}, nil)
	got, err := f.clientAt(t, reportNow).UserDailyConsumption(context.Background(), "google|1", devin.ConsumptionQuery{Start: cycleStart})
	require.NoError(t, err)
	assert.Equal(t, 8.0, got.TotalACUs)
	calls := f.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, "/v3/enterprise/consumption/daily/users/google%7C1", calls[0].Path)
	assert.Empty(t, calls[0].Query.Get("time_before"))
}

func newFakeClockAt(now time.Time) *clocktest.Fake { return clocktest.NewAuto(now) }
