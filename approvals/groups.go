package approvals

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"devin-chatops/clock"
)

// GroupMembers lists the user IDs in a Slack user group (usergroups.users.list).
type GroupMembers interface {
	Members(ctx context.Context, groupID string) ([]string, error)
}

// GroupMembersFunc adapts a function to GroupMembers, e.g. slack-go's
//
//	approvals.GroupMembersFunc(func(ctx context.Context, id string) ([]string, error) {
//		return api.GetUserGroupMembersContext(ctx, id)
//	})
type GroupMembersFunc func(ctx context.Context, groupID string) ([]string, error)

// Members calls f.
func (f GroupMembersFunc) Members(ctx context.Context, groupID string) ([]string, error) {
	return f(ctx, groupID)
}

// ErrGroupLookup means membership could not be checked because a user-group lookup
// failed. Callers must treat it as "no": an outage never grants a permission.
var ErrGroupLookup = errors.New("user group lookup failed")

// defaultGroupTTL is how long a group's member list is trusted. Short, because removing
// someone from an approver group must take effect quickly.
const defaultGroupTTL = time.Minute

// isGroupID reports whether a configured ID names a user group rather than a user.
func isGroupID(id string) bool { return strings.HasPrefix(id, "S") }

// groupCache answers "is this user in any of these IDs?" for lists that mix user IDs
// and user-group IDs, caching each group's members for ttl. Failed lookups are not
// cached, so the next click retries; concurrent misses for one group share one call.
type groupCache struct {
	src   GroupMembers
	ttl   time.Duration
	clock clock.Clock

	mu       sync.Mutex
	entries  map[string]groupEntry
	inflight map[string]*groupCall
}

type groupEntry struct {
	members map[string]bool
	at      time.Time
}

type groupCall struct {
	done    chan struct{}
	members map[string]bool
	err     error
}

func newGroupCache(src GroupMembers, ttl time.Duration, clk clock.Clock) *groupCache {
	if ttl <= 0 {
		ttl = defaultGroupTTL
	}
	return &groupCache{src: src, ttl: ttl, clock: clk, entries: map[string]groupEntry{}, inflight: map[string]*groupCall{}}
}

// contains reports whether user is one of ids, or a member of a group among them. Users
// are matched before any group is looked up. A group that cannot be read makes the answer
// an error wrapping ErrGroupLookup unless another entry already matched: fail closed.
func (c *groupCache) contains(ctx context.Context, ids []string, user string) (bool, error) {
	if user == "" {
		return false, nil
	}
	var groups []string
	for _, id := range ids {
		switch {
		case isGroupID(id):
			groups = append(groups, id)
		case id == user:
			return true, nil
		}
	}
	var errs []error
	for _, g := range groups {
		members, err := c.members(ctx, g)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %w", ErrGroupLookup, g, err))
			continue
		}
		if members[user] {
			return true, nil
		}
	}
	return false, errors.Join(errs...)
}

func (c *groupCache) members(ctx context.Context, group string) (map[string]bool, error) {
	if c.src == nil {
		return nil, errors.New("no user-group source is configured")
	}
	c.mu.Lock()
	if e, ok := c.entries[group]; ok && c.clock.Now().Sub(e.at) < c.ttl {
		c.mu.Unlock()
		return e.members, nil
	}
	if call, ok := c.inflight[group]; ok {
		c.mu.Unlock()
		select {
		case <-call.done:
			return call.members, call.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	call := &groupCall{done: make(chan struct{})}
	c.inflight[group] = call
	c.mu.Unlock()

	list, err := c.src.Members(ctx, group)
	if err == nil {
		call.members = make(map[string]bool, len(list))
		for _, u := range list {
			call.members[u] = true
		}
	}
	call.err = err

	c.mu.Lock()
	delete(c.inflight, group)
	if err == nil {
		c.entries[group] = groupEntry{members: call.members, at: c.clock.Now()}
	}
	c.mu.Unlock()
	close(call.done)
	return call.members, call.err
}
