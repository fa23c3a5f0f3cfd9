package reports_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/readshare"
	"devin-chatops/clock/clocktest"
	"devin-chatops/reports"
)

// enterprise is a synthetic Devin enterprise: 40 orgs, 2,000 users, each user's ACUs
// in one org, two sessions per user carrying them. Both versions serve it.
type enterprise struct {
	now    time.Time
	cycles [][2]time.Time
	users  []float64 // ACUs per user over the current cycle
}

const (
	nOrgs  = 40
	nUsers = 2000
)

func newEnterprise(now time.Time) *enterprise {
	e := &enterprise{now: now}
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	e.cycles = [][2]time.Time{{start.AddDate(0, -1, 0), start}, {start, start.AddDate(0, 1, 0)}}
	for i := range nUsers {
		e.users = append(e.users, float64((i*7919)%nUsers)/10)
	}
	return e
}

func userID(i int) string { return "user-" + strconv.Itoa(i) }
func orgID(i int) string  { return "org-" + strconv.Itoa(i) }

func (e *enterprise) orgTotal(o int) float64 {
	t := 0.0
	for i := o; i < nUsers; i += nOrgs {
		t += e.users[i]
	}
	return t
}

func (e *enterprise) total() float64 {
	t := 0.0
	for _, a := range e.users {
		t += a
	}
	return t
}

// serve counts every request and answers v2 or v3 paths.
func (e *enterprise) serve(t *testing.T, calls *atomic.Int64) *httptest.Server {
	day := time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		p, q := r.URL.Path, r.URL.Query()
		write := func(v any) { _ = json.NewEncoder(w).Encode(v) }
		offset, _ := strconv.Atoi(q.Get("after"))
		if s := q.Get("skip"); s != "" {
			offset, _ = strconv.Atoi(s)
		}
		size, _ := strconv.Atoi(q.Get("first"))
		if l := q.Get("limit"); l != "" {
			size, _ = strconv.Atoi(l)
		}
		page := func(n int, item func(i int) any) {
			var items []any
			for i := offset; i < min(offset+size, n); i++ {
				items = append(items, item(i))
			}
			next := offset + size
			more := next < n
			var cursor any
			if more {
				cursor = strconv.Itoa(next)
			}
			write(map[string]any{"items": items, "has_next_page": more, "end_cursor": cursor, "has_more": more, "total": n})
		}
		v3daily := func(total float64) {
			write(map[string]any{"total_acus": total, "consumption_by_date": []any{map[string]any{"date": day.Unix(), "acus": total, "acus_by_product": map[string]any{"devin": total}}}})
		}
		switch {
		case p == "/v2/enterprise/consumption/cycles":
			write(map[string]any{"cycles": []any{
				map[string]any{"start": e.cycles[0][0], "end": e.cycles[0][1]}, map[string]any{"start": e.cycles[1][0], "end": e.cycles[1][1]}}})
		case p == "/v2/enterprise/consumption/daily":
			byOrg, byUser := map[string]float64{}, map[string]float64{}
			for o := range nOrgs {
				byOrg[orgID(o)] = e.orgTotal(o)
			}
			for i, a := range e.users {
				byUser[userID(i)] = a
			}
			write(map[string]any{"total_acus": e.total(), "consumption_by_date": map[string]float64{day.Format(time.DateOnly): e.total()}, "consumption_by_org_id": byOrg, "consumption_by_user": byUser})
		case p == "/v2/enterprise/organizations" || p == "/v3/enterprise/organizations":
			page(nOrgs, func(i int) any {
				return map[string]any{"org_id": orgID(i), "org_name": "Org " + strconv.Itoa(i), "name": "Org " + strconv.Itoa(i), "max_cycle_acu_limit": 1000}
			})
		case p == "/v2/enterprise/members":
			page(nUsers, func(i int) any { return map[string]any{"user_id": userID(i), "email": userID(i) + "@x.io"} })
		case p == "/v3/enterprise/members/users":
			page(nUsers, func(i int) any {
				return map[string]any{"user_id": userID(i), "email": userID(i) + "@x.io", "name": nil, "role_assignments": []any{}}
			})
		case p == "/v3/enterprise/consumption/cycles":
			page(2, func(i int) any {
				return map[string]any{"after": e.cycles[i][0].Unix(), "before": e.cycles[i][1].Unix()}
			})
		case p == "/v3/enterprise/consumption/daily":
			v3daily(e.total())
		case strings.HasPrefix(p, "/v3/enterprise/consumption/daily/organizations/"):
			o, _ := strconv.Atoi(strings.TrimPrefix(p, "/v3/enterprise/consumption/daily/organizations/org-"))
			v3daily(e.orgTotal(o))
		case strings.HasPrefix(p, "/v3/enterprise/consumption/daily/users/"):
			i, _ := strconv.Atoi(strings.TrimPrefix(p, "/v3/enterprise/consumption/daily/users/user-"))
			v3daily(e.users[i])
		case p == "/v3/enterprise/sessions":
			// Two sessions per user; their lifetime ACUs are a little more than the
			// cycle's (they began before it).
			page(2*nUsers, func(i int) any {
				return map[string]any{"session_id": "s" + strconv.Itoa(i), "user_id": userID(i / 2), "acus_consumed": e.users[i/2]/2 + 0.5}
			})
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestCallsPerReport counts the HTTP calls one usage report costs on each version
// for 40 organizations and 2,000 users, and checks both find the same top users.
func TestCallsPerReport(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	counts := map[string]int64{}
	tops := map[string][]string{}
	for _, version := range []string{"v2", "v3"} {
		e := newEnterprise(now)
		var calls atomic.Int64
		srv := e.serve(t, &calls)
		clk := clocktest.NewAuto(now)
		api, err := devin.Open(version, srv.URL, "cog_or_apk_key", devin.WithClock(clk),
			devin.WithRetryPolicy(apiclient.RetryPolicy{MaxAttempts: 1}))
		require.NoError(t, err)
		f := reports.NewFetcher(readshare.NewDevin(api, time.Minute, clk), clk, nil, 0)
		d, err := f.Fetch(t.Context(), reports.Query{})
		require.NoError(t, err)
		require.Empty(t, d.Notes)
		assert.Nil(t, d.Consumption.UsersApprox, "%s: every user's ACUs are in sessions, so the top ten are proven", version)
		counts[version] = calls.Load()
		assert.InDelta(t, e.total(), d.Consumption.Total, 0.01)
		require.Len(t, d.Consumption.ByOrg, nOrgs)
		assert.InDelta(t, e.orgTotal(7), d.Consumption.ByOrg[orgID(7)], 0.01)
		top := topIDs(d.Consumption.ByUser, 10)
		tops[version] = top
		t.Logf("%s: %d HTTP calls for one report (%d orgs, %d users); %d users' figures read", version, counts[version], nOrgs, nUsers, len(d.Consumption.ByUser))
	}
	assert.Equal(t, tops["v2"], tops["v3"], "v3 finds the same top 10")
	assert.LessOrEqual(t, counts["v2"], int64(30))
	// Cycles, the cycle's daily figure, 40 orgs' series, the previous cycle, the org
	// listings, 20 session pages, 10 member pages and the few users' exact figures.
	assert.LessOrEqual(t, counts["v3"], int64(100))
}

func topIDs(by map[string]float64, n int) []string {
	type kv struct {
		id string
		v  float64
	}
	var all []kv
	for id, v := range by {
		all = append(all, kv{id, v})
	}
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if all[j].v > all[i].v || (all[j].v == all[i].v && all[j].id < all[i].id) {
				all[i], all[j] = all[j], all[i]
			}
		}
	}
	out := []string{}
	for _, x := range all[:min(n, len(all))] {
		out = append(out, fmt.Sprintf("%s=%.1f", x.id, x.v))
	}
	return out
}
