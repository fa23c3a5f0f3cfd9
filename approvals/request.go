// Package approvals holds the approval request model, its state machine, the quorum
// policy and the store contract the approval service needs.
package approvals

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// State is where a request is in its life cycle. The values are stored as text, so they
// must never be renamed.
type State string

// The request states. pending is the only state a vote can change; approved, executing
// are in flight; denied, expired, cancelled, done and failed are final.
const (
	StatePending   State = "pending"
	StateApproved  State = "approved"
	StateDenied    State = "denied"
	StateExpired   State = "expired"
	StateExecuting State = "executing"
	StateDone      State = "done"
	StateFailed    State = "failed"
	// StateCancelled: withdrawn while pending, by its requester or an approver
	// (DecidedBy, DecidedAt say who and when).
	StateCancelled State = "cancelled"
)

// CanTransition reports whether a request may move from one state to another. Every
// edge not listed is refused, so that a bug cannot, say, re-open a denied request.
func CanTransition(from, to State) bool {
	switch from {
	case StatePending:
		return to == StateApproved || to == StateDenied || to == StateExpired || to == StateCancelled
	case StateApproved:
		return to == StateExecuting
	case StateExecuting:
		return to == StateDone || to == StateFailed
	}
	return false
}

// Final reports whether the request can no longer change state.
func (s State) Final() bool {
	return s == StateDenied || s == StateExpired || s == StateCancelled || s == StateDone || s == StateFailed
}

// Action is the change a request asks for. The values are stored as text.
type Action string

// The actions that need approval.
const (
	ActionInvite     Action = "invite"
	ActionTeamAdd    Action = "team_add"
	ActionTeamRemove Action = "team_remove"
	// ActionOrgCreate creates a Devin organization: Items is its one name, Params
	// "acu_limit" its cycle limit ("" for none).
	ActionOrgCreate Action = "org_create"
	// ActionOrgLimit sets or removes an organization's cycle ACU limit: Org is its ID,
	// Items its one name, Params "limit" the new limit ("none" removes it) and
	// "limit_before" the limit when the request was made.
	ActionOrgLimit Action = "org_limit"
	// ActionOrgAdd adds enterprise members to an organization: Org is its ID, Items the
	// emails, Role member or admin, Params "org_name".
	ActionOrgAdd Action = "org_add"
	// ActionPermissionAdd grants an organization repositories on the git connection:
	// Org is its ID, Items the repositories, Params "org_name" and "connection_id".
	ActionPermissionAdd Action = "permission_add"
	// ActionOffboard removes a person: Items are the steps, the email first (its Devin
	// membership) then each enterprise team the GitHub login is in; Params
	// "devin_user_id", "github_login" and "email" (the person, also when the email is
	// not a Devin member and so no step).
	ActionOffboard Action = "offboard"
)

// The per-item outcome statuses recorded after execution.
const (
	OutcomeInvited       = "invited"
	OutcomeAlreadyMember = "already_member"
	OutcomeAdded         = "added"
	OutcomeRemoved       = "removed"
	OutcomeNotMember     = "not_member"
	OutcomeCreated       = "created"
	OutcomeUpdated       = "updated"
	OutcomeGranted       = "granted"
	OutcomeFailed        = "failed"
	// OutcomeExists: what was to be created already existed when the request ran (a
	// retry after a crash, or someone else made it first); nothing was created.
	OutcomeExists = "exists"
	// OutcomeUnchanged: the item was already as asked when the request ran; nothing
	// was sent.
	OutcomeUnchanged = "unchanged"
)

// Request is one change waiting for, or past, approval.
type Request struct {
	ID        string
	Action    Action
	Requester string // Slack user ID
	// Items are the emails (invite) or GitHub logins (team add/remove) the action applies to.
	Items         []string
	Role          string
	Org           string
	Team          string
	Reason        string
	OriginChannel string
	State         State
	CreatedAt     time.Time
	ExpiresAt     time.Time
	DecidedAt     time.Time // zero until approved, denied
	DoneAt        time.Time // zero until done or failed
	DecidedBy     string
	DenyReason    string
	// CardChannel and CardTS locate the approval card so it can be updated in place.
	CardChannel string
	CardTS      string
	Outcomes    []ItemOutcome
	// CardState is the state the card last showed (empty before it first did), and
	// NotifiedState the final state the requester was last told about (empty until
	// then). The sweeper re-sends whatever lags behind State (Service.Reconcile).
	CardState     State
	NotifiedState State
	// SyncAttempts counts the sweeper's failed tries in a row to bring the request up
	// to date in Slack, and NextSyncAt is when it may try again (zero: at once). Both
	// are cleared once the request is up to date.
	SyncAttempts int
	NextSyncAt   time.Time

	// Params are an action's own arguments beyond items, org, team and role (an org's
	// new limit, a GitHub login), by name. Stored as they are; nil when there are none.
	Params map[string]string
	// Resumed is set (not stored) on a request handed to its action again after a
	// restart: what the action finds already done may be its own earlier run's work.
	Resumed bool `json:"-"`

	// ExecOwner is the process executing the request and LeaseUntil when its lease
	// runs out unless renewed (the heartbeat): set when execution begins or is taken
	// over, cleared when it finishes. Another process takes an executing request over
	// only once LeaseUntil has passed.
	ExecOwner  string
	LeaseUntil time.Time

	// Plan is what the check before submission found, one plain-text line per fact
	// ("limit now 1,000, after 2,000"), shown on the card. Escape it for mrkdwn.
	Plan []string
}

// Param is the named parameter, or "".
func (r Request) Param(name string) string { return r.Params[name] }

// ItemOutcome is what execution did for one item.
// The JSON names are the stored form: keep them stable.
type ItemOutcome struct {
	Item   string `json:"item"`
	Status string `json:"status"`           // one of the Outcome… constants
	Reason string `json:"reason,omitempty"` // the API's reason when Status is failed
}

// Vote is one approver's decision on a request.
type Vote struct {
	RequestID string
	Voter     string // Slack user ID
	Approve   bool
	Reason    string
	At        time.Time
}

// idAlphabet is Crockford's base32: digits and upper-case letters without I, L, O and U,
// so an ID read aloud or retyped from a screenshot cannot be confused.
const idAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// idPrefix marks request IDs so they stand out in chat ("R7K3QX0").
const idPrefix = "R"

// idBodyLen gives 30 random bits: collisions are rare at the volume of approval requests,
// and the store refuses a duplicate so the caller can draw again.
const idBodyLen = 6

// ErrInvalidID is returned by ParseID for text that cannot be a request ID.
var ErrInvalidID = errors.New("not a request ID")

// NewID draws a request ID such as "R7K3QX0" from r, or from crypto/rand when r is nil.
func NewID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var buf [idBodyLen]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return "", fmt.Errorf("new request ID: %w", err)
	}
	var b strings.Builder
	b.Grow(len(idPrefix) + idBodyLen)
	b.WriteString(idPrefix)
	for _, c := range buf {
		// 256 is a multiple of 32, so masking keeps every symbol equally likely.
		b.WriteByte(idAlphabet[c&31])
	}
	return b.String(), nil
}

// ParseID normalises a user-typed request ID: surrounding space and backticks go, case is
// ignored, and the letters people type for digits (O for 0, I and L for 1) are mapped.
func ParseID(s string) (string, error) {
	s = strings.ToUpper(strings.Trim(s, " \t\r\n`"))
	if len(s) != len(idPrefix)+idBodyLen || !strings.HasPrefix(s, idPrefix) {
		return "", fmt.Errorf("%w: %q (expected %s followed by %d letters or digits)", ErrInvalidID, clipID(s), idPrefix, idBodyLen)
	}
	body := []byte(s[len(idPrefix):])
	for i, c := range body {
		switch c {
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		}
		if strings.IndexByte(idAlphabet, c) < 0 {
			return "", fmt.Errorf("%w: %q", ErrInvalidID, clipID(s))
		}
		body[i] = c
	}
	return idPrefix + string(body), nil
}

// clipID keeps error messages short when someone pastes a paragraph where an ID belongs.
func clipID(s string) string {
	const max = 20
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
