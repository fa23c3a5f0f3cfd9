package devin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AuditLogsQuery selects audit log entries. Before and After are passed through as
// the API takes them (its docs call them cursors in one place and dates in another).
type AuditLogsQuery struct {
	Before string
	After  string
	Limit  int // 0 = API default (100)
}

// AuditLogEntry is one audit event. Extra holds the action-specific fields
// (target_user_id, roles, session_id, …); the older shape's "details" object and v3's
// "data" object are merged into it, so consumers find those fields in one place.
type AuditLogEntry struct {
	ID        string
	Action    string
	UserID    string // the actor
	UserEmail string
	OrgID     string
	CreatedAt time.Time
	Extra     map[string]any
}

// AuditLogs returns audit log entries, each ID once, in the API's order (newest
// first). It accepts the schema's {"audit_logs": [...]} with created_at in Unix
// milliseconds and the examples' {"logs": [...]} with timestamp and actor.
func (c *Client) AuditLogs(ctx context.Context, q AuditLogsQuery) ([]AuditLogEntry, error) {
	query := url.Values{}
	if q.Before != "" {
		query.Set("before", q.Before)
	}
	if q.After != "" {
		query.Set("after", q.After)
	}
	if q.Limit > 0 {
		query.Set("limit", strconv.Itoa(q.Limit))
	}
	const path = "/audit-logs"
	resp, err := c.do(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return nil, err
	}
	raw, err := decodeList[map[string]json.RawMessage](resp.Body, "audit_logs", "logs", "items")
	if err != nil {
		return nil, c.decodeError(http.MethodGet, path, resp.Status, err)
	}
	out := make([]AuditLogEntry, 0, len(raw))
	seen := make(map[string]bool, len(raw))
	for _, fields := range raw {
		e, err := auditEntry(fields)
		if err != nil {
			return nil, c.decodeError(http.MethodGet, path, resp.Status, err)
		}
		if e.ID != "" {
			if seen[e.ID] {
				continue
			}
			seen[e.ID] = true
		}
		out = append(out, e)
	}
	return out, nil
}

// auditEntry reads the known fields of one entry and keeps the rest in Extra.
func auditEntry(fields map[string]json.RawMessage) (AuditLogEntry, error) {
	take := func(keys ...string) string {
		for _, k := range keys {
			if s := rawString(fields[k]); s != "" {
				return s
			}
		}
		return ""
	}
	e := AuditLogEntry{
		ID:        take("audit_log_id", "id"),
		Action:    take("action", "event"),
		UserID:    take("user_id"),
		UserEmail: take("user_email"),
		OrgID:     take("org_id"),
	}
	var ts flexTime
	for _, k := range []string{"created_at", "timestamp"} {
		if raw, ok := fields[k]; ok {
			if err := ts.UnmarshalJSON(raw); err != nil {
				return e, err
			}
			if !ts.t.IsZero() {
				break
			}
		}
	}
	e.CreatedAt = ts.t
	readActor(&e, fields["actor"])

	known := map[string]bool{
		"audit_log_id": true, "id": true, "action": true, "event": true, "user_id": true,
		"user_email": true, "org_id": true, "created_at": true, "timestamp": true, "actor": true,
	}
	for k, raw := range fields {
		if known[k] {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return e, err
		}
		if nested, ok := v.(map[string]any); ok && (k == "details" || k == "data") {
			for nk, nv := range nested {
				if _, clash := fields[nk]; !clash {
					e.setExtra(nk, nv)
				}
			}
			continue
		}
		e.setExtra(k, v)
	}
	return e, nil
}

func (e *AuditLogEntry) setExtra(k string, v any) {
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	e.Extra[k] = v
}

// readActor fills the actor from the examples' "actor", which is an email, a user ID
// or an object; the schema's user_id/user_email win when present.
func readActor(e *AuditLogEntry, raw json.RawMessage) {
	if len(raw) == 0 {
		return
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if strings.Contains(s, "@") && !strings.Contains(s, "|") {
			e.UserEmail = firstNonEmpty(e.UserEmail, s)
		} else {
			e.UserID = firstNonEmpty(e.UserID, s)
		}
		return
	}
	var obj struct {
		UserID    string `json:"user_id"`
		ID        string `json:"id"`
		Email     string `json:"email"`
		UserEmail string `json:"user_email"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		e.UserID = firstNonEmpty(e.UserID, obj.UserID, obj.ID)
		e.UserEmail = firstNonEmpty(e.UserEmail, obj.UserEmail, obj.Email)
	}
}

// rawString reads a JSON string, or a number as its text (some IDs are numeric).
func rawString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// SessionInsightsQuery selects session insights.
type SessionInsightsQuery struct {
	Limit        int // most sessions to return; 0 = 100
	OrgIDs       []string
	UserIDs      []string
	CreatedAfter time.Time
}

// SessionInsight is the useful part of one session's insights.
type SessionInsight struct {
	SessionID    string
	OrgID        string
	UserID       string
	Title        string
	Status       string
	URL          string
	ACUsConsumed float64
	CreatedAt    time.Time
	Summary      string // the analysis in one short paragraph, when there is one
}

// insightJSON accepts the schema's items (session_id, session_analysis) and the
// examples' sessions (id, insight).
type insightJSON struct {
	SessionID       string          `json:"session_id"`
	ID              string          `json:"id"`
	OrgID           string          `json:"org_id"`
	UserID          string          `json:"user_id"`
	Title           string          `json:"title"`
	Status          string          `json:"status"`
	URL             string          `json:"url"`
	ACUsConsumed    flexFloat       `json:"acus_consumed"`
	CreatedAt       flexTime        `json:"created_at"`
	SessionAnalysis json.RawMessage `json:"session_analysis"`
	Insight         json.RawMessage `json:"insight"`
	Summary         json.RawMessage `json:"summary"`
}

type insightsPage struct {
	pageMeta
	Items    []insightJSON `json:"items"`
	Sessions []insightJSON `json:"sessions"`
}

// SessionInsights returns up to Limit sessions with their insights. The filters are
// sent to the API and applied again here, so a server that ignores them cannot
// widen the answer.
func (c *Client) SessionInsights(ctx context.Context, q SessionInsightsQuery) ([]SessionInsight, error) {
	want := q.Limit
	if want <= 0 {
		want = 100
	}
	query := url.Values{}
	addRepeated(query, "org_ids", q.OrgIDs)
	addRepeated(query, "user_ids", q.UserIDs)
	if !q.CreatedAfter.IsZero() {
		query.Set("created_date_from", q.CreatedAfter.UTC().Format(time.RFC3339))
	}
	orgs, users := set(q.OrgIDs), set(q.UserIDs)

	var out []SessionInsight
	err := c.paginate(ctx, "/sessions/insights", query, want, func(body []byte) (int, pageMeta, error) {
		var p insightsPage
		if err := json.Unmarshal(body, &p); err != nil {
			return 0, pageMeta{}, err
		}
		items := p.Items
		if items == nil {
			items = p.Sessions
		}
		for i := range items {
			s := items[i].insight()
			if (len(orgs) > 0 && !orgs[s.OrgID]) || (len(users) > 0 && !users[s.UserID]) ||
				(!q.CreatedAfter.IsZero() && !s.CreatedAt.IsZero() && s.CreatedAt.Before(q.CreatedAfter)) {
				continue
			}
			out = append(out, s)
		}
		return len(items), p.pageMeta, nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) > want {
		out = out[:want]
	}
	return out, nil
}

func (j *insightJSON) insight() SessionInsight {
	return SessionInsight{
		SessionID:    firstNonEmpty(j.SessionID, j.ID),
		OrgID:        j.OrgID,
		UserID:       j.UserID,
		Title:        j.Title,
		Status:       j.Status,
		URL:          j.URL,
		ACUsConsumed: j.ACUsConsumed.v,
		CreatedAt:    j.CreatedAt.t,
		Summary:      firstNonEmpty(analysisSummary(j.Summary), analysisSummary(j.SessionAnalysis), analysisSummary(j.Insight)),
	}
}

// analysisSummary reduces an analysis to short text: a string as is; an object's
// own "summary"; otherwise the "summary" fields found inside it (feedback items,
// issues), joined. The schema does not promise a single summary field.
func analysisSummary(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return clip(s)
	}
	if obj, ok := v.(map[string]any); ok {
		if s, ok := obj["summary"].(string); ok && strings.TrimSpace(s) != "" {
			return clip(s)
		}
	}
	var found []string
	collectSummaries(v, 0, &found)
	return clip(strings.Join(found, "; "))
}

// collectSummaries gathers "summary" strings depth-first with keys in sorted order,
// so the text is the same on every call.
func collectSummaries(v any, depth int, found *[]string) {
	if depth > 6 {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if s, ok := v[k].(string); ok && k == "summary" {
				if s = strings.TrimSpace(s); s != "" {
					*found = append(*found, s)
				}
				continue
			}
			collectSummaries(v[k], depth+1, found)
		}
	case []any:
		for _, e := range v {
			collectSummaries(e, depth+1, found)
		}
	}
}

func set(vs []string) map[string]bool {
	if len(vs) == 0 {
		return nil
	}
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[strings.TrimSpace(v)] = true
	}
	return m
}
