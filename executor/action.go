// Package executor carries out approved requests: one Action per kind of request,
// the pool that runs them off the Slack handlers, and the sweeper that expires,
// re-queues and brings Slack up to date with the store, also after a restart.
package executor

import (
	"context"
	"fmt"
	"strings"

	"devin-chatops/approvals"
)

// Action carries out one kind of approved request. It returns one outcome per item,
// in the order of r.Items; the error is the failure that stopped the whole call, if
// any, and the items it left undone are then already marked failed with its user
// message. It must be safe to call again for the same request: after a crash the
// request is executed again.
type Action interface {
	Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error)
}

// Actions is the registry of what this process can execute, by kind.
type Actions map[approvals.Action]Action

// Unavailable is the Action of a kind whose API is not configured: every item fails
// with reason, which names the setting that turns it on.
type Unavailable string

// Execute fails every item.
func (u Unavailable) Execute(_ context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	return failAll(r.Items, string(u)), nil
}

// Then is a, followed by after once a returns, whatever its outcome: a failed or
// partial execution may have changed something too. The app uses it to forget the read
// answers kept from before the change, so the next read sees it.
func Then(a Action, after func()) Action { return then{a: a, after: after} }

type then struct {
	a     Action
	after func()
}

func (t then) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	defer t.after()
	return t.a.Execute(ctx, r)
}

// Execute runs r with the action registered for its kind.
func (a Actions) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	act, ok := a[r.Action]
	if !ok {
		return failAll(r.Items, fmt.Sprintf("unknown action %q", r.Action)), nil
	}
	return act.Execute(ctx, r)
}

func failAll(items []string, reason string) []approvals.ItemOutcome {
	out := make([]approvals.ItemOutcome, len(items))
	for i, it := range items {
		out[i] = approvals.ItemOutcome{Item: it, Status: approvals.OutcomeFailed, Reason: reason}
	}
	return out
}

// key is how items are compared: emails and logins are case-insensitive.
func key(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
