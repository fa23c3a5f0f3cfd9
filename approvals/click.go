package approvals

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"devin-chatops/audit"
	"devin-chatops/slackui"
)

// Click is an Approve or Deny button press on an approval card.
type Click struct {
	User      string // who clicked
	RequestID string // the button's value
	Approve   bool   // Approve or Deny
	TriggerID string // opens the deny-reason modal; valid for 3 s after the click
	Channel   string // where the card is: refusals are shown there, to the clicker only
	MessageTS string // the card's ts
}

// Refusal texts. Each says exactly why a click changed nothing.
const (
	msgNotApprover  = "Only approvers can decide on requests; you are not one."
	msgOwnApprove   = "You cannot approve your own request."
	msgOwnDeny      = "You cannot deny your own request."
	msgGroupLookup  = "I could not check the approver groups with Slack just now, so your decision was not recorded. Try again in a minute."
	msgStoreFailure = "Something went wrong while recording your decision, so nothing changed. Try again in a minute."
)

// HandleClick acts on a button click, after the ack. The clicker must be an approver
// (directly or through a user group), not the requester unless self-approval is
// allowed, and the request must be pending and unexpired; anything else is refused with
// an ephemeral reply saying why, an audit event, and no change. An Approve records a
// vote and, once the quorum is reached, queues the request for execution (RunExecutor). A Deny opens a modal that
// asks for an optional reason, or denies at once when the modal cannot be opened.
func (s *Service) HandleClick(ctx context.Context, c Click) {
	verb := "deny"
	if c.Approve {
		verb = "approve"
	}
	r, ok := s.check(ctx, c.User, c.RequestID, verb, c.Channel)
	if !ok {
		return
	}
	if c.Approve {
		s.approve(ctx, c.User, r.ID, c.Channel)
		return
	}
	if c.TriggerID != "" {
		err := s.poster.OpenView(ctx, c.TriggerID, DenyModal(r))
		if err == nil {
			return // HandleDenySubmission takes it from here
		}
		s.log.WarnContext(ctx, "deny modal not opened; denying without a reason", "request_id", r.ID, "err", err)
	}
	s.deny(ctx, c.User, r.ID, "", c.Channel)
}

// HandleDenySubmission acts on the deny modal's submission. Every check is made again:
// the request may have been decided, or may have expired, while the modal was open.
// Refusals are shown to the user beside the card (or in a DM when there is none).
func (s *Service) HandleDenySubmission(ctx context.Context, user, requestID, reason string) {
	channel := ""
	if r, err := s.store.GetRequest(ctx, requestID); err == nil {
		channel = r.CardChannel
	}
	r, ok := s.check(ctx, user, requestID, "deny", channel)
	if !ok {
		return
	}
	s.deny(ctx, user, r.ID, reason, channel)
}

// check applies the click checks in order and refuses on the first that fails.
func (s *Service) check(ctx context.Context, user, id, verb, channel string) (Request, bool) {
	r, err := s.store.GetRequest(ctx, id)
	if errors.Is(err, ErrNotFound) {
		s.refuse(ctx, channel, user, id, verb, fmt.Sprintf("Request %s does not exist.", slackui.Inert(id, 20)), "unknown request")
		return Request{}, false
	}
	if err != nil {
		s.log.ErrorContext(ctx, "cannot read request for a click", "request_id", id, "err", err)
		s.tell(ctx, channel, user, msgStoreFailure)
		return Request{}, false
	}
	isApprover, err := s.IsApprover(ctx, user)
	if err != nil {
		s.log.WarnContext(ctx, "approver check failed; click refused", "request_id", id, "user", user, "err", err)
		s.refuse(ctx, channel, user, id, verb, msgGroupLookup, "approver groups could not be checked")
		return Request{}, false
	}
	if !isApprover {
		s.refuse(ctx, channel, user, id, verb, msgNotApprover, "not an approver")
		return Request{}, false
	}
	if user == r.Requester && !s.cfg.AllowSelfApproval {
		msg := msgOwnDeny
		if verb == "approve" {
			msg = msgOwnApprove
		}
		s.refuse(ctx, channel, user, id, verb, msg, "own request")
		return Request{}, false
	}
	return s.checkOpen(ctx, r, user, verb, channel)
}

// checkOpen refuses unless r is pending and unexpired. A pending request found past its
// expiry is expired on the spot, so the card stops offering buttons that cannot work.
func (s *Service) checkOpen(ctx context.Context, r Request, user, verb, channel string) (Request, bool) {
	if r.State == StatePending && !r.ExpiresAt.After(s.now()) {
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
		msg, detail := s.stateRefusal(r)
		s.refuse(ctx, channel, user, r.ID, verb, msg, detail)
		return Request{}, false
	}
	return r, true
}

// stateRefusal says why a request that has left pending cannot be decided.
func (s *Service) stateRefusal(r Request) (msg, detail string) {
	now := s.now()
	switch r.State {
	case StateApproved, StateExecuting, StateDone, StateFailed:
		return fmt.Sprintf("Request %s was already approved by %s at %s.", r.ID, mentions(r.DecidedBy), plainTime(r.DecidedAt, now)), "already approved"
	case StateDenied:
		return fmt.Sprintf("Request %s was already denied by %s at %s.", r.ID, mentions(r.DecidedBy), plainTime(r.DecidedAt, now)), "already denied"
	case StateExpired:
		return fmt.Sprintf("Request %s expired at %s.", r.ID, plainTime(r.ExpiresAt, now)), "expired"
	}
	return fmt.Sprintf("Request %s is %s and can no longer be decided.", r.ID, r.State), "not pending"
}

// refuse tells the clicker why nothing happened and records the refusal.
func (s *Service) refuse(ctx context.Context, channel, user, id, verb, msg, detail string) {
	s.tell(ctx, channel, user, msg)
	ev := audit.Event{RequestID: id, Kind: audit.KindRefused, Actor: user, Command: verb, Detail: detail}
	if err := s.store.AppendAudit(ctx, ev); err != nil {
		s.log.ErrorContext(ctx, "refused click not audited", "request_id", id, "user", user, "err", err)
		return
	}
	s.kick()
}

// tell shows msg to user only: ephemeral in channel, or a DM when there is no channel.
func (s *Service) tell(ctx context.Context, channel, user, msg string) {
	var err error
	if channel != "" {
		err = s.poster.Ephemeral(ctx, channel, user, slackui.Text(msg))
	} else {
		err = s.poster.DM(ctx, user, slackui.Text(msg))
	}
	if err != nil {
		s.log.WarnContext(ctx, "reply to clicker not delivered", "user", user, "err", err)
	}
}

// relock takes the request's decide lock and re-reads it, refusing if it is no longer
// open: the state may have changed while this click waited for the lock.
func (s *Service) relock(ctx context.Context, id, user, verb, channel string) (Request, func(), bool) {
	unlock := s.decideLocks.lock(id)
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		unlock()
		s.log.ErrorContext(ctx, "cannot re-read request", "request_id", id, "err", err)
		s.tell(ctx, channel, user, msgStoreFailure)
		return Request{}, nil, false
	}
	r, ok := s.checkOpen(ctx, r, user, verb, channel)
	if !ok {
		unlock()
		return Request{}, nil, false
	}
	return r, unlock, true
}

func (s *Service) approve(ctx context.Context, user, id, channel string) {
	r, unlock, ok := s.relock(ctx, id, user, "approve", channel)
	if !ok {
		return
	}
	now := s.now().UTC()
	vote := audit.Event{Kind: audit.KindVote, Actor: user, Command: "approve", RequestedAt: r.CreatedAt}
	added, err := s.store.AddVote(ctx, Vote{RequestID: id, Voter: user, Approve: true, At: now}, vote)
	if err != nil {
		unlock()
		s.log.ErrorContext(ctx, "vote not recorded", "request_id", id, "user", user, "err", err)
		s.tell(ctx, channel, user, msgStoreFailure)
		return
	}
	if !added {
		unlock()
		s.refuse(ctx, channel, user, id, "approve", fmt.Sprintf("You already approved %s.", id), "duplicate vote")
		return
	}
	s.kick()
	res, err := s.tally(ctx, r)
	if err != nil {
		unlock()
		s.log.ErrorContext(ctx, "votes not counted", "request_id", id, "err", err)
		s.tell(ctx, channel, user, msgStoreFailure)
		return
	}
	switch res.Status {
	case StateApproved:
		ch := Change{DecidedBy: strings.Join(res.Approvers, ","), DecidedAt: now}
		ev := audit.Event{
			Kind: audit.KindApproved, Actor: user, Command: commandLine(r), Items: r.Items,
			Detail: "approved by " + ch.DecidedBy, RequestedAt: r.CreatedAt, DecidedAt: now,
		}
		swapped, err := s.store.Transition(ctx, id, StatePending, StateApproved, ch, ev)
		unlock()
		if err != nil {
			s.log.ErrorContext(ctx, "approval not recorded", "request_id", id, "err", err)
			s.tell(ctx, channel, user, msgStoreFailure)
			return
		}
		if !swapped {
			s.refuseLost(ctx, id, user, "approve", channel)
			return
		}
		s.kick()
		s.log.InfoContext(ctx, "request approved", "request_id", id, "approvers", ch.DecidedBy)
		// The execution runs in the service's pool, not on this Slack handler: the API
		// calls may take minutes. If it cannot be queued the request stays approved,
		// and the sweeper queues it again.
		if s.enqueue(id) == notQueued {
			s.log.WarnContext(ctx, "approved request not queued for execution; the sweeper will queue it", "request_id", id)
		}
	case StateDenied:
		// A deny vote was stored but its decision was not (a crash in between): finish it.
		unlock()
		s.finishDeny(ctx, r, res)
		s.refuseLost(ctx, id, user, "approve", channel)
	default:
		unlock()
		s.refreshCard(ctx, id)
		s.tell(ctx, channel, user, fmt.Sprintf("Your approval of %s is recorded: %d of %d approvals.", id, len(res.Approvers), s.cfg.RequiredApprovals))
	}
}

// refuseLost answers a click whose decision lost the race to another process.
func (s *Service) refuseLost(ctx context.Context, id, user, verb, channel string) {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		s.tell(ctx, channel, user, msgStoreFailure)
		return
	}
	msg, detail := s.stateRefusal(r)
	s.refuse(ctx, channel, user, id, verb, msg, detail)
}

func (s *Service) deny(ctx context.Context, user, id, reason, channel string) {
	r, unlock, ok := s.relock(ctx, id, user, "deny", channel)
	if !ok {
		return
	}
	reason = slackui.Clip(strings.TrimSpace(reason), MaxDenyReason)
	now := s.now().UTC()
	added, err := s.store.AddVote(ctx, Vote{RequestID: id, Voter: user, Approve: false, Reason: reason, At: now})
	if err != nil {
		unlock()
		s.log.ErrorContext(ctx, "deny vote not recorded", "request_id", id, "user", user, "err", err)
		s.tell(ctx, channel, user, msgStoreFailure)
		return
	}
	if !added && s.votedApprove(ctx, id, user) {
		// A voter's first vote is the one that counts (see Tally).
		unlock()
		s.refuse(ctx, channel, user, id, "deny", fmt.Sprintf("You already approved %s; a vote cannot be changed.", id), "vote change")
		return
	}
	swapped, err := s.store.Transition(ctx, id, StatePending, StateDenied,
		Change{DecidedBy: user, DecidedAt: now, DenyReason: reason}, deniedEvent(r, user, reason, now))
	unlock()
	if err != nil {
		s.log.ErrorContext(ctx, "denial not recorded", "request_id", id, "err", err)
		s.tell(ctx, channel, user, msgStoreFailure)
		return
	}
	if !swapped {
		s.refuseLost(ctx, id, user, "deny", channel)
		return
	}
	s.kick()
	s.log.InfoContext(ctx, "request denied", "request_id", id, "by", user)
	s.refreshCard(ctx, id)
	s.notifyRequester(ctx, id)
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
	at := s.now().UTC()
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
	s.refreshCard(ctx, r.ID)
	s.notifyRequester(ctx, r.ID)
}

func deniedEvent(r Request, by, reason string, at time.Time) audit.Event {
	ev := audit.Event{Kind: audit.KindDenied, Actor: by, Command: commandLine(r), Items: r.Items, RequestedAt: r.CreatedAt, DecidedAt: at}
	if reason != "" {
		ev.Detail = "reason: " + reason
	}
	return ev
}
