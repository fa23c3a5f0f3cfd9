package devin

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/sync/errgroup"
)

// sessionACUs is the part of a V28 session the top-users bound needs.
type sessionACUs struct {
	UserID       *string   `json:"user_id"`
	ACUsConsumed flexFloat `json:"acus_consumed"`
}

// candidate is a user whose figure may reach the top, with an upper bound on it.
type candidate struct {
	id    string
	bound float64
}

// topUsers returns exact window figures for a set of users that contains the n users
// with the most ACUs (every member's with n <= 0), with few V25 calls:
//
//  1. An upper bound per user: the ACUs of their sessions updated since the window's
//     start (V28, 200 a page). A session's lifetime ACUs are at least what it used in
//     the window, and a session idle since before the window used none in it. Only
//     Devin-product ACUs come from sessions: the enterprise's ACUs of other products
//     in the window (V23's acus_by_product; all of the total when the API does not
//     split it) are added to every bound, since any one user may hold them.
//  2. Exact figures (V25), in descending bound order, until the n-th largest exact
//     figure is at least the next candidate's bound: no unread user can then pass it.
//     Members with no session enter (from one V1 listing) only when that slack is what
//     remains to beat.
//
// A user who left the enterprise and has no session in the window cannot be found.
func (v *ClientV3) topUsers(ctx context.Context, w window, ent series, n int) (map[string]float64, error) {
	exact := map[string]float64{}
	if n <= 0 {
		members, err := v.ListMembers(ctx, ListMembersOptions{})
		if err != nil {
			return nil, err
		}
		cands := make([]candidate, 0, len(members))
		for _, m := range members {
			cands = append(cands, candidate{id: m.UserID})
		}
		return exact, v.exactFigures(ctx, w, cands, exact)
	}
	bounds, err := v.sessionBounds(ctx, w)
	if err != nil {
		return nil, err
	}
	slack := ent.total
	if ent.byProduct != nil {
		slack = ent.total - ent.byProduct[devinProduct]
	}
	slack = max(slack, 0)

	cands := make([]candidate, 0, len(bounds))
	for id, b := range bounds {
		cands = append(cands, candidate{id: id, bound: b + slack})
	}
	sortCandidates(cands)
	membersRead := false
	for i := 0; ; {
		nth := nthLargest(exact, n)
		if i == len(cands) || (len(exact) >= n && nth >= cands[i].bound) {
			// Everyone left has at most the slack; members without sessions come in
			// only when the slack could still pass the n-th figure.
			if membersRead || slack <= 0 || (len(exact) >= n && nth >= slack) {
				break
			}
			members, err := v.ListMembers(ctx, ListMembersOptions{})
			if err != nil {
				return nil, err
			}
			membersRead = true
			for _, m := range members {
				if _, ok := bounds[m.UserID]; !ok && m.UserID != "" {
					cands = append(cands, candidate{id: m.UserID, bound: slack})
				}
			}
			sortCandidates(cands[i:])
			continue
		}
		// Read as many as could still be needed, 8 at most, in one round.
		k := min(max(n-len(exact), 1), consumptionParallel, len(cands)-i)
		if err := v.exactFigures(ctx, w, cands[i:i+k], exact); err != nil {
			return nil, err
		}
		i += k
	}
	for id, a := range exact {
		if a <= 0 {
			delete(exact, id)
		}
	}
	return exact, nil
}

func sortCandidates(cs []candidate) {
	slices.SortFunc(cs, func(a, b candidate) int { return cmp.Or(cmp.Compare(b.bound, a.bound), cmp.Compare(a.id, b.id)) })
}

// nthLargest is the n-th largest figure, 0 when there are fewer.
func nthLargest(m map[string]float64, n int) float64 {
	if len(m) < n || n <= 0 {
		return 0
	}
	vs := make([]float64, 0, len(m))
	for _, a := range m {
		vs = append(vs, a)
	}
	slices.SortFunc(vs, func(a, b float64) int { return cmp.Compare(b, a) })
	return vs[n-1]
}

// sessionBounds sums, per user, the ACUs of the sessions updated since the window's
// start and created before its end (V28). Service users' sessions are no user's.
func (v *ClientV3) sessionBounds(ctx context.Context, w window) (map[string]float64, error) {
	q := url.Values{}
	if !w.start.IsZero() {
		q.Set("updated_after", strconv.FormatInt(w.start.Unix(), 10))
	}
	if !w.end.IsZero() {
		q.Set("created_before", strconv.FormatInt(w.end.Unix(), 10))
	}
	bounds := map[string]float64{}
	err := listPages(ctx, v, PermViewAccountSessions, "/sessions", q, 0, func(ss []sessionACUs) bool {
		for _, s := range ss {
			if s.UserID != nil && *s.UserID != "" {
				bounds[*s.UserID] += max(s.ACUsConsumed.v, 0)
			}
		}
		return true
	})
	return bounds, err
}

// exactFigures reads each candidate's total in the window (V25), 8 at once.
func (v *ClientV3) exactFigures(ctx context.Context, w window, cands []candidate, into map[string]float64) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(consumptionParallel)
	for _, c := range cands {
		g.Go(func() error {
			s, err := v.daily(gctx, "user:"+c.id, w)
			if err != nil {
				return err
			}
			mu.Lock()
			into[c.id] = s.total
			mu.Unlock()
			return nil
		})
	}
	return g.Wait()
}
