package githubsandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// response is an answer built under the lock and written after it.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	rawPath, rawQuery, _ := strings.Cut(r.RequestURI, "?")
	rec := RecordedRequest{
		Method:   r.Method,
		Path:     rawPath,
		RawQuery: rawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
	}

	s.mu.Lock()
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-r.Context().Done():
			t.Stop()
			s.record(rec)
			return
		case <-t.C:
		}
	}

	s.mu.Lock()
	resp := s.handleLocked(r, rawPath, body)
	s.requestSeq++
	resp.header.Set("X-GitHub-Request-Id", fmt.Sprintf("FAKE:%04X:%06X", s.requestSeq, s.requestSeq*7919))
	if resp.header.Get("X-RateLimit-Remaining") == "" {
		resp.header.Set("X-RateLimit-Limit", "5000")
		resp.header.Set("X-RateLimit-Remaining", "4999")
		resp.header.Set("X-RateLimit-Used", "1")
		resp.header.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		resp.header.Set("X-RateLimit-Resource", "core")
	}
	s.mu.Unlock()

	for k, vs := range resp.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)

	rec.Response = RecordedResponse{Status: resp.status, Header: resp.header.Clone(), Body: resp.body}
	s.record(rec)
}

func (s *Server) record(rec RecordedRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, rec)
}

// handleLocked checks the request the way GitHub does (prefix, API headers, token),
// then applies any injected fault, then routes.
func (s *Server) handleLocked(r *http.Request, rawPath string, body []byte) response {
	if s.prefix != "" {
		if !strings.HasPrefix(rawPath, s.prefix+"/") {
			return s.notFound()
		}
		rawPath = strings.TrimPrefix(rawPath, s.prefix)
	}
	segs, ok := splitPath(rawPath)
	if !ok {
		return s.errorJSON(http.StatusBadRequest, "Invalid path", docsRoot)
	}
	if resp, bad := s.checkHeaders(r); bad {
		return resp
	}
	if resp, bad := s.checkToken(r); bad {
		return resp
	}
	if resp, hit := s.takeFaultLocked(r.Method, "/"+strings.Join(segs, "/")); hit {
		return resp
	}
	return s.routeLocked(r, segs, body)
}

// splitPath splits an escaped path into unescaped segments, so "a%2Fb" stays one
// segment as it does on GitHub.
func splitPath(raw string) ([]string, bool) {
	parts := strings.Split(strings.TrimPrefix(raw, "/"), "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

func (s *Server) checkHeaders(r *http.Request) (response, bool) {
	if r.Header.Get("User-Agent") == "" {
		return s.errorJSON(http.StatusBadRequest,
			"Request forbidden by administrative rules. Please make sure your request has a User-Agent header", docsRoot), true
	}
	if !AcceptsGitHubJSON(r.Header.Values("Accept")) {
		return s.errorJSON(http.StatusBadRequest,
			fmt.Sprintf("Unsupported Accept header %q: send %s", r.Header.Get("Accept"), MediaType), docsRoot), true
	}
	switch v := r.Header.Get("X-GitHub-Api-Version"); v {
	case APIVersion, NewerAPIVersion:
	case "":
		// GitHub would pick its default; the fake insists, so a client that forgets
		// the header is caught in tests.
		return s.errorJSON(http.StatusBadRequest, "Missing X-GitHub-Api-Version header", docsRoot), true
	default:
		return s.errorJSON(http.StatusBadRequest, fmt.Sprintf("API version '%s' is not supported.", v), docsRoot), true
	}
	return response{}, false
}

// AcceptsGitHubJSON reports whether an Accept header asks for GitHub's JSON media type.
func AcceptsGitHubJSON(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			media, _, _ := strings.Cut(part, ";")
			if strings.EqualFold(strings.TrimSpace(media), MediaType) {
				return true
			}
		}
	}
	return false
}

func (s *Server) checkToken(r *http.Request) (response, bool) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return s.errorJSON(http.StatusUnauthorized, "Requires authentication", docsRoot), true
	}
	scheme, tok, _ := strings.Cut(auth, " ")
	if (!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "token")) || tok != s.token {
		return s.errorJSON(http.StatusUnauthorized, "Bad credentials", docsRoot), true
	}
	return response{}, false
}

func (s *Server) routeLocked(r *http.Request, segs []string, body []byte) response {
	// users/{username}: the one route outside the enterprise, for telling an unknown
	// login from one in no team.
	if len(segs) == 2 && segs[0] == "users" && segs[1] != "" && r.Method == http.MethodGet {
		u, known := s.users[strings.ToLower(segs[1])]
		if !known {
			return s.notFound()
		}
		return s.json(http.StatusOK, s.simpleUser(u))
	}
	// enterprises/{enterprise}/teams[/{team}[/memberships[/{x}]]]
	if len(segs) < 3 || segs[0] != "enterprises" || segs[2] != "teams" ||
		!strings.EqualFold(segs[1], s.enterprise) {
		return s.notFound()
	}
	segs = segs[3:]
	if len(segs) == 0 {
		if r.Method == http.MethodGet {
			return s.listTeamsLocked(r)
		}
		return s.notFound()
	}
	for _, p := range segs {
		if p == "" { // a trailing or doubled slash is a 404 on GitHub
			return s.notFound()
		}
	}
	t := s.findTeamLocked(segs[0])
	switch {
	case len(segs) == 1 && r.Method == http.MethodGet:
		if t == nil {
			return s.notFound()
		}
		return s.json(http.StatusOK, s.enterpriseTeam(t, true))
	case len(segs) == 2 && segs[1] == "memberships" && r.Method == http.MethodGet:
		if t == nil {
			return s.notFound()
		}
		return s.listMembersLocked(r, t)
	case len(segs) == 3 && segs[1] == "memberships" && r.Method == http.MethodPost &&
		(segs[2] == "add" || segs[2] == "remove"):
		if t == nil {
			return s.notFound()
		}
		return s.bulkLocked(t, segs[2] == "add", body)
	case len(segs) == 3 && segs[1] == "memberships":
		if t == nil {
			return s.notFound()
		}
		return s.membershipLocked(r.Method, t, segs[2])
	}
	return s.notFound()
}

func (s *Server) listTeamsLocked(r *http.Request) response {
	teams := make([]*team, 0, len(s.teams))
	for _, t := range s.teams {
		teams = append(teams, t)
	}
	sort.Slice(teams, func(i, j int) bool { return teams[i].id < teams[j].id })
	start, end, link := s.page(r, len(teams))
	out := make([]enterpriseTeam, 0, end-start)
	for _, t := range teams[start:end] {
		out = append(out, s.enterpriseTeam(t, false))
	}
	resp := s.json(http.StatusOK, out)
	if link != "" {
		resp.header.Set("Link", link)
	}
	return resp
}

func (s *Server) listMembersLocked(r *http.Request, t *team) response {
	logins := s.memberLoginsLocked(t)
	start, end, link := s.page(r, len(logins))
	out := make([]simpleUser, 0, end-start)
	for _, l := range logins[start:end] {
		out = append(out, s.simpleUser(s.users[strings.ToLower(l)]))
	}
	resp := s.json(http.StatusOK, out)
	if link != "" {
		resp.header.Set("Link", link)
	}
	return resp
}

// page applies per_page (default 30, max 100) and page (default 1) to total items and
// builds GitHub's Link header: absolute URLs that keep the other query parameters,
// with prev/first on all but the first page and next/last on all but the last, and
// no header at all when everything fits on one page.
func (s *Server) page(r *http.Request, total int) (start, end int, link string) {
	q := r.URL.Query()
	per := defaultPerPage
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		per = min(v, maxPerPage)
	}
	page := 1
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	last := max(1, (total+per-1)/per)
	start = min((page-1)*per, total)
	end = min(start+per, total)
	if last == 1 && page == 1 {
		return start, end, ""
	}
	rawPath, _, _ := strings.Cut(r.RequestURI, "?")
	pageURL := func(n int) string {
		q.Set("per_page", strconv.Itoa(per))
		q.Set("page", strconv.Itoa(n))
		return s.srv.URL + rawPath + "?" + q.Encode()
	}
	var rels []string
	if page > 1 {
		rels = append(rels, fmt.Sprintf("<%s>; rel=\"prev\"", pageURL(min(page-1, last))))
	}
	if page < last {
		rels = append(rels, fmt.Sprintf("<%s>; rel=\"next\"", pageURL(page+1)))
		rels = append(rels, fmt.Sprintf("<%s>; rel=\"last\"", pageURL(last)))
	}
	if page > 1 {
		rels = append(rels, fmt.Sprintf("<%s>; rel=\"first\"", pageURL(1)))
	}
	return start, end, strings.Join(rels, ", ")
}

// bulkLocked handles POST …/memberships/add and …/remove. Like GitHub it resolves
// every username first and changes nothing when one is unknown (422); it answers with
// the simple users named in the request.
func (s *Server) bulkLocked(t *team, add bool, body []byte) response {
	doc := docsMembers + "#bulk-remove-team-members"
	if add {
		doc = docsMembers + "#bulk-add-team-members"
	}
	var raw any
	if err := json.Unmarshal(body, &raw); err != nil {
		return s.errorJSON(http.StatusBadRequest, "Problems parsing JSON", doc)
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return s.errorJSON(http.StatusBadRequest, "Body should be a JSON object", doc)
	}
	list, ok := obj["usernames"].([]any)
	if !ok {
		return s.errorJSON(http.StatusUnprocessableEntity, "Invalid request.\n\n\"usernames\" wasn't supplied.", doc)
	}
	var users []*user
	var unknown []map[string]string
	seen := map[string]bool{}
	for _, v := range list {
		login, ok := v.(string)
		if !ok {
			return s.errorJSON(http.StatusUnprocessableEntity,
				"Invalid request.\n\nFor 'items', "+describeJSON(v)+" is not a string.", doc)
		}
		key := strings.ToLower(login)
		u, known := s.users[key]
		if !known {
			unknown = append(unknown, map[string]string{
				"resource": "User",
				"field":    "usernames",
				"code":     "invalid",
				"message":  fmt.Sprintf("Could not resolve to a User with the login of '%s'.", login),
			})
			continue
		}
		if !seen[key] {
			seen[key] = true
			users = append(users, u)
		}
	}
	if len(unknown) > 0 {
		return s.json(http.StatusUnprocessableEntity, map[string]any{
			"message":           "Validation Failed",
			"errors":            unknown,
			"documentation_url": doc,
			"status":            "422",
		})
	}
	out := make([]simpleUser, 0, len(users))
	for _, u := range users {
		if add {
			t.members[strings.ToLower(u.login)] = true
		} else {
			delete(t.members, strings.ToLower(u.login))
		}
		out = append(out, s.simpleUser(u))
	}
	return s.json(http.StatusOK, out)
}

func describeJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// membershipLocked handles GET/PUT/DELETE …/memberships/{username}. An unknown user is
// a 404 for all three; GET is a 404 for a known non-member too; DELETE of a
// non-member succeeds, as removing is idempotent.
func (s *Server) membershipLocked(method string, t *team, login string) response {
	u, known := s.users[strings.ToLower(login)]
	key := strings.ToLower(login)
	switch method {
	case http.MethodGet:
		if !known || !t.members[key] {
			return s.notFound()
		}
		return s.json(http.StatusOK, s.simpleUser(u))
	case http.MethodPut:
		if !known {
			return s.notFound()
		}
		t.members[key] = true
		return s.json(http.StatusCreated, s.simpleUser(u))
	case http.MethodDelete:
		if !known {
			return s.notFound()
		}
		delete(t.members, key)
		return response{status: http.StatusNoContent, header: http.Header{}}
	}
	return s.notFound()
}

func (s *Server) notFound() response {
	return s.errorJSON(http.StatusNotFound, "Not Found", docsRoot)
}

// errorJSON is GitHub's basic-error body.
func (s *Server) errorJSON(status int, message, doc string) response {
	return s.json(status, map[string]string{
		"message":           message,
		"documentation_url": doc,
		"status":            strconv.Itoa(status),
	})
}

func (s *Server) json(status int, v any) response {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return response{status: http.StatusInternalServerError, header: http.Header{}, body: []byte(err.Error())}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	return response{status: status, header: h, body: buf.Bytes()}
}
