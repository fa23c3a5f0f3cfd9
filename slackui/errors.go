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
