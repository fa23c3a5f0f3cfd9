package devin

import (
	"context"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// MemberLister lists enterprise members: *Client, or anything that shares its reads.
type MemberLister interface {
	ListMembers(ctx context.Context, opts ListMembersOptions) ([]Member, error)
}

// findParallel bounds the email-filtered look-ups FindMembers makes at once.
const findParallel = 4

// FindMembers finds the enterprise members with these emails, by lower-cased email;
// an email that is no member is absent. Up to lookupThreshold emails are looked up one
// at a time through the API's email filter (at most findParallel at once); more than
// that costs fewer calls as one listing of every member. The first failed call is the
// error: the caller cannot tell "no member" from "not checked" without it.
func FindMembers(ctx context.Context, api MemberLister, emails []string) (map[string]Member, error) {
	found := make(map[string]Member, len(emails))
	want := make(map[string]bool, len(emails))
	for _, e := range emails {
		want[strings.ToLower(strings.TrimSpace(e))] = true
	}
	keep := func(ms []Member) {
		for _, m := range ms {
			if k := strings.ToLower(strings.TrimSpace(m.Email)); want[k] && m.UserID != "" {
				found[k] = m
			}
		}
	}
	if len(want) > lookupThreshold {
		ms, err := api.ListMembers(ctx, ListMembersOptions{})
		if err != nil {
			return nil, err
		}
		keep(ms)
		return found, nil
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(findParallel)
	for e := range want {
		g.Go(func() error {
			ms, err := api.ListMembers(gctx, ListMembersOptions{Email: e})
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			// Matched here too: a server that ignores the filter returns everyone.
			keep(ms)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return found, nil
}
