package devinsandbox

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ---- consumption ----

// billingDay is when the billing day named date starts: 08:00 UTC that date.
func billingDay(date string) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return time.Time{}, false
	}
	return d.Add(8 * time.Hour), true
}

func (s *Server) listCycles(*http.Request, []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exampleShapes {
		// The examples read cycles["cycles"][0] as the current cycle: newest first.
		out := make([]map[string]any, 0, len(s.cycles))
		for i := len(s.cycles) - 1; i >= 0; i-- {
			c := s.cycles[i]
			out = append(out, map[string]any{
				"start_date": c.Start.UTC().Format(time.DateOnly),
				"end_date":   c.End.UTC().Format(time.DateOnly),
				"acus_used":  s.usageBetweenLocked(c.Start, c.End),
			})
		}
		return ok(map[string]any{"cycles": out})
	}
	out := make([]map[string]string, len(s.cycles))
	for i, c := range s.cycles {
		out[i] = map[string]string{"start": rfc3339(c.Start), "end": rfc3339(c.End)}
	}
	return ok(out)
}

func (s *Server) usageBetweenLocked(start, end time.Time) float64 {
	total := 0.0
	for _, u := range s.usage {
		if d, valid := billingDay(u.Date); valid && !d.Before(start) && d.Before(end) {
			total += u.ACUs
		}
	}
	return total
}

// parseQueryTime reads a consumption bound: RFC 3339, or a bare date meaning
// midnight UTC (which the docs warn differs from the dashboard's 08:00 UTC).
func parseQueryTime(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func (s *Server) dailyConsumption(r *http.Request, _ []byte) reply {
	return s.consumption(r, "")
}

func (s *Server) userDailyConsumption(r *http.Request, _ []byte) reply {
	return s.consumption(r, r.PathValue("user_id"))
}

func (s *Server) consumption(r *http.Request, userID string) reply {
	q := r.URL.Query()
	bounds := [2]time.Time{}
	for i, names := range [2][2]string{{"start_date", "start"}, {"end_date", "end"}} {
		for _, name := range names {
			v := q.Get(name)
			if v == "" {
				continue
			}
			t, valid := parseQueryTime(v)
			if !valid {
				return validation([]any{"query", name}, "Input should be a valid datetime", "datetime_parsing")
			}
			bounds[i] = t
			break
		}
	}
	var orgs map[string]bool
	for _, v := range q["org_ids"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				if orgs == nil {
					orgs = map[string]bool{}
				}
				orgs[id] = true
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if userID != "" {
		if _, found := s.memberByID[userID]; !found {
			return detail(http.StatusNotFound, "User not found in enterprise")
		}
	}
	start, end := bounds[0], bounds[1]
	if start.IsZero() {
		// The API defaults to the current cycle.
		for _, c := range s.cycles {
			now := s.now()
			if !now.Before(c.Start) && now.Before(c.End) {
				start = c.Start
			}
		}
	}
	total := 0.0
	byDate, byOrg, byUser := map[string]float64{}, map[string]float64{}, map[string]float64{}
	for _, u := range s.usage {
		day, valid := billingDay(u.Date)
		if !valid || (!start.IsZero() && day.Before(start)) || (!end.IsZero() && !day.Before(end)) {
			continue
		}
		if userID != "" && u.UserID != userID {
			continue
		}
		if orgs != nil && !orgs[u.OrgID] {
			continue // org-filtered results hold Devin-session ACUs only
		}
		total += u.ACUs
		byDate[u.Date] += u.ACUs
		if u.OrgID != "" {
			byOrg[u.OrgID] += u.ACUs
		}
		if u.UserID != "" {
			byUser[u.UserID] += u.ACUs
		}
	}
	body := map[string]any{"total_acus": total, "consumption_by_date": byDate, "consumption_by_org_id": byOrg}
	if userID == "" {
		body["consumption_by_user"] = byUser
	}
	return ok(body)
}

// ---- audit logs ----

// auditBound reads a before/after value: an audit_log_id (a cursor), a time
// (RFC 3339 or a date) or Unix milliseconds; the docs allow each reading.
func (s *Server) auditBound(v string) (time.Time, bool) {
	for _, e := range s.audit {
		if e.ID == v {
			return e.CreatedAt, true
		}
	}
	if t, valid := parseQueryTime(v); valid {
		return t, true
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), true
	}
	return time.Time{}, false
}

func (s *Server) auditLogs(r *http.Request, _ []byte) reply {
	q := r.URL.Query()
	limit := defaultPageLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return validation([]any{"query", "limit"}, "Input should be greater than or equal to 1", "greater_than_equal")
		}
		limit = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var before, after time.Time
	for name, dst := range map[string]*time.Time{"before": &before, "after": &after} {
		if v := q.Get(name); v != "" {
			t, valid := s.auditBound(v)
			if !valid {
				return validation([]any{"query", name}, "Invalid cursor or date", "value_error")
			}
			*dst = t
		}
	}
	var out []map[string]any
	for i := len(s.audit) - 1; i >= 0 && len(out) < limit; i-- {
		e := s.audit[i]
		if (!before.IsZero() && !e.CreatedAt.Before(before)) || (!after.IsZero() && !e.CreatedAt.After(after)) {
			continue
		}
		out = append(out, s.auditWire(e))
	}
	if s.exampleShapes {
		return ok(map[string]any{"logs": nonNil(out)})
	}
	return ok(map[string]any{"audit_logs": nonNil(out)})
}

func (s *Server) auditWire(e AuditLog) map[string]any {
	if s.exampleShapes {
		actor := e.UserEmail
		if actor == "" {
			actor = e.UserID
		}
		return map[string]any{
			"id": e.ID, "timestamp": rfc3339(e.CreatedAt), "action": e.Action, "actor": actor, "details": e.Extra,
		}
	}
	w := map[string]any{
		"audit_log_id": e.ID, "action": e.Action, "org_id": nullable(e.OrgID),
		"user_id": nullable(e.UserID), "user_email": nullable(e.UserEmail), "created_at": e.CreatedAt.UnixMilli(),
	}
	for k, v := range e.Extra {
		if _, taken := w[k]; !taken {
			w[k] = v
		}
	}
	return w
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ---- sessions ----

func (s *Server) filterSessionsLocked(r *http.Request) ([]Session, *reply) {
	q := r.URL.Query()
	orgs, users := set(q["org_ids"]), set(q["user_ids"])
	var from, to time.Time
	for name, dst := range map[string]*time.Time{"created_date_from": &from, "created_date_to": &to} {
		if v := q.Get(name); v != "" {
			t, valid := parseQueryTime(v)
			if !valid {
				rep := validation([]any{"query", name}, "Input should be a valid datetime", "datetime_parsing")
				return nil, &rep
			}
			*dst = t
		}
	}
	var out []Session
	for _, sess := range s.sessions {
		if (orgs != nil && !orgs[sess.OrgID]) || (users != nil && !users[sess.UserID]) ||
			(!from.IsZero() && sess.CreatedAt.Before(from)) || (!to.IsZero() && sess.CreatedAt.After(to)) {
			continue
		}
		out = append(out, sess)
	}
	// Newest first, as the dashboards show them.
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

func set(vs []string) map[string]bool {
	if len(vs) == 0 {
		return nil
	}
	m := map[string]bool{}
	for _, v := range vs {
		m[v] = true
	}
	return m
}

func sessionWire(sess Session) map[string]any {
	prs := make([]map[string]any, len(sess.PullRequests))
	for i, pr := range sess.PullRequests {
		prs[i] = map[string]any{"url": pr.URL, "state": pr.State}
	}
	return map[string]any{
		"session_id": sess.SessionID, "org_id": sess.OrgID, "user_id": sess.UserID, "title": sess.Title,
		"status": sess.Status, "tags": []string{}, "url": sess.URL, "acus_consumed": sess.ACUsConsumed,
		"pull_requests": prs, "created_at": rfc3339(sess.CreatedAt), "updated_at": rfc3339(sess.CreatedAt),
	}
}

func (s *Server) listSessions(r *http.Request, _ []byte) reply {
	skip, limit, bad := pageParams(r)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sessions, bad := s.filterSessionsLocked(r)
	if bad != nil {
		return *bad
	}
	if s.sessionsPage > 0 {
		limit = min(limit, s.sessionsPage)
	}
	out := make([]map[string]any, len(sessions))
	for i, sess := range sessions {
		out[i] = sessionWire(sess)
	}
	return ok(paginate(out, skip, limit))
}

func (s *Server) sessionInsights(r *http.Request, _ []byte) reply {
	skip, limit, bad := pageParams(r)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sessions, bad := s.filterSessionsLocked(r)
	if bad != nil {
		return *bad
	}
	if s.sessionsPage > 0 {
		limit = min(limit, s.sessionsPage)
	}
	if s.exampleShapes {
		// The examples page with limit/offset and read "sessions", "id", "insight".
		if v := r.URL.Query().Get("offset"); v != "" {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				skip = n
			}
		}
		out := []map[string]any{}
		for _, sess := range sessions[min(skip, len(sessions)):min(skip+limit, len(sessions))] {
			out = append(out, map[string]any{
				"id": sess.SessionID, "title": sess.Title, "status": sess.Status, "org_id": sess.OrgID,
				"user_id": sess.UserID, "acus_consumed": sess.ACUsConsumed, "created_at": rfc3339(sess.CreatedAt),
				"url": sess.URL, "insight": sess.Summary,
			})
		}
		return ok(map[string]any{"sessions": out})
	}
	out := make([]map[string]any, len(sessions))
	for i, sess := range sessions {
		w := sessionWire(sess)
		w["initial_user_message"] = sess.Title
		feedback := []map[string]any{}
		if sess.Summary != "" {
			feedback = append(feedback, map[string]any{"issue_id": "1", "summary": sess.Summary, "details": "", "excerpt": ""})
		}
		actions := []map[string]any{}
		for _, a := range sess.ActionItems {
			actions = append(actions, map[string]any{"summary": a})
		}
		w["session_analysis"] = map[string]any{
			"suggested_prompt": map[string]any{
				"original_prompt":  sess.Title,
				"suggested_prompt": sess.Title,
				"feedback_items":   feedback,
			},
			"action_items": actions,
			"issues":       []any{},
			"timeline":     []any{},
		}
		out[i] = w
	}
	return ok(paginate(out, skip, limit))
}
