// Package approvalslack is the Slack side of approvals: the approval card, the deny
// modal, the requester's DM, and the decoding of button clicks and modal submissions
// into calls of the approval domain. The domain decides; this package presents.
package approvalslack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/slack-go/slack"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// Poster is the part of the bot's outbound poster approvals need. Its errors are
// classified (*slackui.Error).
type Poster interface {
	Post(ctx context.Context, channel string, m slackui.Message) (ts string, err error)
	Update(ctx context.Context, channel, ts string, m slackui.Message) error
	Ephemeral(ctx context.Context, channel, user string, m slackui.Message) error
	DM(ctx context.Context, user string, m slackui.Message) error
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) error
	// UploadDM shares f with user in a direct message (a list too long for a message).
	UploadDM(ctx context.Context, user string, f slackui.File) (fileID string, err error)
}

// Messenger shows requests in Slack: the card in the approvals channel, updated in
// place, and the requester's DM when a request ends.
type Messenger struct {
	poster    Poster
	channel   string
	approvers []string
	log       *slog.Logger
}

var _ approvals.Messenger = (*Messenger)(nil)

// MessengerOption tunes a Messenger.
type MessengerOption func(*Messenger)

// WithApprovers has pending cards mention the approvers, so that Slack notifies them:
// Slack user IDs (U…, W…) and user-group IDs (S…), as APPROVERS lists them.
// NewMessenger refuses any other value, so nothing else can become a mention.
func WithApprovers(ids []string) MessengerOption {
	return func(m *Messenger) { m.approvers = append([]string(nil), ids...) }
}

// NewMessenger posts cards to approvalChannel through poster.
func NewMessenger(poster Poster, approvalChannel string, logger *slog.Logger, opts ...MessengerOption) (*Messenger, error) {
	switch {
	case poster == nil:
		return nil, errors.New("approval messenger: no poster")
	case approvalChannel == "":
		return nil, errors.New("approval messenger: no approval channel")
	}
	if logger == nil {
		logger = slog.Default()
	}
	m := &Messenger{poster: poster, channel: approvalChannel, log: logger}
	for _, o := range opts {
		o(m)
	}
	for _, id := range m.approvers {
		if !slackui.IsUserID(id) && !slackui.IsGroupID(id) {
			return nil, fmt.Errorf("approval messenger: approver %q is neither a Slack user ID (U…, W…) nor a user-group ID (S…)",
				slackui.Clip(id, 40))
		}
	}
	return m, nil
}

// card renders r's card as this messenger shows it: mentioning the approvers while it
// waits for them.
func (m *Messenger) card(r approvals.Request, p approvals.Progress) slackui.Message {
	return withApprovers(Card(r, p), r.State, m.approvers)
}

// ShowRequest posts r's card to the approvals channel.
func (m *Messenger) ShowRequest(ctx context.Context, r approvals.Request, p approvals.Progress) (approvals.CardRef, error) {
	ts, err := m.poster.Post(ctx, m.channel, m.card(r, p))
	if err != nil {
		return approvals.CardRef{}, err
	}
	return approvals.CardRef{Channel: m.channel, TS: ts}, nil
}

// UpdateRequest re-renders r's card in place.
func (m *Messenger) UpdateRequest(ctx context.Context, r approvals.Request, p approvals.Progress) error {
	return unreachable(m.poster.Update(ctx, r.CardChannel, r.CardTS, m.card(r, p)))
}

// TellRequester DMs the requester how r ended. A requester who cannot be DM'd (the
// error is permanent) is told with an ephemeral in the channel they asked from
// instead; one who can be reached neither way is logged once and given up on.
func (m *Messenger) TellRequester(ctx context.Context, r approvals.Request) error {
	msg := outcomeMessage(r)
	dmErr := m.poster.DM(ctx, r.Requester, msg)
	if dmErr == nil {
		return nil
	}
	if !slackui.IsPermanent(dmErr) {
		return fmt.Errorf("DM requester: %w", dmErr)
	}
	if r.OriginChannel == "" {
		m.log.ErrorContext(ctx, "requester cannot be DM'd and the request has no origin channel; they are not told how it ended",
			"request_id", r.ID, "requester", r.Requester, "err", dmErr)
		return nil
	}
	err := m.poster.Ephemeral(ctx, r.OriginChannel, r.Requester, msg)
	switch {
	case err == nil:
		m.log.WarnContext(ctx, "requester cannot be DM'd; told in the channel they asked from", "request_id", r.ID,
			"requester", r.Requester, "channel", r.OriginChannel, "err", dmErr)
		return nil
	case slackui.IsPermanent(err):
		m.log.ErrorContext(ctx, "requester can be neither DM'd nor told in the channel they asked from; they are not told how it ended",
			"request_id", r.ID, "requester", r.Requester, "channel", r.OriginChannel, "dm_err", dmErr, "err", err)
		return nil
	}
	return fmt.Errorf("DM requester: %w; ephemeral in the origin channel instead: %w", dmErr, err)
}

// unreachable marks a permanent Slack error as approvals.ErrUnreachable for the domain.
func unreachable(err error) error {
	if slackui.IsPermanent(err) {
		return fmt.Errorf("%w: %w", approvals.ErrUnreachable, err)
	}
	return err
}
