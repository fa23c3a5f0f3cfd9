package devinsandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
)

// reply is what a route handler answers; serve writes it.
type reply struct {
	status int
	body   any
	header http.Header
	// problem marks an RFC 9457 body: its instance is the request path.
	problem bool
}

func ok(body any) reply { return reply{status: http.StatusOK, body: body} }

// detail is FastAPI's error body for non-validation errors (v2).
func detail(status int, msg string) reply {
	return reply{status: status, body: map[string]any{"detail": msg}}
}

// validation is FastAPI's 422 body (v2).
func validation(loc []any, msg, typ string) reply {
	return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
		"detail": []map[string]any{{"loc": loc, "msg": msg, "type": typ}},
	}}
}

func success() reply { return ok(map[string]string{"status": "success"}) }

// problem is v3's RFC 9457 error: detail is kept for clients of the legacy shape.
func problem(status int, msg string) reply {
	return reply{status: status, problem: true, body: map[string]any{
		"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": msg,
	}}
}

// unprocessable is v3's 422 problem, with the field-level errors.
func unprocessable(loc []any, msg, typ string) reply {
	rep := problem(http.StatusUnprocessableEntity, fmt.Sprintf("Request validation failed: %v: %s", loc, msg))
	rep.body.(map[string]any)["errors"] = []map[string]any{{"loc": loc, "msg": msg, "type": typ}}
	return rep
}

func (s *Server) write(w http.ResponseWriter, r *http.Request, rep reply) {
	for k, vs := range rep.header {
		w.Header()[k] = vs
	}
	if rep.problem {
		w.Header().Set("Content-Type", "application/problem+json")
		if m, isMap := rep.body.(map[string]any); isMap {
			m["instance"] = r.URL.EscapedPath()
		}
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
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
