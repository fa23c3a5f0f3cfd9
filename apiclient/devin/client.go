// Package devin is the bot's client for the Devin Enterprise API v2
// (DEVIN_API_URL + "/v2/enterprise"). It sends every call through apiclient.Caller,
// so timeouts, retries and typed errors behave like the other clients.
//
// The public usage examples of the API answer in shapes that differ from its schema
// (members under "members" instead of "items", cycles with start_date/end_date, audit
// logs under "logs", …). Every decoder here accepts both, so the bot keeps working
// whichever one a deployment actually serves.
package devin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"devin-chatops/apiclient"
	"devin-chatops/clock"
)

// APIName is how errors and log lines name this API.
const APIName = "Devin API"

// Hints are what a Slack user is told when the Devin API refuses the key: the remedy
// depends on the kind of key this client takes.
func Hints() apiclient.Hints {
	return apiclient.Hints{
		Unauthorized: "The Devin API key was rejected (401): it is missing, revoked or invalid.",
		Forbidden:    "The Devin API key is not an Enterprise Admin key (403): use a personal key of an Enterprise Admin.",
	}
}

const (
	// basePath is appended to DEVIN_API_URL; all endpoints below are relative to it.
	basePath = "/v2/enterprise"
	// pageLimit is the largest page the v2 API serves.
	pageLimit = 200
	// maxPages stops a listing whose server keeps saying "more" while advancing the
	// cursor: 2,000 pages of 200 is far beyond any real enterprise.
	maxPages = 2000
	// maxBatch is the documented maximum of emails per invite; role and org updates
	// are sent in batches of the same size so one request stays reasonable.
	maxBatch = 100
	// maxMessage bounds an error message taken from a response body.
	maxMessage = 300
	userAgent  = "devin-chatops/1.0 (apiclient/devin)"
)

// Client calls the Devin Enterprise API v2. It is safe for concurrent use.
type Client struct {
	base     string // absolute URL of the enterprise root, no trailing slash
	display  string // base with any userinfo password masked, for String
	basePath string // its escaped path, as error paths show it
	header   http.Header
	apiKey   string // kept only to redact it from any text the API echoes back
	caller   *apiclient.Caller
	logger   *slog.Logger
}

// Option configures a Client.
type Option func(*settings)

// settings collect the options: the shared caller knobs, set on a Caller the
// client then completes with its API name and error classifier.
type settings struct {
	caller apiclient.Caller
}

// WithHTTPClient sets the HTTP client (default: a plain http.Client; per-attempt
// timeouts come from the retry policy, not from the client).
func WithHTTPClient(hc *http.Client) Option { return func(s *settings) { s.caller.HTTP = hc } }

// WithClock sets the time source used for backoff sleeps and Retry-After dates.
func WithClock(c clock.Clock) Option { return func(s *settings) { s.caller.Clock = c } }

// WithRetryPolicy sets attempts, backoff and timeouts; zero fields take the defaults.
func WithRetryPolicy(p apiclient.RetryPolicy) Option {
	return func(s *settings) { s.caller.Policy = p }
}

// WithObserver counts every HTTP attempt into o (the metrics registry).
func WithObserver(o apiclient.CallObserver) Option {
	return func(s *settings) { s.caller.Observer = o }
}

// WithLogger sets where retries and fallbacks are logged (default: not logged).
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.caller.Logger = l } }

// WithJitter sets the jitter source, a function returning a number in [0,1).
func WithJitter(j func() float64) Option { return func(s *settings) { s.caller.Jitter = j } }

// New returns a client for the Devin API at baseURL (for example
// "https://api.devin.ai"; a URL that already ends in /v2/enterprise is accepted too).
// apiKey is an Enterprise Admin personal key; it is sent as a Bearer token and never
// appears in an error or a log line.
func New(baseURL, apiKey string, opts ...Option) (*Client, error) {
	return newCore(baseURL, apiKey, basePath, Hints(), opts)
}

// versionRoots are the API roots a base URL may already end in; newCore strips any of
// them before adding the one it speaks, so DEVIN_API_URL may name either.
var versionRoots = []string{"/v2/enterprise", "/v3/enterprise"}

// newCore checks the key and the base URL and builds the transport both versions
// share: root is the path appended to the base URL ("/v2/enterprise" or
// "/v3/enterprise"), hints the version's sentences for a refused credential.
func newCore(baseURL, apiKey, root string, hints apiclient.Hints, opts []Option) (*Client, error) {
	key := strings.TrimSpace(apiKey)
	if key == "" {
		return nil, errors.New("devin: the API key is empty")
	}
	if !validHeaderValue(key) {
		// Do not quote the key: this error ends up in logs.
		return nil, errors.New("devin: the API key contains characters that cannot be sent in an HTTP header")
	}
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, errors.New("devin: the base URL cannot be parsed")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("devin: the base URL %q must be an absolute http(s) URL", u.Redacted())
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	for _, r := range versionRoots {
		u.Path = strings.TrimSuffix(u.Path, r)
	}
	u.Path += root

	s := settings{}
	for _, o := range opts {
		o(&s)
	}
	if s.caller.HTTP == nil {
		s.caller.HTTP = &http.Client{}
	}

	c := &Client{
		base:     u.String(),
		display:  u.Redacted(),
		basePath: u.EscapedPath(),
		apiKey:   key,
		logger:   s.caller.Logger,
		header: http.Header{
			"Authorization": {"Bearer " + key},
			"Accept":        {"application/json"},
			"User-Agent":    {userAgent},
		},
	}
	caller := s.caller
	caller.API, caller.Hints, caller.Classify = APIName, hints, c.classify
	c.caller = &caller
	return c, nil
}

// String describes the client without its key, so printing one by accident is safe.
func (c *Client) String() string { return "devin.Client(" + c.display + ")" }

// GoString keeps %#v from dumping the key.
func (c *Client) GoString() string { return c.String() }

// LogValue keeps slog from dumping the key.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x21 || b == 0x7f {
			return false
		}
	}
	return true
}

// do sends one request. path is relative to the enterprise root and already escaped;
// in, when non-nil, is sent as JSON.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in any) (*apiclient.Response, error) {
	return c.send(ctx, "", method, c.base+path, query, in)
}

// send sends one request to the absolute URL u; perm is the permission the call
// needs, named by a 403 (v3), or "".
func (c *Client) send(ctx context.Context, perm, method, u string, query url.Values, in any) (*apiclient.Response, error) {
	path := strings.TrimPrefix(u, c.base)
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("devin: encoding the %s %s request: %w", method, path, err)
		}
		body = b
	}
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return c.caller.Do(ctx, apiclient.Request{Method: method, URL: u, Header: c.header, Body: body, Permission: perm})
}

// call sends one request and decodes a 2xx body into out (skipped when out is nil).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	resp, err := c.do(ctx, method, path, query, in)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return c.decodeError(method, path, resp.Status, err)
	}
	return nil
}

// decodeError reports a 2xx body the client could not read. It carries the JSON
// error (which names a field or an offset, never the body) and not the body itself.
func (c *Client) decodeError(method, path string, status int, err error) error {
	return &apiclient.Error{
		API:    APIName,
		Kind:   apiclient.KindDecode,
		Status: status,
		Method: method,
		Path:   c.basePath + path,
		Err:    err,
	}
}

// classify turns a non-2xx Devin response into a typed error. Devin (FastAPI) puts its
// explanation in "detail": a string for most errors, a list of field errors for 422.
// v3-style problem+json bodies keep "detail" and add "title".
func (c *Client) classify(now time.Time, resp *apiclient.Response) (*apiclient.Error, time.Duration) {
	e := &apiclient.Error{Kind: apiclient.KindForStatus(resp.Status)}
	e.RequestID = resp.Header.Get("X-Request-Id")

	var body struct {
		Detail  json.RawMessage   `json:"detail"`
		Title   string            `json:"title"`
		Message string            `json:"message"`
		Errors  []json.RawMessage `json:"errors"` // v3 problem+json, on 422
	}
	if json.Unmarshal(resp.Body, &body) == nil {
		var detail string
		var items []validationItem
		switch {
		case json.Unmarshal(body.Detail, &detail) == nil:
			e.Message = detail
		case json.Unmarshal(body.Detail, &items) == nil:
			for _, it := range items {
				e.Fields = append(e.Fields, apiclient.FieldError{
					Field:   c.redact(it.field()),
					Code:    c.redact(it.Type),
					Message: clip(c.redact(it.Msg)),
				})
			}
		}
		for _, raw := range body.Errors {
			if f, ok := problemField(raw); ok {
				e.Fields = append(e.Fields, apiclient.FieldError{
					Field:   c.redact(f.field()),
					Code:    c.redact(f.Type),
					Message: clip(c.redact(f.Msg)),
				})
			}
		}
		if e.Message == "" {
			e.Message = body.Title
		}
		if e.Message == "" {
			e.Message = body.Message
		}
	}
	e.Message = clip(c.redact(e.Message)) // redact first: a cut through the key would leave a prefix redact cannot match

	var wait time.Duration
	if resp.Status == http.StatusTooManyRequests {
		wait = apiclient.RetryAfter(resp.Header, now)
		e.RetryAfter = wait
	}
	return e, wait
}

// validationItem is one entry of FastAPI's HTTPValidationError.detail.
type validationItem struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// problemField reads one item of a problem+json "errors" list. Its shape is not
// documented: FastAPI's {loc, msg, type} is read first, then the names other problem
// bodies use ({field|pointer|name, message|detail, code}), and a bare string.
func problemField(raw json.RawMessage) (validationItem, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return validationItem{Msg: s}, s != ""
	}
	var it struct {
		validationItem
		Field   string `json:"field"`
		Pointer string `json:"pointer"`
		Name    string `json:"name"`
		Message string `json:"message"`
		Detail  string `json:"detail"`
		Code    string `json:"code"`
	}
	if json.Unmarshal(raw, &it) != nil {
		return validationItem{}, false
	}
	v := it.validationItem
	if len(v.Loc) == 0 {
		if f := firstNonEmpty(it.Field, strings.TrimPrefix(it.Pointer, "/"), it.Name); f != "" {
			v.Loc = []any{f}
		}
	}
	v.Msg = firstNonEmpty(v.Msg, it.Message, it.Detail)
	v.Type = firstNonEmpty(v.Type, it.Code)
	return v, len(v.Loc) > 0 || v.Msg != ""
}

// field renders loc as "emails[0]": the leading "body"/"query"/"path" says where
// FastAPI looked, which the user does not need.
func (v validationItem) field() string {
	var b strings.Builder
	for i, p := range v.Loc {
		switch p := p.(type) {
		case string:
			if i == 0 && (p == "body" || p == "query" || p == "path" || p == "header") {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case float64:
			b.WriteString("[" + strconv.Itoa(int(p)) + "]")
		}
	}
	return b.String()
}

// redact removes the API key from text the API sent back, in case a server echoes
// the Authorization header in an error message.
func (c *Client) redact(s string) string {
	if c.apiKey == "" || !strings.Contains(s, c.apiKey) {
		return s
	}
	return strings.ReplaceAll(s, c.apiKey, "[redacted]")
}

// clip keeps one line of at most maxMessage bytes (on a rune boundary), so a server
// that answers with an HTML page cannot flood a Slack message.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// usageError is what a method returns when it is called with arguments no request
// could satisfy; it is a programming error, not something the API said.
func usageError(format string, args ...any) error {
	return fmt.Errorf("devin: "+format, args...)
}

// notFound builds the typed error for a lookup the client resolved itself (no HTTP
// status), so callers can still use errors.Is(err, apiclient.ErrNotFound).
func notFound(format string, args ...any) error {
	return &apiclient.Error{API: APIName, Kind: apiclient.KindNotFound, Message: fmt.Sprintf(format, args...)}
}

// isAuthFailure reports a 401 or 403: the key is wrong or lacks the Enterprise Admin
// role, so no further call in a batch can succeed.
func isAuthFailure(err error) bool {
	return errors.Is(err, apiclient.ErrUnauthorized) || errors.Is(err, apiclient.ErrForbidden)
}
