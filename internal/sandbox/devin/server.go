// Package devinsandbox is an in-memory Devin Enterprise API v2 on a loopback port: the
// sandbox that console mode runs the bot against, and what the client's tests and the
// bot's end-to-end tests talk to.
//
// It checks the Bearer key, keeps members, roles, organizations, billing cycles,
// consumption, audit logs, sessions and git permissions, paginates like the real API
// (skip/limit ≤ 200, has_more, next_cursor, total), records every request, and can
// inject faults per route: error statuses (429 with an optional Retry-After), latency
// and malformed JSON. UseExampleShapes switches the answers to the shapes of the
// API's public usage examples, which differ from its schema.
//
// Path prefixes given to Fail, SetLatency, Malformed and Count may be full paths
// ("/v2/enterprise/members") or relative to the enterprise root ("/members").
package devinsandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"devin-chatops/internal/sandbox"
)

// DefaultAPIKey is the key the fake accepts unless WithAPIKey says otherwise.
const DefaultAPIKey = "apk_user_fake"

// Owner is the enterprise admin the fake's API key belongs to; the fake's audit
// entries name it as the actor.
const (
	OwnerUserID = "email|owner"
	OwnerEmail  = "admin@example.com"
)

const root = "/v2/enterprise"

// Option configures a Server.
type Option func(*Server)

// WithAPIKey sets the only API key the fake accepts.
func WithAPIKey(key string) Option { return func(s *Server) { s.apiKey = key } }

// WithNow sets the fake's clock (default time.Now): creation times, audit times and
// the default billing cycles come from it.
func WithNow(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithExampleShapes starts the fake answering in the examples' shapes.
func WithExampleShapes() Option { return func(s *Server) { s.exampleShapes = true } }

// RecordedRequest is one request the fake received. Path is the escaped path as it
// came on the wire (a user ID "email|abc" appears as "email%7Cabc").
type RecordedRequest struct {
	Method   string
	Path     string
	RawQuery string
	Body     []byte
	Header   http.Header

	decodedPath string
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	srv    *sandbox.Server
	mux    *http.ServeMux
	apiKey string
	now    func() time.Time

	mu            sync.Mutex
	exampleShapes bool
	members       []*Member
	memberByID    map[string]*Member
	memberByEmail map[string]*Member
	roles         []Role
	orgs          []*org
	orgByID       map[string]*org
	cycles        []Cycle
	usage         []Usage
	audit         []AuditLog
	lastAudit     time.Time
	sessions      []Session
	sessionsPage  int // most sessions one page serves; 0 = what limit asks
	gitPerms      []GitPermission
	rejected      map[string]bool
	faults        []*fault
	retryAfter    string
	latency       map[string]time.Duration
	malformed     map[string]int
	requests      []RecordedRequest
	seq           int
}

type fault struct {
	method    string
	prefix    string
	status    int
	remaining int // < 0: forever
}

// New starts a fake with the built-in roles, three monthly billing cycles around
// now, and no members or organizations. Close it when done.
func New(opts ...Option) *Server {
	s := &Server{
		apiKey:        DefaultAPIKey,
		now:           time.Now,
		memberByID:    map[string]*Member{},
		memberByEmail: map[string]*Member{},
		orgByID:       map[string]*org{},
		rejected:      map[string]bool{},
		latency:       map[string]time.Duration{},
		malformed:     map[string]int{},
		roles: []Role{
			{ID: "account_admin", Name: "Admin", Type: "account"},
			{ID: "account_member", Name: "Member", Type: "account"},
			{ID: "org_admin", Name: "Org Admin", Type: "org"},
			{ID: "org_member", Name: "Org Member", Type: "org"},
		},
	}
	for _, o := range opts {
		o(s)
	}
	s.cycles = defaultCycles(s.now())
	s.mux = http.NewServeMux()
	s.routes()
	s.srv = sandbox.Start(http.HandlerFunc(s.serve))
	return s
}

// URL is the fake's origin: give it to devin.New as the base URL.
func (s *Server) URL() string { return s.srv.URL }

// APIKey is the key the fake accepts.
func (s *Server) APIKey() string { return s.apiKey }

// Close shuts the fake down.
func (s *Server) Close() { s.srv.Close() }

// Client is an HTTP client wired to the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// UseExampleShapes makes the fake answer members, cycles, audit logs, session
// insights, invitations and organization creation in the examples' shapes
// ({"members":[…]} without pagination, start_date/end_date, {"logs":[…]}, …).
func (s *Server) UseExampleShapes(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exampleShapes = on
}

// SetSessionsPageSize makes the session listings serve at most n sessions a page,
// whatever limit asks, as a server whose largest page is smaller than the client
// thinks; 0 serves what limit asks again. The envelope stays truthful (has_more,
// next_cursor), so a client that follows it pages on.
func (s *Server) SetSessionsPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessionsPage = max(n, 0)
}

// Fail makes the next n requests matching method ("" or "*" for any) and pathPrefix
// fail with status and a Devin-style error body; n < 0 fails them until ClearFaults.
// Faults are checked in the order they were added.
func (s *Server) Fail(method, pathPrefix string, status, n int) {
	if n == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: normMethod(method), prefix: normPrefix(pathPrefix), status: status, remaining: n})
}

// SetRetryAfter sets the Retry-After header sent with injected 429s ("" for none,
// which is what the real API documents).
func (s *Server) SetRetryAfter(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retryAfter = v
}

// SetLatency delays every request under pathPrefix by d (0 removes the delay). The
// delay ends early when the client gives up.
func (s *Server) SetLatency(pathPrefix string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.latency, normPrefix(pathPrefix))
		return
	}
	s.latency[normPrefix(pathPrefix)] = d
}

// Malformed makes the next n successful answers under pathPrefix carry invalid JSON.
func (s *Server) Malformed(pathPrefix string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.malformed[normPrefix(pathPrefix)] += n
}

// ClearFaults removes every injected fault, latency and malformed answer.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.latency = map[string]time.Duration{}
	s.malformed = map[string]int{}
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RecordedRequest(nil), s.requests...)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// Count is how many recorded requests match method ("" or "*" for any) and
// pathPrefix (matched against the decoded and the escaped path).
func (s *Server) Count(method, pathPrefix string) int {
	m, p := normMethod(method), normPrefix(pathPrefix)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if matches(m, p, r.Method, r.decodedPath, r.Path) {
			n++
		}
	}
	return n
}

func normMethod(m string) string {
	if m == "*" {
		return ""
	}
	return strings.ToUpper(m)
}

func normPrefix(p string) string {
	p = strings.TrimSpace(p)
	if p == "" || p == "/" {
		return ""
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if p == "/v2" || strings.HasPrefix(p, "/v2/") || strings.HasPrefix(p, "/beta/") {
		return p
	}
	return root + p
}

func matches(method, prefix, gotMethod, decoded, escaped string) bool {
	if method != "" && method != gotMethod {
		return false
	}
	return strings.HasPrefix(decoded, prefix) || strings.HasPrefix(escaped, prefix)
}

// reply is what a route handler answers; serve writes it.
type reply struct {
	status int
	body   any
	header http.Header
}

func ok(body any) reply { return reply{status: http.StatusOK, body: body} }

// detail is FastAPI's error body for non-validation errors.
func detail(status int, msg string) reply {
	return reply{status: status, body: map[string]any{"detail": msg}}
}

// validation is FastAPI's 422 body.
func validation(loc []any, msg, typ string) reply {
	return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
		"detail": []map[string]any{{"loc": loc, "msg": msg, "type": typ}},
	}}
}

func success() reply { return ok(map[string]string{"status": "success"}) }

type handler func(r *http.Request, body []byte) reply

func (s *Server) handle(pattern string, h handler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, _ := r.Context().Value(bodyKey{}).([]byte)
		s.write(w, r, h(r, body))
	})
}

type bodyKey struct{}

// serve is the pipeline every request goes through: record, delay, authenticate,
// inject faults, route.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	escaped, decoded := r.URL.EscapedPath(), r.URL.Path

	s.mu.Lock()
	s.requests = append(s.requests, RecordedRequest{
		Method: r.Method, Path: escaped, RawQuery: r.URL.RawQuery, Body: body,
		Header: r.Header.Clone(), decodedPath: decoded,
	})
	delay := time.Duration(0)
	for p, d := range s.latency {
		if matches("", p, r.Method, decoded, escaped) && d > delay {
			delay = d
		}
	}
	s.mu.Unlock()

	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if r.Header.Get("Authorization") != "Bearer "+s.apiKey {
		s.write(w, r, detail(http.StatusUnauthorized, "Missing or invalid Authorization header"))
		return
	}
	if rep, failed := s.takeFault(r.Method, decoded, escaped); failed {
		s.write(w, r, rep)
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.write(w, r, detail(http.StatusNotFound, "Not Found"))
		return
	}
	// Through the mux (not the handler it returned) so that PathValue is filled.
	s.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyKey{}, body)))
}

func (s *Server) takeFault(method, decoded, escaped string) (reply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !matches(f.method, f.prefix, method, decoded, escaped) {
			continue
		}
		if f.remaining > 0 {
			f.remaining--
			if f.remaining == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		rep := faultReply(f.status)
		if f.status == http.StatusTooManyRequests && s.retryAfter != "" {
			rep.header = http.Header{"Retry-After": {s.retryAfter}}
		}
		return rep, true
	}
	return reply{}, false
}

// faultReply is the body the real API sends with each status.
func faultReply(status int) reply {
	switch status {
	case http.StatusBadRequest:
		return detail(status, "Bad request")
	case http.StatusUnauthorized:
		return detail(status, "Missing or invalid Authorization header")
	case http.StatusForbidden:
		return detail(status, "User is not associated with an enterprise")
	case http.StatusNotFound:
		return detail(status, "Not found")
	case http.StatusUnprocessableEntity:
		return validation([]any{"body", "emails", 0}, "value is not a valid email address", "value_error.email")
	case http.StatusTooManyRequests:
		return detail(status, "Too many requests")
	default:
		if status >= 500 {
			return detail(status, "Internal server error")
		}
		return detail(status, http.StatusText(status))
	}
}

func (s *Server) write(w http.ResponseWriter, r *http.Request, rep reply) {
	for k, vs := range rep.header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", s.nextHex("req", 8))
	var b []byte
	if rep.status >= 200 && rep.status < 300 && s.takeMalformed(r.URL.Path, r.URL.EscapedPath()) {
		b = []byte(`{"items": [{"user_id": "trunc`)
	} else if rep.body != nil {
		var err error
		if b, err = json.Marshal(rep.body); err != nil {
			rep.status, b = http.StatusInternalServerError, []byte(`{"detail":"fake: cannot encode the answer"}`)
		}
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(b)
}

func (s *Server) takeMalformed(decoded, escaped string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p, n := range s.malformed {
		if n > 0 && matches("", p, "", decoded, escaped) {
			s.malformed[p] = n - 1
			return true
		}
	}
	return false
}

// nextHex returns a fresh, deterministic hex ID: the same sequence of calls gives
// the same IDs, which keeps failing tests reproducible.
func (s *Server) nextHex(salt string, n int) string {
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.mu.Unlock()
	return hexOf(fmt.Sprint(salt, seq), n)
}

// nextHexLocked is nextHex for callers that hold s.mu.
func (s *Server) nextHexLocked(salt string, n int) string {
	s.seq++
	return hexOf(fmt.Sprint(salt, s.seq), n)
}

func hexOf(v string, n int) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:n])
}
