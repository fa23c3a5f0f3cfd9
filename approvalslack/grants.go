package approvalslack

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// ActionIDExtend is the Extend button's action_id in the DM offered before a grant
// ends; its value is the grant's ID. ExtendBlockIDPrefix starts its block_id.
const (
	ActionIDExtend      = "grant_extend"
	ExtendBlockIDPrefix = "grant_"
)

var _ approvals.GrantMessenger = (*Messenger)(nil)

// GrantText says what became of g: for its card's thread and its requester.
func GrantText(g approvals.Grant, extendedBy string) string {
	who, where := slackui.Inert(g.Item, maxNameRunes), slackui.Inert(g.Where(), maxNameRunes)
	switch {
	case extendedBy != "":
		return fmt.Sprintf(":hourglass_flowing_sand: Extended: %s keeps %s until %s (request `%s`).", who, where, slackDate(g.EndsAt), extendedBy)
	case g.State == approvals.GrantRevoked && g.Outcome == approvals.GrantOutcomeAlreadyGone:
		return fmt.Sprintf(":lock: Time is up: %s was already removed from %s by someone else; nothing to take back (grant `%s` of request `%s`).",
			who, where, g.ID, g.RequestID)
	case g.State == approvals.GrantRevoked:
		return fmt.Sprintf(":lock: Time is up: %s was removed from %s (grant `%s` of request `%s`).", who, where, g.ID, g.RequestID)
	case g.State == approvals.GrantFailed:
		return fmt.Sprintf(":rotating_light: Time is up, but %s could not be removed from %s: %s. Remove them by hand (grant `%s` of request `%s`).",
			who, where, slackui.Inert(g.Outcome, maxReasonRunes), g.ID, g.RequestID)
	case g.State == approvals.GrantEnded:
		return fmt.Sprintf(":lock: Grant ended early: request `%s` changed %s's access to %s since, so the bot will not take anything back (grant `%s` of request `%s`).",
			slackui.Inert(g.Outcome, 20), who, where, g.ID, g.RequestID)
	}
	return fmt.Sprintf("Grant `%s`: %s in %s until %s.", g.ID, who, where, slackDate(g.EndsAt))
}

// TellGrant posts GrantText in the thread of the card that granted g (or as a new
// message in the approvals channel when the card is unknown), then DMs the requester.
func (m *Messenger) TellGrant(ctx context.Context, g approvals.Grant, extendedBy string) error {
	text := GrantText(g, extendedBy)
	channel := g.CardChannel
	if channel == "" {
		channel = m.channel
	}
	if _, err := m.poster.Post(ctx, channel, slackui.Message{Text: text, ThreadTS: g.CardTS,
		Blocks: []slack.Block{slackui.Section(text)}}); err != nil && !slackui.IsPermanent(err) {
		return fmt.Errorf("post on the grant's card: %w", err)
	}
	if err := m.poster.DM(ctx, g.Requester, slackui.Text(text)); err != nil && !slackui.IsPermanent(err) {
		return fmt.Errorf("DM the grant's requester: %w", err)
	}
	return nil
}

// OfferExtension DMs g's requester that the access ends soon, with an Extend button
// that asks for the same again.
func (m *Messenger) OfferExtension(ctx context.Context, g approvals.Grant) error {
	text := fmt.Sprintf(":hourglass: %s in %s ends %s (grant `%s` of request `%s`). Need it longer? *Extend* asks the approvers for another %s.",
		slackui.Inert(g.Item, maxNameRunes), slackui.Inert(g.Where(), maxNameRunes), slackDate(g.EndsAt), g.ID, g.RequestID,
		slackui.Escape(approvals.FormatDuration(g.Duration)))
	msg := slackui.Message{Text: text, Blocks: []slack.Block{
		slackui.Section(text),
		slack.NewActionBlock(ExtendBlockIDPrefix+g.ID,
			slack.NewButtonBlockElement(ActionIDExtend, g.ID,
				slack.NewTextBlockObject(slack.PlainTextType, "Extend", false, false)).WithStyle(slack.StylePrimary)),
	}}
	if err := m.poster.DM(ctx, g.Requester, msg); err != nil && !slackui.IsPermanent(err) {
		return fmt.Errorf("offer extension: %w", err)
	}
	return nil
}
