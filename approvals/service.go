package approvals

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"devin-chatops/audit"
	"devin-chatops/slackui"
)

// ServiceStore is the durable state the service needs: the request store plus audit
// events that come with no state change (refused clicks).
type ServiceStore interface {
	Store
	AppendAudit(ctx context.Context, events ...audit.Event) error
}

// Poster is the part of the bot's outbound poster the service uses.
type Poster interface {
	Post(ctx context.Context, channel string, m slackui.Message) (ts string, err error)
	Update(ctx context.Context, channel, ts string, m slackui.Message) error
	Ephemeral(ctx context.Context, channel, user string, m slackui.Message) error
	DM(ctx context.Context, user string, m slackui.Message) error
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) error
}

// Executor carries out an approved request. It returns one outcome per item it reached;
// on an error the service marks every item without an outcome failed with the error's
// user message. It must be safe to call again for the same request (after a crash the
// request is executed again), which the three actions are on the API side.
type Executor interface {
	Execute(ctx context.Context, r Request) ([]ItemOutcome, error)
}

// Kicker wakes the audit echoer after events were stored (audit.Echoer).
type Kicker interface{ Kick() }

// Config is the approval policy and where cards go.
type Config struct {
	// ApprovalChannel is where approval cards are posted.
	ApprovalChannel string
	// AuditChannel is only named in texts; the audit echoer posts there.
	AuditChannel string
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

// Deps are the service's collaborators. Store, Poster and Executor are required; Groups
// is required when Approvers or Requesters name a user group.
type Deps struct {
	Store    ServiceStore
	Poster   Poster
	Executor Executor
	Groups   GroupMembers
	// Kicker is told after every stored event; optional.
	Kicker Kicker
	// Clock defaults to time.Now.
	Clock func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// IDs is the randomness request IDs are drawn from (default crypto/rand).
	IDs io.Reader
	// GroupTTL is how long user-group members are cached (default 1 minute).
	GroupTTL time.Duration
	// ExecTimeout bounds one execution's API calls (default 10 minutes).
	ExecTimeout time.Duration
	// SyncRetry is how long the sweeper waits before it tries again to bring a request
	// up to date in Slack after a failed try; the wait doubles with each further failure,
	// up to 30 times SyncRetry. Give it the sweeper's interval (default 1 minute).
	SyncRetry time.Duration
}

// Errors returned by Submit.
var (
	ErrNotRequester      = errors.New("not allowed to request changes")
	ErrInvalidSubmission = errors.New("invalid request")
)

// maxIDAttempts bounds the redraws after an ID collision: with 30 random bits, needing
// more than one is already a sign that the ID source is broken.
const maxIDAttempts = 5

// cardGrace is how old a pending request without a card must be before the sweeper
// posts one, so it does not race the Submit that is posting it right now.
const cardGrace = time.Minute

// Service runs the approval flow: requests, cards, clicks, quorum, execution, expiry
// and recovery after a restart. Approved requests are executed by RunExecutor, which
// must be running beside RunSweeper. It is safe for concurrent use; the store's
// compare-and-swap transitions make every decision and execution happen once, also
// across processes, and per-request locks keep one process from racing itself.
type Service struct {
	cfg         Config
	store       ServiceStore
	poster      Poster
	exec        Executor
	kicker      Kicker
	groups      *groupCache
	now         func() time.Time
	log         *slog.Logger
	ids         io.Reader
	execTimeout time.Duration
	syncRetry   time.Duration
	pool        *execPool // approved requests waiting for RunExecutor

	decideLocks keyedMutex // votes and decisions on one request
	execLocks   keyedMutex // executing one request
	cardLocks   keyedMutex // posting or updating one request's card
	notifyLocks keyedMutex // telling one request's requester how it ended

	behindMu sync.Mutex
	behind   map[string]sighting // what the last reconcile pass found lagging in Slack
}

// NewService checks cfg and deps and builds a Service.
func NewService(cfg Config, d Deps) (*Service, error) {
	var problems []string
	if cfg.ApprovalChannel == "" {
		problems = append(problems, "no approval channel")
	}
	if len(cfg.Approvers) == 0 {
		problems = append(problems, "no approvers")
	}
	if d.Store == nil {
		problems = append(problems, "no store")
	}
	if d.Poster == nil {
		problems = append(problems, "no poster")
	}
	if d.Executor == nil {
		problems = append(problems, "no executor")
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
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.ExecTimeout <= 0 {
		d.ExecTimeout = 10 * time.Minute
	}
	if d.SyncRetry <= 0 {
		d.SyncRetry = time.Minute
	}
	return &Service{
		cfg:         cfg,
		store:       d.Store,
		poster:      d.Poster,
		exec:        d.Executor,
		kicker:      d.Kicker,
		groups:      newGroupCache(d.Groups, d.GroupTTL, d.Clock),
		now:         d.Clock,
		log:         d.Logger,
		ids:         d.IDs,
		execTimeout: d.ExecTimeout,
		syncRetry:   d.SyncRetry,
		pool:        newExecPool(),
	}, nil
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

func (s *Service) kick() {
	if s.kicker != nil {
		s.kicker.Kick()
	}
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

// Submission is a validated change command to put up for approval.
type Submission struct {
	Requester     string // Slack user ID
	OriginChannel string
	Action        Action
	Items         []string // emails (invite) or GitHub logins (team add/remove)
	Role          string
	Org           string
	Team          string
	Reason        string
}

func (sub Submission) validate() error {
	var problems []string
	if sub.Requester == "" {
		problems = append(problems, "no requester")
	}
	switch sub.Action {
	case ActionInvite:
	case ActionTeamAdd, ActionTeamRemove:
		if strings.TrimSpace(sub.Team) == "" {
			problems = append(problems, "no team")
		}
	default:
		problems = append(problems, fmt.Sprintf("unknown action %q", sub.Action))
	}
	if len(sub.Items) == 0 {
		problems = append(problems, "no items")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidSubmission, strings.Join(problems, "; "))
	}
	return nil
}

// Submit stores a new pending request, with its audit event, and posts its approval
// card. The request is stored before the card is posted: if posting fails the request
// stays pending without a card and the sweeper (or Recover) posts it later, so Submit
// still succeeds. The caller tells the requester "Request R… is waiting for approval in
// <#APPROVAL_CHANNEL>".
func (s *Service) Submit(ctx context.Context, sub Submission) (Request, error) {
	if err := sub.validate(); err != nil {
		return Request{}, err
	}
	ok, err := s.CanRequest(ctx, sub.Requester)
	if err != nil {
		return Request{}, fmt.Errorf("check requester: %w", err)
	}
	if !ok {
		return Request{}, ErrNotRequester
	}
	now := s.now().UTC()
	r := Request{
		Action:        sub.Action,
		Requester:     sub.Requester,
		Items:         sub.Items,
		Role:          sub.Role,
		Org:           sub.Org,
		Team:          sub.Team,
		Reason:        sub.Reason,
		OriginChannel: sub.OriginChannel,
		State:         StatePending,
		CreatedAt:     now,
		ExpiresAt:     now.Add(s.cfg.TTL),
	}
	command := commandLine(r)
	for attempt := 1; ; attempt++ {
		if r.ID, err = NewID(s.ids); err != nil {
			return Request{}, err
		}
		ev := audit.Event{
			Kind: audit.KindRequest, Actor: r.Requester, Command: command, Items: r.Items,
			Detail:      fmt.Sprintf("needs %d approval(s); expires %s", s.cfg.RequiredApprovals, r.ExpiresAt.Format("2006-01-02 15:04 UTC")) + reasonDetail(r.Reason),
			RequestedAt: now,
		}
		err = s.store.CreateRequest(ctx, r, ev)
		if errors.Is(err, ErrDuplicateID) && attempt < maxIDAttempts {
			continue
		}
		if err != nil {
			return Request{}, fmt.Errorf("store request: %w", err)
		}
		break
	}
	s.kick()
	s.log.InfoContext(ctx, "approval request submitted", "request_id", r.ID, "action", r.Action, "requester", r.Requester, "items", len(r.Items))

	if err := s.postCard(ctx, r.ID); err != nil {
		s.log.WarnContext(ctx, "approval card not posted; it will be posted later", "request_id", r.ID, "err", err)
	}
	if posted, err := s.store.GetRequest(ctx, r.ID); err == nil {
		r = posted
	}
	return r, nil
}

func reasonDetail(reason string) string {
	if strings.TrimSpace(reason) == "" {
		return ""
	}
	return "; reason: " + reason
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
	now := s.now()
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

// renderCard builds r's card with its current votes.
func (s *Service) renderCard(ctx context.Context, r Request) slackui.Message {
	v := CardVotes{Required: s.cfg.RequiredApprovals}
	if r.State == StatePending {
		if res, err := s.tally(ctx, r); err != nil {
			s.log.WarnContext(ctx, "cannot read votes for the card", "request_id", r.ID, "err", err)
		} else {
			v.Approvers = res.Approvers
		}
	}
	return Card(r, v)
}

// postCard posts the card of a pending request that has none yet.
func (s *Service) postCard(ctx context.Context, id string) error {
	unlock := s.cardLocks.lock(id)
	defer unlock()
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return err
	}
	if r.CardTS != "" || r.State != StatePending {
		return nil
	}
	ts, err := s.poster.Post(ctx, s.cfg.ApprovalChannel, s.renderCard(ctx, r))
	if err != nil {
		return fmt.Errorf("post card: %w", err)
	}
	if err := s.store.SetCard(ctx, id, s.cfg.ApprovalChannel, ts); err != nil {
		// The card is in Slack but not recorded: it will not be updated in place, and a
		// later recovery may post a second one. Loud, because it needs a look.
		s.log.ErrorContext(ctx, "approval card posted but not recorded", "request_id", id, "ts", ts, "err", err)
		return err
	}
	if err := s.store.MarkCardShown(ctx, id, r.State); err != nil {
		// Only costs one needless re-render by the sweeper.
		s.log.WarnContext(ctx, "approval card state not recorded", "request_id", id, "err", err)
	}
	return nil
}

// refreshCard re-renders a request's card from the store, after a vote or a transition.
// Failures are logged; the sweeper retries a card whose state is not shown.
func (s *Service) refreshCard(ctx context.Context, id string) {
	if err := s.syncCard(ctx, id, false); err != nil {
		s.log.WarnContext(ctx, "approval card not updated; the sweeper will retry", "request_id", id, "err", err)
	}
}

// syncCard re-renders a request's card and records the state it showed. onlyStale
// leaves alone a card that already shows the request's state (the sweeper's case; a
// vote changes a pending card without changing its state, so refreshCard always renders).
//
// Card writes for one request are serialised and each reads the request afresh under
// the lock, so whichever runs last shows the latest state: a slow "1 of 2" update can
// never overwrite "done". The state recorded is the one rendered, not the one stored by
// then: if a transition lands while Slack is being called, the card stays marked stale
// and is fixed by that transition's own refresh or by a later sweep.
func (s *Service) syncCard(ctx context.Context, id string, onlyStale bool) error {
	unlock := s.cardLocks.lock(id)
	defer unlock()
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	if r.CardTS == "" || (onlyStale && r.CardState == r.State) {
		return nil
	}
	if err := s.poster.Update(ctx, r.CardChannel, r.CardTS, s.renderCard(ctx, r)); err != nil {
		if !permanentSlackError(err) {
			return fmt.Errorf("update card: %w", err)
		}
		// Deleted, or its channel is gone: no retry can fix it. Give up on this state
		// (recorded as shown) instead of trying again on every sweep.
		s.log.ErrorContext(ctx, "approval card can no longer be updated; giving up on it", "request_id", id,
			"state", r.State, "channel", r.CardChannel, "ts", r.CardTS, "err", err)
	}
	if err := s.store.MarkCardShown(ctx, id, r.State); err != nil {
		// The card is right; the sweeper will only render it once more.
		return fmt.Errorf("record card state: %w", err)
	}
	return nil
}

// notifyRequester DMs the requester how their request ended. Failures are logged; the
// sweeper retries a requester not yet told.
func (s *Service) notifyRequester(ctx context.Context, id string) {
	if err := s.sendOutcome(ctx, id); err != nil {
		s.log.WarnContext(ctx, "requester not told about their request; the sweeper will retry", "request_id", id, "err", err)
	}
}

// sendOutcome DMs the requester of a final request how it ended, unless they were
// told already, and records it. A requester who cannot be DM'd (the error is
// permanent) is told with an ephemeral in the channel they asked from instead. The check and the send are serialised per request, so
// the sweeper and the transition that ended the request do not both send it.
//
// Delivery is at least once: a crash (or a failed write) between the DM and
// MarkNotified leaves the request unmarked and the next sweep sends the DM again. A
// Slack message and a database row cannot be one transaction, and telling twice beats
// never telling. Across replicas the lock does not hold; the sweeper's settle time
// (see Reconcile) is what keeps one replica's sweep from sending it while another
// replica's click is still sending it.
func (s *Service) sendOutcome(ctx context.Context, id string) error {
	unlock := s.notifyLocks.lock(id)
	defer unlock()
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	if !r.State.Final() || r.NotifiedState == r.State {
		return nil
	}
	msg := outcomeMessage(r)
	if err := s.poster.DM(ctx, r.Requester, msg); err != nil {
		if !permanentSlackError(err) {
			return fmt.Errorf("DM requester: %w", err)
		}
		if err := s.tellInOrigin(ctx, r, msg, err); err != nil {
			return err
		}
	}
	if err := s.store.MarkNotified(ctx, id, r.State); err != nil {
		return fmt.Errorf("record notification (the DM went out and will be sent again): %w", err)
	}
	return nil
}

// tellInOrigin is the fallback for a requester who cannot be DM'd (dmErr is
// permanent): an ephemeral in the channel the request was made from. It returns an
// error only when that may work on a later try; a requester who cannot be reached
// either way is logged once, and given up on.
func (s *Service) tellInOrigin(ctx context.Context, r Request, msg slackui.Message, dmErr error) error {
	if r.OriginChannel == "" {
		s.log.ErrorContext(ctx, "requester cannot be DM'd and the request has no origin channel; they are not told how it ended",
			"request_id", r.ID, "requester", r.Requester, "err", dmErr)
		return nil
	}
	err := s.poster.Ephemeral(ctx, r.OriginChannel, r.Requester, msg)
	switch {
	case err == nil:
		s.log.WarnContext(ctx, "requester cannot be DM'd; told in the channel they asked from", "request_id", r.ID,
			"requester", r.Requester, "channel", r.OriginChannel, "err", dmErr)
		return nil
	case permanentSlackError(err):
		s.log.ErrorContext(ctx, "requester can be neither DM'd nor told in the channel they asked from; they are not told how it ended",
			"request_id", r.ID, "requester", r.Requester, "channel", r.OriginChannel, "dm_err", dmErr, "err", err)
		return nil
	}
	return fmt.Errorf("DM requester: %w; ephemeral in the origin channel instead: %w", dmErr, err)
}

// HandleInteraction routes the approval card's button clicks and the deny modal's
// submission, and reports whether cb was one of them. Call it after the ack.
func (s *Service) HandleInteraction(ctx context.Context, cb slack.InteractionCallback) bool {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, a := range cb.ActionCallback.BlockActions {
			if a == nil || !strings.HasPrefix(a.BlockID, CardBlockIDPrefix) {
				continue
			}
			if a.ActionID != ActionIDApprove && a.ActionID != ActionIDDeny {
				continue
			}
			channel := cb.Channel.ID
			if channel == "" {
				channel = cb.Container.ChannelID
			}
			ts := cb.Container.MessageTs
			if ts == "" {
				ts = cb.Message.Timestamp
			}
			s.HandleClick(ctx, Click{
				User: cb.User.ID, RequestID: a.Value, Approve: a.ActionID == ActionIDApprove,
				TriggerID: cb.TriggerID, Channel: channel, MessageTS: ts,
			})
			return true
		}
	case slack.InteractionTypeViewSubmission:
		if cb.View.CallbackID != DenyCallbackID {
			return false
		}
		reason := ""
		if cb.View.State != nil {
			reason = cb.View.State.Values[DenyReasonBlockID][DenyReasonActionID].Value
		}
		s.HandleDenySubmission(ctx, cb.User.ID, cb.View.PrivateMetadata, reason)
		return true
	}
	return false
}
