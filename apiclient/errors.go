// Package apiclient holds what the Devin and GitHub clients share: an HTTP caller
// with per-request timeouts, bounded retries with backoff and jitter, and typed errors
// that callers branch on and that turn into one plain sentence for a Slack user.
package apiclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind classifies a failed API call so callers can branch without parsing messages.
type Kind int

const (
	KindUnknown Kind = iota
	KindUnauthorized
	KindForbidden
	KindNotFound
	KindValidation
	KindRateLimited
	KindServer
	KindTransport
	KindDecode
	KindBadRequest
)

func (k Kind) String() string {
	switch k {
	case KindUnauthorized:
		return "unauthorized"
	case KindForbidden:
		return "forbidden"
	case KindNotFound:
		return "not found"
	case KindValidation:
		return "validation failed"
	case KindRateLimited:
		return "rate limited"
	case KindServer:
		return "server error"
	case KindTransport:
		return "network error"
	case KindDecode:
		return "unreadable response"
	case KindBadRequest:
		return "bad request"
	default:
		return "error"
	}
}

// Sentinels for errors.Is: errors.Is(err, apiclient.ErrForbidden) is true for any
// *Error of that kind, whatever its status or message.
var (
	ErrUnauthorized = &Error{Kind: KindUnauthorized}
	ErrForbidden    = &Error{Kind: KindForbidden}
	ErrNotFound     = &Error{Kind: KindNotFound}
	ErrValidation   = &Error{Kind: KindValidation}
	ErrRateLimited  = &Error{Kind: KindRateLimited}
	ErrServer       = &Error{Kind: KindServer}
	ErrTransport    = &Error{Kind: KindTransport}
	ErrDecode       = &Error{Kind: KindDecode}
	ErrBadRequest   = &Error{Kind: KindBadRequest}
)

// FieldError is one field-level complaint from a validation (422) response.
type FieldError struct {
	Field   string
	Code    string
	Message string
}

// Hints are an API's own sentences for the failures whose remedy only that API's client
// knows: which credential was rejected and what it lacks. An empty hint falls back to
// a sentence that names the API.
type Hints struct {
	Unauthorized string // for a 401
	Forbidden    string // for a 403
	// ForbiddenPermission is for a 403 of a call that names the permission it needs
	// (Error.Permission): "{permission}" in it is replaced by that permission's name.
	ForbiddenPermission string
}

// permissionPlaceholder is what Hints.ForbiddenPermission says where the permission
// goes. A placeholder rather than a format verb: the hint is data, not code.
const permissionPlaceholder = "{permission}"

// Error is a failed API call. It never holds a credential: requests are described by
// method and path only, and response bodies are reduced to the API's own message.
type Error struct {
	API        string // the API's name, as its client gives it
	Hints      Hints  // set by the client, for UserMessage
	Kind       Kind
	Status     int
	Method     string
	Path       string
	Message    string // the API's own explanation, when it gave one
	Fields     []FieldError
	RetryAfter time.Duration // for KindRateLimited: how long the API asked us to wait
	RequestID  string
	// Permission is, for a 403, the permission the call needs, when the client knows
	// it (Request.Permission).
	Permission string
	Err        error // underlying transport or decode error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.API != "" {
		b.WriteString(e.API)
		b.WriteString(": ")
	}
	if e.Method != "" {
		fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	b.WriteString(e.Kind.String())
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s", f.String())
	}
	if e.Kind == KindRateLimited && e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter.Round(time.Second))
	}
	if e.Kind == KindForbidden && e.Permission != "" {
		fmt.Fprintf(&b, " (needs the %s permission)", e.Permission)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (f FieldError) String() string {
	parts := make([]string, 0, 3)
	for _, p := range []string{f.Field, f.Code, f.Message} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ": ")
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches the package sentinels by kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Kind == e.Kind && t.Status == 0 && t.API == "" && t.Message == ""
}

// UserMessage turns any error from a client into one plain sentence for a Slack user.
// It names the API (or uses the client's hint) and what to do, and never includes
// tokens or raw JSON.
func UserMessage(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.Canceled) {
		return "The request was cancelled before the API answered."
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "The API did not answer in time; try again in a few minutes."
	}
	var e *Error
	if !errors.As(err, &e) {
		return "Something went wrong while talking to the API; the details are in the bot's log."
	}
	api := e.API
	if api == "" {
		api = "The API"
	}
	switch e.Kind {
	case KindUnauthorized:
		if e.Hints.Unauthorized != "" {
			return e.Hints.Unauthorized
		}
		return api + " rejected the credentials (401)."
	case KindForbidden:
		if e.Permission != "" && strings.Contains(e.Hints.ForbiddenPermission, permissionPlaceholder) {
			return strings.ReplaceAll(e.Hints.ForbiddenPermission, permissionPlaceholder, e.Permission)
		}
		if e.Hints.Forbidden != "" {
			return e.Hints.Forbidden
		}
		return api + " refused the request (403)."
	case KindNotFound:
		if e.Message != "" {
			return fmt.Sprintf("%s could not find that%s: %s.", api, statusNote(e.Status), trimDot(e.Message))
		}
		return fmt.Sprintf("%s could not find that%s: check the name or ID.", api, statusNote(e.Status))
	case KindValidation, KindBadRequest:
		msg := e.Message
		if len(e.Fields) > 0 {
			fs := make([]string, 0, len(e.Fields))
			for _, f := range e.Fields {
				fs = append(fs, f.String())
			}
			msg = strings.Join(fs, "; ")
		}
		if msg == "" {
			return fmt.Sprintf("%s refused the request as invalid%s.", api, statusNote(e.Status))
		}
		return fmt.Sprintf("%s refused the request as invalid%s: %s.", api, statusNote(e.Status), trimDot(msg))
	case KindRateLimited:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("%s is rate limiting the bot; try again in %s.", api, humanWait(e.RetryAfter))
		}
		return api + " is rate limiting the bot; try again in a minute."
	case KindServer:
		return fmt.Sprintf("%s is having trouble%s; try again in a few minutes.", api, statusNote(e.Status))
	case KindTransport:
		return api + " could not be reached; try again in a few minutes."
	case KindDecode:
		return api + " sent a response the bot could not read."
	default:
		return api + " returned an unexpected error."
	}
}

// statusNote is " (404)" for an HTTP status, and nothing for an error a client built
// itself (Status 0), so a sentence never claims a status the API did not send.
func statusNote(status int) string {
	if status == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d)", status)
}

func trimDot(s string) string { return strings.TrimRight(strings.TrimSpace(s), ".") }

func humanWait(d time.Duration) string {
	if d < time.Minute {
		s := int(d.Round(time.Second) / time.Second)
		if s <= 1 {
			return "a second"
		}
		return fmt.Sprintf("%d seconds", s)
	}
	m := int((d + 59*time.Second) / time.Minute)
	if m == 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
