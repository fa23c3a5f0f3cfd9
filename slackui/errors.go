package slackui

import (
	"errors"
	"fmt"
	"time"
)

// ErrorKind says what a failed Slack call means for whoever made it. The poster
// classifies every failure once (bot.classify); nothing else reads Slack error codes.
type ErrorKind int

const (
	// Transient: worth trying again later (5xx, network, an unknown code).
	Transient ErrorKind = iota
	// Permanent: no retry can fix it (the message, channel or user is gone, or the
	// bot may not reach them).
	Permanent
	// Auth: the token is invalid, revoked or lacks a scope; an operator must act.
	Auth
	// RateLimited: Slack asked to wait (429 or "ratelimited").
	RateLimited
)

func (k ErrorKind) String() string {
	switch k {
	case Permanent:
		return "permanent"
	case Auth:
		return "auth"
	case RateLimited:
		return "rate-limited"
	}
	return "transient"
}

// Error is a failed Slack call, classified. Code is Slack's ok:false error code when
// there was one; Err is the underlying error.
type Error struct {
	Kind       ErrorKind
	Method     string // e.g. "chat.update"
	Code       string
	RetryAfter time.Duration // for RateLimited, when Slack said
	Err        error
	// NotSent is set when Slack certainly did not act on the call: it was given up
	// before any request left (its context ended while it waited for pacing, a
	// Retry-After window or a backoff), or Slack refused every request it got without
	// acting on it (429, a documented ok:false refusal, a failed dial). A caller may
	// then treat the work as never done, and hand it to another process at once.
	NotSent bool
}

func (e *Error) Error() string {
	what := e.Method
	if what == "" {
		what = "slack"
	}
	if e.Code != "" {
		return fmt.Sprintf("%s: %s (%s)", what, e.Code, e.Kind)
	}
	return fmt.Sprintf("%s: %v (%s)", what, e.Err, e.Kind)
}

func (e *Error) Unwrap() error { return e.Err }

// NotSent reports whether err is a Slack call that certainly had no effect (see
// Error.NotSent). Any other failure, a request cut off mid-way included, may have
// reached Slack.
func NotSent(err error) bool {
	var se *Error
	return errors.As(err, &se) && se.NotSent
}

// KindOf returns the kind of the first *Error in err's chain; errors the poster did
// not classify (a cancelled context, a programming error) count as Transient.
func KindOf(err error) ErrorKind {
	var se *Error
	if errors.As(err, &se) {
		return se.Kind
	}
	return Transient
}

// IsPermanent reports whether trying err's call again cannot help.
func IsPermanent(err error) bool { return err != nil && KindOf(err) == Permanent }
