// Package reports turns Devin's consumption endpoints into usage reports and runs
// them on a schedule: it fetches what a report needs (sharing one set of calls
// between people asking at once), posts the report and its chart, fires each
// scheduled slot once across restarts and replicas, and announces organizations
// crossing their ACU-limit thresholds once per cycle.
package reports

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/clock"
	"devin-chatops/usage"
)

// DevinUsage is the Devin API a report reads (*devin.Client, or its coalescing
// wrapper).
type DevinUsage interface {
	ListCycles(ctx context.Context) ([]devin.Cycle, error)
	DailyConsumption(ctx context.Context, q devin.ConsumptionQuery) (*devin.Consumption, error)
	ListOrganizations(ctx context.Context) ([]devin.Organization, error)
	ListMembers(ctx context.Context, opts devin.ListMembersOptions) ([]devin.Member, error)
}

// Which cycle a report covers.
type CycleChoice int

const (
	// CurrentCycle is the cycle containing now, else the latest listed.
	CurrentCycle CycleChoice = iota
	// PreviousCycle is the last complete cycle.
	PreviousCycle
)

// Query selects a report.
type Query struct {
	Cycle CycleChoice
	// Org, when set, is one organization's name (any case) or ID.
	Org string
}

func (q Query) key() string {
	return fmt.Sprintf("%d|%s", q.Cycle, strings.ToLower(strings.TrimSpace(q.Org)))
}

// UnknownOrgError is an --org that names no organization, or several.
type UnknownOrgError struct {
	Ref string
	// Matches are the IDs sharing the name when it is ambiguous.
	Matches []string
	// Closest are the names nearest to Ref when none matched.
	Closest []string
}

func (e *UnknownOrgError) Error() string {
	if len(e.Matches) > 1 {
		return fmt.Sprintf("%d organizations are called %q", len(e.Matches), e.Ref)
	}
	return fmt.Sprintf("no organization has the name or ID %q", e.Ref)
}

// NoCycleError is a report asked for a cycle that does not exist (yet).
type NoCycleError struct{ Which CycleChoice }

func (e *NoCycleError) Error() string {
	if e.Which == PreviousCycle {
		return "there is no complete billing cycle before this one"
	}
	return "Devin lists no billing cycle"
}

// Defaults for how long fetched data is reused.
const (
	// DefaultReuse is how long a fetched report serves the next people asking. ACU
	// figures move slowly; a minute keeps a burst of /devin usage to one set of calls.
	DefaultReuse = time.Minute
	// memberReuse is how long the members listing names users.
	memberReuse = 10 * time.Minute
	// maxOrgTrends is how many limited orgs get their own daily call, for the chart.
	maxOrgTrends = 8
)

// Fetcher reads the data of usage reports.
type Fetcher struct {
	api   DevinUsage
	clock clock.Clock
	log   *slog.Logger
	reuse time.Duration

	flights singleflight.Group
	mu      sync.Mutex
	cached  map[string]fetched
	members memberCache
}

type fetched struct {
	data usage.Data
	at   time.Time
}

type memberCache struct {
	mu   sync.Mutex
	byID map[string]usage.Member
	at   time.Time
}

// NewFetcher returns a Fetcher over api. reuse <= 0 means DefaultReuse.
func NewFetcher(api DevinUsage, clk clock.Clock, log *slog.Logger, reuse time.Duration) *Fetcher {
	if reuse <= 0 {
		reuse = DefaultReuse
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Fetcher{api: api, clock: clock.OrSystem(clk), log: log, reuse: reuse, cached: map[string]fetched{}}
}

// Fetch returns the data of the report q selects. People asking at once share one
// fetch, and its result serves for a short while; an error is never kept.
func (f *Fetcher) Fetch(ctx context.Context, q Query) (usage.Data, error) {
	key := q.key()
	f.mu.Lock()
	if c, ok := f.cached[key]; ok && f.clock.Now().Sub(c.at) < f.reuse {
		f.mu.Unlock()
		return c.data, nil
	}
	f.mu.Unlock()
	ch := f.flights.DoChan(key, func() (any, error) {
		// The fetch serves everyone waiting: one person giving up must not cancel it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		d, err := f.fetch(fctx, q)
		if err != nil {
			return usage.Data{}, err
		}
		f.mu.Lock()
		f.cached[key] = fetched{data: d, at: f.clock.Now()}
		f.mu.Unlock()
		return d, nil
	})
	select {
	case <-ctx.Done():
		return usage.Data{}, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			return usage.Data{}, res.Err
		}
		return res.Val.(usage.Data), nil
	}
}

// Forget drops every kept result, so the next Fetch reads afresh.
func (f *Fetcher) Forget() {
	f.mu.Lock()
	f.cached = map[string]fetched{}
	f.mu.Unlock()
}

// fetch makes the calls: cycles first (they set the window), then the cycle's
// consumption, the recent window's, the previous cycle's, the organizations, the
// members and the daily figures of the limited orgs closest to their limit, in
// parallel where they do not depend on each other. Without cycles or the cycle's
// consumption there is no report; anything else missing becomes a note.
func (f *Fetcher) fetch(ctx context.Context, q Query) (usage.Data, error) {
	now := f.clock.Now().UTC()
	cycles, err := f.api.ListCycles(ctx)
	if err != nil {
		return usage.Data{}, fmt.Errorf("read billing cycles: %w", err)
	}
	cur, prev, err := pickCycles(cycles, now, q.Cycle)
	if err != nil {
		return usage.Data{}, err
	}
	d := usage.Data{Cycle: cur, Previous: prev}

	var orgs []devin.Organization
	var orgsErr error
	if q.Org != "" {
		// The scope must be known before the org-filtered calls.
		if orgs, orgsErr = f.api.ListOrganizations(ctx); orgsErr != nil {
			return usage.Data{}, fmt.Errorf("read organizations: %w", orgsErr)
		}
		o, err := findOrg(orgs, q.Org)
		if err != nil {
			return usage.Data{}, err
		}
		scope := toOrg(o)
		d.Scope = &scope
	}
	var orgIDs []string
	if d.Scope != nil {
		orgIDs = []string{d.Scope.ID}
	}
	end := now
	if cur.End.Before(now) {
		end = cur.End
	}
	// The report lists the top users only: v3 then reads a few users' figures, not all.
	cons, err := f.api.DailyConsumption(ctx, devin.ConsumptionQuery{Start: cur.Start, End: end, OrgIDs: orgIDs, TopUsers: usage.DefaultTopUsers})
	if err != nil {
		return usage.Data{}, fmt.Errorf("read daily consumption: %w", err)
	}
	d.Consumption = toConsumption(cons)
	if d.Scope != nil {
		// The org's series lists only the days it used ACUs; the enterprise's says how
		// far the data goes (the same call as the enterprise report's, so usually shared).
		if all, err := f.api.DailyConsumption(ctx, devin.ConsumptionQuery{Start: cur.Start, End: end, Detail: devin.DetailTotals}); err == nil {
			d.DataThrough = lastDay(all.ByDate)
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	var mu sync.Mutex
	note := func(what string, err error) {
		f.log.WarnContext(ctx, "usage report: part not read", "part", what, "error", err)
		mu.Lock()
		d.Notes = append(d.Notes, what+" could not be read: "+apiclient.UserMessage(err))
		mu.Unlock()
	}
	if ws, we := usage.RecentWindow(cur, d.Consumption.ByDate, now); !ws.IsZero() {
		g.Go(func() error {
			c, err := f.api.DailyConsumption(gctx, devin.ConsumptionQuery{Start: ws, End: we, OrgIDs: orgIDs, Detail: devin.DetailOrgs})
			if err != nil {
				note("The last 7 days by organization", err)
				return nil
			}
			rc := toConsumption(c)
			mu.Lock()
			d.Recent = &rc
			mu.Unlock()
			return nil
		})
	}
	if prev != nil {
		g.Go(func() error {
			c, err := f.api.DailyConsumption(gctx, devin.ConsumptionQuery{Start: prev.Start, End: prev.End, OrgIDs: orgIDs, Detail: devin.DetailTotals})
			if err != nil {
				note("The previous cycle", err)
				return nil
			}
			pc := toConsumption(c)
			mu.Lock()
			d.PreviousConsumption = &pc
			mu.Unlock()
			return nil
		})
	}
	if len(d.Consumption.ByUser) > 0 {
		g.Go(func() error {
			members, err := f.memberDirectory(gctx, d.Consumption.ByUser)
			if err != nil {
				note("Member names", err)
				return nil
			}
			mu.Lock()
			d.Members, d.MembersKnown = members, true
			mu.Unlock()
			return nil
		})
	}
	if d.Scope == nil {
		if orgs, orgsErr = f.api.ListOrganizations(ctx); orgsErr != nil {
			note("Organization names and limits", orgsErr)
		}
	}
	d.OrgsKnown = orgsErr == nil
	for _, o := range orgs {
		d.Orgs = append(d.Orgs, toOrg(o))
	}
	if d.Scope == nil && d.OrgsKnown {
		trendIDs := limitedOrgs(d.Orgs, d.Consumption.ByOrg)
		d.OrgDaily = make(map[string]map[string]float64, len(trendIDs))
		for _, id := range trendIDs {
			g.Go(func() error {
				c, err := f.api.DailyConsumption(gctx, devin.ConsumptionQuery{Start: cur.Start, End: end, OrgIDs: []string{id}, Detail: devin.DetailTotals})
				if err != nil {
					// The chart simply goes without this org's line.
					f.log.WarnContext(ctx, "usage report: org trend not read", "org", id, "error", err)
					return nil
				}
				mu.Lock()
				d.OrgDaily[id] = c.ByDate
				mu.Unlock()
				return nil
			})
		}
	}
	_ = g.Wait() // every part records its own failure
	slices.Sort(d.Notes)
	return d, nil
}

// memberDirectory names users from one members listing, kept for a while. When
// someone using ACUs is missing from a listing older than a minute, it is read again
// once: they may have joined since.
func (f *Fetcher) memberDirectory(ctx context.Context, users map[string]float64) (map[string]usage.Member, error) {
	mc := &f.members
	mc.mu.Lock()
	defer mc.mu.Unlock()
	age := f.clock.Now().Sub(mc.at)
	fresh := mc.byID != nil && age < memberReuse
	if fresh && age > time.Minute {
		for id := range users {
			if _, ok := mc.byID[id]; !ok {
				fresh = false
				break
			}
		}
	}
	if fresh {
		return mc.byID, nil
	}
	members, err := f.api.ListMembers(ctx, devin.ListMembersOptions{})
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	byID := make(map[string]usage.Member, len(members))
	for _, m := range members {
		byID[m.UserID] = usage.Member{ID: m.UserID, Name: m.Name, Email: m.Email}
	}
	mc.byID, mc.at = byID, f.clock.Now()
	return byID, nil
}
