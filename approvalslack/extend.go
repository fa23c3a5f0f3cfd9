package approvalslack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// ExtendClick is a press of the Extend button in the DM offered before a grant ends.
type ExtendClick struct {
	User    string // who clicked
	GrantID string // the button's value
	// Channel and MessageTS locate the DM; Text is its text, kept when the button goes.
	Channel   string
	MessageTS string
	Text      string
}

// Replies to an Extend click that filed nothing.
const (
	msgExtendNotRequester = "Only the person who asked for this access can extend it."
	msgExtendNotAllowed   = "You are no longer allowed to request changes, so no extension was requested; ask an admin to add you to REQUESTERS."
	msgExtendGroupLookup  = "I could not check whether you may request changes (a Slack user-group lookup failed), so no extension was requested. Try again in a minute."
	msgExtendFailure      = "Something went wrong while requesting the extension, so none was requested. Try again in a minute."
)

// HandleExtend files the Extend request of c's grant (approvals.Service.ExtendGrant),
// tells the clicker which request waits for approval, and replaces the DM's button with
// what it did: one click per grant, so no second Extend is offered.
func (h *Handler) HandleExtend(ctx context.Context, c ExtendClick) {
	r, err := h.dec.ExtendGrant(ctx, c.User, c.GrantID)
	var ref *approvals.ExtendRefusal
	switch {
	case err == nil:
		where := "the approvals channel"
		if r.CardChannel != "" {
			where = slackui.ChannelMention(r.CardChannel, 30)
		}
		h.tell(ctx, c.Channel, c.User, fmt.Sprintf("Extension requested: %s is waiting for approval in %s.", idCode(r.ID), where))
		h.markExtendUsed(ctx, c, fmt.Sprintf(":hourglass_flowing_sand: *Extend* requested: %s is waiting for approval.", idCode(r.ID)))
	case errors.As(err, &ref):
		h.tell(ctx, c.Channel, c.User, extendRefusalText(ref))
		if ref.Reason == approvals.ExtendAlreadyRequested && ref.Grant.Requester == c.User {
			h.markExtendUsed(ctx, c, fmt.Sprintf(":hourglass_flowing_sand: *Extend* requested: %s.", idCode(ref.ExtensionID)))
		}
	case errors.Is(err, approvals.ErrNotRequester):
		h.tell(ctx, c.Channel, c.User, msgExtendNotAllowed)
	case errors.Is(err, approvals.ErrGroupLookup):
		h.tell(ctx, c.Channel, c.User, msgExtendGroupLookup)
	default:
		h.log.ErrorContext(ctx, "extension not requested", "grant_id", c.GrantID, "user", c.User, "err", err)
		h.tell(ctx, c.Channel, c.User, msgExtendFailure)
	}
}

// extendRefusalText says why an Extend click filed nothing.
func extendRefusalText(ref *approvals.ExtendRefusal) string {
	id := idCode(ref.GrantID)
	switch ref.Reason {
	case approvals.ExtendUnknownGrant:
		return fmt.Sprintf("Grant %s does not exist, so there is nothing to extend.", id)
	case approvals.ExtendNotRequester:
		return msgExtendNotRequester
	case approvals.ExtendAlreadyRequested:
		return fmt.Sprintf("An extension of grant %s was already requested: %s. There is one per reminder.", id, idCode(ref.ExtensionID))
	case approvals.ExtendGrantOver:
		return fmt.Sprintf("Grant %s is over (%s), so it cannot be extended; ask again with a new request.", id,
			slackui.Inert(string(ref.Grant.State), 20))
	}
	return fmt.Sprintf("Grant %s cannot be extended.", id)
}

// markExtendUsed replaces the DM's Extend button with note, keeping its text. Best
// effort: the reply already said what happened.
func (h *Handler) markExtendUsed(ctx context.Context, c ExtendClick, note string) {
	if c.Channel == "" || c.MessageTS == "" {
		return
	}
	text := strings.TrimSpace(c.Text)
	blocks := []slack.Block{}
	if text != "" {
		blocks = append(blocks, slackui.Section(text))
	}
	blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, note, false, false)))
	fallback := note
	if text != "" {
		fallback = text + "\n" + note
	}
	if err := h.poster.Update(ctx, c.Channel, c.MessageTS, slackui.Message{Text: fallback, Blocks: blocks}); err != nil {
		h.log.WarnContext(ctx, "Extend button not replaced", "grant_id", c.GrantID, "err", err)
	}
}

// idCode shows a request or grant ID as code.
func idCode(id string) string { return "`" + slackui.Inert(id, 40) + "`" }
