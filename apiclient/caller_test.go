package apiclient_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/clock"
	"devin-chatops/clock/clocktest"
)

// newFakeClock records sleeps and advances its own time instead of waiting.
func newFakeClock() *clocktest.Fake { return clocktest.NewAuto(clocktest.Epoch) }

// scripted is a RoundTripper whose answers a test scripts per call; no sockets, so
// the attempt count is exact (net/http cannot add its own retries).
type scripted struct {
	mu      sync.Mutex
	calls   int
	bodies  []string
	headers []http.Header
	respond func(call int, req *http.Request) (*http.Response, error)
}

func (s *scripted) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	s.mu.Lock()
	s.calls++
	n := s.calls
	s.bodies = append(s.bodies, string(body))
	s.headers = append(s.headers, req.Header.Clone())
	s.mu.Unlock()
	return s.respond(n, req)
}

func (s *scripted) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func answer(status int, header http.Header, body string) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body))}
}

func always(status int, header http.Header) func(int, *http.Request) (*http.Response, error) {
	return func(int, *http.Request) (*http.Response, error) { return answer(status, header, `{}`), nil }
}

// errNetwork stands for a connection reset.
func errNetwork() error { return errors.New("connection reset by peer") }

func newCaller(rt http.RoundTripper, clock clock.Clock, pol apiclient.RetryPolicy) *apiclient.Caller {
	return &apiclient.Caller{
		API:    "Test API",
		HTTP:   &http.Client{Transport: rt},
		Clock:  clock,
		Policy: pol,
		Jitter: func() float64 { return 0.5 },
	}
}

const testURL = "https://api.example.test/v2/things?token=query-secret"

func TestCallerRetryMatrix(t *testing.T) {
	const maxAttempts = 3
	type outcome struct {
		name   string
		status int // 0 = network error
		kind   apiclient.Kind
	}
	outcomes := []outcome{
		{"200", 200, apiclient.KindUnknown},
		{"400", 400, apiclient.KindBadRequest},
		{"401", 401, apiclient.KindUnauthorized},
		{"403", 403, apiclient.KindForbidden},
		{"404", 404, apiclient.KindNotFound},
		{"422", 422, apiclient.KindValidation},
		{"429", 429, apiclient.KindRateLimited},
		{"500", 500, apiclient.KindServer},
		{"502", 502, apiclient.KindServer},
		{"503", 503, apiclient.KindServer},
		{"network", 0, apiclient.KindTransport},
	}
	methods := []struct {
		method     string
		idempotent bool
	}{
		{http.MethodGet, true}, {http.MethodHead, true}, {http.MethodPut, true}, {http.MethodDelete, true},
		{http.MethodPost, false}, {http.MethodPatch, false},
	}
	for _, m := range methods {
		for _, o := range outcomes {
			t.Run(m.method+"/"+o.name, func(t *testing.T) {
				want := 1
				switch {
				case o.status == 429:
					want = maxAttempts // a rate-limited request was never processed
				case (o.status >= 500 || o.status == 0) && m.idempotent:
					want = maxAttempts
				}
				rt := &scripted{respond: func(int, *http.Request) (*http.Response, error) {
					if o.status == 0 {
						return nil, errNetwork()
					}
					return answer(o.status, nil, `{}`), nil
				}}
				c := newCaller(rt, newFakeClock(), apiclient.RetryPolicy{MaxAttempts: maxAttempts})
				resp, err := c.Do(context.Background(), apiclient.Request{Method: m.method, URL: testURL})

				assert.Equal(t, want, rt.Calls(), "attempts")
				if o.status == 200 {
					require.NoError(t, err)
					assert.Equal(t, 200, resp.Status)
					return
				}
				var e *apiclient.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, o.kind, e.Kind)
				assert.Equal(t, "Test API", e.API)
				assert.Equal(t, m.method, e.Method)
				assert.Equal(t, "/v2/things", e.Path)
				assert.Equal(t, o.status, e.Status)
			})
		}
	}
}

func TestCallerRetriesThenSucceeds(t *testing.T) {
	rt := &scripted{respond: func(n int, _ *http.Request) (*http.Response, error) {
		switch n {
		case 1:
			return nil, errNetwork()
		case 2:
			return answer(503, nil, ``), nil
		}
		return answer(200, nil, `{"ok":true}`), nil
	}}
	clock := newFakeClock()
	c := newCaller(rt, clock, apiclient.RetryPolicy{})
	resp, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: testURL})
	require.NoError(t, err)
	assert.JSONEq(t, `{"ok":true}`, string(resp.Body))
	assert.Equal(t, 3, rt.Calls())
	assert.Len(t, clock.Sleeps(), 2)
}

func TestCallerBackoffGrowsWithJitter(t *testing.T) {
	pol := apiclient.RetryPolicy{MaxAttempts: 6, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxTotalWait: time.Hour}
	// Un-jittered backoffs: 100ms, 200ms, 400ms, 800ms, then capped at 1s.
	base := []time.Duration{100, 200, 400, 800, 1000}
	for _, j := range []float64{0, 0.25, 0.5, 0.999} {
		t.Run(fmt.Sprint("jitter=", j), func(t *testing.T) {
			rt := &scripted{respond: always(503, nil)}
			clock := newFakeClock()
			c := newCaller(rt, clock, pol)
			c.Jitter = func() float64 { return j }
			_, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: testURL})
			require.ErrorIs(t, err, apiclient.ErrServer)

			want := make([]time.Duration, len(base))
			for i, b := range base {
				b *= time.Millisecond
				// Equal jitter: half the backoff fixed, half scaled by the jitter.
				want[i] = b/2 + time.Duration(j*float64(b/2))
			}
			got := clock.Sleeps()
			assert.Equal(t, want, got)
			for i := 1; i < len(got)-1; i++ {
				assert.Greater(t, got[i], got[i-1], "backoff grows")
			}
		})
	}
}

func TestCallerBackoffNeverOverflows(t *testing.T) {
	// Shifting 500ms left 70 times overflows int64; the delay must stay capped and
	// positive instead of wrapping to "retry at once".
	pol := apiclient.RetryPolicy{MaxAttempts: 70, MaxDelay: 30 * time.Second, MaxTotalWait: 1000 * time.Hour}
	rt := &scripted{respond: always(500, nil)}
	clock := newFakeClock()
	c := newCaller(rt, clock, pol)
	c.Jitter = func() float64 { return 0 }
	_, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: testURL})
	require.Error(t, err)
	sleeps := clock.Sleeps()
	require.Len(t, sleeps, 69)
	for _, d := range sleeps[7:] {
		assert.Equal(t, 15*time.Second, d, "capped at MaxDelay/2 with zero jitter")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{"absent", "", 0},
		{"seconds", "7", 7 * time.Second},
		{"seconds with spaces", " 12 ", 12 * time.Second},
		{"zero", "0", 0},
		{"negative", "-3", 0},
		{"trailing garbage", "5abc", 0},
		{"garbage", "soon", 0},
		{"http date in the future", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"http date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"huge seconds are capped, not overflowed", "99999999999999", 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.value != "" {
				h.Set("Retry-After", tt.value)
			}
			assert.Equal(t, tt.want, apiclient.RetryAfter(h, now))
		})
	}
}

// retryAfterClassifier is a minimal API classifier that reads Retry-After.
func retryAfterClassifier(now time.Time, resp *apiclient.Response) (*apiclient.Error, time.Duration) {
	e := &apiclient.Error{Kind: apiclient.KindForStatus(resp.Status)}
	var wait time.Duration
	if resp.Status == http.StatusTooManyRequests {
		wait = apiclient.RetryAfter(resp.Header, now)
		e.RetryAfter = wait
	}
	return e, wait
}

func TestCallerHonoursRetryAfter(t *testing.T) {
	clockStart := newFakeClock().Now()
	tests := []struct {
		name      string
		header    string
		wantSleep time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"http date", clockStart.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		// A Retry-After shorter than the backoff does not shorten it.
		{"shorter than backoff", "0", 375 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &scripted{respond: func(n int, _ *http.Request) (*http.Response, error) {
				if n == 1 {
					return answer(429, http.Header{"Retry-After": {tt.header}}, `{}`), nil
				}
				return answer(200, nil, `{}`), nil
			}}
			clock := newFakeClock()
			c := newCaller(rt, clock, apiclient.RetryPolicy{})
			c.Classify = retryAfterClassifier
			// POST: a 429 is retried even for non-idempotent methods.
			_, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodPost, URL: testURL, Body: []byte(`{}`)})
			require.NoError(t, err)
			assert.Equal(t, []time.Duration{tt.wantSleep}, clock.Sleeps())
		})
	}
}

func TestCallerMaxTotalWait(t *testing.T) {
	t.Run("a Retry-After beyond the budget fails at once", func(t *testing.T) {
		rt := &scripted{respond: always(429, http.Header{"Retry-After": {"300"}})}
		clock := newFakeClock()
		c := newCaller(rt, clock, apiclient.RetryPolicy{MaxTotalWait: 2 * time.Minute})
		c.Classify = retryAfterClassifier
		_, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: testURL})

		var e *apiclient.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, apiclient.KindRateLimited, e.Kind)
		assert.Equal(t, 300*time.Second, e.RetryAfter)
		assert.Equal(t, 1, rt.Calls())
		assert.Empty(t, clock.Sleeps(), "never waits past the budget")
		assert.Equal(t, "Test API is rate limiting the bot; try again in 5 minutes.", apiclient.UserMessage(err))
	})
	t.Run("backoffs add up to the budget", func(t *testing.T) {
		rt := &scripted{respond: always(500, nil)}
		clock := newFakeClock()
		c := newCaller(rt, clock, apiclient.RetryPolicy{MaxAttempts: 10, BaseDelay: 2 * time.Second, MaxTotalWait: 5 * time.Second})
		c.Jitter = func() float64 { return 0 }
		_, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: testURL})
		require.ErrorIs(t, err, apiclient.ErrServer)
		// Waits 1s and 2s; the next 4s would bring the total to 7s > 5s.
		assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, clock.Sleeps())
		assert.Equal(t, 3, rt.Calls())
	})
}

func TestCallerRequestTimeout(t *testing.T) {
	hang := func(_ int, req *http.Request) (*http.Response, error) {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	tests := []struct {
		method       string
		wantAttempts int
	}{
		{http.MethodGet, 2},
		{http.MethodPost, 1}, // the server may have acted on it
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			rt := &scripted{respond: hang}
			c := newCaller(rt, newFakeClock(), apiclient.RetryPolicy{MaxAttempts: 2, RequestTimeout: 20 * time.Millisecond})
			start := time.Now()
			_, err := c.Do(context.Background(), apiclient.Request{Method: tt.method, URL: testURL})
			assert.Less(t, time.Since(start), 5*time.Second)

			require.ErrorIs(t, err, apiclient.ErrTransport)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, tt.wantAttempts, rt.Calls())
			assert.Equal(t, "The API did not answer in time; try again in a few minutes.", apiclient.UserMessage(err))
		})
	}
}

func TestCallerCancellation(t *testing.T) {
	t.Run("during the backoff", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rt := &scripted{respond: always(500, nil)}
		clock := newFakeClock()
		clock.OnSleep(func(int, time.Duration) { cancel() })
		c := newCaller(rt, clock, apiclient.RetryPolicy{})
		_, err := c.Do(ctx, apiclient.Request{Method: http.MethodGet, URL: testURL})
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, rt.Calls(), "no attempt after the cancellation")
		assert.Equal(t, "The request was cancelled before the API answered.", apiclient.UserMessage(err))
	})
	t.Run("during the request", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		rt := &scripted{respond: func(_ int, req *http.Request) (*http.Response, error) {
			cancel()
			<-req.Context().Done()
			return nil, req.Context().Err()
		}}
		c := newCaller(rt, newFakeClock(), apiclient.RetryPolicy{})
		_, err := c.Do(ctx, apiclient.Request{Method: http.MethodGet, URL: testURL})
		require.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, apiclient.ErrTransport, "a cancellation is not a network failure")
		assert.Equal(t, 1, rt.Calls())
	})
}

func TestCallerClassifier(t *testing.T) {
	tests := []struct {
		name     string
		classify apiclient.Classifier
		status   int
		wantKind apiclient.Kind
		wantMsg  string
	}{
		{"default kinds without a classifier", nil, 404, apiclient.KindNotFound, ""},
		{"classifier message and kind", func(time.Time, *apiclient.Response) (*apiclient.Error, time.Duration) {
			return &apiclient.Error{Kind: apiclient.KindValidation, Message: "bad email"}, 0
		}, 400, apiclient.KindValidation, "bad email"},
		{"a classifier returning nil falls back", func(time.Time, *apiclient.Response) (*apiclient.Error, time.Duration) {
			return nil, 0
		}, 403, apiclient.KindForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &scripted{respond: always(tt.status, nil)}
			c := newCaller(rt, newFakeClock(), apiclient.RetryPolicy{})
			c.Classify = tt.classify
			_, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: testURL})
			var e *apiclient.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.wantKind, e.Kind)
			assert.Equal(t, tt.status, e.Status, "the caller sets the status")
			assert.Equal(t, tt.wantMsg, e.Message)
			assert.Equal(t, "Test API", e.API)
		})
	}
}

func TestCallerResendsBodyAndHeaders(t *testing.T) {
	rt := &scripted{respond: func(n int, _ *http.Request) (*http.Response, error) {
		if n < 3 {
			return answer(429, nil, `{}`), nil
		}
		return answer(201, nil, `{}`), nil
	}}
	c := newCaller(rt, newFakeClock(), apiclient.RetryPolicy{})
	_, err := c.Do(context.Background(), apiclient.Request{
		Method: http.MethodPost, URL: testURL, Body: []byte(`{"emails":["a@b.c"]}`),
		Header: http.Header{"Authorization": {"Bearer k"}, "Accept": {"application/json"}},
	})
	require.NoError(t, err)
	require.Equal(t, 3, rt.Calls())
	for i := range 3 {
		assert.Equal(t, `{"emails":["a@b.c"]}`, rt.bodies[i], "attempt %d sends the whole body", i+1)
		assert.Equal(t, "application/json", rt.headers[i].Get("Content-Type"))
		assert.Equal(t, "Bearer k", rt.headers[i].Get("Authorization"))
	}
}

func TestCallerErrorsAndLogsHoldNoSecrets(t *testing.T) {
	const secret = "Bearer sk-very-secret"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, status := range []int{0, 401, 429, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			rt := &scripted{respond: func(int, *http.Request) (*http.Response, error) {
				if status == 0 {
					return nil, errNetwork()
				}
				return answer(status, nil, `{}`), nil
			}}
			c := newCaller(rt, newFakeClock(), apiclient.RetryPolicy{MaxAttempts: 2})
			c.Logger = logger
			_, err := c.Do(context.Background(), apiclient.Request{
				Method: http.MethodGet, URL: testURL, Header: http.Header{"Authorization": {secret}},
			})
			require.Error(t, err)
			for _, text := range []string{err.Error(), apiclient.UserMessage(err), logs.String()} {
				assert.NotContains(t, text, "sk-very-secret")
				assert.NotContains(t, text, "query-secret", "the query string is not repeated")
			}
		})
	}
	assert.Contains(t, logs.String(), "retrying", "retries are logged")
}

// A rate limit that outlasts the caller's deadline is reported as a rate limit at once,
// not slept on until the context expires.
func TestCallerRateLimitBeyondDeadlineFailsFast(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	c := &apiclient.Caller{API: "Test API", HTTP: srv.Client(),
		Classify: func(now time.Time, resp *apiclient.Response) (*apiclient.Error, time.Duration) {
			wait := apiclient.RetryAfter(resp.Header, now)
			return &apiclient.Error{Kind: apiclient.KindRateLimited, RetryAfter: wait}, wait
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Do(ctx, apiclient.Request{Method: http.MethodGet, URL: srv.URL + "/x"})
	require.ErrorIs(t, err, apiclient.ErrRateLimited)
	assert.Less(t, time.Since(start), 2*time.Second, "no sleeping toward the deadline")
	assert.Equal(t, "Test API is rate limiting the bot; try again in a minute.", apiclient.UserMessage(err))
	assert.EqualValues(t, 1, calls.Load(), "one call, no retry that could not finish in time")
}

func TestCallerCarriesThePermissionOnA403Only(t *testing.T) {
	for _, status := range []int{403, 404} {
		rt := &scripted{respond: always(status, nil)}
		c := newCaller(rt, newFakeClock(), apiclient.RetryPolicy{})
		_, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: testURL, Permission: "ManageBilling"})
		var e *apiclient.Error
		require.ErrorAs(t, err, &e)
		if status == 403 {
			assert.Equal(t, "ManageBilling", e.Permission)
		} else {
			assert.Empty(t, e.Permission, "only a refusal is about a permission")
		}
	}
}
