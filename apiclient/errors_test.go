package apiclient_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"devin-chatops/apiclient"
)

func TestKindString(t *testing.T) {
	tests := map[apiclient.Kind]string{
		apiclient.KindUnknown:      "error",
		apiclient.KindUnauthorized: "unauthorized",
		apiclient.KindForbidden:    "forbidden",
		apiclient.KindNotFound:     "not found",
		apiclient.KindValidation:   "validation failed",
		apiclient.KindRateLimited:  "rate limited",
		apiclient.KindServer:       "server error",
		apiclient.KindTransport:    "network error",
		apiclient.KindDecode:       "unreadable response",
		apiclient.KindBadRequest:   "bad request",
	}
	for k, want := range tests {
		assert.Equal(t, want, k.String())
	}
}

func TestKindForStatus(t *testing.T) {
	tests := []struct {
		status int
		want   apiclient.Kind
	}{
		{200, apiclient.KindUnknown}, {400, apiclient.KindBadRequest}, {401, apiclient.KindUnauthorized},
		{403, apiclient.KindForbidden}, {404, apiclient.KindNotFound}, {409, apiclient.KindBadRequest},
		{422, apiclient.KindValidation}, {429, apiclient.KindRateLimited}, {500, apiclient.KindServer},
		{503, apiclient.KindServer},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, apiclient.KindForStatus(tt.status), "status %d", tt.status)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  *apiclient.Error
		want string
	}{
		{"full", &apiclient.Error{API: "Devin API", Kind: apiclient.KindNotFound, Status: 404, Method: "GET",
			Path: "/v2/enterprise/members/email%7Cabc", Message: "User not found"},
			"Devin API: GET /v2/enterprise/members/email%7Cabc: 404 not found: User not found"},
		{"fields", &apiclient.Error{API: "Devin API", Kind: apiclient.KindValidation, Status: 422, Method: "POST", Path: "/x",
			Fields: []apiclient.FieldError{{Field: "emails[0]", Code: "value_error", Message: "not an email"}}},
			"Devin API: POST /x: 422 validation failed; emails[0]: value_error: not an email"},
		{"rate limited", &apiclient.Error{API: "GitHub API", Kind: apiclient.KindRateLimited, Status: 429, Method: "GET", Path: "/y",
			RetryAfter: 90 * time.Second}, "GitHub API: GET /y: 429 rate limited (retry after 1m30s)"},
		{"wrapped cause", &apiclient.Error{Kind: apiclient.KindTransport, Err: errors.New("dial tcp: refused")},
			"network error: dial tcp: refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}

func TestErrorIsMatchesSentinelsByKind(t *testing.T) {
	sentinels := []*apiclient.Error{
		apiclient.ErrUnauthorized, apiclient.ErrForbidden, apiclient.ErrNotFound, apiclient.ErrValidation,
		apiclient.ErrRateLimited, apiclient.ErrServer, apiclient.ErrTransport, apiclient.ErrDecode, apiclient.ErrBadRequest,
	}
	for _, s := range sentinels {
		t.Run(s.Kind.String(), func(t *testing.T) {
			err := fmt.Errorf("listing members: %w",
				&apiclient.Error{API: "Devin API", Kind: s.Kind, Status: 599, Message: "m", Method: "GET", Path: "/p"})
			assert.ErrorIs(t, err, s)
			for _, other := range sentinels {
				if other != s {
					assert.NotErrorIs(t, err, other)
				}
			}
		})
	}
	// A specific error is not a sentinel for errors that merely share its kind.
	specific := &apiclient.Error{Kind: apiclient.KindNotFound, Status: 404}
	assert.NotErrorIs(t, &apiclient.Error{Kind: apiclient.KindNotFound}, specific)
	// Unwrap reaches the cause.
	cause := errors.New("cause")
	assert.ErrorIs(t, &apiclient.Error{Kind: apiclient.KindTransport, Err: cause}, cause)
}

func TestUserMessage(t *testing.T) {
	// A client's own sentences for a rejected credential.
	testHints := apiclient.Hints{Unauthorized: "The test key was rejected (401).", Forbidden: "The test key lacks a scope (403)."}
	devin := func(k apiclient.Kind, status int) *apiclient.Error {
		return &apiclient.Error{API: "Devin API", Kind: k, Status: status, Method: "GET", Path: "/v2/enterprise/members"}
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), "The request was cancelled before the API answered."},
		{"deadline", context.DeadlineExceeded, "The API did not answer in time; try again in a few minutes."},
		{"not an API error", errors.New("boom"), "Something went wrong while talking to the API; the details are in the bot's log."},

		{"401 with the client's hint", &apiclient.Error{API: "Test API", Hints: testHints, Kind: apiclient.KindUnauthorized, Status: 401},
			"The test key was rejected (401)."},
		{"other 401", &apiclient.Error{API: "Slack API", Kind: apiclient.KindUnauthorized, Status: 401}, "Slack API rejected the credentials (401)."},
		{"403 with the client's hint", &apiclient.Error{API: "Test API", Hints: testHints, Kind: apiclient.KindForbidden, Status: 403},
			"The test key lacks a scope (403)."},
		{"other 403", &apiclient.Error{API: "Slack API", Kind: apiclient.KindForbidden, Status: 403}, "Slack API refused the request (403)."},
		{"hints only for their kinds", &apiclient.Error{API: "Test API", Hints: testHints, Kind: apiclient.KindServer, Status: 500},
			"Test API is having trouble (500); try again in a few minutes."},
		{"404 bare", devin(apiclient.KindNotFound, 404), "Devin API could not find that (404): check the name or ID."},
		{"404 with message", &apiclient.Error{API: "Devin API", Kind: apiclient.KindNotFound, Status: 404, Message: "User not found."},
			"Devin API could not find that (404): User not found."},
		{"not found resolved by the client", &apiclient.Error{API: "Devin API", Kind: apiclient.KindNotFound, Message: `no organization named "x"`},
			`Devin API could not find that: no organization named "x".`},
		{"422 fields", &apiclient.Error{API: "Devin API", Kind: apiclient.KindValidation, Status: 422,
			Fields: []apiclient.FieldError{{Field: "emails[0]", Message: "not an email"}, {Field: "role", Message: "unknown"}}},
			"Devin API refused the request as invalid (422): emails[0]: not an email; role: unknown."},
		{"400 message", &apiclient.Error{API: "Devin API", Kind: apiclient.KindBadRequest, Status: 400, Message: "Too many emails"},
			"Devin API refused the request as invalid (400): Too many emails."},
		{"400 bare", devin(apiclient.KindBadRequest, 400), "Devin API refused the request as invalid (400)."},
		{"validation without status", &apiclient.Error{API: "Devin API", Kind: apiclient.KindValidation, Message: "role is an org role"},
			"Devin API refused the request as invalid: role is an org role."},
		{"429 seconds", &apiclient.Error{API: "Devin API", Kind: apiclient.KindRateLimited, Status: 429, RetryAfter: 30 * time.Second},
			"Devin API is rate limiting the bot; try again in 30 seconds."},
		{"429 one second", &apiclient.Error{API: "Devin API", Kind: apiclient.KindRateLimited, RetryAfter: time.Second},
			"Devin API is rate limiting the bot; try again in a second."},
		{"429 minutes", &apiclient.Error{API: "Devin API", Kind: apiclient.KindRateLimited, RetryAfter: 90 * time.Second},
			"Devin API is rate limiting the bot; try again in 2 minutes."},
		{"429 a minute", &apiclient.Error{API: "Devin API", Kind: apiclient.KindRateLimited, RetryAfter: time.Minute},
			"Devin API is rate limiting the bot; try again in a minute."},
		{"429 no header", devin(apiclient.KindRateLimited, 429), "Devin API is rate limiting the bot; try again in a minute."},
		{"500", devin(apiclient.KindServer, 502), "Devin API is having trouble (502); try again in a few minutes."},
		{"transport", devin(apiclient.KindTransport, 0), "Devin API could not be reached; try again in a few minutes."},
		{"decode", devin(apiclient.KindDecode, 200), "Devin API sent a response the bot could not read."},
		{"unknown", devin(apiclient.KindUnknown, 302), "Devin API returned an unexpected error."},
		{"no API name", &apiclient.Error{Kind: apiclient.KindTransport}, "The API could not be reached; try again in a few minutes."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := apiclient.UserMessage(tt.err)
			assert.Equal(t, tt.want, got)
			assert.NotContains(t, got, "(0)", "never a made-up status")
			assert.NotContains(t, got, "{", "never raw JSON")
		})
	}
}

func TestForbiddenNamesThePermission(t *testing.T) {
	hints := apiclient.Hints{
		Forbidden:           "The key is not an admin key (403).",
		ForbiddenPermission: "The service user lacks the {permission} permission (403).",
	}
	tests := []struct {
		name string
		err  *apiclient.Error
		want string
	}{
		{"permission known", &apiclient.Error{API: "X", Kind: apiclient.KindForbidden, Status: 403, Hints: hints, Permission: "ManageOrganizations"},
			"The service user lacks the ManageOrganizations permission (403)."},
		{"permission unknown: the plain hint", &apiclient.Error{API: "X", Kind: apiclient.KindForbidden, Status: 403, Hints: hints},
			"The key is not an admin key (403)."},
		{"no permission hint (v2): the plain hint", &apiclient.Error{API: "X", Kind: apiclient.KindForbidden, Status: 403,
			Hints: apiclient.Hints{Forbidden: "The key is not an admin key (403)."}, Permission: "ManageOrganizations"},
			"The key is not an admin key (403)."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, apiclient.UserMessage(tc.err))
		})
	}
	e := &apiclient.Error{API: "X", Kind: apiclient.KindForbidden, Status: 403, Method: "GET", Path: "/p", Permission: "ManageOrganizations"}
	assert.Equal(t, "X: GET /p: 403 forbidden (needs the ManageOrganizations permission)", e.Error())
}
