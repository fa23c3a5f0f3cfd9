package approvals

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ExtendReason says why an Extend click filed nothing.
type ExtendReason string

// The reasons an Extend click is refused.
const (
	// ExtendUnknownGrant: no grant has that ID (or grants are off).
	ExtendUnknownGrant ExtendReason = "unknown grant"
	// ExtendNotRequester: only the grant's requester may ask for more of it.
	ExtendNotRequester ExtendReason = "not the grant's requester"
	// ExtendAlreadyRequested: an Extend request was already filed for this grant
	// (ExtendRefusal.ExtensionID); there is one per reminder.
	ExtendAlreadyRequested ExtendReason = "already requested"
	// ExtendGrantOver: the grant was ended by a `team remove`, or could not be taken
	// back; there is nothing to extend.
	ExtendGrantOver ExtendReason = "grant over"
)

// ExtendRefusal is an Extend click that filed nothing, and why.
type ExtendRefusal struct {
	Reason  ExtendReason
	GrantID string
	// Grant is the grant as found (zero for an unknown one).
	Grant Grant
	// ExtensionID is the request already filed (ExtendAlreadyRequested).
	ExtensionID string
}

func (e *ExtendRefusal) Error() string {
	return fmt.Sprintf("extend grant %s refused: %s", e.GrantID, e.Reason)
}

// ExtendGrant files, on user's behalf, an approval request that prolongs grant
// grantID by its duration: the same action, item, team, organization and role, with
// ParamGrantFor and ParamExtends. Approved while the grant lasts, its end moves;
// approved after it ended, the item is granted again (grantChanges). Only the grant's
// requester may ask, once per reminder: the grant's ExtensionID records the request,
// and is cleared only when an extension executes (the reminder then comes again for
// the new end). A denied or expired extension leaves the grant as it is, and no second
// request can be filed for it: the requester asks again with `team add`/`invite`.
// Refusals come back as *ExtendRefusal; Submit's errors (ErrNotRequester…) as they are.
//
// The request is filed first, then claimed on the grant (SetGrantExtension from ""),
// and not the other way round: a crash between the two leaves a pending request that
// is complete on its own (executed, it extends the grant through ParamExtends alone),
// and the next click adopts it instead of filing another (findExtension). A claim made
// first would leave, after such a crash, a grant pointing to a request that does not
// exist. A double click in this process is serialised by a per-grant lock; a click in
// each of two processes may both file, and the one that loses the claim cancels its
// own request, so one request remains.
func (s *Service) ExtendGrant(ctx context.Context, user, grantID string) (Request, error) {
	if s.grants == nil {
		return Request{}, &ExtendRefusal{Reason: ExtendUnknownGrant, GrantID: grantID}
	}
	unlock := s.extendLocks.Lock(grantID)
	defer unlock()
	g, err := s.grants.GetGrant(ctx, grantID)
	if errors.Is(err, ErrGrantNotFound) {
		return Request{}, &ExtendRefusal{Reason: ExtendUnknownGrant, GrantID: grantID}
	}
	if err != nil {
		return Request{}, fmt.Errorf("read grant %s: %w", grantID, err)
	}
	switch {
	case user == "" || user != g.Requester:
		return Request{}, &ExtendRefusal{Reason: ExtendNotRequester, GrantID: grantID, Grant: g}
	case g.ExtensionID != "":
		return Request{}, &ExtendRefusal{Reason: ExtendAlreadyRequested, GrantID: grantID, Grant: g, ExtensionID: g.ExtensionID}
	case g.State == GrantEnded || g.State == GrantFailed:
		return Request{}, &ExtendRefusal{Reason: ExtendGrantOver, GrantID: grantID, Grant: g}
	}
	if orphan, ok, err := s.findExtension(ctx, g); err != nil {
		return Request{}, err
	} else if ok {
		s.log.InfoContext(ctx, "extension filed before a crash adopted", "grant_id", g.ID, "request_id", orphan.ID)
		return s.claimExtension(ctx, g, orphan, false)
	}
	r, err := s.Submit(ctx, extensionSubmission(g, s.clock.Now()))
	if err != nil {
		return Request{}, err
	}
	return s.claimExtension(ctx, g, r, true)
}

// claimExtension records r as g's extension. Lost to another process's click, r is
// cancelled when this click filed it (filed), and the winner's request is named.
func (s *Service) claimExtension(ctx context.Context, g Grant, r Request, filed bool) (Request, error) {
	ok, err := s.grants.SetGrantExtension(ctx, g.ID, "", r.ID)
	if err != nil {
		// r is pending and complete; the next click adopts it.
		return Request{}, fmt.Errorf("record extension %s of grant %s: %w", r.ID, g.ID, err)
	}
	if ok {
		s.log.InfoContext(ctx, "grant extension requested", "grant_id", g.ID, "request_id", r.ID)
		return r, nil
	}
	now, err := s.grants.GetGrant(ctx, g.ID)
	if err != nil {
		return Request{}, fmt.Errorf("read grant %s: %w", g.ID, err)
	}
	if now.ExtensionID == r.ID { // another process adopted this very request
		return r, nil
	}
	if filed {
		if _, err := s.Cancel(ctx, g.Requester, r.ID); err != nil {
			s.log.WarnContext(ctx, "duplicate extension request not cancelled", "grant_id", g.ID, "request_id", r.ID, "err", err)
		}
	}
	return Request{}, &ExtendRefusal{Reason: ExtendAlreadyRequested, GrantID: g.ID, Grant: now, ExtensionID: now.ExtensionID}
}

// findExtension looks for an Extend request of g that is still on its way (pending,
// approved or executing) but not recorded on g: one filed by a click that crashed
// before its claim.
func (s *Service) findExtension(ctx context.Context, g Grant) (Request, bool, error) {
	open, err := s.store.ListRequests(ctx, StatePending, StateApproved, StateExecuting)
	if err != nil {
		return Request{}, false, fmt.Errorf("read open requests: %w", err)
	}
	i := slices.IndexFunc(open, func(r Request) bool {
		return r.Param(ParamExtends) == g.ID && r.Requester == g.Requester
	})
	if i < 0 {
		return Request{}, false, nil
	}
	return open[i], true, nil
}

// extensionSubmission asks for g's item again, for g's duration, as an extension of g.
func extensionSubmission(g Grant, now time.Time) Submission {
	d := FormatDuration(g.Duration)
	summary := fmt.Sprintf("Extends grant %s of request %s by %s: approved before it ends %s, the end moves; after, %s is granted again.",
		g.ID, g.RequestID, d, g.EndsAt.UTC().Format("2006-01-02 15:04 UTC"), g.Item)
	plan := fmt.Sprintf("%s in %s until %s under grant %s", g.Item, g.Where(), g.EndsAt.UTC().Format("2006-01-02 15:04 UTC"), g.ID)
	if !g.EndsAt.After(now) || g.State != GrantActive {
		plan = fmt.Sprintf("grant %s of %s in %s ended %s", g.ID, g.Item, g.Where(), g.EndsAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return Submission{
		Requester: g.Requester, Action: g.Action, Items: []string{g.Item},
		Team: g.Team, Org: g.Org, Role: g.Role,
		Reason: fmt.Sprintf("extend grant %s (request %s)", g.ID, g.RequestID),
		Params: map[string]string{
			ParamGrantFor: GrantForParam(g.Duration),
			ParamExtends:  g.ID,
			ParamSummary:  summary,
		},
		Plan: []string{plan},
	}
}
