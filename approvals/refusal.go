package approvals

import "fmt"

// RefusalReason says why a decision was refused. The values are also the refusal's
// audit detail, so they must not be renamed.
type RefusalReason string

// The reasons a decision on a request is refused.
const (
	RefusedUnknownRequest  RefusalReason = "unknown request"
	RefusedGroupLookup     RefusalReason = "approver groups could not be checked"
	RefusedNotApprover     RefusalReason = "not an approver"
	RefusedOwnRequest      RefusalReason = "own request"
	RefusedAlreadyApproved RefusalReason = "already approved"
	RefusedAlreadyDenied   RefusalReason = "already denied"
	RefusedExpired         RefusalReason = "expired"
	RefusedNotPending      RefusalReason = "not pending"
	RefusedDuplicateVote   RefusalReason = "duplicate vote"
	RefusedVoteChange      RefusalReason = "vote change"
	// RefusedCancelled: the request was withdrawn (Request.DecidedBy says by whom).
	RefusedCancelled RefusalReason = "cancelled"
	// RefusedNotRequesterOrApprover: only a request's requester or an approver may
	// cancel it.
	RefusedNotRequesterOrApprover RefusalReason = "neither requester nor approver"
)

// Verb is the decision someone tried to make.
type Verb string

// The decisions: approve and deny are the approvers'; cancel withdraws a request.
const (
	VerbApprove Verb = "approve"
	VerbDeny    Verb = "deny"
	VerbCancel  Verb = "cancel"
)

// Refusal is a decision that changed nothing, and why. It is already audited when
// returned; the presentation turns it into a reply to the person who tried.
type Refusal struct {
	Reason RefusalReason
	Verb   Verb
	// RequestID is the ID as given; Request is the request as found (zero for an
	// unknown request; with State expired for one found past its expiry).
	RequestID string
	Request   Request
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("%s %s refused: %s", r.Verb, r.RequestID, r.Reason)
}
