package approvals

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"devin-chatops/audit"
)

// GrantState is where a grant is in its life. The values are stored as text.
type GrantState string

// The grant states: active until its end; revoking while one process (holding the
// claim) takes the access back; then revoked (taken back, or found already gone),
// failed (could not be taken back) or ended (a `team remove` took it back first).
const (
	GrantActive   GrantState = "active"
	GrantRevoking GrantState = "revoking"
	GrantRevoked  GrantState = "revoked"
	GrantFailed   GrantState = "failed"
	GrantEnded    GrantState = "ended"
)

// Final reports whether the grant can no longer change state.
func (s GrantState) Final() bool {
	return s == GrantRevoked || s == GrantFailed || s == GrantEnded
}

// The outcomes a revocation records (Grant.Outcome).
const (
	GrantOutcomeRemoved     = "removed"
	GrantOutcomeAlreadyGone = "already_gone"
)

// Grant is access the bot gave for a time: one item (a login added to a team, a person
// invited to the enterprise) of an executed time-boxed request, to be taken back at
// EndsAt.
type Grant struct {
	ID        string // the request ID, "-", the item's position
	RequestID string
	Action    Action // ActionInvite or ActionTeamAdd
	Item      string // the email or GitHub login
	Team      string
	Role      string
	Org       string
	Requester string
	Duration  time.Duration
	StartedAt time.Time
	EndsAt    time.Time
	// RemindAt is when the requester is offered an Extend button (Reminded once done).
	RemindAt time.Time
	Reminded bool
	// ExtensionID is the request the Extend button filed ("" before a click).
	ExtensionID string
	State       GrantState
	// Outcome is GrantOutcomeRemoved, GrantOutcomeAlreadyGone or the failure's reason.
	Outcome string
	DoneAt  time.Time
	// Attempts counts failed revocations in a row; NextAttemptAt is when the next may
	// be made.
	Attempts      int
	NextAttemptAt time.Time
	// ClaimedBy holds a revoking grant until ClaimedUntil; a lapsed claim (its holder
	// crashed) may be taken over.
	ClaimedBy    string
	ClaimedUntil time.Time
	// CardChannel and CardTS locate the card of the request that granted it.
	CardChannel string
	CardTS      string
	// Notified: the final state was announced on the card's thread and to the requester.
	Notified bool
}

// Where says what the grant is to: "ent:platform" or "the Devin enterprise".
func (g Grant) Where() string {
	if g.Action == ActionTeamAdd {
		return g.Team
	}
	return "the Devin enterprise"
}

// remindAt is when a grant of d ending at end offers the Extend button: a day before
// the end, or at 90 % of a grant shorter than ten days.
func remindAt(start time.Time, d time.Duration, end time.Time) time.Time {
	if d < 10*24*time.Hour {
		return start.Add(d * 9 / 10)
	}
	return end.Add(-24 * time.Hour)
}

// ErrGrantNotFound: no grant has that ID.
var ErrGrantNotFound = errors.New("grant not found")

// GrantExtension moves an active grant's end (and its reminder) when its Extend request
// has executed.
type GrantExtension struct {
	ID       string
	EndsAt   time.Time
	RemindAt time.Time
}

// GrantStore is the durable state of grants. Every change is a compare-and-swap on the
// grant's state, with its audit events in the same transaction.
type GrantStore interface {
	GetGrant(ctx context.Context, id string) (Grant, error)
	// ListGrants returns the grants in any of states (all when none), by end.
	ListGrants(ctx context.Context, states ...GrantState) ([]Grant, error)
	// ClaimGrant makes owner the revoker of grant id until until: an active grant
	// whose end and next attempt are due at now, or a revoking one whose claim has
	// lapsed. Of several processes only one gets true.
	ClaimGrant(ctx context.Context, id, owner string, now, until time.Time) (Grant, bool, error)
	// FinishGrant records owner's revocation: revoking -> to (revoked or failed) with
	// outcome, only while owner holds the claim.
	FinishGrant(ctx context.Context, id, owner string, to GrantState, outcome string, at time.Time, events ...audit.Event) (bool, error)
	// RetryGrant hands a failed attempt back: revoking -> active, to be tried again at
	// next, only while owner holds the claim.
	RetryGrant(ctx context.Context, id, owner string, attempts int, next time.Time, lastErr string) (bool, error)
	// NextGrantDue is the earliest time something is due: an end, a retry, a lapsed
	// claim or a reminder.
	NextGrantDue(ctx context.Context) (time.Time, bool, error)
	// MarkGrantReminded and MarkGrantNotified are compare-and-swaps of a flag: true
	// for the one caller that set it. UnmarkGrant… undo them after a failed post.
	MarkGrantReminded(ctx context.Context, id string, reminded bool) (bool, error)
	MarkGrantNotified(ctx context.Context, id string, notified bool) (bool, error)
	// SetGrantExtension records the Extend request filed for the grant: from "" (or
	// the value given as from) to id; false when another click got there first.
	SetGrantExtension(ctx context.Context, grantID, from, to string) (bool, error)
}

// grantsFor are the grants an executed time-boxed request gives: one per item that
// actually changed (invited or added by this execution), not the ones that were already
// so, nor failures, so that the bot later takes back only what it gave.
func grantsFor(r Request, outcomes []ItemOutcome, doneAt time.Time) []Grant {
	d, ok := r.GrantFor()
	if !ok || (r.Action != ActionInvite && r.Action != ActionTeamAdd) {
		return nil
	}
	var out []Grant
	for i, o := range outcomes {
		if o.Status != OutcomeInvited && o.Status != OutcomeAdded {
			continue
		}
		end := doneAt.Add(d)
		out = append(out, Grant{
			ID: r.ID + "-" + strconv.Itoa(i+1), RequestID: r.ID, Action: r.Action, Item: o.Item,
			Team: r.Team, Role: r.Role, Org: r.Org, Requester: r.Requester, Duration: d,
			StartedAt: doneAt, EndsAt: end, RemindAt: remindAt(doneAt, d, end), State: GrantActive,
			CardChannel: r.CardChannel, CardTS: r.CardTS,
		})
	}
	return out
}

// grantChanges works out what an execution does to grants besides creating them: an
// Extend request that executed while its grant is active moves that grant's end; a
// `team remove` that removed a login ends the active grants of that login in that team.
func (s *Service) grantChanges(ctx context.Context, r Request, outcomes []ItemOutcome) (ext *GrantExtension, ended []Grant, err error) {
	if s.grants == nil {
		return nil, nil, nil
	}
	if id := r.Param(ParamExtends); id != "" {
		d, ok := r.GrantFor()
		g, err := s.grants.GetGrant(ctx, id)
		switch {
		case errors.Is(err, ErrGrantNotFound):
		case err != nil:
			return nil, nil, fmt.Errorf("read grant %s: %w", id, err)
		case ok && g.State == GrantActive && len(outcomes) == 1 &&
			(outcomes[0].Status == OutcomeAlreadyMember || outcomes[0].Status == OutcomeUnchanged):
			// Still there: the same access, for longer. (Gone meanwhile, the item
			// is granted afresh and a new grant is made.)
			end := g.EndsAt.Add(d)
			ext = &GrantExtension{ID: g.ID, EndsAt: end, RemindAt: end.Add(-remindLead(d))}
		}
	}
	// Any later decision about an item under a grant supersedes the grant: a removal
	// (by a team remove or an offboarding) leaves nothing to take back, and a permanent
	// add or invite of the same item means the access is no longer time-boxed. Without
	// this, the grant's end would take away access the bot no longer gave.
	type target struct{ action, team, item string }
	var ends []target
	_, timeBoxed := r.GrantFor()
	for i, o := range outcomes {
		if i >= len(r.Items) {
			break
		}
		switch {
		case r.Action == ActionTeamRemove && (o.Status == OutcomeRemoved || o.Status == OutcomeNotMember):
			ends = append(ends, target{string(ActionTeamAdd), r.Team, o.Item})
		case r.Action == ActionTeamAdd && !timeBoxed && r.Param(ParamExtends) == "" &&
			(o.Status == OutcomeAdded || o.Status == OutcomeAlreadyMember):
			ends = append(ends, target{string(ActionTeamAdd), r.Team, o.Item})
		case r.Action == ActionInvite && !timeBoxed && r.Param(ParamExtends) == "" &&
			(o.Status == OutcomeInvited || o.Status == OutcomeAlreadyMember):
			ends = append(ends, target{string(ActionInvite), "", o.Item})
		case r.Action == ActionOffboard && (o.Status == OutcomeRemoved || o.Status == OutcomeNotMember):
			if i == 0 && r.Param("devin_user_id") != "" {
				ends = append(ends, target{string(ActionInvite), "", o.Item})
			} else if login := r.Param("github_login"); login != "" {
				ends = append(ends, target{string(ActionTeamAdd), o.Item, login})
			}
		}
	}
	if len(ends) > 0 {
		active, err := s.grants.ListGrants(ctx, GrantActive)
		if err != nil {
			return nil, nil, fmt.Errorf("read active grants: %w", err)
		}
		for _, g := range active {
			for _, t := range ends {
				if string(g.Action) == t.action && ItemKey(g.Item) == ItemKey(t.item) &&
					(t.action == string(ActionInvite) || ItemKey(g.Team) == ItemKey(t.team)) {
					ended = append(ended, g)
					break
				}
			}
		}
	}
	return ext, ended, nil
}

// remindLead is how long before the end a grant of d offers the Extend button.
func remindLead(d time.Duration) time.Duration {
	if d < 10*24*time.Hour {
		return d / 10
	}
	return 24 * time.Hour
}

// ActiveGrants lists the grants still in force (active or being revoked), soonest end
// first.
func (s *Service) ActiveGrants(ctx context.Context) ([]Grant, error) {
	if s.grants == nil {
		return nil, nil
	}
	return s.grants.ListGrants(ctx, GrantActive, GrantRevoking)
}
