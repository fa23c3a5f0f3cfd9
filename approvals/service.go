package approvals

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"devin-chatops/audit"
	"devin-chatops/clock"
	"devin-chatops/internal/keylock"
)

// ServiceStore is the durable state the service needs: the request store plus audit
// events that come with no state change (refused decisions), and a request's audit
// events for its history.
type ServiceStore interface {
	Store
	AppendAudit(ctx context.Context, events ...audit.Event) error
	// AuditEvents returns the events of one request in the order they were written.
	AuditEvents(ctx context.Context, requestID string) ([]audit.Event, error)
}

// Config is the approval policy.
type Config struct {
	// Approvers are Slack user IDs (U…, W…) and user-group IDs (S…).
	Approvers []string
	// Requesters, when not empty, are the only users (or user-group members) who may
	// submit requests.
	Requesters []string
	// RequiredApprovals is how many distinct approvers must approve (at least 1).
	RequiredApprovals int
	// AllowSelfApproval lets a requester decide on their own request.
	AllowSelfApproval bool
	// TTL is how long a request waits for a decision (default 24h).
	TTL time.Duration
}

// Deps are the service's collaborators. Store, Messenger and Queue are required;
// Groups is required when Approvers or Requesters name a user group.
type Deps struct {
	Store     ServiceStore
	Messenger Messenger
	Queue     Queue
	Groups    GroupMembers
	// Kicker is told after every stored event; optional.
	Kicker Kicker
	// Clock defaults to the wall clock.
	Clock clock.Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// IDs is the randomness request IDs are drawn from (default crypto/rand).
	IDs io.Reader
	// GroupTTL is how long user-group members are cached (default 1 minute).
	GroupTTL time.Duration
	// Grants stores time-boxed access; nil turns grants off (`--for` is then stored
	// but never taken back, so the app always sets it).
	Grants GrantStore
	// GrantMessenger announces grant changes; optional.
	GrantMessenger GrantMessenger
	// GrantsChanged is told when grants were created, moved or ended (the revoker
	// re-arms its timer); optional.
	GrantsChanged func()
	// Decisions observes how long each decision took from the submission (the
	// metrics registry); optional.
	Decisions DecisionObserver
}

// DecisionObserver is told of each recorded decision: "approved" or "denied", d
// after the request was submitted.
type DecisionObserver interface {
	Decided(decision string, d time.Duration)
}

// Errors returned by Submit.
var (
	ErrNotRequester      = errors.New("not allowed to request changes")
	ErrInvalidSubmission = errors.New("invalid request")
)

// maxIDAttempts bounds the redraws after an ID collision: with 30 random bits, needing
// more than one is already a sign that the ID source is broken.
const maxIDAttempts = 5

// Service is the approval domain: it takes requests, counts votes, decides, expires
// and records executions, and has the messenger show each step. It is safe for
// concurrent use; the store's compare-and-swap transitions make every decision and
// execution happen once, also across processes, and per-request locks keep one
// process from racing itself.
type Service struct {
	cfg    Config
	store  ServiceStore
	msg    Messenger
	queue  Queue
	kicker Kicker
	groups *groupCache
	clock  clock.Clock
	log    *slog.Logger
	ids    io.Reader

	grants        GrantStore
	grantMsg      GrantMessenger
	grantsChanged func()
	decisions     DecisionObserver

	// expiryWake tells RunExpiry that a request was submitted, so it re-arms its timer
	// (buffered: a wake while it is busy is kept for its next wait).
	expiryWake chan struct{}

	decideLocks keylock.Set // votes and decisions on one request
	cardLocks   keylock.Set // posting or updating one request's card
	notifyLocks keylock.Set // telling one request's requester how it ended
	extendLocks keylock.Set // Extend clicks on one grant
}

// NewService checks cfg and deps and builds a Service.
func NewService(cfg Config, d Deps) (*Service, error) {
	var problems []string
	if len(cfg.Approvers) == 0 {
		problems = append(problems, "no approvers")
	}
	if d.Store == nil {
		problems = append(problems, "no store")
	}
	if d.Messenger == nil {
		problems = append(problems, "no messenger")
	}
	if d.Queue == nil {
		problems = append(problems, "no execution queue")
	}
	if d.Groups == nil && (hasGroup(cfg.Approvers) || hasGroup(cfg.Requesters)) {
		problems = append(problems, "approvers or requesters name a user group but no group lookup is configured")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("approval service: %s", strings.Join(problems, "; "))
	}
	if cfg.RequiredApprovals < 1 {
		cfg.RequiredApprovals = 1
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 24 * time.Hour
	}
	d.Clock = clock.OrSystem(d.Clock)
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &Service{
		cfg:    cfg,
		store:  d.Store,
		msg:    d.Messenger,
		queue:  d.Queue,
		kicker: d.Kicker,
		groups: newGroupCache(d.Groups, d.GroupTTL, d.Clock),
		clock:  d.Clock,
		log:    d.Logger,
		ids:    d.IDs,

		grants: d.Grants, grantMsg: d.GrantMessenger, grantsChanged: d.GrantsChanged,
		decisions: d.Decisions,

		expiryWake: make(chan struct{}, 1),
	}, nil
}

// decided tells the observer, if any, that r was decided at.
func (s *Service) decided(r Request, decision State, at time.Time) {
	if s.decisions != nil {
		s.decisions.Decided(string(decision), at.Sub(r.CreatedAt))
	}
}

func hasGroup(ids []string) bool {
	for _, id := range ids {
		if isGroupID(id) {
			return true
		}
	}
	return false
}

// Config returns the effective configuration (defaults applied).
func (s *Service) Config() Config { return s.cfg }

// Now is the service's clock, for presenting times relative to it.
func (s *Service) Now() time.Time { return s.clock.Now() }

func (s *Service) kick() {
	if s.kicker != nil {
		s.kicker.Kick()
	}
}

// Get returns the request with that ID (ErrNotFound when there is none).
func (s *Service) Get(ctx context.Context, id string) (Request, error) {
	return s.store.GetRequest(ctx, id)
}

// CanRequest reports whether user may submit requests. An error (wrapping
// ErrGroupLookup) means a requester group could not be read: treat it as no.
func (s *Service) CanRequest(ctx context.Context, user string) (bool, error) {
	if user == "" {
		return false, nil
	}
	if len(s.cfg.Requesters) == 0 {
		return true, nil
	}
	return s.groups.contains(ctx, s.cfg.Requesters, user)
}

// IsApprover reports whether user may decide on requests. An error (wrapping
// ErrGroupLookup) means an approver group could not be read: treat it as no.
func (s *Service) IsApprover(ctx context.Context, user string) (bool, error) {
	return s.groups.contains(ctx, s.cfg.Approvers, user)
}

// PendingView is one pending request as /devin requests lists it.
type PendingView struct {
	Request Request
	Age     time.Duration
	// Approvals are the approvers whose approval counts so far, in vote order.
	Approvals []string
	// Required is how many approvals the request needs in all; Needed how many more.
	Required int
	Needed   int
}

// Pending lists the requests still waiting for a decision, oldest first. Requests past
// their expiry that the sweeper has not reached yet are left out.
func (s *Service) Pending(ctx context.Context) ([]PendingView, error) {
	reqs, err := s.store.ListRequests(ctx, StatePending)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := make([]PendingView, 0, len(reqs))
	for _, r := range reqs {
		if !r.ExpiresAt.After(now) {
			continue
		}
		res, err := s.tally(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, PendingView{
			Request: r, Age: now.Sub(r.CreatedAt), Approvals: res.Approvers,
			Required: s.cfg.RequiredApprovals, Needed: max(s.cfg.RequiredApprovals-len(res.Approvers), 0),
		})
	}
	return out, nil
}

// tally counts r's votes under the current approver list. A voter whose approver status
// cannot be checked (a group lookup failed) does not count: fail closed.
func (s *Service) tally(ctx context.Context, r Request) (Result, error) {
	votes, err := s.store.Votes(ctx, r.ID)
	if err != nil {
		return Result{}, err
	}
	approver := map[string]bool{}
	for _, v := range votes {
		if _, done := approver[v.Voter]; done {
			continue
		}
		ok, err := s.IsApprover(ctx, v.Voter)
		if err != nil {
			s.log.WarnContext(ctx, "approver check failed; vote not counted for now", "request_id", r.ID, "voter", v.Voter, "err", err)
		}
		approver[v.Voter] = ok && err == nil
	}
	return Tally(votes, func(u string) bool { return approver[u] }, r.Requester, s.cfg.AllowSelfApproval, s.cfg.RequiredApprovals), nil
}
