package github

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	githubsandbox "devin-chatops/internal/sandbox/github"
)

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(f *githubsandbox.Server)
		token     string
		call      func(ctx context.Context, c *Client) error
		kind      *apiclient.Error
		status    int
		message   string
		userMsg   string
		wantField *apiclient.FieldError
	}{
		{
			name:    "401 bad token",
			token:   "ghp_wrong",
			call:    func(ctx context.Context, c *Client) error { _, err := c.ListTeams(ctx); return err },
			kind:    apiclient.ErrUnauthorized,
			status:  401,
			message: "Bad credentials",
			userMsg: "The GitHub token was rejected (401): it is missing, expired or revoked.",
		},
		{
			name:  "403 forbidden",
			setup: func(f *githubsandbox.Server) { f.Fail(http.MethodPut, "/memberships/", http.StatusForbidden, 1) },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.AddMember(ctx, "platform", "octocat")
				return err
			},
			kind:    apiclient.ErrForbidden,
			status:  403,
			message: "enterprise owner",
			userMsg: "The GitHub token lacks the admin:enterprise scope or enterprise owner role (403).",
		},
		{
			name:    "404 unknown team",
			call:    func(ctx context.Context, c *Client) error { _, err := c.GetTeam(ctx, "nope"); return err },
			kind:    apiclient.ErrNotFound,
			status:  404,
			message: "unknown team or user, or the token cannot see it",
			userMsg: "could not find that (404)",
		},
		{
			name: "404 unknown user on PUT",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.AddMember(ctx, "platform", "ghost")
				return err
			},
			kind:    apiclient.ErrNotFound,
			status:  404,
			message: "unknown team or user",
		},
		{
			name: "404 membership",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetMembership(ctx, "platform", "hubot")
				return err
			},
			kind:    apiclient.ErrNotFound,
			status:  404,
			message: "not a member of the team",
		},
		{
			name: "422 with fields",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.BulkAddMembers(ctx, "platform", []string{"ghost"})
				return err
			},
			kind:      apiclient.ErrValidation,
			status:    422,
			message:   "Validation Failed",
			userMsg:   "Could not resolve to a User with the login of 'ghost'",
			wantField: &apiclient.FieldError{Field: "usernames", Code: "invalid", Message: "Could not resolve to a User with the login of 'ghost'."},
		},
		{
			name:  "500 on POST",
			setup: func(f *githubsandbox.Server) { f.Fail(http.MethodPost, "", http.StatusInternalServerError, 1) },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.BulkRemoveMembers(ctx, "platform", []string{"octocat"})
				return err
			},
			kind:    apiclient.ErrServer,
			status:  500,
			userMsg: "having trouble (500)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, bases()[0])
			e.fake.SeedTeam("ent:platform", "Platform", "octocat")
			e.fake.AddUser("hubot")
			if tc.setup != nil {
				tc.setup(e.fake)
			}
			c := e.client
			if tc.token != "" {
				var err error
				c, err = New(e.fake.URL(), "acme", tc.token, WithClock(e.clock))
				require.NoError(t, err)
			}
			err := tc.call(t.Context(), c)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.kind)
			var ae *apiclient.Error
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "GitHub API", ae.API)
			assert.Equal(t, tc.status, ae.Status)
			assert.Contains(t, ae.Message, tc.message)
			assert.NotEmpty(t, ae.RequestID, "X-GitHub-Request-Id is kept for support")
			if tc.userMsg != "" {
				assert.Contains(t, apiclient.UserMessage(err), tc.userMsg)
			}
			if tc.wantField != nil {
				require.Len(t, ae.Fields, 1)
				assert.Equal(t, *tc.wantField, ae.Fields[0])
			}
			assert.Len(t, e.fake.Requests(), 1, "none of these is retried")
			assert.Empty(t, e.clock.Sleeps())
		})
	}
}

func TestClassifier(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_760_000_000, 0)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	tests := []struct {
		name     string
		status   int
		header   http.Header
		body     string
		kind     apiclient.Kind
		wait     time.Duration
		message  string
		fields   []apiclient.FieldError
		noFields bool
	}{
		{name: "primary 403", status: 403, kind: apiclient.KindRateLimited, wait: 91 * time.Second,
			header: hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(now.Add(90*time.Second).Unix(), 10)),
			body:   `{"message":"API rate limit exceeded"}`},
		{name: "primary 429", status: 429, kind: apiclient.KindRateLimited, wait: 11 * time.Second,
			header: hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(now.Add(10*time.Second).Unix(), 10))},
		{name: "primary, reset already passed", status: 403, kind: apiclient.KindRateLimited, wait: time.Second,
			header: hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(now.Add(-time.Minute).Unix(), 10))},
		{name: "primary, reset unreadable", status: 403, kind: apiclient.KindRateLimited, wait: time.Minute,
			header: hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "soon")},
		{name: "retry-after wins", status: 403, kind: apiclient.KindRateLimited, wait: 7 * time.Second,
			header: hdr("Retry-After", "7", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(now.Add(time.Hour).Unix(), 10))},
		{name: "secondary 429 retry-after", status: 429, kind: apiclient.KindRateLimited, wait: 30 * time.Second,
			header: hdr("Retry-After", "30")},
		{name: "secondary message only", status: 403, kind: apiclient.KindRateLimited, wait: time.Minute,
			header: hdr("X-RateLimit-Remaining", "4000"),
			body:   `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes."}`},
		{name: "secondary by docs link", status: 403, kind: apiclient.KindRateLimited, wait: time.Minute,
			body: `{"message":"slow down","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`},
		{name: "bare 429", status: 429, kind: apiclient.KindRateLimited, wait: time.Minute},
		{name: "plain 403", status: 403, kind: apiclient.KindForbidden, header: hdr("X-RateLimit-Remaining", "4999"),
			body: `{"message":"Must have admin rights"}`, message: "Must have admin rights"},
		{name: "404", status: 404, kind: apiclient.KindNotFound, body: `{"message":"Not Found"}`, message: notFoundMessage},
		{name: "422 object errors", status: 422, kind: apiclient.KindValidation,
			body:    `{"message":"Validation Failed","errors":[{"resource":"Team","field":"name","code":"missing_field"},{"resource":"Team","code":"custom","message":"too long"}]}`,
			message: "Validation Failed",
			fields:  []apiclient.FieldError{{Field: "name", Code: "missing_field"}, {Field: "Team", Code: "custom", Message: "too long"}}},
		{name: "422 string errors", status: 422, kind: apiclient.KindValidation,
			body:   `{"message":"Invalid request.","errors":["usernames is not an array"]}`,
			fields: []apiclient.FieldError{{Message: "usernames is not an array"}}},
		{name: "400", status: 400, kind: apiclient.KindBadRequest, body: `{"message":"Problems parsing JSON"}`, message: "Problems parsing JSON"},
		{name: "410", status: 410, kind: apiclient.KindBadRequest},
		{name: "502 html", status: 502, kind: apiclient.KindServer, body: `<html><body>Bad gateway</body></html>`, noFields: true},
		{name: "multi-line message", status: 422, kind: apiclient.KindValidation, body: `{"message":"Invalid request.\n\n\"usernames\" wasn't supplied."}`,
			message: `Invalid request. "usernames" wasn't supplied.`},
	}
	classify := newClassifier("ghp_tok")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			h.Set("X-GitHub-Request-Id", "REQ:1")
			e, wait := classify(now, &apiclient.Response{Status: tc.status, Header: h, Body: []byte(tc.body)})
			require.NotNil(t, e)
			assert.Equal(t, tc.kind, e.Kind)
			assert.Equal(t, tc.wait, wait)
			if tc.kind == apiclient.KindRateLimited {
				assert.Equal(t, tc.wait, e.RetryAfter)
			}
			if tc.message != "" {
				assert.Equal(t, tc.message, e.Message)
			}
			if tc.fields != nil {
				assert.Equal(t, tc.fields, e.Fields)
			}
			if tc.noFields {
				assert.Empty(t, e.Message, "a non-JSON body is never quoted")
				assert.Empty(t, e.Fields)
			}
			assert.Equal(t, "REQ:1", e.RequestID)
		})
	}
}

func TestRateLimitsAreHonoured(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(f *githubsandbox.Server, now time.Time)
		wantSlept []time.Duration
	}{
		{
			name:      "primary: wait until reset",
			setup:     func(f *githubsandbox.Server, now time.Time) { f.RateLimitPrimary(1, now.Add(45*time.Second)) },
			wantSlept: []time.Duration{46 * time.Second},
		},
		{
			name:      "secondary with Retry-After",
			setup:     func(f *githubsandbox.Server, _ time.Time) { f.RateLimitSecondary(2, 9*time.Second) },
			wantSlept: []time.Duration{9 * time.Second, 9 * time.Second},
		},
		{
			name: "secondary 429 with Retry-After",
			setup: func(f *githubsandbox.Server, _ time.Time) {
				f.RateLimitSecondaryWithStatus(http.StatusTooManyRequests, 1, 3*time.Second)
			},
			wantSlept: []time.Duration{3 * time.Second},
		},
		{
			name:      "secondary without headers: a minute",
			setup:     func(f *githubsandbox.Server, _ time.Time) { f.RateLimitSecondary(1, 0) },
			wantSlept: []time.Duration{time.Minute},
		},
	}
	for _, tc := range tests {
		for _, method := range []string{"GET", "POST"} {
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, bases()[2])
				e.fake.SeedTeam("ent:platform", "Platform", "octocat")
				tc.setup(e.fake, e.clock.Now())
				var err error
				if method == "GET" {
					_, err = e.client.ListTeamMembers(t.Context(), "platform")
				} else {
					// POST is retried on a rate limit: a limited request was never run.
					_, err = e.client.BulkRemoveMembers(t.Context(), "platform", []string{"octocat"})
				}
				require.NoError(t, err)
				assert.Equal(t, tc.wantSlept, e.clock.Sleeps())
				assert.Len(t, e.fake.Requests(), len(tc.wantSlept)+1)
			})
		}
	}
}

func TestRateLimitBeyondTotalWaitFailsFast(t *testing.T) {
	t.Parallel()
	e := newEnv(t, bases()[0])
	e.fake.SeedTeam("ent:platform", "Platform")
	e.fake.RateLimitPrimary(5, e.clock.Now().Add(40*time.Minute))
	start := time.Now()
	_, err := e.client.GetTeam(t.Context(), "platform")
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.ErrorIs(t, err, apiclient.ErrRateLimited)
	var ae *apiclient.Error
	require.ErrorAs(t, err, &ae)
	assert.GreaterOrEqual(t, ae.RetryAfter, 40*time.Minute, "the caller learns how long GitHub wants")
	assert.Empty(t, e.clock.Sleeps(), "no point waiting past the total-wait cap")
	assert.Len(t, e.fake.Requests(), 1)
	assert.Contains(t, apiclient.UserMessage(err), "try again in 41 minutes")
}

func TestTotalWaitIsBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(f *githubsandbox.Server)
	}{
		{"endless secondary limits", func(f *githubsandbox.Server) { f.RateLimitSecondary(1000, 0) }},
		{"endless 503s", func(f *githubsandbox.Server) { f.Fail(http.MethodGet, "", http.StatusServiceUnavailable, 1000) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, bases()[0], WithRetryPolicy(apiclient.RetryPolicy{
				MaxAttempts: 50, BaseDelay: time.Second, MaxDelay: 20 * time.Second, MaxTotalWait: 2 * time.Minute,
			}))
			e.fake.SeedTeam("ent:platform", "Platform")
			tc.setup(e.fake)
			_, err := e.client.ListTeams(t.Context())
			require.Error(t, err)
			assert.LessOrEqual(t, totalSlept(e.clock), 2*time.Minute)
			assert.NotEmpty(t, e.clock.Sleeps())
		})
	}
}

func TestServerErrorsRetriedOnlyWhenIdempotent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		method   string
		call     func(ctx context.Context, c *Client) error
		wantReqs int
		wantErr  bool
	}{
		{"GET retried", http.MethodGet, func(ctx context.Context, c *Client) error { _, err := c.GetTeam(ctx, "platform"); return err }, 3, false},
		{"list GET retried", http.MethodGet, func(ctx context.Context, c *Client) error { _, err := c.ListTeamMembers(ctx, "platform"); return err }, 3, false},
		{"PUT retried", http.MethodPut, func(ctx context.Context, c *Client) error {
			_, err := c.AddMember(ctx, "platform", "hubot")
			return err
		}, 3, false},
		{"DELETE retried", http.MethodDelete, func(ctx context.Context, c *Client) error { return c.RemoveMember(ctx, "platform", "octocat") }, 3, false},
		{"POST bulk add not retried", http.MethodPost, func(ctx context.Context, c *Client) error {
			_, err := c.BulkAddMembers(ctx, "platform", []string{"hubot"})
			return err
		}, 1, true},
		{"POST bulk remove not retried", http.MethodPost, func(ctx context.Context, c *Client) error {
			_, err := c.BulkRemoveMembers(ctx, "platform", []string{"octocat"})
			return err
		}, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, bases()[0])
			e.fake.SeedTeam("ent:platform", "Platform", "octocat")
			e.fake.AddUser("hubot")
			e.fake.Fail(tc.method, "", http.StatusBadGateway, 2)
			err := tc.call(t.Context(), e.client)
			assert.Len(t, e.fake.Requests(), tc.wantReqs)
			if !tc.wantErr {
				require.NoError(t, err)
				assert.Len(t, e.clock.Sleeps(), 2)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, apiclient.ErrServer)
			var be *BulkError
			require.ErrorAs(t, err, &be)
			assert.Len(t, be.Unconfirmed, 1, "a failed POST may or may not have applied")
			assert.Empty(t, e.clock.Sleeps())
		})
	}
}

func TestCancellation(t *testing.T) {
	t.Parallel()
	t.Run("while the server is slow", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, bases()[0])
		e.fake.SeedTeam("ent:platform", "Platform")
		e.fake.SetLatency(time.Minute)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := e.client.ListTeams(ctx)
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.Empty(t, e.clock.Sleeps(), "no retry after the caller gave up")
	})
	t.Run("while waiting out a rate limit", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, bases()[0])
		e.fake.SeedTeam("ent:platform", "Platform")
		e.fake.RateLimitSecondary(5, 30*time.Second)
		ctx, cancel := context.WithCancel(t.Context())
		e.clock.OnSleep(func(int, time.Duration) { cancel() })
		_, err := e.client.GetTeam(ctx, "platform")
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Len(t, e.fake.Requests(), 1)
		assert.Equal(t, "The request was cancelled before the API answered.", apiclient.UserMessage(err))
	})
	t.Run("during a bulk change", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, bases()[0])
		e.fake.SeedTeam("ent:platform", "Platform")
		names := logins("u", 300)
		for _, n := range names {
			e.fake.AddUser(n)
		}
		ctx, cancel := context.WithCancel(t.Context())
		e.fake.RateLimitSecondary(1, time.Second) // first chunk: limited, then retried
		e.clock.OnSleep(func(int, time.Duration) { cancel() })
		_, err := e.client.BulkAddMembers(ctx, "platform", names)
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
		var be *BulkError
		require.ErrorAs(t, err, &be)
		assert.Len(t, be.Unconfirmed, 300)
		assert.Empty(t, e.fake.Members("ent:platform"))
	})
}

// TestTokenNeverLeaks drives every error path with a recognisable token and checks
// errors, user messages and debug logs for it.
func TestTokenNeverLeaks(t *testing.T) {
	t.Parallel()
	const token = "ghp_LEAKCANARY0123456789abcdefABCDEF"
	fake := githubsandbox.New("acme", githubsandbox.WithToken(token))
	t.Cleanup(fake.Close)
	fake.SeedTeam("ent:platform", "Platform", "octocat")
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := newFakeClock()
	c, err := New(fake.URL(), "acme", token, WithClock(clock), WithLogger(logger), WithJitter(func() float64 { return 0 }))
	require.NoError(t, err)
	bad, err := New(fake.URL(), "acme", token+"x", WithClock(clock), WithLogger(logger))
	require.NoError(t, err)
	ctx := t.Context()

	fake.Fail(http.MethodGet, "", http.StatusBadGateway, 1)
	fake.RateLimitPrimary(1, clock.Now().Add(time.Second))
	fake.RateLimitSecondary(1, 0)
	fake.Malformed("/memberships", 1)
	var errs []error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	_, err = c.ListTeams(ctx) // 502, primary, secondary, then success: logged retries
	collect(err)
	_, err = c.ListTeamMembers(ctx, "platform") // malformed
	collect(err)
	_, err = bad.ListTeams(ctx) // 401
	collect(err)
	_, err = c.GetTeam(ctx, "nope") // 404
	collect(err)
	_, err = c.BulkAddMembers(ctx, "platform", []string{"ghost"}) // 422
	collect(err)
	fake.Fail(http.MethodPut, "", http.StatusForbidden, 1)
	_, err = c.AddMember(ctx, "platform", "octocat") // 403
	collect(err)
	_, err = c.GetTeam(ctx, "") // refused locally
	collect(err)
	_, err = New("https://x:"+token+"@api.github.com", "acme", token)
	collect(err)
	_, err = New("https://api.github.com", "acme", token+"\n"+token)
	collect(err)

	// A server that echoes the token back is redacted too.
	echo := newScriptedServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte(`{"message":"bad token ` + token + `","errors":[{"field":"x","code":"invalid","message":"saw ` + token + `"}]}`))
	})
	ec, err := New(echo.URL, "acme", token, WithClock(clock))
	require.NoError(t, err)
	_, err = ec.GetTeam(ctx, "platform")
	collect(err)

	require.Len(t, errs, 9)
	for _, err := range errs {
		assert.NotContains(t, err.Error(), token)
		assert.NotContains(t, apiclient.UserMessage(err), token)
	}
	assert.Contains(t, errs[len(errs)-1].Error(), "[redacted]")
	assert.NotEmpty(t, logs.String(), "retries and request ids are logged")
	assert.Contains(t, logs.String(), "request_id")
	assert.NotContains(t, logs.String(), token)
	assert.True(t, errors.Is(errs[0], apiclient.ErrDecode))
}
