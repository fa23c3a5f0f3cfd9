package approvals

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"devin-chatops/audit"
)

// MaxDenyReason is the longest deny reason kept, in characters.
const MaxDenyReason = 500

// Approval is what an Approve did.
type Approval struct {
	RequestID string
	// Decided is true when this approval reached the quorum: the request is approved
	// and queued for execution.
	Decided bool
	// Counted is how many approvals count so far, of Required.
	Counted, Required int
}

// CheckDecision applies the checks of a decision without making it: user must be an
// approver (directly or through a user group), not the requester unless self-approval
// is allowed, and the request must be pending and unexpired. A failed check comes back
// as a *Refusal, already audited; a store failure as another error.
func (s *Service) CheckDecision(ctx context.Context, user, id string, verb Verb) (Request, error) {
	r, err := s.store.GetRequest(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Request{}, s.refuse(ctx, user, verb, id, Request{}, RefusedUnknownRequest)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "cannot read request for a decision", "request_id", id, "err", err)
		return Request{}, fmt.Errorf("read request: %w", err)
	}
	isApprover, err := s.IsApprover(ctx, user)
	if err != nil {
		s.log.WarnContext(ctx, "approver check failed; decision refused", "request_id", id, "user", user, "err", err)
		return Request{}, s.refuse(ctx, user, verb, id, r, RefusedGroupLookup)
	}
	if !isApprover {
		return Request{}, s.refuse(ctx, user, verb, id, r, RefusedNotApprover)
	}
	if user == r.Requester && !s.cfg.AllowSelfApproval {
		return Request{}, s.refuse(ctx, user, verb, id, r, RefusedOwnRequest)
	}
	return s.checkOpen(ctx, r, user, verb)
}

// checkOpen refuses unless r is pending and unexpired. A pending request found past its
// expiry is expired on the spot, so the card stops offering buttons that cannot work.
func (s *Service) checkOpen(ctx context.Context, r Request, user string, verb Verb) (Request, error) {
	if r.State == StatePending && !r.ExpiresAt.After(s.clock.Now()) {
		s.expire(ctx, r)
		if fresh, err := s.store.GetRequest(ctx, r.ID); err == nil {
			r = fresh
		}
		if r.State == StatePending {
			// The expiry could not be recorded; refuse anyway, the time is what counts.
			r.State = StateExpired
		}
	}
	if r.State != StatePending {
		return Request{}, s.refuse(ctx, user, verb, r.ID, r, stateRefusal(r.State))
	}
	return r, nil
}

// stateRefusal says why a request that has left pending cannot be decided.
func stateRefusal(st State) RefusalReason {
	switch st {
	case StateApproved, StateExecuting, StateDone, StateFailed:
		return RefusedAlreadyApproved
	case StateDenied:
		return RefusedAlreadyDenied
	case StateExpired:
		return RefusedExpired
	case StateCancelled:
		return RefusedCancelled
	}
	return RefusedNotPending
}

// refuse records a refused decision and returns it as an error.
func (s *Service) refuse(ctx context.Context, user string, verb Verb, id string, r Request, reason RefusalReason) error {
	ev := audit.Event{RequestID: id, Kind: audit.KindRefused, Actor: user, Command: string(verb), Detail: string(reason)}
	if err := s.store.AppendAudit(ctx, ev); err != nil {
		s.log.ErrorContext(ctx, "refused decision not audited", "request_id", id, "user", user, "err", err)
	} else {
		s.kick()
	}
	return &Refusal{Reason: reason, Verb: verb, RequestID: id, Request: r}
}

// refuseLost refuses a decision that lost the race to another process.
func (s *Service) refuseLost(ctx context.Context, id, user string, verb Verb) error {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	return s.refuse(ctx, user, verb, id, r, stateRefusal(r.State))
}

// relock takes the request's decide lock and re-reads it, refusing if it is no longer
// open: the state may have changed while this decision waited for the lock.
func (s *Service) relock(ctx context.Context, id, user string, verb Verb) (Request, func(), error) {
	unlock := s.decideLocks.Lock(id)
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		unlock()
		s.log.ErrorContext(ctx, "cannot re-read request", "request_id", id, "err", err)
		return Request{}, nil, fmt.Errorf("read request: %w", err)
	}
	if r, err = s.checkOpen(ctx, r, user, verb); err != nil {
		unlock()
		return Request{}, nil, err
	}
	return r, unlock, nil
}

// Approve records user's approval of request id after every check of CheckDecision.
// Once the quorum is reached the request is approved and queued for execution.
func (s *Service) Approve(ctx context.Context, user, id string) (Approval, error) {
	if _, err := s.CheckDecision(ctx, user, id, VerbApprove); err != nil {
		return Approval{}, err
	}
	r, unlock, err := s.relock(ctx, id, user, VerbApprove)
	if err != nil {
		return Approval{}, err
	}
	now := s.clock.Now().UTC()
	vote := audit.Event{Kind: audit.KindVote, Actor: user, Command: string(VerbApprove), RequestedAt: r.CreatedAt}
	added, err := s.store.AddVote(ctx, Vote{RequestID: id, Voter: user, Approve: true, At: now}, vote)
	if err != nil {
		unlock()
		s.log.ErrorContext(ctx, "vote not recorded", "request_id", id, "user", user, "err", err)
		return Approval{}, fmt.Errorf("record vote: %w", err)
	}
	if !added {
		unlock()
		return Approval{}, s.refuse(ctx, user, VerbApprove, id, r, RefusedDuplicateVote)
	}
	s.kick()
	res, err := s.tally(ctx, r)
	if err != nil {
		unlock()
		s.log.ErrorContext(ctx, "votes not counted", "request_id", id, "err", err)
		return Approval{}, fmt.Errorf("count votes: %w", err)
	}
	out := Approval{RequestID: id, Counted: len(res.Approvers), Required: s.cfg.RequiredApprovals}
	switch res.Status {
	case StateApproved:
		ch := Change{DecidedBy: strings.Join(res.Approvers, ","), DecidedAt: now}
		ev := audit.Event{
			Kind: audit.KindApproved, Actor: user, Command: CommandLine(r), Items: r.Items,
			Detail: audit.ApprovedByDetail(res.Approvers), RequestedAt: r.CreatedAt, DecidedAt: now,
		}
		swapped, err := s.store.Transition(ctx, id, StatePending, StateApproved, ch, ev)
		unlock()
		if err != nil {
			s.log.ErrorContext(ctx, "approval not recorded", "request_id", id, "err", err)
			return Approval{}, fmt.Errorf("record approval: %w", err)
		}
		if !swapped {
			return Approval{}, s.refuseLost(ctx, id, user, VerbApprove)
		}
		s.kick()
		s.decided(r, StateApproved, now)
		s.log.InfoContext(ctx, "request approved", "request_id", id, "approvers", ch.DecidedBy)
		// The execution runs in the executor's pool, not on this handler: the API calls
		// may take minutes. If it cannot be queued the request stays approved, and the
		// sweeper queues it again.
		if !s.queue.Enqueue(id) {
			s.log.WarnContext(ctx, "approved request not queued for execution; the sweeper will queue it", "request_id", id)
		}
		out.Decided = true
		return out, nil
	case StateDenied:
		// A deny vote was stored but its decision was not (a crash in between): finish it.
		unlock()
		s.finishDeny(ctx, r, res)
		return Approval{}, s.refuseLost(ctx, id, user, VerbApprove)
	default:
		unlock()
		s.refreshCard(ctx, id)
		return out, nil
	}
}

// Deny denies request id on user's behalf, with an optional reason, after every check
// of CheckDecision: the request may have been decided, or may have expired, since the
// decision began.
func (s *Service) Deny(ctx context.Context, user, id, reason string) error {
	if _, err := s.CheckDecision(ctx, user, id, VerbDeny); err != nil {
		return err
	}
	r, unlock, err := s.relock(ctx, id, user, VerbDeny)
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if r := []rune(reason); len(r) > MaxDenyReason {
		reason = string(r[:MaxDenyReason-1]) + "…"
	}
	now := s.clock.Now().UTC()
	added, err := s.store.AddVote(ctx, Vote{RequestID: id, Voter: user, Approve: false, Reason: reason, At: now})
	if err != nil {
		unlock()
		s.log.ErrorContext(ctx, "deny vote not recorded", "request_id", id, "user", user, "err", err)
		return fmt.Errorf("record deny vote: %w", err)
	}
	if !added && s.votedApprove(ctx, id, user) {
		// A voter's first vote is the one that counts (see Tally).
		unlock()
		return s.refuse(ctx, user, VerbDeny, id, r, RefusedVoteChange)
	}
	swapped, err := s.store.Transition(ctx, id, StatePending, StateDenied,
		Change{DecidedBy: user, DecidedAt: now, DenyReason: reason}, deniedEvent(r, user, reason, now))
	unlock()
	if err != nil {
		s.log.ErrorContext(ctx, "denial not recorded", "request_id", id, "err", err)
		return fmt.Errorf("record denial: %w", err)
	}
	if !swapped {
		return s.refuseLost(ctx, id, user, VerbDeny)
	}
	s.kick()
	s.decided(r, StateDenied, now)
	s.log.InfoContext(ctx, "request denied", "request_id", id, "by", user)
	s.refreshCard(ctx, id)
	s.notifyRequester(ctx, id)
	return nil
}

func (s *Service) votedApprove(ctx context.Context, id, user string) bool {
	votes, err := s.store.Votes(ctx, id)
	if err != nil {
		return true // refuse rather than guess
	}
	for _, v := range votes {
		if v.Voter == user {
			return v.Approve
		}
	}
	return false
}

// finishDeny records a denial whose deny vote is already stored.
func (s *Service) finishDeny(ctx context.Context, r Request, res Result) {
	if len(res.Deniers) == 0 {
		return
	}
	by, reason := res.Deniers[0], ""
	at := s.clock.Now().UTC()
	if votes, err := s.store.Votes(ctx, r.ID); err == nil {
		for _, v := range votes {
			if v.Voter == by {
				reason, at = v.Reason, v.At
			}
		}
	}
	swapped, err := s.store.Transition(ctx, r.ID, StatePending, StateDenied,
		Change{DecidedBy: by, DecidedAt: at, DenyReason: reason}, deniedEvent(r, by, reason, at))
	if err != nil || !swapped {
		return
	}
	s.kick()
	s.decided(r, StateDenied, at)
	s.refreshCard(ctx, r.ID)
	s.notifyRequester(ctx, r.ID)
}

func deniedEvent(r Request, by, reason string, at time.Time) audit.Event {
	ev := audit.Event{Kind: audit.KindDenied, Actor: by, Command: CommandLine(r), Items: r.Items, RequestedAt: r.CreatedAt, DecidedAt: at}
	if reason != "" {
		ev.Detail = "reason: " + reason
	}
	return ev
}
