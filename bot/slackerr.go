package bot

import (
	"errors"
	"net/http"

	"github.com/slack-go/slack"

	"devin-chatops/slackui"
)

// classify turns a failed Slack call into a *slackui.Error. It is the one place in the
// bot that reads Slack's error codes: the poster, the token checks and, through
// slackui.KindOf, every consumer of the poster branch on its Kind.
//
// method is the Slack method called ("chat.update", "auth.test", "response_url"…); it
// matters where one code means two things (see tokenMethod). An error classified
// already is returned as it is.
func classify(method string, err error) *slackui.Error {
	if err == nil {
		return nil
	}
	var done *slackui.Error
	if errors.As(err, &done) {
		return done
	}
	e := &slackui.Error{Kind: slackui.Transient, Method: method, Err: scrubURL(err)}
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	switch {
	case errors.As(err, &rl):
		e.Kind, e.RetryAfter = slackui.RateLimited, rl.RetryAfter
	case errors.As(err, &sc):
		e.Kind = statusKind(sc.Code)
	default:
		if code, ok := slackCode(method, err); ok {
			e.Code = code
			e.Kind, _ = codeKind(method, code)
		}
	}
	return e
}

// codeKind is the kind of Slack's ok:false code on method, and whether Slack documents
// the code (an unknown code is Transient for callers that retry later, but the poster
// does not repeat it at once: see retryableCode).
func codeKind(method, code string) (slackui.ErrorKind, bool) {
	switch code {
	case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
		return slackui.Transient, true
	case "ratelimited":
		return slackui.RateLimited, true
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "missing_scope":
		return slackui.Auth, true
	case "account_inactive", "not_allowed_token_type":
		// On the calls that prove a token these codes are about the token itself; on
		// a message or a DM the bot's token has worked before, and they say the
		// recipient cannot be reached, which no retry fixes.
		if tokenMethod(method) {
			return slackui.Auth, true
		}
		return slackui.Permanent, true
	case
		// The message: deleted, no longer editable, or its channel is gone.
		"message_not_found", "cant_update_message", "edit_window_closed",
		"channel_not_found", "is_archived", "not_in_channel",
		// The user: cannot be DM'd.
		"user_not_found", "user_not_visible", "user_disabled", "cannot_dm_bot",
		"restricted_action":
		return slackui.Permanent, true
	}
	return slackui.Transient, false
}

// Methods that prove a token rather than deliver something.
const (
	methodAuthTest        = "auth.test"
	methodConnectionsOpen = "apps.connections.open"
)

func tokenMethod(method string) bool {
	return method == methodAuthTest || method == methodConnectionsOpen
}

// statusKind classifies a non-200 HTTP answer from Slack.
func statusKind(status int) slackui.ErrorKind {
	switch status {
	case http.StatusTooManyRequests:
		return slackui.RateLimited
	case http.StatusUnauthorized, http.StatusForbidden:
		return slackui.Auth
	}
	return slackui.Transient
}

// slackCode finds Slack's error code in err: an ok:false response (slack-go's
// SlackErrorResponse) anywhere in the chain, or else an error whose whole text is a
// code Slack documents (slack-go's Socket Mode client and some wrappers pass the bare
// code as an error).
func slackCode(method string, err error) (string, bool) {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err, true
	}
	var code string
	found := anyInChain(err, func(e error) bool {
		if _, known := codeKind(method, e.Error()); known {
			code = e.Error()
			return true
		}
		return false
	})
	return code, found
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

// retryableCode reports whether the poster should repeat a call at once after Slack
// answered ok:false with e's code: only for the codes Slack documents as transient.
// Any other code would fail the same way again.
func retryableCode(e *slackui.Error) bool {
	if !okFalse(e) {
		return false
	}
	kind, known := codeKind(e.Method, e.Code)
	return known && (kind == slackui.Transient || kind == slackui.RateLimited)
}

// dmChannelGone reports whether e says the cached DM channel no longer exists, so the
// next DM must open it again.
func dmChannelGone(e *slackui.Error) bool {
	return okFalse(e) && (e.Code == "channel_not_found" || e.Code == "is_archived")
}

// okFalse reports whether e is an ok:false answer from Slack, as opposed to a code
// found in an error's text.
func okFalse(e *slackui.Error) bool {
	var se slack.SlackErrorResponse
	return e != nil && e.Code != "" && errors.As(e.Err, &se)
}
