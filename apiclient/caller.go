package apiclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"devin-chatops/clock"
)

// RetryPolicy bounds how hard the caller tries.
type RetryPolicy struct {
	MaxAttempts    int           // total attempts including the first; default 4
	BaseDelay      time.Duration // first backoff; default 500ms
	MaxDelay       time.Duration // cap of one backoff; default 30s
	MaxTotalWait   time.Duration // cap of all waiting in one call; default 2m
	RequestTimeout time.Duration // per attempt; default 30s
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxTotalWait <= 0 {
		p.MaxTotalWait = 2 * time.Minute
	}
	if p.RequestTimeout <= 0 {
		p.RequestTimeout = 30 * time.Second
	}
	return p
}

// Request is one API call. URL is absolute; Body, when set, is sent as JSON.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Permission, when set, is the credential's permission this call needs; a 403
	// names it (Error.Permission), so the admin knows what to grant.
	Permission string
}

// Response is a completed call with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Classifier turns a non-2xx response into a typed error. For rate limits it also
// returns how long the API asked to wait (0 when it did not say).
type Classifier func(now time.Time, resp *Response) (err *Error, wait time.Duration)

// Caller sends requests with timeouts and retries. It knows nothing about either API:
// the clients add their headers and give it a Classifier.
type Caller struct {
	API      string // the API's name in errors, e.g. "Devin API"
	Hints    Hints  // the API's own sentences for UserMessage
	HTTP     *http.Client
	Clock    clock.Clock // nil: the wall clock
	Policy   RetryPolicy
	Classify Classifier
	Logger   *slog.Logger
	// Jitter returns a number in [0,1); defaults to math/rand.
	Jitter func() float64
	// Observer, when set, is told of every HTTP attempt (the metrics registry).
	Observer CallObserver
}

// CallObserver counts API calls: one per HTTP attempt, with the status the API
// answered (0 when no answer came) and whether the attempt was a retry.
type CallObserver interface {
	APICall(api string, status int, retry bool)
}

// maxBody bounds how much of a response the caller reads, so a hostile or broken
// server cannot exhaust memory.
const maxBody = 64 << 20

// Do sends req, retrying where that is safe: idempotent methods on network errors,
// 429 and 5xx; POST and PATCH only on 429, since a rate-limited request was never
// processed. It returns the response for 2xx, otherwise an *Error.
func (c *Caller) Do(ctx context.Context, req Request) (*Response, error) {
	pol := c.Policy.withDefaults()
	clk := clock.OrSystem(c.Clock)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	path := pathOf(req.URL)
	idempotent := isIdempotent(req.Method)
	var waited time.Duration
	var lastErr *Error
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, hc, pol.RequestTimeout, req)
		if c.Observer != nil {
			status := 0
			if err == nil {
				status = resp.Status
			}
			c.Observer.APICall(c.API, status, attempt > 1)
		}
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s %s %s: %w", c.API, req.Method, path, ctx.Err())
			}
			lastErr = &Error{API: c.API, Hints: c.Hints, Kind: KindTransport, Method: req.Method, Path: path, Err: scrubURLError(err)}
			if !idempotent {
				return nil, lastErr
			}
		case resp.Status >= 200 && resp.Status < 300:
			return resp, nil
		default:
			e, w := c.classify(clk.Now(), resp)
			e.API, e.Hints, e.Method, e.Path = c.API, c.Hints, req.Method, path
			if e.Kind == KindForbidden {
				e.Permission = req.Permission
			}
			lastErr = e
			wait = w
			retryable := e.Kind == KindRateLimited || (e.Kind == KindServer && idempotent)
			if !retryable {
				return nil, e
			}
		}
		if attempt >= pol.MaxAttempts {
			return nil, lastErr
		}
		backoff := backoffFor(pol, attempt)
		// Equal jitter (half fixed, half random) spreads retries of many callers apart
		// while keeping the delay growing; a wait the API asked for is a floor, never
		// shortened.
		j := c.Jitter
		if j == nil {
			j = rand.Float64
		}
		backoff = backoff/2 + time.Duration(j()*float64(backoff/2))
		if wait < backoff {
			wait = backoff
		}
		// Waiting past the caller's deadline would end in "did not answer in time"
		// when the truth is "rate limited, try later": say that now instead.
		deadline, hasDeadline := ctx.Deadline()
		if waited+wait > pol.MaxTotalWait || (hasDeadline && clk.Now().Add(wait).After(deadline)) {
			if lastErr.Kind == KindRateLimited && lastErr.RetryAfter < wait {
				lastErr.RetryAfter = wait
			}
			return nil, lastErr
		}
		if c.Logger != nil {
			c.Logger.LogAttrs(ctx, slog.LevelWarn, "api call failed, retrying",
				slog.String("api", c.API), slog.String("method", req.Method), slog.String("path", path),
				slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("error", lastErr.Error()))
		}
		if err := clk.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s %s %s: %w", c.API, req.Method, path, err)
		}
		waited += wait
	}
}

func (c *Caller) classify(now time.Time, resp *Response) (*Error, time.Duration) {
	if c.Classify != nil {
		if e, w := c.Classify(now, resp); e != nil {
			e.Status = resp.Status
			return e, w
		}
	}
	return &Error{Kind: KindForStatus(resp.Status), Status: resp.Status}, 0
}

func (c *Caller) once(ctx context.Context, hc *http.Client, timeout time.Duration, req Request) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range req.Header {
		hr.Header[k] = append([]string(nil), vs...)
	}
	if req.Body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	res, err := hc.Do(hr)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return nil, err
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// KindForStatus is the default classification of an HTTP status.
func KindForStatus(status int) Kind {
	switch {
	case status == http.StatusUnauthorized:
		return KindUnauthorized
	case status == http.StatusForbidden:
		return KindForbidden
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusUnprocessableEntity:
		return KindValidation
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status >= 500:
		return KindServer
	case status >= 400:
		return KindBadRequest
	default:
		return KindUnknown
	}
}

// RetryAfter parses a Retry-After header (seconds or HTTP date) relative to now.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	// strconv rather than Sscanf: "5abc" is not a delay, and a huge value must not
	// overflow time.Duration into a negative (which would mean "retry at once").
	if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		if secs > maxRetryAfterSecs {
			secs = maxRetryAfterSecs
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// maxRetryAfterSecs caps a Retry-After in seconds; anything this long is beyond any
// MaxTotalWait anyway, and the cap keeps the Duration from overflowing.
const maxRetryAfterSecs = 7 * 24 * 60 * 60

// backoffFor is the un-jittered delay before retry number attempt (1-based):
// BaseDelay doubled per attempt, capped at MaxDelay. It doubles step by step instead
// of shifting so that a large MaxAttempts cannot overflow into a tiny or negative delay.
func backoffFor(pol RetryPolicy, attempt int) time.Duration {
	d := pol.BaseDelay
	for i := 1; i < attempt && d < pol.MaxDelay; i++ {
		d *= 2
	}
	if d > pol.MaxDelay || d <= 0 {
		d = pol.MaxDelay
	}
	return d
}

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "?"
	}
	return u.EscapedPath()
}

// scrubURLError drops the URL from a *url.Error: the URL is already in the Error's
// path, and its query could carry user data we do not want in logs twice.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
