// Package audit holds the audit event model: what is recorded, stored and echoed.
// It knows neither Slack nor the APIs (auditecho renders and posts the events).
package audit

import (
	"strings"
	"time"
)

// Kind is what an audit event records. The values are stored as text.
type Kind string

// The event kinds: one per command, request, vote, refused click, and one per state the
// request reaches.
const (
	KindCommand   Kind = "command"
	KindRequest   Kind = "request"
	KindVote      Kind = "vote"
	KindRefused   Kind = "refused"
	KindApproved  Kind = "approved"
	KindDenied    Kind = "denied"
	KindExpired   Kind = "expired"
	KindExecuting Kind = "executing"
	KindDone      Kind = "done"
	KindFailed    Kind = "failed"
	// KindCancelled is a pending request withdrawn by its requester or an approver.
	KindCancelled Kind = "cancelled"
	// KindUsageAlert is an organization crossing an ACU-limit alert threshold, or on
	// track to pass its limit; it belongs to no request and no person.
	KindUsageAlert Kind = "usage_alert"
	// KindRevoked is time-boxed access taken back at its end (or found already gone);
	// KindRevokeFailed one that could not be taken back. Both carry the request that
	// granted it.
	KindRevoked      Kind = "revoked"
	KindRevokeFailed Kind = "revoke_failed"
)

// Event is one audit record. The store fills ID and At when they are empty.
type Event struct {
	ID        string
	RequestID string // empty for events that belong to no request, such as read-only commands
	Kind      Kind
	Actor     string // Slack user ID of whoever caused the event; empty for the bot itself
	// Command is the command and its arguments as typed, for command events.
	Command string
	Items   []string
	Detail  string
	Outcome string
	At      time.Time

	// Request milestones, copied in so that one echo line tells the whole story.
	RequestedAt time.Time
	DecidedAt   time.Time
	DoneAt      time.Time
}

// Pending is an event waiting in the outbox with the number of failed attempts so far.
type Pending struct {
	Event    Event
	Attempts int
}

// approvedByPrefix starts the Detail of a KindApproved event; the rest lists the Slack
// user IDs of the approvers whose votes counted, comma-separated.
const approvedByPrefix = "approved by "

// ApprovedByDetail is the Detail of a KindApproved event: who approved, as IDs, so
// that a renderer can show them as mentions (see ApprovedBy).
func ApprovedByDetail(approvers []string) string {
	return approvedByPrefix + strings.Join(approvers, ",")
}

// ApprovedBy reads the approvers back from a KindApproved event written with
// ApprovedByDetail (events stored before it have the same form). ok is false for any
// other event. The IDs are as stored: check their shape before rendering them.
func ApprovedBy(e Event) (approvers []string, ok bool) {
	rest, found := strings.CutPrefix(e.Detail, approvedByPrefix)
	if e.Kind != KindApproved || !found {
		return nil, false
	}
	for _, id := range strings.Split(rest, ",") {
		if id = strings.TrimSpace(id); id != "" {
			approvers = append(approvers, id)
		}
	}
	return approvers, len(approvers) > 0
}
