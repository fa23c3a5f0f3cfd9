package slacksandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// apiResult is a Web API response body; every answer is HTTP 200 unless a fault says
// otherwise, with ok:false for errors, as Slack does.
type apiResult map[string]any

func apiError(code string, messages ...string) apiResult {
	res := apiResult{"ok": false, "error": code}
	if len(messages) > 0 {
		msgs := make([]string, len(messages))
		for i, m := range messages {
			msgs[i] = "[ERROR] " + m
		}
		res["response_metadata"] = map[string]any{"messages": msgs}
	}
	return res
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// params reads a Web API request the way Slack does: form bodies (what slack-go sends
// for chat.* and users.*) and JSON bodies (views.*, apps.connections.open) alike.
type params struct {
	form url.Values
	json map[string]json.RawMessage
}

func parseParams(r *http.Request, body []byte) (params, error) {
	query := r.URL.Query()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var m map[string]json.RawMessage
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &m); err != nil {
				return params{}, err
			}
		}
		return params{form: query, json: m}, nil
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return params{}, err
	}
	for k, v := range query {
		if _, ok := values[k]; !ok {
			values[k] = v
		}
	}
	return params{form: values}, nil
}

func (p params) get(name string) string {
	if raw, ok := p.json[name]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		if string(raw) == "null" {
			return ""
		}
		return string(raw)
	}
	return p.form.Get(name)
}

func (p params) has(name string) bool {
	if _, ok := p.json[name]; ok {
		return true
	}
	_, ok := p.form[name]
	return ok
}

// jsonValue returns a JSON-valued parameter such as blocks or view. Form posts carry it
// as a JSON string; JSON bodies carry it inline (or, from some clients, as a string).
func (p params) jsonValue(name string) (json.RawMessage, bool) {
	if raw, ok := p.json[name]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s == "" {
				return nil, false
			}
			return json.RawMessage(s), true
		}
		if string(raw) == "null" {
			return nil, false
		}
		return raw, true
	}
	if v := p.form.Get(name); v != "" {
		return json.RawMessage(v), true
	}
	return nil, false
}

type apiMethod func(r *http.Request, p params) apiResult

func (s *Server) apiMethods() map[string]apiMethod {
	return map[string]apiMethod{
		"auth.test":             s.authTest,
		"apps.connections.open": s.appsConnectionsOpen,
		"chat.postMessage":      s.chatPostMessage,
		"chat.update":           s.chatUpdate,
		"chat.postEphemeral":    s.chatPostEphemeral,
		"conversations.open":    s.conversationsOpen,
		"users.info":            s.usersInfo,
		"usergroups.users.list": s.usergroupsUsersList,
		"views.open":            s.viewsOpen,
		"views.update":          s.viewsUpdate,

		"files.getUploadURLExternal":   s.filesGetUploadURLExternal,
		"files.completeUploadExternal": s.filesCompleteUploadExternal,
	}
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		writeJSON(w, http.StatusOK, apiError("request_timeout"))
		return
	}
	if s.beginCall(w, r, method) {
		return
	}
	h, ok := s.apiMethods()[method]
	if !ok {
		writeJSON(w, http.StatusOK, apiError("unknown_method"))
		return
	}
	p, err := parseParams(r, body)
	if err != nil {
		writeJSON(w, http.StatusOK, apiError("invalid_form_data"))
		return
	}
	if code := s.authenticate(r, p, method); code != "" {
		writeJSON(w, http.StatusOK, apiError(code))
		return
	}
	writeJSON(w, http.StatusOK, h(r, p))
}

// beginCall counts the call, applies injected latency and answers injected faults.
// It reports whether the call was answered.
func (s *Server) beginCall(w http.ResponseWriter, r *http.Request, method string) bool {
	f := s.takeFault(r, method)
	switch {
	case f.limited:
		writeRateLimited(w, f.retryAfter)
		return true
	case f.failCode != "":
		writeJSON(w, http.StatusOK, apiError(f.failCode))
		return true
	}
	return false
}

// fault is what the injected faults make of one call.
type fault struct {
	limited    bool
	retryAfter time.Duration
	failCode   string
}

// takeFault counts the call, applies injected latency and uses up the next injected
// fault of method, if any. Endpoints that do not answer in the Web API's shape (the
// upload URL) share it with beginCall and write the fault their own way.
func (s *Server) takeFault(r *http.Request, method string) fault {
	s.mu.Lock()
	s.calls[method]++
	delay := s.latency[method]
	s.notifyLocked()
	s.mu.Unlock()
	s.sleep(r.Context(), delay)

	s.mu.Lock()
	defer s.mu.Unlock()
	if rl := s.rateLimits[method]; rl != nil && rl.left > 0 {
		rl.left--
		return fault{limited: true, retryAfter: rl.retryAfter}
	}
	if f := s.failures[method]; f != nil && f.left > 0 {
		f.left--
		return fault{failCode: f.code}
	}
	return fault{}
}

func writeRateLimited(w http.ResponseWriter, retryAfter time.Duration) {
	// slack-go only builds a *slack.RateLimitedError when Retry-After is present.
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
	writeJSON(w, http.StatusTooManyRequests, apiError("ratelimited"))
}

func (s *Server) authenticate(r *http.Request, p params, method string) string {
	token := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		token = strings.TrimPrefix(h, "Bearer ")
	}
	if method == "apps.connections.open" {
		// Slack accepts the app-level token for this method only in the header.
		switch token {
		case s.opts.AppToken:
			return ""
		case "":
			return "not_authed"
		case s.opts.BotToken:
			return "not_allowed_token_type"
		default:
			return "invalid_auth"
		}
	}
	if token == "" {
		token = p.form.Get("token")
	}
	switch token {
	case s.opts.BotToken:
		return ""
	case "":
		return "not_authed"
	case s.opts.AppToken:
		return "not_allowed_token_type"
	default:
		return "invalid_auth"
	}
}
