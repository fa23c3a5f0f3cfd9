package devinsandbox

import (
	"net/http"
	"slices"
	"sort"
	"time"
)

// ---- v3 audit logs and sessions (V27–V31) ----

// maxAuditWindow is the longest time_after–time_before window V27 accepts.
const maxAuditWindow = 100 * 24 * time.Hour

func (s *Server) v3AuditLogs(r *http.Request, _ []byte) reply {
	q := r.URL.Query()
	order := q.Get("order")
	switch order {
	case "":
		order = "desc"
	case "asc", "desc":
	default:
		return s.invalid(r, badField([]any{"query", "order"}, "Input should be 'asc' or 'desc'"))
	}
	after, bad := s.unixQuery(r, "time_after")
	if bad != nil {
		return *bad
	}
	before, bad := s.unixQuery(r, "time_before")
	if bad != nil {
		return *bad
	}
	switch {
	case !before.IsZero() && after.IsZero():
		return s.invalid(r, badField([]any{"query", "time_before"}, "time_before requires time_after"))
	case !before.IsZero() && !before.After(after):
		return s.invalid(r, badField([]any{"query", "time_before"}, "time_before must be later than time_after"))
	case !before.IsZero() && before.Sub(after) > maxAuditWindow:
		return s.invalid(r, badField([]any{"query", "time_before"}, "the time window may span at most 100 days"))
	}
	action := q.Get("action")
	list := "audit-logs:" + order + ":" + q.Get("time_after") + ":" + q.Get("time_before") + ":" + action
	first, offset, bad := s.pageV3(r, list)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, e := range s.audit {
		// Whole seconds, as the bounds are: time_after inclusive, time_before exclusive.
		sec := e.CreatedAt.Truncate(time.Second)
		if (!after.IsZero() && sec.Before(after)) || (!before.IsZero() && !sec.Before(before)) ||
			(action != "" && e.Action != action) {
			continue
		}
		out = append(out, v3AuditWire(e))
	}
	if order == "desc" {
		slices.Reverse(out)
	}
	return ok(paginateV3(out, list, first, offset))
}

func v3AuditWire(e AuditLog) map[string]any {
	data := map[string]any{}
	for k, v := range e.Extra {
		data[k] = v
	}
	return map[string]any{
		"audit_log_id": e.ID, "action": e.Action, "created_at": e.CreatedAt.Unix(), "data": data,
		"org_id": nullable(e.OrgID), "user_id": nullable(e.UserID), "user_email": nullable(e.UserEmail),
		"service_user_id": nil, "service_user_name": nil,
	}
}

// v3Status maps the stored (v2) session status onto v3's enum; the stored word stays
// in status_detail.
func v3Status(status string) string {
	switch status {
	case "finished", "stopped", "expired":
		return "exit"
	case "blocked":
		return "suspended"
	case "new", "claimed", "running", "exit", "error", "suspended", "resuming":
		return status
	}
	return "running"
}

// updated is when the session last changed: its creation unless told.
func (sess Session) updated() time.Time {
	if sess.UpdatedAt.IsZero() {
		return sess.CreatedAt
	}
	return sess.UpdatedAt
}

func v3SessionWire(sess Session) map[string]any {
	prs := make([]map[string]any, len(sess.PullRequests))
	for i, pr := range sess.PullRequests {
		prs[i] = map[string]any{"pr_url": pr.URL, "pr_state": pr.State}
	}
	return map[string]any{
		"session_id": sess.SessionID, "url": sess.URL, "status": v3Status(sess.Status), "status_detail": sess.Status,
		"tags": []string{}, "org_id": sess.OrgID, "user_id": nullable(sess.UserID), "service_user_id": nil,
		"title": sess.Title, "acus_consumed": sess.ACUsConsumed, "pull_requests": prs,
		"created_at": sess.CreatedAt.Unix(), "updated_at": sess.updated().Unix(), "origin": "webapp",
		"category": nil, "is_archived": false, "parent_session_id": nil, "child_session_ids": []string{},
		"playbook_id": nil, "structured_output": nil,
	}
}

func v3InsightsWire(sess Session) map[string]any {
	w := v3SessionWire(sess)
	feedback := []map[string]any{}
	if sess.Summary != "" {
		feedback = append(feedback, map[string]any{"issue_id": "1", "summary": sess.Summary, "details": "", "excerpt": ""})
	}
	actions := []map[string]any{}
	for _, a := range sess.ActionItems {
		actions = append(actions, map[string]any{"summary": a})
	}
	w["num_user_messages"] = 1
	w["num_devin_messages"] = 1
	w["session_size"] = "small"
	w["analysis"] = map[string]any{
		"classification": nil,
		"issues":         []any{},
		"action_items":   actions,
		"timeline":       []any{},
		"suggested_prompt": map[string]any{
			"original_prompt": sess.Title, "suggested_prompt": sess.Title, "feedback_items": feedback,
		},
		"note_usage": nil,
	}
	return w
}

// v3FilterSessions applies V28's filters (orgID, when set, is V29's path scope) and
// orders the sessions newest first.
func (s *Server) v3FilterSessions(r *http.Request, orgID string) ([]Session, *reply) {
	bounds := map[string]time.Time{}
	for _, name := range []string{"created_after", "created_before", "updated_after", "updated_before"} {
		t, bad := s.unixQuery(r, name)
		if bad != nil {
			return nil, bad
		}
		bounds[name] = t
	}
	orgs, users, ids := listQuery(r, "org_ids"), listQuery(r, "user_ids"), listQuery(r, "session_ids")
	// As V28's include_deleted_orgs says, a deleted organization's sessions are
	// listed only when asked for, though their ACUs still count in the figures.
	withDeleted := r.URL.Query().Get("include_deleted_orgs") == "true"
	if orgID != "" {
		orgs = map[string]bool{orgID: true}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Session
	for _, sess := range s.v3SessionsLocked() {
		created := sess.CreatedAt.Truncate(time.Second)
		if (s.deletedOrgs[sess.OrgID] && !withDeleted) || (orgs != nil && !orgs[sess.OrgID]) || (users != nil && !users[sess.UserID]) || (ids != nil && !ids[sess.SessionID]) ||
			outside(created, bounds["created_after"], bounds["created_before"]) ||
			outside(sess.updated().Truncate(time.Second), bounds["updated_after"], bounds["updated_before"]) {
			continue
		}
		out = append(out, sess)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// outside: t is before after (inclusive bound) or not before before (exclusive).
func outside(t, after, before time.Time) bool {
	return (!after.IsZero() && t.Before(after)) || (!before.IsZero() && !t.Before(before))
}

func (s *Server) v3SessionPage(r *http.Request, orgID, list string, wire func(Session) map[string]any) reply {
	first, offset, bad := s.pageV3(r, list)
	if bad != nil {
		return *bad
	}
	sessions, bad := s.v3FilterSessions(r, orgID)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	if s.sessionsPage > 0 {
		first = min(first, s.sessionsPage)
	}
	s.mu.Unlock()
	out := make([]map[string]any, len(sessions))
	for i, sess := range sessions {
		out[i] = wire(sess)
	}
	return ok(paginateV3(out, list, first, offset))
}

func (s *Server) v3Sessions(r *http.Request, _ []byte) reply {
	return s.v3SessionPage(r, "", "sessions", v3SessionWire)
}

func (s *Server) v3SessionInsightsList(r *http.Request, _ []byte) reply {
	return s.v3SessionPage(r, "", "session-insights", v3InsightsWire)
}

func (s *Server) v3OrgSessions(r *http.Request, _ []byte) reply {
	orgID := r.PathValue("org_id")
	s.mu.Lock()
	_, found := s.orgByID[orgID]
	s.mu.Unlock()
	if !found {
		return problem(http.StatusNotFound, "Organization not found")
	}
	return s.v3SessionPage(r, orgID, "org-sessions:"+orgID, v3SessionWire)
}

func (s *Server) sessionByIDLocked(r *http.Request) (Session, bool) {
	id, orgID := r.PathValue("devin_id"), r.URL.Query().Get("org_id")
	for _, sess := range s.v3SessionsLocked() {
		if sess.SessionID == id && (orgID == "" || sess.OrgID == orgID) {
			return sess, true
		}
	}
	return Session{}, false
}

func (s *Server) v3GetSession(r *http.Request, _ []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, found := s.sessionByIDLocked(r)
	if !found {
		return problem(http.StatusNotFound, "Session not found")
	}
	return ok(v3SessionWire(sess))
}

func (s *Server) v3GetSessionInsights(r *http.Request, _ []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, found := s.sessionByIDLocked(r)
	if !found {
		return problem(http.StatusNotFound, "Session not found")
	}
	return ok(v3InsightsWire(sess))
}
