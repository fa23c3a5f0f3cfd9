// Package closest suggests the names nearest to one that matched nothing, for replies
// such as "No organization is called *Enginering*. Did you mean *Engineering*?".
package closest

import (
	"slices"
	"strings"
)

// Names returns up to n of names nearest to ref by edit distance (case-folded),
// nearest first, ties in the order given; names that contain ref count as near. A
// name further than half of ref's length (at least 2) is not suggested.
func Names(ref string, names []string, n int) []string {
	ref = strings.ToLower(strings.TrimSpace(ref))
	type scored struct {
		name string
		d    int
	}
	var s []scored
	seen := map[string]bool{}
	for _, name := range names {
		l := strings.ToLower(strings.TrimSpace(name))
		if l == "" || seen[l] {
			continue
		}
		d := distance(ref, l)
		if ref != "" && strings.Contains(l, ref) {
			d = min(d, 1)
		}
		if d <= max(2, len([]rune(ref))/2) {
			seen[l] = true
			s = append(s, scored{name, d})
		}
	}
	slices.SortStableFunc(s, func(a, b scored) int { return a.d - b.d })
	out := make([]string, 0, min(n, len(s)))
	for _, x := range s[:min(n, len(s))] {
		out = append(out, x.name)
	}
	return out
}

// distance is the Levenshtein distance between a and b, over runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
