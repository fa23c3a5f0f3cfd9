package approvals

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"devin-chatops/audit"
)

// BeginExecution makes lease.Owner the executor of request id until lease.Until
// (renewed with RenewLease while the action runs). An approved request is begun: the
// approved -> executing compare-and-swap, with its audit event, happens once across
// every process. An executing request is taken over only when its lease has run out
// (its executor died or handed it back): that compare-and-swap, with its "resumed"
// event, also happens once, and the request comes back Resumed so the action checks
// what its earlier run already did. ok is false when the request is not the caller's
// to run: another process holds it, or it is finished.
func (s *Service) BeginExecution(ctx context.Context, id string, lease Lease) (r Request, ok bool, err error) {
	if lease.Owner == "" {
		return Request{}, false, fmt.Errorf("begin execution %s: no lease owner", id)
	}
	r, err = s.store.GetRequest(ctx, id)
	if err != nil {
		return Request{}, false, err
	}
	started := audit.Event{
		RequestID: id, Kind: audit.KindExecuting, Command: CommandLine(r), Items: r.Items,
		RequestedAt: r.CreatedAt, DecidedAt: r.DecidedAt,
	}
	switch r.State {
	case StateApproved:
		swapped, err := s.store.Transition(ctx, id, StateApproved, StateExecuting, Change{Lease: lease}, started)
		if err != nil || !swapped {
			return Request{}, false, err
		}
		r.State = StateExecuting
	case StateExecuting:
		started.Detail = ResumedDetail
		taken, err := s.store.TakeOver(ctx, id, lease, s.clock.Now(), started)
		if err != nil || !taken {
			return Request{}, false, err
		}
		r.Resumed = true
	default:
		return Request{}, false, nil
	}
	r.ExecOwner, r.LeaseUntil = lease.Owner, lease.Until
	s.kick()
	s.refreshCard(ctx, id)
	s.log.InfoContext(ctx, "executing request", "request_id", id, "action", r.Action, "items", len(r.Items), "resumed", r.Resumed)
	return r, true, nil
}

// ResumedDetail is the detail of the "executing" audit event of a run that took over
// an execution whose lease had run out.
const ResumedDetail = "resumed: the run that began it stopped (its lease ran out)"

// RenewLease extends owner's lease on an executing request (the heartbeat); ok is false
// when the lease was lost: another process took the request over, or it is finished.
func (s *Service) RenewLease(ctx context.Context, id string, lease Lease) (bool, error) {
	return s.store.RenewLease(ctx, id, lease)
}

// ReleaseLease hands an execution back at shutdown: its lease ends now, so another
// process takes it over at once instead of waiting for the lease to run out.
func (s *Service) ReleaseLease(ctx context.Context, id, owner string) (bool, error) {
	return s.store.ReleaseLease(ctx, id, owner, s.clock.Now())
}

// ErrLeaseLost: the outcome of an execution was not recorded because its executor no
// longer holds the request; the process that took it over records its own.
var ErrLeaseLost = errors.New("execution lease lost to another process")

// FinishExecution records what the execution of request id did, one outcome per item:
// executing -> done when every item succeeded, else failed, with the audit event; then
// the card shows it and the requester is told. It records only while owner holds the
// request's execution lease: ErrLeaseLost when another process has taken it over (that
// process records its own outcome), nil when the request is already finished.
func (s *Service) FinishExecution(ctx context.Context, id, owner string, outcomes []ItemOutcome) error {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	final, kind := StateDone, audit.KindDone
	if !AllOK(outcomes) {
		final, kind = StateFailed, audit.KindFailed
	}
	doneAt := s.clock.Now().UTC()
	ev := audit.Event{
		Kind: kind, Command: CommandLine(r), Items: r.Items, Outcome: Summary(outcomes),
		Detail:      failureDetail(outcomes),
		RequestedAt: r.CreatedAt, DecidedAt: r.DecidedAt, DoneAt: doneAt,
	}
	ch := Change{Outcomes: outcomes, DoneAt: doneAt, Grants: grantsFor(r, outcomes, doneAt), Lease: Lease{Owner: owner}}
	if r.State == StateExecuting {
		ext, ended, err := s.grantChanges(ctx, r, outcomes)
		if err != nil {
			return err // the request stays executing; the sweeper or next start retries
		}
		ch.ExtendGrant, ch.EndedBy = ext, id
		for _, g := range ended {
			ch.EndGrants = append(ch.EndGrants, g.ID)
		}
		if len(ch.Grants) > 0 || ext != nil {
			ev.Detail = strings.TrimPrefix(ev.Detail+"; "+grantDetail(ch), "; ")
		}
	}
	ok, err := s.store.Transition(ctx, id, StateExecuting, final, ch, ev)
	if err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}
	if !ok {
		if cur, err := s.store.GetRequest(ctx, id); err == nil && cur.State == StateExecuting && cur.ExecOwner != owner {
			return fmt.Errorf("record outcome of %s: %w (now held by %s)", id, ErrLeaseLost, cur.ExecOwner)
		}
		return nil // finished already
	}
	s.kick()
	if len(ch.Grants) > 0 || ch.ExtendGrant != nil || len(ch.EndGrants) > 0 {
		if s.grantsChanged != nil {
			s.grantsChanged()
		}
	}
	if ch.ExtendGrant != nil {
		s.announceExtension(ctx, ch.ExtendGrant.ID, id)
	}
	s.log.InfoContext(ctx, "request executed", "request_id", id, "state", final, "outcome", ev.Outcome)
	s.refreshCard(ctx, id)
	s.notifyRequester(ctx, id)
	return nil
}

// AllOK reports whether every outcome counts as success.
func AllOK(outcomes []ItemOutcome) bool {
	for _, o := range outcomes {
		if !OutcomeOK(o.Status) {
			return false
		}
	}
	return true
}

// failureDetail names the first few failures for the audit line.
func failureDetail(outcomes []ItemOutcome) string {
	const shown = 3
	var parts []string
	n := 0
	for _, o := range outcomes {
		if o.Status != OutcomeFailed {
			continue
		}
		if n < shown {
			parts = append(parts, o.Item+": "+o.Reason)
		}
		n++
	}
	switch more := n - shown; {
	case more == 1:
		parts = append(parts, "and 1 more failure")
	case more > 1:
		parts = append(parts, fmt.Sprintf("and %d more failures", more))
	}
	return strings.Join(parts, "; ")
}

// grantDetail says in the audit line what the execution granted or extended.
func grantDetail(ch Change) string {
	switch {
	case ch.ExtendGrant != nil:
		return "grant " + ch.ExtendGrant.ID + " extended until " + ch.ExtendGrant.EndsAt.UTC().Format("2006-01-02 15:04 UTC")
	case len(ch.Grants) == 1:
		return "granted until " + ch.Grants[0].EndsAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	return fmt.Sprintf("%d grants until %s", len(ch.Grants), ch.Grants[0].EndsAt.UTC().Format("2006-01-02 15:04 UTC"))
}

// announceExtension says on the original card's thread, and to the requester, that a
// grant's end moved. Best effort: the Extend request's own card and DM say it too.
func (s *Service) announceExtension(ctx context.Context, grantID, requestID string) {
	if s.grantMsg == nil {
		return
	}
	g, err := s.grants.GetGrant(ctx, grantID)
	if err != nil {
		s.log.WarnContext(ctx, "extended grant not read back", "grant_id", grantID, "err", err)
		return
	}
	if err := s.grantMsg.TellGrant(ctx, g, requestID); err != nil {
		s.log.WarnContext(ctx, "grant extension not announced", "grant_id", grantID, "err", err)
	}
}
