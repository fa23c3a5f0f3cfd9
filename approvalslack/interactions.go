package approvalslack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// Decider is the part of the approval domain a click reaches (*approvals.Service).
type Decider interface {
	Get(ctx context.Context, id string) (approvals.Request, error)
	CheckDecision(ctx context.Context, user, id string, verb approvals.Verb) (approvals.Request, error)
	Approve(ctx context.Context, user, id string) (approvals.Approval, error)
	Deny(ctx context.Context, user, id, reason string) error
	Now() time.Time
	// Cancel and Detail answer /devin cancel ID and /devin requests ID (desk.go).
	Cancel(ctx context.Context, user, id string) (approvals.Request, error)
	Detail(ctx context.Context, user, id string) (approvals.Detail, error)
	// ExtendGrant answers the Extend button of a grant's reminder (extend.go).
	ExtendGrant(ctx context.Context, user, grantID string) (approvals.Request, error)
}

// Handler turns the approval card's clicks and the deny modal's submissions into
// domain decisions, and answers the person who clicked.
type Handler struct {
	dec    Decider
	poster Poster
	log    *slog.Logger
}

// NewHandler builds the interaction handler.
func NewHandler(dec Decider, poster Poster, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return &Handler{dec: dec, poster: poster, log: logger}
}

// Click is an Approve or Deny button press on an approval card.
type Click struct {
	User      string // who clicked
	RequestID string // the button's value
	Approve   bool   // Approve or Deny
	TriggerID string // opens the deny-reason modal; valid for 3 s after the click
	Channel   string // where the card is: refusals are shown there, to the clicker only
	MessageTS string // the card's ts
}

// HandleInteraction routes the approval card's button clicks and the deny modal's
// submission, and reports whether cb was one of them. Call it after the ack.
func (h *Handler) HandleInteraction(ctx context.Context, cb slack.InteractionCallback) bool {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		channel := cb.Channel.ID
		if channel == "" {
			channel = cb.Container.ChannelID
		}
		ts := cb.Container.MessageTs
		if ts == "" {
			ts = cb.Message.Timestamp
		}
		for _, a := range cb.ActionCallback.BlockActions {
			if a != nil && strings.HasPrefix(a.BlockID, ItemsBlockIDPrefix) && a.ActionID == ActionIDShowItems {
				h.HandleShowItems(ctx, ShowItems{User: cb.User.ID, RequestID: a.Value, Channel: channel, MessageTS: ts})
				return true
			}
			if a != nil && strings.HasPrefix(a.BlockID, ExtendBlockIDPrefix) && a.ActionID == ActionIDExtend {
				h.HandleExtend(ctx, ExtendClick{User: cb.User.ID, GrantID: a.Value, Channel: channel, MessageTS: ts, Text: cb.Message.Text})
				return true
			}
			if a == nil || !strings.HasPrefix(a.BlockID, CardBlockIDPrefix) {
				continue
			}
			if a.ActionID != ActionIDApprove && a.ActionID != ActionIDDeny {
				continue
			}
			h.HandleClick(ctx, Click{
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
		h.HandleDenySubmission(ctx, cb.User.ID, cb.View.PrivateMetadata, reason)
		return true
	}
	return false
}

// HandleClick acts on a button click, after the ack. An Approve records a vote (and
// once the quorum is reached the request runs); a Deny opens a modal that asks for an
// optional reason, or denies at once when the modal cannot be opened. A refused click
// gets an ephemeral reply saying why.
func (h *Handler) HandleClick(ctx context.Context, c Click) {
	if c.Approve {
		res, err := h.dec.Approve(ctx, c.User, c.RequestID)
		if err != nil {
			h.tell(ctx, c.Channel, c.User, h.failureText(err))
			return
		}
		if !res.Decided {
			h.tell(ctx, c.Channel, c.User, fmt.Sprintf("Your approval of %s is recorded: %d of %d approvals.", res.RequestID, res.Counted, res.Required))
		}
		return
	}
	if c.TriggerID != "" {
		r, err := h.dec.CheckDecision(ctx, c.User, c.RequestID, approvals.VerbDeny)
		if err != nil {
			h.tell(ctx, c.Channel, c.User, h.failureText(err))
			return
		}
		err = h.poster.OpenView(ctx, c.TriggerID, DenyModal(r))
		if err == nil {
			return // HandleDenySubmission takes it from here
		}
		h.log.WarnContext(ctx, "deny modal not opened; denying without a reason", "request_id", r.ID, "err", err)
	}
	if err := h.dec.Deny(ctx, c.User, c.RequestID, ""); err != nil {
		h.tell(ctx, c.Channel, c.User, h.failureText(err))
	}
}

// HandleDenySubmission acts on the deny modal's submission. Every check is made again:
// the request may have been decided, or may have expired, while the modal was open.
// Refusals are shown to the user beside the card (or in a DM when there is none).
func (h *Handler) HandleDenySubmission(ctx context.Context, user, requestID, reason string) {
	channel := ""
	if r, err := h.dec.Get(ctx, requestID); err == nil {
		channel = r.CardChannel
	}
	if err := h.dec.Deny(ctx, user, requestID, reason); err != nil {
		h.tell(ctx, channel, user, h.failureText(err))
	}
}

// Replies to a decision that changed nothing.
const (
	msgNotApprover  = "Only approvers can decide on requests; you are not one."
	msgOwnApprove   = "You cannot approve your own request."
	msgOwnDeny      = "You cannot deny your own request."
	msgGroupLookup  = "I could not check the approver groups with Slack just now, so your decision was not recorded. Try again in a minute."
	msgStoreFailure = "Something went wrong while recording your decision, so nothing changed. Try again in a minute."
	msgNotYours     = "Only the requester of a request or an approver can cancel it; you are neither."
	msgGroupCancel  = "I could not check the approver groups with Slack just now, so the request was not cancelled. Try again in a minute."
)

// failureText says exactly why a decision changed nothing: the refusal's reason, or,
// for any other error, that recording it failed.
func (h *Handler) failureText(err error) string {
	var ref *approvals.Refusal
	if !errors.As(err, &ref) {
		return msgStoreFailure
	}
	r, now := ref.Request, h.dec.Now()
	// A cancel of a request that has left pending says why, and that it stays as it is.
	tooLate := "."
	if ref.Verb == approvals.VerbCancel {
		tooLate = "; it cannot be cancelled."
	}
	switch ref.Reason {
	case approvals.RefusedUnknownRequest:
		return fmt.Sprintf("Request %s does not exist.", slackui.Inert(ref.RequestID, 20))
	case approvals.RefusedGroupLookup:
		if ref.Verb == approvals.VerbCancel {
			return msgGroupCancel
		}
		return msgGroupLookup
	case approvals.RefusedNotApprover:
		return msgNotApprover
	case approvals.RefusedOwnRequest:
		if ref.Verb == approvals.VerbApprove {
			return msgOwnApprove
		}
		return msgOwnDeny
	case approvals.RefusedNotRequesterOrApprover:
		return msgNotYours
	case approvals.RefusedAlreadyApproved:
		return fmt.Sprintf("Request %s was already approved by %s at %s%s", r.ID, mentions(r.DecidedBy), plainTime(r.DecidedAt, now), tooLate)
	case approvals.RefusedAlreadyDenied:
		return fmt.Sprintf("Request %s was already denied by %s at %s%s", r.ID, mentions(r.DecidedBy), plainTime(r.DecidedAt, now), tooLate)
	case approvals.RefusedExpired:
		return fmt.Sprintf("Request %s expired at %s%s", r.ID, plainTime(r.ExpiresAt, now), tooLate)
	case approvals.RefusedCancelled:
		return fmt.Sprintf("Request %s was cancelled by %s at %s.", r.ID, mentions(r.DecidedBy), plainTime(r.DecidedAt, now))
	case approvals.RefusedDuplicateVote:
		return fmt.Sprintf("You already approved %s.", ref.RequestID)
	case approvals.RefusedVoteChange:
		return fmt.Sprintf("You already approved %s; a vote cannot be changed.", ref.RequestID)
	}
	return fmt.Sprintf("Request %s is %s and can no longer be decided.", r.ID, r.State)
}

// tell shows msg to user only: ephemeral in channel, or a DM when there is no channel.
func (h *Handler) tell(ctx context.Context, channel, user, msg string) {
	var err error
	if channel != "" {
		err = h.poster.Ephemeral(ctx, channel, user, slackui.Text(msg))
	} else {
		err = h.poster.DM(ctx, user, slackui.Text(msg))
	}
	if err != nil {
		h.log.WarnContext(ctx, "reply to clicker not delivered", "user", user, "err", err)
	}
}
