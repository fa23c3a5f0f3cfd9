package approvals

import (
	"errors"

	"github.com/slack-go/slack"
)

// permanentSlackCodes are the documented ok:false codes of chat.update,
// chat.postMessage, chat.postEphemeral and conversations.open that no retry can fix:
// the message, channel or user is gone, or the bot may not reach them. Transient codes
// (internal_error, ratelimited…) and anything not listed are worth another try.
var permanentSlackCodes = map[string]bool{
	// The card: deleted, no longer editable, or its channel is gone.
	"message_not_found":   true,
	"cant_update_message": true,
	"edit_window_closed":  true,
	"channel_not_found":   true,
	"is_archived":         true,
	"not_in_channel":      true,
	// The requester: cannot be DM'd.
	"user_not_found":         true,
	"user_not_visible":       true,
	"user_disabled":          true,
	"account_inactive":       true,
	"cannot_dm_bot":          true,
	"not_allowed_token_type": true,
	"restricted_action":      true,
}

// permanentSlackError reports whether err is a Slack refusal that will not change by
// trying again. The poster wraps slack-go's errors, so the code is looked for along the
// whole chain: an ok:false response (slack.SlackErrorResponse) or an error whose text
// is the code itself.
func permanentSlackError(err error) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return permanentSlackCodes[se.Err]
	}
	return anyInChain(err, func(e error) bool { return permanentSlackCodes[e.Error()] })
}

// anyInChain reports whether pred holds for err or any error it wraps (errors.Join and
// multi-%w included).
func anyInChain(err error, pred func(error) bool) bool {
	if err == nil {
		return false
	}
	if pred(err) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return anyInChain(u.Unwrap(), pred)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if anyInChain(e, pred) {
				return true
			}
		}
	}
	return false
}
