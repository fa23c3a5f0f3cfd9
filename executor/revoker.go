package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
	"devin-chatops/audit"
	"devin-chatops/clock"
)

// Taker takes back one grant's access. It reports approvals.GrantOutcomeRemoved, or
// approvals.GrantOutcomeAlreadyGone when someone else removed it first. It must be safe
// to call again after a crash mid-way.
type Taker interface {
	TakeBack(ctx context.Context, g approvals.Grant) (string, error)
}

// TeamTaker removes a login the bot added to a GitHub enterprise team.
type TeamTaker struct {
	GitHub interface {
		IsMember(ctx context.Context, team, login string) (bool, error)
		RemoveMember(ctx context.Context, team, login string) error
	}
}

// TakeBack removes exactly g's login from g's team, unless it is gone already.
func (t TeamTaker) TakeBack(ctx context.Context, g approvals.Grant) (string, error) {
	in, err := t.GitHub.IsMember(ctx, g.Team, g.Item)
	if err != nil {
		return "", err
	}
	if !in {
		return approvals.GrantOutcomeAlreadyGone, nil
	}
	if err := t.GitHub.RemoveMember(ctx, g.Team, g.Item); err != nil {
		return "", err
	}
	return approvals.GrantOutcomeRemoved, nil
}

// MemberTaker removes a person the bot invited from the Devin enterprise, by the user
// ID the email has now (looked up at revocation: an invitation has no user ID yet).
type MemberTaker struct {
	Devin interface {
		devin.MemberLister
		RemoveMember(ctx context.Context, userID string) error
	}
}

// TakeBack removes g's person from the enterprise, unless they are gone already.
func (t MemberTaker) TakeBack(ctx context.Context, g approvals.Grant) (string, error) {
	found, err := devin.FindMembers(ctx, t.Devin, []string{g.Item})
	if err != nil {
		return "", err
	}
	m, ok := found[key(g.Item)]
	if !ok || m.UserID == "" {
		return approvals.GrantOutcomeAlreadyGone, nil
	}
	if err := t.Devin.RemoveMember(ctx, m.UserID); err != nil {
		if errors.Is(err, apiclient.ErrNotFound) {
			return approvals.GrantOutcomeAlreadyGone, nil
		}
		return "", err
	}
	return approvals.GrantOutcomeRemoved, nil
}

// RevokerConfig tunes a Revoker; zero values take the defaults.
type RevokerConfig struct {
	Owner string // this process, for claims
	// Lease is how long a claim holds a revocation; past it another process takes a
	// crashed revocation over (default 2 minutes).
	Lease time.Duration
	// RetryBase is the first wait after a revocation that failed for a reason a retry
	// may fix (a 5xx, a timeout); it doubles per attempt (default 30 s).
	RetryBase time.Duration
	// MaxAttempts is how many tries a revocation gets before it is reported failed
	// (default 5).
	MaxAttempts int
	// MaxWait bounds one sleep, so grants made by another process are seen too
	// (default 1 minute).
	MaxWait time.Duration
	// Observer counts revocations by outcome (the metrics registry); optional.
	Observer RevocationObserver
}

// RevocationObserver counts revocations: removed or already_gone (recorded as
// revoked), failed (given up), retrying (a try failed, another comes).
type RevocationObserver interface {
	Revoked(outcome string)
}

// Revoker takes back time-boxed access when it ends, once across processes: it sleeps
// until the next grant is due (woken by Kick when grants change), claims each due grant
// in the store, takes it back, records the outcome with its audit event, and tells the
// card's thread and the requester. It also offers the Extend button when a grant nears
// its end.
type Revoker struct {
	store  approvals.GrantStore
	msg    approvals.GrantMessenger
	takers map[approvals.Action]Taker
	kicker approvals.Kicker
	clock  clock.Clock
	log    *slog.Logger
	cfg    RevokerConfig
	wake   chan struct{}
}

// NewRevoker builds a Revoker. takers has one Taker per granting action whose API is
// configured; a grant of another action fails with a message that says so.
func NewRevoker(store approvals.GrantStore, msg approvals.GrantMessenger, takers map[approvals.Action]Taker, kicker approvals.Kicker,
	clk clock.Clock, cfg RevokerConfig, logger *slog.Logger) *Revoker {
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 30 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = time.Minute
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Revoker{store: store, msg: msg, takers: takers, kicker: kicker, clock: clock.OrSystem(clk), log: logger, cfg: cfg,
		wake: make(chan struct{}, 1)}
}

// pastDueRetry is how soon the loop looks again at work a pass left undone.
const pastDueRetry = 5 * time.Second

// Kick re-arms the timer: grants were made, moved or ended.
func (v *Revoker) Kick() {
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

// Run revokes due grants until ctx ends. It starts with a pass, so grants that came due
// while no process ran are revoked at start-up.
func (v *Revoker) Run(ctx context.Context) {
	for {
		if err := v.Pass(ctx); err != nil && ctx.Err() == nil {
			v.log.WarnContext(ctx, "grant pass incomplete", "err", err)
		}
		wait := v.cfg.MaxWait
		if next, ok, err := v.store.NextGrantDue(ctx); err == nil && ok {
			if d := next.Sub(v.clock.Now()); d > 0 {
				wait = min(d, wait)
			} else {
				// Something is due that this pass could not do (Slack down for an
				// announcement, say): try again soon, not in a tight loop.
				wait = min(pastDueRetry, wait)
			}
		}
		if v.sleep(ctx, wait) != nil {
			return
		}
	}
}

func (v *Revoker) sleep(ctx context.Context, d time.Duration) error {
	sleepCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-v.wake:
			cancel()
		case <-sleepCtx.Done():
		}
	}()
	_ = v.clock.Sleep(sleepCtx, d)
	return ctx.Err()
}

// Pass does what is due now: revocations (new, to retry, or taken over from a crashed
// holder), announcements not yet made, and Extend offers. The sweeper calls it too, as
// the backstop.
func (v *Revoker) Pass(ctx context.Context) error {
	grants, err := v.store.ListGrants(ctx)
	if err != nil {
		return err
	}
	now := v.clock.Now()
	var errs []error
	for _, g := range grants {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case g.State == approvals.GrantActive && !g.EndsAt.After(now) && !g.NextAttemptAt.After(now),
			g.State == approvals.GrantRevoking && g.ClaimedUntil.Before(now):
			if err := v.revoke(ctx, g.ID); err != nil {
				errs = append(errs, err)
			}
		case g.State == approvals.GrantActive && !g.Reminded && !g.RemindAt.After(now):
			v.remind(ctx, g)
		}
	}
	// Announce what is final and untold, this pass's revocations included.
	final, err := v.store.ListGrants(ctx, approvals.GrantRevoked, approvals.GrantFailed, approvals.GrantEnded)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, g := range final {
		if !g.Notified {
			v.announce(ctx, g)
		}
	}
	return errors.Join(errs...)
}

// revoke claims grant id and takes it back. Only the claim's holder records the outcome.
func (v *Revoker) revoke(ctx context.Context, id string) error {
	now := v.clock.Now()
	g, mine, err := v.store.ClaimGrant(ctx, id, v.cfg.Owner, now, now.Add(v.cfg.Lease))
	if err != nil || !mine {
		return err
	}
	taker, ok := v.takers[g.Action]
	var outcome string
	if ok {
		callCtx, cancel := context.WithTimeout(ctx, v.cfg.Lease/2)
		outcome, err = taker.TakeBack(callCtx, g)
		cancel()
	} else {
		err = fmt.Errorf("no API is configured to take back %s", g.Action)
	}
	if err != nil && ctx.Err() != nil {
		// Shutting down, and the failure may be the cancellation's doing: the claim
		// lapses and the next process takes it over. A call that succeeded is recorded
		// below, or the next process would find the item gone and audit it as removed by
		// someone else.
		return ctx.Err()
	}
	attempts := g.Attempts + 1
	if err != nil && retryable(err) && attempts < v.cfg.MaxAttempts {
		wait := v.cfg.RetryBase << (attempts - 1)
		v.log.WarnContext(ctx, "revocation failed; retrying", "grant_id", g.ID, "attempt", attempts, "in", wait, "err", audit.Redact(err.Error()))
		_, rerr := v.store.RetryGrant(ctx, g.ID, v.cfg.Owner, attempts, v.clock.Now().Add(wait), apiclient.UserMessage(err))
		v.observe("retrying")
		return rerr
	}
	state, kind := approvals.GrantRevoked, audit.KindRevoked
	detail := revokedDetail(g, outcome)
	if err != nil {
		state, kind, outcome = approvals.GrantFailed, audit.KindRevokeFailed, apiclient.UserMessage(err)
		detail = fmt.Sprintf("could not take back %s from %s after %d attempts: %s", g.Item, g.Where(), attempts, outcome)
	}
	at := v.clock.Now().UTC()
	ev := audit.Event{RequestID: g.RequestID, Kind: kind, Items: []string{g.Item}, Outcome: string(state), Detail: detail, DoneAt: at}
	// Recorded even if shutdown began: the API call is through.
	recCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	done, err := v.store.FinishGrant(recCtx, g.ID, v.cfg.Owner, state, outcome, at, ev)
	if err != nil || !done {
		return err
	}
	if state == approvals.GrantFailed {
		v.observe("failed")
	} else {
		v.observe(outcome)
	}
	if v.kicker != nil {
		v.kicker.Kick()
	}
	v.log.InfoContext(ctx, "grant taken back", "grant_id", g.ID, "request_id", g.RequestID, "state", state, "outcome", outcome)
	return nil
}

func (v *Revoker) observe(outcome string) {
	if v.cfg.Observer != nil {
		v.cfg.Observer.Revoked(outcome)
	}
}

func revokedDetail(g approvals.Grant, outcome string) string {
	if outcome == approvals.GrantOutcomeAlreadyGone {
		return fmt.Sprintf("grant %s ended: %s was already removed from %s by someone else", g.ID, g.Item, g.Where())
	}
	return fmt.Sprintf("grant %s ended: %s removed from %s", g.ID, g.Item, g.Where())
}

// retryable: a failure a later try may not meet (a 5xx, a rate limit, a timeout, the
// network), as opposed to one about the request itself.
func retryable(err error) bool {
	var ae *apiclient.Error
	if errors.As(err, &ae) {
		return ae.Kind == apiclient.KindServer || ae.Kind == apiclient.KindRateLimited || ae.Kind == apiclient.KindTransport
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// announce tells the card's thread and the requester what became of g, once: the flag
// is set first (the compare-and-swap picks one process) and cleared again when Slack
// could not be reached, so a later pass tries again.
func (v *Revoker) announce(ctx context.Context, g approvals.Grant) {
	if v.msg == nil {
		return
	}
	mine, err := v.store.MarkGrantNotified(ctx, g.ID, true)
	if err != nil || !mine {
		return
	}
	if err := v.msg.TellGrant(ctx, g, ""); err != nil {
		v.log.WarnContext(ctx, "grant outcome not announced; trying again later", "grant_id", g.ID, "err", err)
		_, _ = v.store.MarkGrantNotified(context.WithoutCancel(ctx), g.ID, false)
	}
}

// remind offers g's requester the Extend button, once per grant (per end).
func (v *Revoker) remind(ctx context.Context, g approvals.Grant) {
	if v.msg == nil {
		return
	}
	mine, err := v.store.MarkGrantReminded(ctx, g.ID, true)
	if err != nil || !mine {
		return
	}
	if err := v.msg.OfferExtension(ctx, g); err != nil {
		v.log.WarnContext(ctx, "Extend offer not sent; trying again later", "grant_id", g.ID, "err", err)
		_, _ = v.store.MarkGrantReminded(context.WithoutCancel(ctx), g.ID, false)
	}
}
