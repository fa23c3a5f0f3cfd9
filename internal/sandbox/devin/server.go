// Package devinsandbox is an in-memory Devin Enterprise API, v2 and v3, on a loopback
// port: the sandbox that console mode runs the bot against, and what the client's
// tests and the bot's end-to-end tests talk to.
//
// Both versions serve one state: members, roles, organizations, ACU limits, billing
// cycles, consumption, audit logs, sessions, git connections and permissions, so a
// user invited through v3 is listed by v2. It checks the Bearer key, paginates like
// the real API (v2: skip/limit ≤ 200, has_more, next_cursor; v3: first ≤ 200, after,
// has_next_page, end_cursor), records every request with the name of the operation
// it reached (Op), and can inject faults per route or per operation: error statuses
// (429 with an optional Retry-After), latency and malformed JSON. v3 errors are RFC
// 9457 problem+json.
//
// The fake holds the client to the contract: v3 requests are validated against
// Cognition's OpenAPI description (package v3spec) or, where it says nothing, by the
// handlers' own checks, and a request of the version the fake does not serve
// (WithVersions) is refused. Each such request is recorded as a violation, so a test
// can fail on any (Violations).
//
// Path prefixes given to Fail, SetLatency, Malformed and Count may be full paths
// ("/v2/enterprise/members", "/v3/enterprise/members/users") or relative to the v2
// enterprise root ("/members").
package devinsandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"devin-chatops/internal/sandbox"
	"devin-chatops/internal/sandbox/devin/v3spec"
)

// DefaultAPIKey is the key the fake accepts unless WithAPIKey says otherwise: a v2
// personal key. V3APIKey is the service-user credential the harness gives a fake
// that serves v3.
const (
	DefaultAPIKey = "apk_user_fake"
	V3APIKey      = "cog_fake_service_user"
)

// Owner is the enterprise admin the fake's API key belongs to; the fake's audit
// entries name it as the actor.
const (
	OwnerUserID = "email|owner"
	OwnerEmail  = "admin@example.com"
)

const (
	root   = "/v2/enterprise"
	rootV3 = "/v3/enterprise"
)

// Versions says which API versions the fake serves.
type Versions int

const (
	// ServeBoth answers v2 and v3 (the default).
	ServeBoth Versions = iota
	// ServeV2 answers v2 only; a v3 path is refused and recorded as a violation.
	ServeV2
	// ServeV3 answers v3 only; a v2 path is refused and recorded as a violation.
	ServeV3
)

// VersionsFor is the mode serving one API version ("v2" or "v3"); anything else
// serves both.
func VersionsFor(version string) Versions {
	switch version {
	case "v2":
		return ServeV2
	case "v3":
		return ServeV3
	}
	return ServeBoth
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKey sets the only API key the fake accepts.
func WithAPIKey(key string) Option { return func(s *Server) { s.apiKey = key } }

// WithNow sets the fake's clock (default time.Now): creation times, audit times and
// the default billing cycles come from it.
func WithNow(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithExampleShapes starts the fake answering in the examples' shapes.
func WithExampleShapes() Option { return func(s *Server) { s.exampleShapes = true } }

// WithVersions sets which API versions the fake serves.
func WithVersions(v Versions) Option { return func(s *Server) { s.versions = v } }

// RecordedRequest is one request the fake received. Path is the escaped path as it
// came on the wire (a user ID "email|abc" appears as "email%7Cabc"); Op is the
// operation it was routed to ("" when none) and Params its decoded path parameters
// ("org_id", "user_id", …), so a test can name a call without naming a version.
type RecordedRequest struct {
	Method   string
	Path     string
	RawQuery string
	Body     []byte
	Header   http.Header
	Op       Op
	Params   map[string]string

	decodedPath string
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	srv         *sandbox.Server
	mux         *http.ServeMux
	opByPattern map[string]Op
	spec        *v3spec.Spec
	apiKey      string
	now         func() time.Time

	mu            sync.Mutex
	versions      Versions
	exampleShapes bool
	members       []*Member
	memberByID    map[string]*Member
	memberByEmail map[string]*Member
	roles         []Role
	orgs          []*org
	orgByID       map[string]*org
	deletedOrgs   map[string]bool // org IDs deleted: their sessions leave the v3 listings by default
	cycles        []Cycle
	usage         []Usage
	audit         []AuditLog
	lastAudit     time.Time
	sessions      []Session
	sessionsPage  int // most sessions one page serves; 0 = what limit asks
	connections   []GitConnection
	gitPerms      []GitPermission
	rejected      map[string]bool
	faults        []*fault
	retryAfter    string
	latency       map[string]time.Duration
	opLatency     map[Op]time.Duration
	malformed     map[string]int
	requests      []RecordedRequest
	violations    []string
	seq           int
}

// New starts a fake with the built-in roles, three monthly billing cycles around
// now, and no members or organizations. Close it when done.
func New(opts ...Option) *Server {
	spec, err := v3spec.Load()
	if err != nil {
		// The description is embedded: failing to parse it is a build defect.
		panic(err)
	}
	s := &Server{
		apiKey:        DefaultAPIKey,
		now:           time.Now,
		spec:          spec,
		opByPattern:   map[string]Op{},
		memberByID:    map[string]*Member{},
		memberByEmail: map[string]*Member{},
		orgByID:       map[string]*org{},
		rejected:      map[string]bool{},
		latency:       map[string]time.Duration{},
		opLatency:     map[Op]time.Duration{},
		malformed:     map[string]int{},
		roles: []Role{
			{ID: "account_admin", Name: "Admin", Type: "account"},
			{ID: "account_member", Name: "Member", Type: "account"},
			{ID: "org_admin", Name: "Admin", Type: "org"},
			{ID: "org_member", Name: "Member", Type: "org"},
		},
	}
	for _, o := range opts {
		o(s)
	}
	s.cycles = defaultCycles(s.now())
	s.mux = http.NewServeMux()
	s.routes()
	s.routesV3()
	s.srv = sandbox.Start(http.HandlerFunc(s.serve))
	return s
}

// URL is the fake's origin: give it to the Devin client as the base URL.
func (s *Server) URL() string { return s.srv.URL }

// APIKey is the key the fake accepts.
func (s *Server) APIKey() string { return s.apiKey }

// Close shuts the fake down.
func (s *Server) Close() { s.srv.Close() }

// Client is an HTTP client wired to the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// SetVersions changes which API versions the fake serves.
func (s *Server) SetVersions(v Versions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions = v
}

// UseExampleShapes makes the fake answer members, cycles, audit logs, session
// insights, invitations and organization creation in the examples' shapes
// ({"members":[…]} without pagination, start_date/end_date, {"logs":[…]}, …).
func (s *Server) UseExampleShapes(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exampleShapes = on
}

// SetSessionsPageSize makes the session listings serve at most n sessions a page,
// whatever limit (v2) or first (v3) asks, as a server whose largest page is smaller
// than the client thinks; 0 serves what is asked again. The envelope stays truthful,
// so a client that follows it pages on.
func (s *Server) SetSessionsPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessionsPage = max(n, 0)
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RecordedRequest(nil), s.requests...)
}

// ResetRequests forgets the recorded requests (not the violations).
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

// CountOp is how many recorded requests reached any of ops, whichever version
// they used: the version-agnostic Count.
func (s *Server) CountOp(ops ...Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		for _, op := range ops {
			if r.Op == op {
				n++
				break
			}
		}
	}
	return n
}

// Violations lists the requests that broke the contract, oldest first: a v3
// request the description or the handlers' checks reject, a cursor from another
// listing, a path of a version the fake does not serve. Injected faults are not
// violations. A test of a client that means to be correct fails on any.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

func (s *Server) violate(r *http.Request, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	line := r.Method + " " + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		line += "?" + r.URL.RawQuery
	}
	s.violations = append(s.violations, why+": "+line)
}

// pathParams reads the {name} segments of a mux pattern ("GET /a/{id}") off the
// escaped path, decoding each segment as the mux does.
func pathParams(pattern, escaped string) map[string]string {
	_, p, found := strings.Cut(pattern, " ")
	if !found {
		return nil
	}
	want, got := strings.Split(p, "/"), strings.Split(escaped, "/")
	if len(want) != len(got) {
		return nil
	}
	var out map[string]string
	for i, w := range want {
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
			v, err := url.PathUnescape(got[i])
			if err != nil {
				v = got[i]
			}
			if out == nil {
				out = map[string]string{}
			}
			out[strings.Trim(w, "{}")] = v
		}
	}
	return out
}

type handler func(r *http.Request, body []byte) reply

// handle registers h for pattern ("METHOD /path/{param}") as operation op.
func (s *Server) handle(op Op, pattern string, h handler) {
	s.opByPattern[pattern] = op
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, _ := r.Context().Value(bodyKey{}).([]byte)
		s.write(w, r, h(r, body))
	})
}

type bodyKey struct{}

func isV3(path string) bool { return strings.HasPrefix(path, "/v3/") }
func isV2(path string) bool {
	return strings.HasPrefix(path, "/v2/") || strings.HasPrefix(path, "/beta/")
}

// serve is the pipeline every request goes through: record, delay, authenticate,
// refuse the version not served, validate (v3), inject faults, route.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	escaped, decoded := r.URL.EscapedPath(), r.URL.Path
	_, pattern := s.mux.Handler(r)
	op := s.opByPattern[pattern]

	s.mu.Lock()
	s.requests = append(s.requests, RecordedRequest{
		Method: r.Method, Path: escaped, RawQuery: r.URL.RawQuery, Body: body,
		Header: r.Header.Clone(), Op: op, Params: pathParams(pattern, escaped), decodedPath: decoded,
	})
	delay := s.opLatency[op]
	for p, d := range s.latency {
		if matches("", p, r.Method, decoded, escaped) && d > delay {
			delay = d
		}
	}
	versions := s.versions
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
	v3 := isV3(decoded)
	if r.Header.Get("Authorization") != "Bearer "+s.apiKey {
		if v3 {
			s.write(w, r, problem(http.StatusUnauthorized, "Missing or invalid credentials"))
		} else {
			s.write(w, r, detail(http.StatusUnauthorized, "Missing or invalid Authorization header"))
		}
		return
	}
	switch {
	case versions == ServeV3 && isV2(decoded):
		s.violate(r, "v2 path called in v3 mode")
		s.write(w, r, problem(http.StatusNotFound, "Not Found: this fake serves the v3 API only"))
		return
	case versions == ServeV2 && v3:
		s.violate(r, "v3 path called in v2 mode")
		s.write(w, r, detail(http.StatusNotFound, "Not Found"))
		return
	}
	if v3 {
		if rep, bad := s.checkSpec(r, body); bad {
			s.write(w, r, rep)
			return
		}
	}
	if rep, failed := s.takeFault(r.Method, op, decoded, escaped); failed {
		s.write(w, r, rep)
		return
	}
	if pattern == "" {
		if v3 {
			s.write(w, r, problem(http.StatusNotFound, "Not Found"))
		} else {
			s.write(w, r, detail(http.StatusNotFound, "Not Found"))
		}
		return
	}
	// Through the mux (not the handler it returned) so that PathValue is filled.
	s.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyKey{}, body)))
}

// checkSpec validates a v3 request against the description; a request it does not
// describe is left to the handler's own checks.
func (s *Server) checkSpec(r *http.Request, body []byte) (reply, bool) {
	target := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	err := s.spec.Validate(r.Context(), r.Method, target, r.Header, body)
	if err == nil || errors.Is(err, v3spec.ErrNotDescribed) {
		return reply{}, false
	}
	var v *v3spec.Violation
	if !errors.As(err, &v) {
		v = &v3spec.Violation{Loc: []any{"request"}, Msg: err.Error()}
	}
	s.violate(r, fmt.Sprintf("request breaks the v3 OpenAPI description at %v (%s)", v.Loc, v.Msg))
	return unprocessable(v.Loc, v.Msg, "openapi"), true
}
