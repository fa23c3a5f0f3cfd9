// Choosing a report's cycles and organization, and turning the Devin client's types
// into the report's.

package reports

import (
	"errors"
	"slices"
	"strings"
	"time"

	"devin-chatops/apiclient/devin"
	"devin-chatops/internal/closest"
	"devin-chatops/usage"
)

// pickCycles finds the report's cycle and the one before it.
func pickCycles(cycles []devin.Cycle, now time.Time, which CycleChoice) (usage.Cycle, *usage.Cycle, error) {
	sorted := slices.Clone(cycles)
	slices.SortFunc(sorted, func(a, b devin.Cycle) int { return a.Start.Compare(b.Start) })
	cur, ok := devin.CurrentCycle(sorted, now)
	if !ok {
		return usage.Cycle{}, nil, &NoCycleError{Which: which}
	}
	i := slices.IndexFunc(sorted, func(c devin.Cycle) bool { return c.Start.Equal(cur.Start) })
	if which == PreviousCycle {
		// The last complete cycle: the one before the current, or the current itself
		// when it has already ended (no newer cycle listed yet).
		if cur.End.IsZero() || now.Before(cur.End) {
			if i == 0 {
				return usage.Cycle{}, nil, &NoCycleError{Which: which}
			}
			i--
		}
	}
	c := toCycle(sorted[i])
	if i == 0 {
		return c, nil, nil
	}
	p := toCycle(sorted[i-1])
	return c, &p, nil
}

// findOrg resolves an organization by ID or case-insensitive name.
func findOrg(orgs []devin.Organization, ref string) (devin.Organization, error) {
	ref = strings.TrimSpace(ref)
	for _, o := range orgs {
		if o.ID == ref {
			return o, nil
		}
	}
	var matches []devin.Organization
	for _, o := range orgs {
		if devin.SameOrgName(o.Name, ref) {
			matches = append(matches, o)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		names := make([]string, len(orgs))
		for i, o := range orgs {
			names[i] = o.Name
		}
		return devin.Organization{}, &UnknownOrgError{Ref: ref, Closest: closest.Names(ref, names, 3)}
	}
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = m.ID
	}
	return devin.Organization{}, &UnknownOrgError{Ref: ref, Matches: ids}
}

// limitedOrgs are the IDs of the orgs with a limit, closest to it first, at most
// maxOrgTrends.
func limitedOrgs(orgs []usage.Org, byOrg map[string]float64) []string {
	type lo struct {
		id  string
		pct float64
	}
	var ls []lo
	for _, o := range orgs {
		if o.Limit != nil && *o.Limit > 0 {
			ls = append(ls, lo{o.ID, byOrg[o.ID] / *o.Limit})
		}
	}
	slices.SortStableFunc(ls, func(a, b lo) int {
		switch {
		case a.pct > b.pct:
			return -1
		case a.pct < b.pct:
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	ids := make([]string, 0, min(len(ls), maxOrgTrends))
	for _, l := range ls[:min(len(ls), maxOrgTrends)] {
		ids = append(ids, l.id)
	}
	return ids
}

// lastDay is the latest "YYYY-MM-DD" key of byDate.
func lastDay(byDate map[string]float64) string {
	last := ""
	for k := range byDate {
		if k > last {
			last = k
		}
	}
	return last
}

func toCycle(c devin.Cycle) usage.Cycle { return usage.Cycle{Start: c.Start, End: c.End} }

func toOrg(o devin.Organization) usage.Org {
	u := usage.Org{ID: o.ID, Name: o.Name}
	if o.MaxCycleACULimit != nil {
		l := float64(*o.MaxCycleACULimit)
		u.Limit = &l
	}
	return u
}

func toConsumption(c *devin.Consumption) usage.Consumption {
	if c == nil {
		return usage.Consumption{}
	}
	out := usage.Consumption{Total: c.TotalACUs, ByDate: c.ByDate, ByOrg: c.ByOrg, ByUser: c.ByUser}
	if a := c.ByUserApprox; a != nil {
		out.UsersApprox = &usage.UsersApprox{Partial: a.Partial, MoreCalls: a.MoreCalls, AtLeast: a.AtLeast}
	}
	return out
}

// IsUnknownOrg reports whether err is an --org that matched nothing or several.
func IsUnknownOrg(err error) (*UnknownOrgError, bool) {
	var u *UnknownOrgError
	return u, errors.As(err, &u)
}
