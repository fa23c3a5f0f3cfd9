package devin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
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
