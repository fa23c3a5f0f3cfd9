package approvals

import (
	"context"
	"errors"
)

// Messenger shows requests to people. The domain decides; the messenger presents (in
// Slack: the approval card and the requester's DM). It speaks of requests, never of
// channels, blocks or Slack error codes.
type Messenger interface {
	// ShowRequest presents a new pending request to the approvers and says where, so
	// that later updates land on the same card.
	ShowRequest(ctx context.Context, r Request, p Progress) (CardRef, error)
	// UpdateRequest re-renders the card at r.CardChannel/r.CardTS for r's current
	// state. An error wrapping ErrUnreachable means no retry can ever update it.
	UpdateRequest(ctx context.Context, r Request, p Progress) error
	// TellRequester tells r's requester how their request ended. It returns nil once
	// they were told, or once it is known that they cannot be told at all (the
	// messenger logs that); an error means a later try may work.
	TellRequester(ctx context.Context, r Request) error
}

// GrantMessenger tells people about grants (in Slack: a reply in the thread of the
// card that granted it, a DM to its requester, the Extend button).
type GrantMessenger interface {
	// TellGrant says what became of g (its final state and Outcome; or, when
	// extendedBy is a request ID, that this request moved its end) in the thread of
	// its card and to g's requester. nil once both are done or cannot ever be.
	TellGrant(ctx context.Context, g Grant, extendedBy string) error
	// OfferExtension sends g's requester a DM with an Extend button.
	OfferExtension(ctx context.Context, g Grant) error
}

// ErrUnreachable wraps a Messenger error that no retry can fix: the card was deleted,
// its channel archived, the person deactivated.
var ErrUnreachable = errors.New("no longer reachable")

// CardRef locates a request's card so that it can be updated in place.
type CardRef struct {
	Channel string
	TS      string
}

// Progress is how far a pending request is from its quorum.
type Progress struct {
	// Approvers are the approvers whose approval counts so far, in vote order.
	Approvers []string
	// Required is how many approvals the request needs in all.
	Required int
}

// Queue takes approved requests for execution without waiting for them (the
// executor's pool). Enqueue reports false when it could not take the request; the
// request then stays approved in the store and the sweeper offers it again.
type Queue interface {
	Enqueue(id string) bool
}

// Kicker wakes the audit echoer after events were stored (audit.Echoer).
type Kicker interface{ Kick() }
