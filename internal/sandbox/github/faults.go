package githubsandbox

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// fault replaces the next n answers to matching requests. Faults are consulted in the
// order they were added, after the header and token checks, so a fault never hides a
// client that sends the wrong credentials.
type fault struct {
	method       string // "" matches any
	pathContains string // matched against the unescaped path below the prefix
	remaining    int
	reply        func(s *Server) response
}

func (s *Server) addFault(f *fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

func (s *Server) takeFaultLocked(method, path string) (response, bool) {
	for _, f := range s.faults {
		if f.remaining <= 0 {
			continue
		}
		if f.method != "" && !strings.EqualFold(f.method, method) {
			continue
		}
		if !strings.Contains(path, f.pathContains) {
			continue
		}
		f.remaining--
		return f.reply(s), true
	}
	return response{}, false
}

// Fail answers the next n requests whose method matches (empty or "*" for any) and
// whose path contains pathContains with status and a GitHub-style error body. A 422
// carries one field error, as GitHub's validation failures do.
func (s *Server) Fail(method, pathContains string, status int, n int) {
	if method == "*" {
		method = ""
	}
	s.addFault(&fault{method: method, pathContains: pathContains, remaining: n, reply: func(s *Server) response {
		if status == http.StatusUnprocessableEntity {
			return s.json(status, map[string]any{
				"message": "Validation Failed",
				"errors": []map[string]string{{
					"resource": "EnterpriseTeam", "field": "usernames", "code": "custom",
					"message": "injected validation failure",
				}},
				"documentation_url": docsMembers,
				"status":            "422",
			})
		}
		msg := http.StatusText(status)
		switch status {
		case http.StatusUnauthorized:
			msg = "Bad credentials"
		case http.StatusForbidden:
			msg = "Must be an enterprise owner or have admin:enterprise scope."
		}
		return s.errorJSON(status, msg, docsTeams)
	}})
}

// RateLimitPrimary answers the next n requests (any route) with GitHub's primary rate
// limit: 403, x-ratelimit-remaining 0 and x-ratelimit-reset at reset.
func (s *Server) RateLimitPrimary(n int, reset time.Time) {
	s.addFault(&fault{remaining: n, reply: func(s *Server) response {
		resp := s.errorJSON(http.StatusForbidden,
			"API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.",
			docsRateLimits+"#about-the-primary-rate-limit")
		resp.header.Set("X-RateLimit-Limit", "5000")
		resp.header.Set("X-RateLimit-Remaining", "0")
		resp.header.Set("X-RateLimit-Used", "5000")
		resp.header.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		resp.header.Set("X-RateLimit-Resource", "core")
		return resp
	}})
}

// RateLimitSecondary answers the next n requests (any route) with a secondary rate
// limit: 403, a message saying so, and Retry-After when retryAfter > 0 (rounded up to
// whole seconds). With retryAfter 0 only the message tells the client what happened.
func (s *Server) RateLimitSecondary(n int, retryAfter time.Duration) {
	s.RateLimitSecondaryWithStatus(http.StatusForbidden, n, retryAfter)
}

// RateLimitSecondaryWithStatus is RateLimitSecondary with the status GitHub chose
// (it sends 403 or 429).
func (s *Server) RateLimitSecondaryWithStatus(status, n int, retryAfter time.Duration) {
	s.addFault(&fault{remaining: n, reply: func(s *Server) response {
		resp := s.errorJSON(status,
			"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			docsRateLimits+"#about-secondary-rate-limits")
		if retryAfter > 0 {
			secs := int64((retryAfter + time.Second - 1) / time.Second)
			resp.header.Set("Retry-After", strconv.FormatInt(secs, 10))
		}
		return resp
	}})
}

// Malformed answers the next n requests whose path contains pathContains with a 200
// whose JSON body is cut off.
func (s *Server) Malformed(pathContains string, n int) {
	s.addFault(&fault{pathContains: pathContains, remaining: n, reply: func(s *Server) response {
		h := http.Header{}
		h.Set("Content-Type", "application/json; charset=utf-8")
		return response{status: http.StatusOK, header: h, body: []byte(`[{"login": "octo`)}
	}})
}
