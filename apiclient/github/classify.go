package github

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"devin-chatops/apiclient"
)

const (
	// secondaryWait is GitHub's advice for a secondary rate limit that names no wait:
	// "wait at least one minute".
	secondaryWait = time.Minute
	// resetMargin is added to x-ratelimit-reset: the header is in whole seconds and the
	// two clocks differ, so a request sent exactly at reset can still be refused.
	resetMargin = time.Second
	// maxMessage bounds how much of the API's own text goes into an error.
	maxMessage = 300
	// notFoundMessage says what a GitHub 404 can mean: GitHub answers 404 rather than
	// 403 for things the token may not see.
	notFoundMessage = "unknown team or user, or the token cannot see it"
)

// errorBody is GitHub's error JSON. "errors" is either objects or plain strings
// (validation-error vs validation-error-simple), so it is decoded item by item.
type errorBody struct {
	Message          string            `json:"message"`
	DocumentationURL string            `json:"documentation_url"`
	Errors           []json.RawMessage `json:"errors"`
}

type fieldError struct {
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// newClassifier reads GitHub's error responses. It is built per client so it can strip
// the client's token from anything the API echoes back.
func newClassifier(token string) apiclient.Classifier {
	clean := func(s string) string { return cleanText(s, token) }
	return func(now time.Time, resp *apiclient.Response) (*apiclient.Error, time.Duration) {
		var body errorBody
		// A body that is not GitHub's JSON (an HTML page from a proxy) is ignored rather
		// than quoted: raw bodies do not belong in messages meant for Slack.
		_ = json.Unmarshal(resp.Body, &body)
		e := &apiclient.Error{
			Kind:      apiclient.KindForStatus(resp.Status),
			Message:   clean(body.Message),
			Fields:    fieldErrors(body.Errors, clean),
			RequestID: requestID(resp.Header),
		}
		switch resp.Status {
		case http.StatusForbidden, http.StatusTooManyRequests:
			if wait, limited := rateLimitWait(now, resp, body); limited {
				e.Kind = apiclient.KindRateLimited
				e.RetryAfter = wait
				return e, wait
			}
		case http.StatusNotFound:
			e.Message = notFoundMessage
		}
		return e, 0
	}
}

// rateLimitWait decides whether a 403/429 is a rate limit and how long GitHub wants us
// to wait, in GitHub's documented order: Retry-After; then x-ratelimit-remaining 0
// (primary limit) until x-ratelimit-reset; then a message or documentation link that
// names the secondary limit, or any 429, for a minute. Any other 403 is a permission
// problem.
func rateLimitWait(now time.Time, resp *apiclient.Response, body errorBody) (time.Duration, bool) {
	h := resp.Header
	if h.Get("Retry-After") != "" {
		return apiclient.RetryAfter(h, now), true
	}
	if strings.TrimSpace(h.Get("X-RateLimit-Remaining")) == "0" {
		secs, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64)
		if err != nil {
			return secondaryWait, true
		}
		wait := time.Unix(secs, 0).Sub(now) + resetMargin
		return max(wait, resetMargin), true
	}
	msg := strings.ToLower(body.Message)
	doc := strings.ToLower(body.DocumentationURL)
	if strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse detection") ||
		strings.Contains(doc, "secondary-rate-limits") || strings.Contains(doc, "abuse-rate-limits") ||
		resp.Status == http.StatusTooManyRequests {
		return secondaryWait, true
	}
	return 0, false
}

func fieldErrors(raw []json.RawMessage, clean func(string) string) []apiclient.FieldError {
	var out []apiclient.FieldError
	for _, r := range raw {
		var s string
		if json.Unmarshal(r, &s) == nil {
			out = append(out, apiclient.FieldError{Message: clean(s)})
			continue
		}
		var fe fieldError
		if json.Unmarshal(r, &fe) != nil {
			continue
		}
		field := fe.Field
		if field == "" {
			field = fe.Resource
		}
		out = append(out, apiclient.FieldError{Field: clean(field), Code: clean(fe.Code), Message: clean(fe.Message)})
	}
	return out
}

// cleanText makes API text safe for a one-line error: no control characters, bounded
// length, and never the token, should a server ever echo it.
func cleanText(s, token string) string {
	if token != "" {
		s = strings.ReplaceAll(s, token, "[redacted]")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage]) + "…"
	}
	return s
}
