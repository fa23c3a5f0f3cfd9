package devin

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/sync/errgroup"

	"devin-chatops/apiclient"
)

// sessionACUs is the part of a V28 session the top-users bound needs.
type sessionACUs struct {
	UserID       *string   `json:"user_id"`
	ACUsConsumed flexFloat `json:"acus_consumed"`
}

// candidate is a user whose figure may reach the top, with the ACUs of their
// sessions updated in the window: an upper bound on their Devin-product ACUs.
type candidate struct {
	id    string
	bound float64
}

// maxUserReads is how many per-user calls (V25) one top-users query makes at most.
// Usage outside the sessions (other products: Cascade, Terminal) can belong to any
// member, and only a member's own V25 figure says whose it is; when a lot of it is
// spread thinly, proving the top ten exact can take a call per member (2,000 for
// 2,000 members), minutes of calls for one report. Past this budget the ranking is
// finished from the sessions and marked approximate, so the report says so.
const maxUserReads = 64

// topUsers returns figures for a set of users that contains the n users with the
// most ACUs (every member's, exact, with n <= 0), with few V25 calls:
//
//  1. An upper bound per user: the ACUs of their sessions updated since the window's
//     start (V28, 200 a page). A session's lifetime ACUs are at least what it used in
//     the window, and a session idle since before the window used none in it.
//  2. Only Devin-product ACUs come from sessions. The enterprise's ACUs of other
//     products in the window (V23's acus_by_product; all of the total when the API
//     does not split it) are the remainder R that any unread user may hold, so an
//     unread user's bound is their sessions' ACUs + R. Each exact figure read says
//     how much of R that user held: R shrinks as figures come in.
//  3. Exact figures (V25), in descending bound order, until the n-th largest exact
//     figure is at least the next candidate's bound: no unread user can then pass it.
//     Members with no session enter (from one V1 listing) only when R is what
//     remains to beat.
//
// Past maxUserReads calls the rest are ranked by their sessions' ACUs, and the
// UserApprox names the users among the top n whose figure is only that.
// A user who left the enterprise and has no session in the window cannot be found;
// one with sessions has no V25 figure (404) and ranks by them, named as partial.
func (v *ClientV3) topUsers(ctx context.Context, w window, ent series, n int) (map[string]float64, *UserApprox, error) {
	exact := map[string]float64{}
	if n <= 0 {
		members, err := v.ListMembers(ctx, ListMembersOptions{})
		if err != nil {
			return nil, nil, err
		}
		cands := make([]candidate, 0, len(members))
		for _, m := range members {
			cands = append(cands, candidate{id: m.UserID})
		}
		read, _, err := v.exactFigures(ctx, w, cands)
		for id, s := range read {
			exact[id] = s.total
		}
		return exact, nil, err
	}
	bounds, err := v.sessionBounds(ctx, w)
	if err != nil {
		return nil, nil, err
	}
	rest := max(ent.nonDevin(), 0)
	split := ent.byProduct != nil

	cands := make([]candidate, 0, len(bounds))
	for id, b := range bounds {
		cands = append(cands, candidate{id: id, bound: b})
	}
	sortCandidates(cands)
	membersRead, reads, i := false, 0, 0
	var left []string // read, but no longer members: V25 has no figure for them
	for {
		nth := nthLargest(exact, n)
		if i == len(cands) || (len(exact) >= n && nth >= cands[i].bound+rest) {
			// Everyone left has at most R; members without sessions come in only
			// when R could still pass the n-th figure.
			if membersRead || rest <= 0 || (len(exact) >= n && nth >= rest) {
				break
			}
			members, err := v.ListMembers(ctx, ListMembersOptions{})
			if err != nil {
				return nil, nil, err
			}
			membersRead = true
			for _, m := range members {
				if _, ok := bounds[m.UserID]; !ok && m.UserID != "" {
					cands = append(cands, candidate{id: m.UserID})
				}
			}
			sortCandidates(cands[i:])
			continue
		}
		// Read as many as could still be needed, 8 at most, in one round.
		k := min(max(n-len(exact), 1), consumptionParallel, len(cands)-i, maxUserReads-reads)
		if k <= 0 {
			figures, approx := approximate(exact, cands[i:], rest, n, membersRead)
			approx.Partial = append(approx.Partial, inTop(figures, left, n)...)
			return figures, approx, nil
		}
		read, gone, err := v.exactFigures(ctx, w, cands[i:i+k])
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cands[i : i+k] {
			if gone[c.id] {
				// Left the enterprise since: only their sessions say what they used.
				exact[c.id] = c.bound
				left = append(left, c.id)
				continue
			}
			s := read[c.id]
			exact[c.id] = s.total
			rest = max(rest-held(s, c, split), 0)
		}
		reads += k
		i += k
	}
	dropIdle(exact)
	if partial := inTop(exact, left, n); len(partial) > 0 {
		return exact, &UserApprox{Partial: partial}, nil
	}
	return exact, nil, nil
}

// inTop are the ids among the n largest figures.
func inTop(figures map[string]float64, ids []string, n int) []string {
	nth := nthLargest(figures, n)
	var out []string
	for _, id := range ids {
		if a, ok := figures[id]; ok && a > 0 && a >= nth {
			out = append(out, id)
		}
	}
	return out
}

// held is how much of the remainder R a user read exactly is known to hold: their
// ACUs of other products when both the enterprise's and their series split by
// product, all of theirs when the enterprise's does not (R is then its total), and
// else what their sessions cannot account for, a lower bound that keeps R an upper
// bound.
func held(s series, c candidate, split bool) float64 {
	switch {
	case !split:
		return s.total
	case s.byProduct != nil:
		return s.nonDevin()
	default:
		return max(s.total-c.bound, 0)
	}
}

// approximate finishes a ranking the budget cut short: the unread candidates count
// with their sessions' ACUs, and those among the top n are named as partial.
// MoreCalls counts the unread candidates that could still pass the n-th exact
// figure. Even with no partial figure among the top n the ranking is unproven (an
// unread member may hold enough other ACUs to enter it), so the UserApprox is set.
func approximate(exact map[string]float64, unread []candidate, rest float64, n int, membersRead bool) (map[string]float64, *UserApprox) {
	nth := nthLargest(exact, n)
	figures := maps.Clone(exact)
	dropIdle(figures)
	a := &UserApprox{AtLeast: !membersRead && rest > nth}
	for _, c := range unread {
		if c.bound+rest > nth {
			a.MoreCalls++
		}
	}
	// unread is in descending bound order: the first n are the only ones that can
	// rank among the top n.
	for _, c := range unread[:min(n, len(unread))] {
		if c.bound > 0 {
			figures[c.id] = c.bound
		}
	}
	rows := make([]candidate, 0, len(figures))
	for id, a := range figures {
		rows = append(rows, candidate{id: id, bound: a})
	}
	sortCandidates(rows)
	top := map[string]bool{}
	for _, r := range rows[:min(n, len(rows))] {
		top[r.id] = true
	}
	for _, c := range unread[:min(n, len(unread))] {
		if top[c.id] {
			a.Partial = append(a.Partial, c.id)
		} else {
			delete(figures, c.id)
		}
	}
	return figures, a
}

// dropIdle removes the users who used nothing in the window.
func dropIdle(m map[string]float64) {
	for id, a := range m {
		if a <= 0 {
			delete(m, id)
		}
	}
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
// A deleted organization's sessions are listed too: their ACUs still count in the
// user's figure, so without them the bound would not be one.
func (v *ClientV3) sessionBounds(ctx context.Context, w window) (map[string]float64, error) {
	q := url.Values{"include_deleted_orgs": {"true"}}
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

// exactFigures reads each candidate's series in the window (V25), 8 at once. gone
// names those V25 does not know (404): people who left the enterprise since.
func (v *ClientV3) exactFigures(ctx context.Context, w window, cands []candidate) (out map[string]series, gone map[string]bool, err error) {
	out = make(map[string]series, len(cands))
	gone = map[string]bool{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(consumptionParallel)
	for _, c := range cands {
		g.Go(func() error {
			s, err := v.daily(gctx, "user:"+c.id, w)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, apiclient.ErrNotFound):
				gone[c.id] = true
			case err != nil:
				return err
			default:
				out[c.id] = s
			}
			return nil
		})
	}
	err = g.Wait()
	return out, gone, err
}
