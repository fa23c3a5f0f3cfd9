package devin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/clock/clocktest"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// newFakeClock records backoff sleeps instead of waiting, so retry tests take no time.
func newFakeClock() *clocktest.Fake { return clocktest.NewAuto(testNow()) }

// testNow is the fixed "now" of the fake server and the fake clock.
func testNow() time.Time { return time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC) }

func newFake(t testing.TB, opts ...devinsandbox.Option) *devinsandbox.Server {
	t.Helper()
	f := devinsandbox.New(append([]devinsandbox.Option{devinsandbox.WithNow(testNow)}, opts...)...)
	t.Cleanup(f.Close)
	return f
}

// newClient returns a client of fake with a fake clock, fixed jitter and three
// attempts per call; extra options come last and win.
func newClient(t testing.TB, fake *devinsandbox.Server, opts ...devin.Option) (*devin.Client, *clocktest.Fake) {
	t.Helper()
	clock := newFakeClock()
	all := append([]devin.Option{
		devin.WithClock(clock),
		devin.WithJitter(func() float64 { return 0.5 }),
		devin.WithRetryPolicy(apiclient.RetryPolicy{MaxAttempts: 3}),
	}, opts...)
	c, err := devin.New(fake.URL(), fake.APIKey(), all...)
	require.NoError(t, err)
	return c, clock
}

func TestNewRejectsBadSettings(t *testing.T) {
	const key = "apk_user_s3cr3t"
	tests := []struct {
		name, base, key, wantErr string
	}{
		{"empty key", "https://api.devin.ai", "  ", "API key is empty"},
		{"key with a newline", "https://api.devin.ai", key + "\nX-Evil: 1", "cannot be sent in an HTTP header"},
		{"relative URL", "api.devin.ai", key, "must be an absolute http(s) URL"},
		{"other scheme", "ftp://api.devin.ai", key, "must be an absolute http(s) URL"},
		{"unparsable URL", "http://[::1", key, "cannot be parsed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := devin.New(tt.base, tt.key)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "s3cr3t")
		})
	}
}

func TestNewAcceptsTheFullBaseURL(t *testing.T) {
	fake := newFake(t)
	for _, base := range []string{fake.URL(), fake.URL() + "/", fake.URL() + "/v2/enterprise", fake.URL() + "/v2/enterprise/"} {
		c, err := devin.New(base, fake.APIKey())
		require.NoError(t, err)
		_, err = c.ListRoles(context.Background())
		require.NoError(t, err, base)
	}
	assert.Equal(t, 4, fake.Count("GET", "/v2/enterprise/roles"))
}

func TestRequestHeaders(t *testing.T) {
	fake := newFake(t)
	c, _ := newClient(t, fake)
	_, err := c.ListRoles(context.Background())
	require.NoError(t, err)

	reqs := fake.Requests()
	require.Len(t, reqs, 1)
	h := reqs[0].Header
	assert.Equal(t, "Bearer "+devinsandbox.DefaultAPIKey, h.Get("Authorization"))
	assert.Equal(t, "application/json", h.Get("Accept"))
	assert.Contains(t, h.Get("User-Agent"), "devin-chatops")
}

func TestClientPrintsWithoutKey(t *testing.T) {
	fake := newFake(t)
	c, _ := newClient(t, fake)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("client", "c", c)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", c, c, c, c), logs.String()} {
		assert.NotContains(t, s, devinsandbox.DefaultAPIKey)
	}
}

// errorCase is one failure the client must classify.
type errorCase struct {
	name     string
	setup    func(f *devinsandbox.Server)
	call     func(ctx context.Context, c *devin.Client) error
	policy   apiclient.RetryPolicy
	key      string // client key; "" = the fake's
	want     *apiclient.Error
	attempts int // requests the fake saw
	sleeps   []time.Duration
	message  string // apiclient.UserMessage(err)
}

func listRoles(ctx context.Context, c *devin.Client) error {
	_, err := c.ListRoles(ctx)
	return err
}

func TestErrorClasses(t *testing.T) {
	tests := []errorCase{
		{
			name: "401 wrong key", key: "apk_user_wrong", call: listRoles,
			want:     &apiclient.Error{Kind: apiclient.KindUnauthorized, Status: 401, Message: "Missing or invalid Authorization header"},
			attempts: 1, message: "The Devin API key was rejected (401): it is missing, revoked or invalid.",
		},
		{
			name: "403 not an enterprise admin", setup: func(f *devinsandbox.Server) { f.Fail("GET", "/roles", 403, 1) }, call: listRoles,
			want:     &apiclient.Error{Kind: apiclient.KindForbidden, Status: 403, Message: "User is not associated with an enterprise"},
			attempts: 1, message: "The Devin API key is not an Enterprise Admin key (403): use a personal key of an Enterprise Admin.",
		},
		{
			name: "404 unknown member",
			call: func(ctx context.Context, c *devin.Client) error {
				_, err := c.GetMember(ctx, "email|nobody")
				return err
			},
			want: &apiclient.Error{Kind: apiclient.KindNotFound, Status: 404, Message: "User not found in enterprise",
				Path: "/v2/enterprise/members/email%7Cnobody"},
			attempts: 1, message: "Devin API could not find that (404): User not found in enterprise.",
		},
		{
			name:  "422 with fields",
			setup: func(f *devinsandbox.Server) { f.Fail("POST", "/organizations", 422, 1) },
			call: func(ctx context.Context, c *devin.Client) error {
				_, err := c.CreateOrganization(ctx, devin.CreateOrganizationRequest{DisplayName: "x"})
				return err
			},
			want: &apiclient.Error{Kind: apiclient.KindValidation, Status: 422, Fields: []apiclient.FieldError{
				{Field: "emails[0]", Code: "value_error.email", Message: "value is not a valid email address"}}},
			attempts: 1,
			message:  "Devin API refused the request as invalid (422): emails[0]: value_error.email: value is not a valid email address.",
		},
		{
			name: "400 bad request", setup: func(f *devinsandbox.Server) { f.Fail("GET", "/roles", 400, 1) }, call: listRoles,
			want:     &apiclient.Error{Kind: apiclient.KindBadRequest, Status: 400, Message: "Bad request"},
			attempts: 1, message: "Devin API refused the request as invalid (400): Bad request.",
		},
		{
			name: "429 with Retry-After is honoured, then success",
			setup: func(f *devinsandbox.Server) {
				f.SetRetryAfter("3")
				f.Fail("GET", "/roles", 429, 1)
			},
			call: listRoles, attempts: 2, sleeps: []time.Duration{3 * time.Second},
		},
		{
			name: "429 on a POST is retried (the request was never processed)",
			setup: func(f *devinsandbox.Server) {
				f.SetRetryAfter("2")
				f.Fail("POST", "/organizations", 429, 1)
			},
			call: func(ctx context.Context, c *devin.Client) error {
				_, err := c.CreateOrganization(ctx, devin.CreateOrganizationRequest{DisplayName: "Eng"})
				return err
			},
			attempts: 2, sleeps: []time.Duration{2 * time.Second},
		},
		{
			name: "429 beyond the total wait budget is a clear rate-limit error",
			setup: func(f *devinsandbox.Server) {
				f.SetRetryAfter("600")
				f.Fail("GET", "/roles", 429, -1)
			},
			call: listRoles, policy: apiclient.RetryPolicy{MaxTotalWait: 2 * time.Minute},
			want:     &apiclient.Error{Kind: apiclient.KindRateLimited, Status: 429, Message: "Too many requests", RetryAfter: 10 * time.Minute},
			attempts: 1, message: "Devin API is rate limiting the bot; try again in 10 minutes.",
		},
		{
			name:  "429 without Retry-After backs off and gives up",
			setup: func(f *devinsandbox.Server) { f.Fail("GET", "/roles", 429, -1) }, call: listRoles,
			want:     &apiclient.Error{Kind: apiclient.KindRateLimited, Status: 429, Message: "Too many requests"},
			attempts: 3, sleeps: []time.Duration{375 * time.Millisecond, 750 * time.Millisecond},
			message: "Devin API is rate limiting the bot; try again in a minute.",
		},
		{
			name:  "500 on a GET is retried",
			setup: func(f *devinsandbox.Server) { f.Fail("GET", "/roles", 500, 2) }, call: listRoles,
			attempts: 3, sleeps: []time.Duration{375 * time.Millisecond, 750 * time.Millisecond},
		},
		{
			name:  "500 on every GET attempt",
			setup: func(f *devinsandbox.Server) { f.Fail("GET", "/roles", 503, -1) }, call: listRoles,
			want:     &apiclient.Error{Kind: apiclient.KindServer, Status: 503, Message: "Internal server error"},
			attempts: 3, sleeps: []time.Duration{375 * time.Millisecond, 750 * time.Millisecond},
			message: "Devin API is having trouble (503); try again in a few minutes.",
		},
		{
			name:  "500 on a POST is not retried",
			setup: func(f *devinsandbox.Server) { f.Fail("POST", "/organizations", 500, 1) },
			call: func(ctx context.Context, c *devin.Client) error {
				_, err := c.CreateOrganization(ctx, devin.CreateOrganizationRequest{DisplayName: "Eng"})
				return err
			},
			want:     &apiclient.Error{Kind: apiclient.KindServer, Status: 500, Method: "POST", Path: "/v2/enterprise/organizations"},
			attempts: 1,
		},
		{
			name:  "malformed JSON in a 200",
			setup: func(f *devinsandbox.Server) { f.Malformed("/roles", 1) }, call: listRoles,
			want:     &apiclient.Error{Kind: apiclient.KindDecode, Status: 200, Method: "GET", Path: "/v2/enterprise/roles"},
			attempts: 1, message: "Devin API sent a response the bot could not read.",
		},
		{
			name:  "malformed JSON in a member page",
			setup: func(f *devinsandbox.Server) { f.SeedMembers(3); f.Malformed("/members", 1) },
			call: func(ctx context.Context, c *devin.Client) error {
				_, err := c.ListMembers(ctx, devin.ListMembersOptions{})
				return err
			},
			want:     &apiclient.Error{Kind: apiclient.KindDecode, Status: 200, Path: "/v2/enterprise/members"},
			attempts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			if tt.setup != nil {
				tt.setup(fake)
			}
			clock := newFakeClock()
			pol := tt.policy
			if pol.MaxAttempts == 0 {
				pol.MaxAttempts = 3
			}
			key := tt.key
			if key == "" {
				key = fake.APIKey()
			}
			c, err := devin.New(fake.URL(), key, devin.WithClock(clock), devin.WithRetryPolicy(pol),
				devin.WithJitter(func() float64 { return 0.5 }))
			require.NoError(t, err)

			err = tt.call(context.Background(), c)

			assert.Equal(t, tt.attempts, len(fake.Requests()), "requests")
			assert.Equal(t, tt.sleeps, clock.Sleeps(), "backoff sleeps")
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			var e *apiclient.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, devin.APIName, e.API)
			assert.Equal(t, tt.want.Kind, e.Kind)
			assert.Equal(t, tt.want.Status, e.Status)
			if tt.want.Message != "" {
				assert.Equal(t, tt.want.Message, e.Message)
			}
			if tt.want.Fields != nil {
				assert.Equal(t, tt.want.Fields, e.Fields)
			}
			if tt.want.Path != "" {
				assert.Equal(t, tt.want.Path, e.Path)
			}
			if tt.want.Method != "" {
				assert.Equal(t, tt.want.Method, e.Method)
			}
			if tt.want.RetryAfter != 0 {
				assert.Equal(t, tt.want.RetryAfter, e.RetryAfter)
			}
			if tt.message != "" {
				assert.Equal(t, tt.message, apiclient.UserMessage(err))
			}
			assert.NotContains(t, err.Error(), key)
		})
	}
}

func TestCancellationMidRetry(t *testing.T) {
	fake := newFake(t)
	fake.Fail("GET", "/roles", 500, -1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, clock := newClient(t, fake)
	clock.OnSleep(func(int, time.Duration) { cancel() })

	_, err := c.ListRoles(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, fake.Count("GET", "/roles"), "no attempt after the cancellation")
	assert.Equal(t, "The request was cancelled before the API answered.", apiclient.UserMessage(err))
}

func TestRequestTimeout(t *testing.T) {
	fake := newFake(t)
	fake.SetLatency("/roles", 2*time.Second)
	c, _ := newClient(t, fake, devin.WithRetryPolicy(apiclient.RetryPolicy{MaxAttempts: 2, RequestTimeout: 30 * time.Millisecond}))

	start := time.Now()
	_, err := c.ListRoles(context.Background())
	assert.Less(t, time.Since(start), time.Second, "each attempt is cut at RequestTimeout")
	require.ErrorIs(t, err, apiclient.ErrTransport)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 2, fake.Count("GET", "/roles"), "a timed-out GET is retried")
}

func TestKeyNeverInErrorsOrLogs(t *testing.T) {
	const key = "apk_user_TOPSECRET_9f8e7d"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	fake := newFake(t, devinsandbox.WithAPIKey(key))
	fake.SeedMembers(2)
	c, _ := newClient(t, fake, devin.WithLogger(logger))

	// A server that echoes the Authorization header back in its error detail.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"detail":"bad header %s"}`, r.Header.Get("Authorization"))
	}))
	defer echo.Close()
	echoing, err := devin.New(echo.URL, key, devin.WithLogger(logger))
	require.NoError(t, err)

	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	unreachable, err := devin.New(dead.URL, key, devin.WithLogger(logger), devin.WithClock(newFakeClock()))
	require.NoError(t, err)

	ctx := context.Background()
	var errs []error
	collect := func(err error) { errs = append(errs, err) }

	fake.Fail("GET", "/members", 500, 1) // retried: logged
	_, err = c.ListMembers(ctx, devin.ListMembersOptions{})
	require.NoError(t, err)
	fake.Fail("GET", "/roles", 500, -1)
	collect(listRoles(ctx, c))
	fake.ClearFaults()
	fake.Malformed("/roles", 1)
	collect(listRoles(ctx, c))
	collect(listRoles(ctx, echoing))
	collect(listRoles(ctx, unreachable))
	wrong, err := devin.New(fake.URL(), "apk_user_WRONG_"+key)
	require.NoError(t, err)
	collect(listRoles(ctx, wrong))
	_, err = c.Invite(ctx, devin.InviteRequest{Emails: []string{"x@example.com"}, Role: "nope"})
	collect(err)

	require.Len(t, errs, 6)
	for _, err := range errs {
		require.Error(t, err)
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), apiclient.UserMessage(err)} {
			assert.NotContains(t, s, "TOPSECRET")
		}
	}
	assert.Contains(t, errs[2].Error(), "bad header Bearer [redacted]")
	assert.Contains(t, logs.String(), "retrying")
	assert.NotContains(t, logs.String(), "TOPSECRET")
}

func TestPathEscaping(t *testing.T) {
	fake := newFake(t)
	for _, id := range []string{"email|abc", "a/b", "okta|Org|x y"} {
		t.Run(id, func(t *testing.T) {
			fake.ResetRequests()
			fake.AddMember(devinsandbox.Member{UserID: id, Email: strings.NewReplacer("|", "", "/", "", " ", "").Replace(id) + "@example.com"})
			c, _ := newClient(t, fake)
			ctx := context.Background()

			m, err := c.GetMember(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, id, m.UserID)
			_, err = c.UserDailyConsumption(ctx, id, devin.ConsumptionQuery{})
			require.NoError(t, err)
			require.NoError(t, c.RemoveMember(ctx, id))
			_, err = c.GetMember(ctx, id)
			require.ErrorIs(t, err, apiclient.ErrNotFound)

			escaped := strings.NewReplacer("|", "%7C", "/", "%2F", " ", "%20").Replace(id)
			reqs := fake.Requests()
			require.Len(t, reqs, 4)
			assert.Equal(t, "/v2/enterprise/members/"+escaped, reqs[0].Path)
			assert.Equal(t, "/v2/enterprise/consumption/daily/"+escaped, reqs[1].Path)
			assert.Equal(t, "/v2/enterprise/members/"+escaped, reqs[2].Path)
			assert.Equal(t, http.MethodDelete, reqs[2].Method)
		})
	}
	t.Run("org IDs too", func(t *testing.T) {
		fake.ResetRequests()
		c, _ := newClient(t, fake)
		_, err := c.GetOrganization(context.Background(), "org/../x")
		require.ErrorIs(t, err, apiclient.ErrNotFound)
		assert.Equal(t, "/v2/enterprise/organizations/org%2F..%2Fx", fake.Requests()[0].Path)
	})
}

func TestEmptyIDsAreRefusedBeforeAnyRequest(t *testing.T) {
	fake := newFake(t)
	c, _ := newClient(t, fake)
	ctx := context.Background()
	calls := map[string]func() error{
		"GetMember":            func() error { _, err := c.GetMember(ctx, ""); return err },
		"RemoveMember":         func() error { return c.RemoveMember(ctx, "") },
		"GetOrganization":      func() error { _, err := c.GetOrganization(ctx, ""); return err },
		"AddOrgMembers":        func() error { return c.AddOrgMembers(ctx, "", []string{"u"}, "") },
		"UserDailyConsumption": func() error { _, err := c.UserDailyConsumption(ctx, "", devin.ConsumptionQuery{}); return err },
		"AssignRole":           func() error { return c.AssignRole(ctx, []string{"u"}, "") },
		"AddGitPermissions":    func() error { _, err := c.AddGitPermissions(ctx, "org", nil); return err },
		"CreateOrganization": func() error {
			_, err := c.CreateOrganization(ctx, devin.CreateOrganizationRequest{DisplayName: " "})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		require.Error(t, err, name)
		assert.False(t, errors.As(err, new(*apiclient.Error)), "%s: a programming error, not an API error", name)
	}
	assert.Empty(t, fake.Requests())
}
