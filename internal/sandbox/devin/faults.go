package devinsandbox

import (
	"net/http"
	"strings"
	"time"
)

type fault struct {
	method    string
	prefix    string
	op        Op // set: matches this operation instead of method and prefix
	status    int
	remaining int // < 0: forever
}

// Fail makes the next n requests matching method ("" or "*" for any) and pathPrefix
// fail with status and the error body the real API sends with it (problem+json on
// v3); n < 0 fails them until ClearFaults. Faults are checked in the order they were
// added.
func (s *Server) Fail(method, pathPrefix string, status, n int) {
	if n == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: normMethod(method), prefix: normPrefix(pathPrefix), status: status, remaining: n})
}

// FailOp is Fail for the requests that reach op, whichever version they use.
func (s *Server) FailOp(op Op, status, n int) {
	if n == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{op: op, status: status, remaining: n})
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

// SetLatencyOp delays every request that reaches one of ops by d (0 removes the
// delay), whichever version it uses.
func (s *Server) SetLatencyOp(d time.Duration, ops ...Op) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, op := range ops {
		if d <= 0 {
			delete(s.opLatency, op)
		} else {
			s.opLatency[op] = d
		}
	}
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
	s.opLatency = map[Op]time.Duration{}
	s.malformed = map[string]int{}
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
	if p == "/v2" || p == "/v3" || isV2(p) || isV3(p) {
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

func (s *Server) takeFault(method string, op Op, decoded, escaped string) (reply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.op != "" {
			if f.op != op {
				continue
			}
		} else if !matches(f.method, f.prefix, method, decoded, escaped) {
			continue
		}
		if f.remaining > 0 {
			f.remaining--
			if f.remaining == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		var rep reply
		if isV3(decoded) {
			rep = faultProblem(f.status, op)
		} else {
			rep = faultReply(f.status)
		}
		if f.status == http.StatusTooManyRequests && s.retryAfter != "" {
			if rep.header == nil {
				rep.header = http.Header{}
			}
			rep.header.Set("Retry-After", s.retryAfter)
		}
		return rep, true
	}
	return reply{}, false
}

// faultReply is the body the real v2 API sends with each status.
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

// faultProblem is the problem+json v3 sends with each status; a 403 names the
// permission the operation needs, as a service user without it is told.
func faultProblem(status int, op Op) reply {
	switch status {
	case http.StatusBadRequest:
		return problem(status, "Bad request")
	case http.StatusUnauthorized:
		return problem(status, "Missing or invalid credentials")
	case http.StatusForbidden:
		perm := op.Permission()
		if perm == "" {
			perm = "ManageAccountMembership"
		}
		return problem(status, "The service user does not have the "+perm+" permission required for this endpoint")
	case http.StatusNotFound:
		return problem(status, "Not found")
	case http.StatusUnprocessableEntity:
		return unprocessable([]any{"body", "emails", 0}, "value is not a valid email address", "value_error")
	case http.StatusTooManyRequests:
		return problem(status, "Too many requests")
	default:
		if status >= 500 {
			return problem(status, "Internal server error")
		}
		return problem(status, http.StatusText(status))
	}
}
