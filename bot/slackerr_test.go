package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/slackui"
)

func TestClassify(t *testing.T) {
	okFalse := func(code string) error { return slack.SlackErrorResponse{Err: code} }
	tests := []struct {
		name     string
		method   string
		err      error
		wantKind slackui.ErrorKind
		wantCode string
		wantWait time.Duration
		retryNow bool
	}{
		{"message gone", "chat.update", okFalse("message_not_found"), slackui.Permanent, "message_not_found", 0, false},
		{"unknown code", "chat.postMessage", okFalse("invalid_blocks"), slackui.Transient, "invalid_blocks", 0, false},
		{"documented transient code", "chat.postMessage", okFalse("internal_error"), slackui.Transient, "internal_error", 0, true},
		{"ratelimited code", "chat.update", okFalse("ratelimited"), slackui.RateLimited, "ratelimited", 0, true},
		{"429 with Retry-After", "chat.postMessage", &slack.RateLimitedError{RetryAfter: 30 * time.Second}, slackui.RateLimited, "", 30 * time.Second, false},
		{"429 status", "response_url", slack.StatusCodeError{Code: http.StatusTooManyRequests}, slackui.RateLimited, "", 0, false},
		{"5xx", "chat.postMessage", slack.StatusCodeError{Code: http.StatusBadGateway}, slackui.Transient, "", 0, false},
		{"403 status", "chat.postMessage", slack.StatusCodeError{Code: http.StatusForbidden}, slackui.Auth, "", 0, false},
		{"revoked token", "chat.postMessage", okFalse("token_revoked"), slackui.Auth, "token_revoked", 0, false},
		{"missing scope", "chat.postMessage", okFalse("missing_scope"), slackui.Auth, "missing_scope", 0, false},
		{"inactive recipient", "conversations.open", okFalse("account_inactive"), slackui.Permanent, "account_inactive", 0, false},
		{"inactive token owner", "auth.test", okFalse("account_inactive"), slackui.Auth, "account_inactive", 0, false},
		{"token type on a post", "chat.postMessage", okFalse("not_allowed_token_type"), slackui.Permanent, "not_allowed_token_type", 0, false},
		{"token type on connect", "apps.connections.open", okFalse("not_allowed_token_type"), slackui.Auth, "not_allowed_token_type", 0, false},
		{"bare code wrapped", "conversations.open", fmt.Errorf("open: %w", errors.New("user_disabled")), slackui.Permanent, "user_disabled", 0, false},
		{"code inside other text", "chat.update", errors.New("slack chat.update: message_not_found"), slackui.Transient, "", 0, false},
		{"cancelled", "chat.update", context.Canceled, slackui.Transient, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(tt.method, tt.err)
			require.NotNil(t, got)
			assert.Equal(t, tt.wantKind, got.Kind)
			assert.Equal(t, tt.wantCode, got.Code)
			assert.Equal(t, tt.method, got.Method)
			assert.Equal(t, tt.wantWait, got.RetryAfter)
			assert.Equal(t, tt.retryNow, retryableCode(got), "retryable code")
			assert.Equal(t, tt.err, errors.Unwrap(got), "the cause stays in the chain")
			assert.Same(t, got, classify("other", got), "classified once")
		})
	}
	assert.Nil(t, classify("chat.update", nil))
}

func TestRejectedTokenCode(t *testing.T) {
	tests := []struct {
		name   string
		method string
		err    error
		want   string
	}{
		{"invalid auth", methodAuthTest, slack.SlackErrorResponse{Err: "invalid_auth"}, "invalid_auth"},
		{"inactive account", methodAuthTest, slack.SlackErrorResponse{Err: "account_inactive"}, "account_inactive"},
		{"expired", methodAuthTest, slack.SlackErrorResponse{Err: "token_expired"}, "token_expired"},
		{"bare code from socket mode", methodConnectionsOpen, errors.New("token_revoked"), "token_revoked"},
		{"wrong token type", methodConnectionsOpen, slack.SlackErrorResponse{Err: "not_allowed_token_type"}, "not_allowed_token_type"},
		{"missing scope", methodConnectionsOpen, slack.SlackErrorResponse{Err: "missing_scope"}, "missing_scope"},
		{"outage", methodAuthTest, slack.SlackErrorResponse{Err: "internal_error"}, ""},
		{"a proxy's 401", methodAuthTest, slack.StatusCodeError{Code: http.StatusUnauthorized}, ""},
		{"network", methodConnectionsOpen, errors.New("dial tcp: connection refused"), ""},
		{"none", methodAuthTest, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, ok := rejectedTokenCode(tt.method, tt.err)
			assert.Equal(t, tt.want, code)
			assert.Equal(t, tt.want != "", ok)
		})
	}
}

// Every code that approvals treat as "give up on this card or DM" must come out of the
// poster as a permanent error, whichever call met it.
func TestPosterPermanentCodesArePermanent(t *testing.T) {
	codes := []string{
		"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found",
		"is_archived", "not_in_channel", "user_not_found", "user_not_visible", "user_disabled",
		"account_inactive", "cannot_dm_bot", "not_allowed_token_type", "restricted_action",
	}
	calls := []struct {
		method string
		call   func(p *Poster) error
	}{
		{"chat.postMessage", func(p *Poster) error {
			_, err := p.Post(context.Background(), "C1", slackui.Text("hi"))
			return err
		}},
		{"chat.update", func(p *Poster) error {
			return p.Update(context.Background(), "C1", "1.2", slackui.Text("hi"))
		}},
		{"chat.postEphemeral", func(p *Poster) error {
			return p.Ephemeral(context.Background(), "C1", "U1", slackui.Text("hi"))
		}},
		{"conversations.open", func(p *Poster) error {
			return p.DM(context.Background(), "U1", slackui.Text("hi"))
		}},
	}
	for _, c := range calls {
		for _, code := range codes {
			t.Run(c.method+"/"+code, func(t *testing.T) {
				clock := newAutoClock()
				p, api := newTestPoster(t, clock)
				api.Script(c.method, slackError(code))
				err := c.call(p)
				require.Error(t, err)
				assert.True(t, slackui.IsPermanent(err), "%v", err)
				var se *slackui.Error
				require.ErrorAs(t, err, &se)
				assert.Equal(t, code, se.Code)
				assert.Equal(t, c.method, se.Method)
				assert.Len(t, api.Calls(c.method), 1, "not retried")
			})
		}
	}
}

func TestPosterErrorsAreTyped(t *testing.T) {
	clock := newAutoClock()
	p, api := newTestPoster(t, clock, WithRetries(2, time.Second, time.Second))
	api.Script("chat.postMessage", scripted{status: http.StatusBadGateway}, scripted{status: http.StatusBadGateway})
	_, err := p.Post(context.Background(), "C1", slackui.Text("hi"))
	assert.Equal(t, slackui.Transient, slackui.KindOf(err))

	api.Script("views.open", slackError("invalid_auth"))
	err = p.OpenView(context.Background(), "trig", slack.ModalViewRequest{Type: slack.VTModal})
	assert.Equal(t, slackui.Auth, slackui.KindOf(err))

	err = p.Respond(context.Background(), "", slackui.Reply{})
	var se *slackui.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "response_url", se.Method)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Post(ctx, "C1", slackui.Text("hi"))
	require.ErrorAs(t, err, &se)
	assert.ErrorIs(t, err, context.Canceled)
}
