package devin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"devin-chatops/clock"
)

const (
	// consumptionParallel bounds the per-org and per-user consumption calls in flight.
	consumptionParallel = 8
	// consumptionReuse is how long a daily series read from V23/V24 answers later
	// questions about the same window or a part of it: a report asks the cycle, then
	// its last seven days and each limited org's trend, all within a few seconds.
	consumptionReuse = time.Minute
	// devinProduct is the product whose ACUs sessions carry; others (cascade,
	// terminal, review) have no sessions to bound a user's figure by.
	devinProduct = "devin"
)

// cycleV3 is one V22 item: a cycle's start and end, Unix seconds.
type cycleV3 struct {
	After  flexTime `json:"after"`
	Before flexTime `json:"before"`
}

// ListCycles returns the billing cycles (V22), in the API's order.
func (v *ClientV3) ListCycles(ctx context.Context) ([]Cycle, error) {
	var out []Cycle
	err := listPages(ctx, v, PermViewAccountConsumption, "/consumption/cycles", nil, 0, func(cs []cycleV3) bool {
		for _, c := range cs {
			out = append(out, Cycle{Start: boundary(c.After), End: boundary(c.Before)})
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// dailyV3 is V23–V25's answer: {"total_acus", "consumption_by_date": [{date, acus,
// acus_by_product}]} (a map by date, v2's shape, is read too).
type dailyV3 struct {
	TotalACUs flexFloat       `json:"total_acus"`
	ByDate    json.RawMessage `json:"consumption_by_date"`
}

// series is one daily answer: the billing days' ACUs, by product too.
type series struct {
	total     float64
	byDate    map[string]float64
	byProduct map[string]float64 // over the whole window; nil when the API gave none
}

// nonDevin is the series' ACUs of products other than Devin, which no session
// carries: all of them when the API gave no product split.
func (s series) nonDevin() float64 {
	if s.byProduct == nil {
		return s.total
	}
	return s.total - s.byProduct[devinProduct]
}

func (d *dailyV3) series() (series, error) {
	s := series{byDate: map[string]float64{}}
	raw := strings.TrimSpace(string(d.ByDate))
	switch {
	case raw == "" || raw == "null":
	case raw[0] == '{':
		if err := json.Unmarshal(d.ByDate, &s.byDate); err != nil {
			return s, err
		}
	default:
		var days []struct {
			Date      flexTime             `json:"date"`
			ACUs      flexFloat            `json:"acus"`
			ByProduct map[string]flexFloat `json:"acus_by_product"`
		}
		if err := json.Unmarshal(d.ByDate, &days); err != nil {
			return s, err
		}
		for _, day := range days {
			key := day.Date.t.Format(time.DateOnly)
			if !day.Date.dateOnly {
				key = BillingDayStart(day.Date.t).Format(time.DateOnly)
			}
			s.byDate[key] += day.ACUs.v
			for p, a := range day.ByProduct {
				if s.byProduct == nil {
					s.byProduct = map[string]float64{}
				}
				s.byProduct[strings.ToLower(p)] += a.v
			}
		}
	}
	s.total = d.TotalACUs.v
	if !d.TotalACUs.set {
		for _, a := range s.byDate {
			s.total += a
		}
	}
	return s, nil
}

// window is a query's bounds aligned to billing days, as sent; zero when left to the
// API's default.
type window struct{ start, end time.Time }

func windowOf(q ConsumptionQuery) window {
	var w window
	if !q.Start.IsZero() {
		w.start = BillingDayStart(q.Start)
	}
	if !q.End.IsZero() {
		w.end = billingDayEnd(q.End)
	}
	return w
}

func (w window) values() url.Values {
	q := url.Values{}
	if !w.start.IsZero() {
		q.Set("time_after", strconv.FormatInt(w.start.Unix(), 10))
	}
	if !w.end.IsZero() {
		q.Set("time_before", strconv.FormatInt(w.end.Unix(), 10))
	}
	return q
}

// within reports w inside o, both fully bounded: a part of a window already read.
func (w window) within(o window) bool {
	return !w.start.IsZero() && !w.end.IsZero() && !o.start.IsZero() && !o.end.IsZero() &&
		!w.start.Before(o.start) && !w.end.After(o.end)
}

// consumptionCache keeps the daily series read for a short while, by scope ("" for
// the enterprise, else an org ID), so a window or any part of it is read once.
type consumptionCache struct {
	mu      sync.Mutex
	entries map[string][]cachedSeries
	// orgIDs are the organizations whose series make ByOrg, listed at orgsAt: kept
	// as long as the series, so the windows of one report split the same orgs.
	orgIDs []string
	orgsAt time.Time
}

// consumptionOrgs lists the organizations (V7) for ByOrg, reusing a listing of the
// last minute.
func (v *ClientV3) consumptionOrgs(ctx context.Context) ([]string, error) {
	now := v.now()
	v.cons.mu.Lock()
	if v.cons.orgIDs != nil && now.Sub(v.cons.orgsAt) < consumptionReuse && !now.Before(v.cons.orgsAt) {
		ids := v.cons.orgIDs
		v.cons.mu.Unlock()
		return ids, nil
	}
	v.cons.mu.Unlock()
	orgs, err := v.ListOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(orgs))
	for _, o := range orgs {
		ids = append(ids, o.ID)
	}
	ids = cleanIDs(ids)
	v.cons.mu.Lock()
	v.cons.orgIDs, v.cons.orgsAt = ids, now
	v.cons.mu.Unlock()
	return ids, nil
}

type cachedSeries struct {
	w  window
	s  series
	at time.Time
}

// lookup answers w for scope from a kept series of the same window, or by summing
// the billing days of a kept series that covers it.
func (c *consumptionCache) lookup(scope string, w window, now time.Time) (series, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries[scope] {
		if now.Sub(e.at) >= consumptionReuse || now.Before(e.at) {
			continue
		}
		if e.w == w {
			return e.s, true
		}
		if w.within(e.w) {
			part := series{byDate: map[string]float64{}}
			for day := w.start; day.Before(w.end); day = day.AddDate(0, 0, 1) {
				k := day.Format(time.DateOnly)
				if a, ok := e.s.byDate[k]; ok {
					part.byDate[k] = a
					part.total += a
				}
			}
			return part, true
		}
	}
	return series{}, false
}

func (c *consumptionCache) keep(scope string, w window, s series, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string][]cachedSeries{}
	}
	kept := c.entries[scope][:0]
	for _, e := range c.entries[scope] {
		if now.Sub(e.at) < consumptionReuse && e.w != w {
			kept = append(kept, e)
		}
	}
	c.entries[scope] = append(kept, cachedSeries{w: w, s: s, at: now})
}

func (v *ClientV3) now() time.Time { return clock.OrSystem(v.c.caller.Clock).Now() }

// daily reads one daily series: scope "" is the enterprise (V23), "org:ID" an org
// (V24), "user:ID" a user (V25). Enterprise and org series are kept a minute.
func (v *ClientV3) daily(ctx context.Context, scope string, w window) (series, error) {
	cacheable := !strings.HasPrefix(scope, "user:")
	if cacheable {
		if s, ok := v.cons.lookup(scope, w, v.now()); ok {
			return s, nil
		}
	}
	path := "/consumption/daily"
	switch {
	case strings.HasPrefix(scope, "org:"):
		path += "/organizations/" + url.PathEscape(strings.TrimPrefix(scope, "org:"))
	case strings.HasPrefix(scope, "user:"):
		path += "/users/" + url.PathEscape(strings.TrimPrefix(scope, "user:"))
	}
	var d dailyV3
	if err := v.call(ctx, PermViewAccountConsumption, http.MethodGet, path, w.values(), nil, &d); err != nil {
		return series{}, err
	}
	s, err := d.series()
	if err != nil {
		return series{}, v.c.decodeError(http.MethodGet, path, http.StatusOK, err)
	}
	if cacheable {
		v.cons.keep(scope, w, s, v.now())
	}
	return s, nil
}

func newConsumption(s series) *Consumption {
	c := &Consumption{TotalACUs: s.total, ByDate: map[string]float64{}, ByOrg: map[string]float64{}, ByUser: map[string]float64{}}
	for k, a := range s.byDate {
		c.ByDate[k] = a
	}
	return c
}

// DailyConsumption returns ACU consumption over q's window. v3's daily endpoint has
// no per-org or per-user breakdown, so the figures are assembled:
//   - TotalACUs and ByDate: the enterprise's series (V23), or with OrgIDs the sum of
//     those orgs' series (V24).
//   - ByOrg (unless q.Detail is DetailTotals): one V24 call per organization (V7
//     lists them), 8 at once. A series already read in the last minute for the same
//     window, or for a window containing it, is reused, so a report's recent window
//     and per-org trends cost no call.
//   - ByUser (DetailAll, enterprise-wide only): exact figures of the top q.TopUsers
//     users, found with few V25 calls (see topUsers); every member's with TopUsers 0.
//     v3 has no per-user figure within one organization, so an org-scoped query
//     leaves ByUser empty.
func (v *ClientV3) DailyConsumption(ctx context.Context, q ConsumptionQuery) (*Consumption, error) {
	w := windowOf(q)
	if orgIDs := cleanIDs(q.OrgIDs); len(orgIDs) > 0 {
		per, err := v.orgSeries(ctx, orgIDs, w)
		if err != nil {
			return nil, err
		}
		out := newConsumption(series{})
		for _, id := range orgIDs {
			s := per[id]
			out.TotalACUs += s.total
			for k, a := range s.byDate {
				out.ByDate[k] += a
			}
			if s.total > 0 {
				out.ByOrg[id] = s.total
			}
		}
		return out, nil
	}
	ent, err := v.daily(ctx, "", w)
	if err != nil {
		return nil, err
	}
	out := newConsumption(ent)
	if q.Detail == DetailTotals {
		return out, nil
	}
	ids, err := v.consumptionOrgs(ctx)
	if err != nil {
		return nil, err
	}
	per, err := v.orgSeries(ctx, ids, w)
	if err != nil {
		return nil, err
	}
	for id, s := range per {
		if s.total > 0 {
			out.ByOrg[id] = s.total
		}
	}
	if q.Detail == DetailOrgs {
		return out, nil
	}
	users, approx, err := v.topUsers(ctx, w, ent, q.TopUsers)
	if err != nil {
		return nil, err
	}
	out.ByUser, out.ByUserApprox = users, approx
	return out, nil
}

func cleanIDs(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// orgSeries reads each org's series, 8 at once; the first failure is the error.
func (v *ClientV3) orgSeries(ctx context.Context, ids []string, w window) (map[string]series, error) {
	out := make(map[string]series, len(ids))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(consumptionParallel)
	for _, id := range ids {
		g.Go(func() error {
			s, err := v.daily(gctx, "org:"+id, w)
			if err != nil {
				return err
			}
			mu.Lock()
			out[id] = s
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// UserDailyConsumption returns one user's ACU consumption per day (V25). v3 gives
// no per-org split of a user's figure: ByOrg is empty.
func (v *ClientV3) UserDailyConsumption(ctx context.Context, userID string, q ConsumptionQuery) (*Consumption, error) {
	if userID == "" {
		return nil, usageError("UserDailyConsumption needs a user ID")
	}
	s, err := v.daily(ctx, "user:"+userID, windowOf(q))
	if err != nil {
		return nil, err
	}
	return newConsumption(s), nil
}
