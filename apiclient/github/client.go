// Package github is the bot's client for GitHub's Enterprise Teams REST API: it lists
// enterprise teams and reads and changes their membership, on api.github.com, GHE.com
// and GitHub Enterprise Server (https://HOST/api/v3) alike.
//
// Calls go through apiclient.Caller, so they share its timeouts, retries and typed
// errors; this package adds GitHub's headers, URL building, Link pagination and the
// GitHub-specific reading of errors and rate limits.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"devin-chatops/apiclient"
	"devin-chatops/clock"
)

// APIName is how errors and log lines name this API.
const APIName = "GitHub API"

// Hints are what a Slack user is told when GitHub refuses the token: the remedy is the
// token's scope or its owner's enterprise role.
func Hints() apiclient.Hints {
	return apiclient.Hints{
		Unauthorized: "The GitHub token was rejected (401): it is missing, expired or revoked.",
		Forbidden:    "The GitHub token lacks the admin:enterprise scope or enterprise owner role (403).",
	}
}

const (
	apiVersion       = "2022-11-28"
	mediaType        = "application/vnd.github+json"
	defaultUserAgent = "devin-chatops"
	// perPage is GitHub's maximum page size; fewer pages means fewer requests against
	// the rate limit.
	perPage = 100
	// bulkChunk bounds the usernames sent in one bulk call, keeping each request small
	// enough that a failure leaves a clear, bounded set of logins unconfirmed.
	bulkChunk = 100
	// maxPages stops a list that never ends (a server that keeps linking to new
	// pages) long after any real enterprise would have run out of teams or members.
	maxPages = 1000
)

// Client talks to one enterprise's teams. It is safe for concurrent use.
type Client struct {
	scheme     string
	host       string // host[:port] as given
	basePath   string // escaped, without a trailing slash: "" or "/api/v3"
	enterprise string
	token      string
	userAgent  string
	// ghes is set for https://HOST/api/v3 bases. GHES does not ship
	// GET …/memberships/{username}, so membership is checked by listing members there.
	ghes   bool
	caller *apiclient.Caller
	logger *slog.Logger
}

// Option configures a Client.
type Option func(*settings)

// settings collect the options: the shared caller knobs, set on a Caller the
// client then completes with its API name and error classifier.
type settings struct {
	caller    apiclient.Caller
	userAgent string
}

// WithHTTPClient sets the HTTP client (default http.DefaultClient).
func WithHTTPClient(hc *http.Client) Option { return func(s *settings) { s.caller.HTTP = hc } }

// WithClock sets the clock used for rate-limit arithmetic and retry waits.
func WithClock(c clock.Clock) Option { return func(s *settings) { s.caller.Clock = c } }

// WithRetryPolicy sets attempts, backoff, the total-wait cap and the per-request timeout.
func WithRetryPolicy(p apiclient.RetryPolicy) Option {
	return func(s *settings) { s.caller.Policy = p }
}

// WithObserver counts every HTTP attempt into o (the metrics registry).
func WithObserver(o apiclient.CallObserver) Option {
	return func(s *settings) { s.caller.Observer = o }
}

// WithLogger sets where retries and request ids are logged (default: nowhere).
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.caller.Logger = l } }

// WithJitter sets the source of backoff jitter, a number in [0,1).
func WithJitter(j func() float64) Option { return func(s *settings) { s.caller.Jitter = j } }

// WithUserAgent replaces the User-Agent (default "devin-chatops"); GitHub rejects
// requests without one, so an empty value keeps the default.
func WithUserAgent(ua string) Option { return func(s *settings) { s.userAgent = ua } }

// New returns a client for enterprise at baseURL: "https://api.github.com",
// "https://api.SUB.ghe.com" or GHES "https://HOST/api/v3", with or without a trailing
// slash. token is a classic PAT with admin:enterprise; it is sent only to baseURL's host
// and never appears in errors or logs.
func New(baseURL, enterprise, token string, opts ...Option) (*Client, error) {
	s := settings{userAgent: defaultUserAgent}
	for _, o := range opts {
		o(&s)
	}
	if s.userAgent == "" {
		s.userAgent = defaultUserAgent
	}
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		// url.Error quotes the whole URL, credentials included; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("github: base URL is not a URL: %w", err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("github: base URL %q must start with https://", u.Redacted())
	case u.Host == "":
		return nil, fmt.Errorf("github: base URL %q has no host", u.Redacted())
	case u.User != nil:
		return nil, fmt.Errorf("github: base URL %q must not carry credentials; pass the token instead", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("github: base URL %q must not have a query or fragment", u.Redacted())
	}
	enterprise = strings.TrimSpace(enterprise)
	if err := checkSegment("enterprise", enterprise); err != nil {
		return nil, err
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, fmt.Errorf("github: token is empty")
	}
	// A space or control character would corrupt the Authorization header; say so
	// without echoing any of the token.
	if strings.IndexFunc(token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return nil, fmt.Errorf("github: token contains whitespace or control characters")
	}
	basePath := strings.TrimRight(u.EscapedPath(), "/")
	c := &Client{
		scheme:     strings.ToLower(u.Scheme),
		host:       u.Host,
		basePath:   basePath,
		enterprise: enterprise,
		token:      token,
		userAgent:  s.userAgent,
		ghes:       strings.HasSuffix(strings.ToLower(basePath), "/api/v3"),
		logger:     s.caller.Logger,
	}
	caller := s.caller
	caller.API, caller.Hints, caller.Classify = APIName, Hints(), newClassifier(token)
	c.caller = &caller
	return c, nil
}

// NormalizeTeam turns what a person types into the {enterprise-team} path value: a
// numeric team id is kept as is; anything else is lower-cased and given GitHub's
// "ent:" slug prefix when it lacks one ("Platform" -> "ent:platform").
func NormalizeTeam(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || isDigits(s) {
		return s
	}
	s = strings.ToLower(s)
	if !strings.HasPrefix(s, "ent:") {
		s = "ent:" + s
	}
	return s
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// inputError reports an argument refused before anything was sent. It is an
// *apiclient.Error without a status, so callers branch on apiclient.ErrBadRequest and
// apiclient.UserMessage explains it like any other refusal.
func inputError(format string, args ...any) error {
	return &apiclient.Error{API: APIName, Kind: apiclient.KindBadRequest, Message: fmt.Sprintf(format, args...)}
}

// checkSegment refuses path values that would change the path's meaning once sent:
// empty segments, and "." or ".." (which proxies and servers may resolve). Everything
// else is escaped by url.PathEscape.
func checkSegment(what, v string) error {
	switch v {
	case "":
		return inputError("the %s is empty", what)
	case ".", "..":
		return inputError("%q is not a valid %s", v, what)
	}
	return nil
}

func (c *Client) teamSegment(team string) (string, error) {
	t := NormalizeTeam(team)
	if t == "ent:" {
		t = ""
	}
	if err := checkSegment("team", t); err != nil {
		return "", err
	}
	return t, nil
}

func loginSegment(login string) (string, error) {
	l := strings.TrimSpace(login)
	if err := checkSegment("GitHub login", l); err != nil {
		return "", err
	}
	return l, nil
}

// endpoint builds an absolute URL: the base path joined with each segment escaped on
// its own. Segments are never resolved as a relative URL, because Go would read
// "ent:x" as a URL with scheme "ent".
func (c *Client) endpoint(query url.Values, segs ...string) string {
	var b strings.Builder
	b.WriteString(c.scheme)
	b.WriteString("://")
	b.WriteString(c.host)
	b.WriteString(c.basePath)
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	if len(query) > 0 {
		b.WriteByte('?')
		b.WriteString(query.Encode())
	}
	return b.String()
}

func (c *Client) teamURL(team string, rest ...string) string {
	return c.endpoint(nil, append([]string{"enterprises", c.enterprise, "teams", team}, rest...)...)
}

func (c *Client) headers() http.Header {
	h := http.Header{}
	h.Set("Accept", mediaType)
	h.Set("X-GitHub-Api-Version", apiVersion)
	h.Set("Authorization", "Bearer "+c.token)
	h.Set("User-Agent", c.userAgent)
	return h
}

// do sends one request and accepts only the success statuses in want: another 2xx
// means the API did something this client does not understand.
func (c *Client) do(ctx context.Context, method, rawURL string, body any, want ...int) (*apiclient.Response, error) {
	req := apiclient.Request{Method: method, URL: rawURL, Header: c.headers()}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("github: encode request body: %w", err)
		}
		req.Body = b
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.caller.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if c.logger != nil {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "github api call",
			slog.String("method", method), slog.String("path", pathOf(rawURL)),
			slog.Int("status", resp.Status), slog.String("request_id", requestID(resp.Header)))
	}
	if !slices.Contains(want, resp.Status) {
		return nil, c.decodeError(method, rawURL, resp, fmt.Errorf("unexpected status %d", resp.Status))
	}
	return resp, nil
}

// decodeJSON reads a success body into v; a body that does not fit is a KindDecode
// error carrying the request id for GitHub support.
func (c *Client) decodeJSON(method, rawURL string, resp *apiclient.Response, v any) error {
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return c.decodeError(method, rawURL, resp, err)
	}
	return nil
}

func (c *Client) decodeError(method, rawURL string, resp *apiclient.Response, err error) *apiclient.Error {
	return &apiclient.Error{
		API:       APIName,
		Kind:      apiclient.KindDecode,
		Status:    resp.Status,
		Method:    method,
		Path:      pathOf(rawURL),
		RequestID: requestID(resp.Header),
		Err:       err,
	}
}

func requestID(h http.Header) string { return h.Get("X-GitHub-Request-Id") }

// pathOf is the escaped path of a URL this client built, for errors and logs: the
// query and host are left out.
func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "?"
	}
	return u.EscapedPath()
}
