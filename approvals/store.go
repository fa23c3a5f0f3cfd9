package approvals

import (
	"context"
	"errors"
	"time"

	"devin-chatops/audit"
)

// Store errors, matched with errors.Is.
var (
	// ErrNotFound: no request has that ID.
	ErrNotFound = errors.New("request not found")
	// ErrDuplicateID: CreateRequest was given an ID already in use; draw a new one.
	ErrDuplicateID = errors.New("request ID already in use")
	// ErrInvalidTransition: the state machine has no such edge (a programming error).
	ErrInvalidTransition = errors.New("invalid state transition")
)

// Store is the durable state the approval service needs. Every method that takes audit
// events writes them, and their outbox entries, in the same transaction as the change
// they describe, and only when the change happened: the audit log never records a
// transition that lost its race. An event with an empty RequestID gets the request's ID.
type Store interface {
	// CreateRequest stores a new request (State defaults to pending). ErrDuplicateID when
	// the ID is taken.
	CreateRequest(ctx context.Context, r Request, events ...audit.Event) error
	// GetRequest returns ErrNotFound for an unknown ID.
	GetRequest(ctx context.Context, id string) (Request, error)
	// ListRequests returns the requests in any of states (all when none given), oldest
	// first.
	ListRequests(ctx context.Context, states ...State) ([]Request, error)
	// SetCard records where the approval card was posted.
	SetCard(ctx context.Context, id, channel, ts string) error
	// AddVote records one vote per (request, voter); added=false when that voter already
	// voted, and then the events are not written. ErrNotFound for an unknown request.
	AddVote(ctx context.Context, v Vote, events ...audit.Event) (added bool, err error)
	// Votes returns a request's votes in the order they were cast.
	Votes(ctx context.Context, id string) ([]Vote, error)
	// Transition is a compare-and-swap: the request moves to `to` only if it is in `from`;
	// ok=false when it was not (ErrNotFound when it does not exist). The non-zero fields
	// of ch and the events are written in the same transaction, only if the swap happened.
	// ErrInvalidTransition unless CanTransition(from, to).
	Transition(ctx context.Context, id string, from, to State, ch Change, events ...audit.Event) (ok bool, err error)
	// ExpireDue moves pending requests whose ExpiresAt <= now to expired (a CAS per row,
	// so a request approved meanwhile is left alone) and returns those it moved. mkEvent,
	// when not nil, makes the audit event written with each expiry.
	ExpireDue(ctx context.Context, now time.Time, mkEvent func(Request) audit.Event) ([]Request, error)
	// NextExpiry returns the earliest ExpiresAt among pending requests; ok=false when
	// none is pending.
	NextExpiry(ctx context.Context) (next time.Time, ok bool, err error)
	// MarkCardShown records that the request's card now shows state (Request.CardState).
	// ErrNotFound for an unknown request.
	MarkCardShown(ctx context.Context, id string, state State) error
	// MarkNotified records that the requester was told the request ended in state
	// (Request.NotifiedState). ErrNotFound for an unknown request.
	MarkNotified(ctx context.Context, id string, state State) error
	// MarkCardShown and MarkNotified also clear the sync backoff (SyncAttempts,
	// NextSyncAt) of a request that is up to date in Slack afterwards.
	//
	// ListStale returns at most limit (all when limit <= 0) of the requests Slack does
	// not show as they are (a card whose CardState is not State, a final request whose
	// NotifiedState is not State, a pending request without a card) whose NextSyncAt is
	// due by the store's clock: those never deferred first, oldest first, then the
	// deferred ones in the order they became due.
	ListStale(ctx context.Context, limit int) ([]Request, error)
	// DeferSync records a failed try to bring the request up to date in Slack: it adds
	// one to SyncAttempts and sets NextSyncAt to next. ErrNotFound for an unknown request.
	DeferSync(ctx context.Context, id string, next time.Time) error
	// TakeOver makes lease.Owner the executor of a request left executing by another
	// whose lease ran out (LeaseUntil <= now), a compare-and-swap with its events; ok is
	// false when the request is not executing or its lease still holds.
	TakeOver(ctx context.Context, id string, lease Lease, now time.Time, events ...audit.Event) (ok bool, err error)
	// RenewLease moves the lease of an executing request to lease.Until while
	// lease.Owner still holds it; ok is false when it does not (taken over, finished).
	RenewLease(ctx context.Context, id string, lease Lease) (ok bool, err error)
	// ReleaseLease ends owner's lease on an executing request at now, so that another
	// process may take it over at once; ok is false when owner does not hold it.
	ReleaseLease(ctx context.Context, id, owner string, now time.Time) (ok bool, err error)
}

// Change holds the fields a transition sets alongside the state. Zero fields are left
// unchanged, so each transition states only what it learned.
type Change struct {
	DecidedBy  string
	DecidedAt  time.Time
	DoneAt     time.Time
	DenyReason string
	Outcomes   []ItemOutcome
	// Grants are stored with the transition (an executed time-boxed request's grants),
	// so that no executed request is left without the grants that take its access back.
	Grants []Grant
	// ExtendGrant moves an active grant's end (an executed Extend request).
	ExtendGrant *GrantExtension
	// EndGrants are active grants that the transition ends (a `team remove` took the
	// access back first), with EndedBy as their outcome.
	EndGrants []string
	EndedBy   string
	// Lease is the execution lease. On approved -> executing it is taken: Owner and
	// Until are stored with the state. On executing -> done|failed it is required: the
	// swap happens only while Owner still holds the request (a process whose lease
	// was taken over must not record its outcome over the new owner's), and it is
	// cleared. Zero: no lease is set or checked.
	Lease Lease
}

// Lease is an execution lease: who executes a request, and until when it holds it
// without renewing.
type Lease struct {
	Owner string
	Until time.Time
}
