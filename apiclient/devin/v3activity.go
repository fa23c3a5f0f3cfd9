package devin

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

const (
	// auditWindow is the longest window V27 takes between time_after and time_before.
	auditWindow = 100 * 24 * time.Hour
	// insightParallel bounds the per-session insight calls made at once.
	insightParallel = 4
)

// parseBound reads an audit bound as AuditLogsQuery carries it (an RFC 3339 time, a
// date, or a Unix timestamp in seconds or milliseconds); false when it is none.
func parseBound(s string) (time.Time, bool) {
	var f flexTime
	if strings.TrimSpace(s) == "" || f.parseString(s) != nil || f.t.IsZero() {
		return time.Time{}, false
	}
	return f.t, true
}

// AuditLogs returns audit log entries newest first (V27, order=desc), up to Limit
// (default 100), each audit_log_id once. After and Before are times (RFC 3339 or
// Unix), sent as time_after and time_before in Unix seconds; v3 takes time_before
// only with time_after, so a lone Before gets the 100 days before it. Action-specific
// fields, which v3 puts in "data", land in Extra as v2's do.
func (v *ClientV3) AuditLogs(ctx context.Context, q AuditLogsQuery) ([]AuditLogEntry, error) {
	want := q.Limit
	if want <= 0 {
		want = 100
	}
	query := url.Values{"order": {"desc"}}
	after, hasAfter := parseBound(q.After)
	before, hasBefore := parseBound(q.Before)
	if hasBefore && !hasAfter {
		after, hasAfter = before.Add(-auditWindow), true
	}
	if hasAfter {
		query.Set("time_after", strconv.FormatInt(after.Unix(), 10))
	}
	if hasBefore {
		query.Set("time_before", strconv.FormatInt(before.Unix(), 10))
	}
	const path = "/audit-logs"
	var out []AuditLogEntry
	seen := map[string]bool{}
	var decodeErr error
	err := listPages(ctx, v, PermManageEnterpriseSettings, path, query, want, func(items []map[string]json.RawMessage) bool {
		for _, fields := range items {
			e, err := auditEntry(fields)
			if err != nil {
				decodeErr = err
				return false
			}
			if e.ID != "" {
				if seen[e.ID] {
					continue
				}
				seen[e.ID] = true
			}
			out = append(out, e)
		}
		return len(out) < want
	})
	if err != nil {
		return nil, err
	}
	if decodeErr != nil {
		return nil, v.c.decodeError(http.MethodGet, path, http.StatusOK, decodeErr)
	}
	if len(out) > want {
		out = out[:want]
	}
	return out, nil
}

// v3Session is V28's SessionResponse, and V30's insights, which add the analysis.
type v3Session struct {
	insightJSON
	Analysis json.RawMessage `json:"analysis"`
}

// SessionInsights returns up to Limit sessions (default 100), newest first, from V28
// with first = Limit (and further pages only for what is missing), then each one's
// analysis from V30 (…/sessions/{id}/insights, at most Limit calls, 4 at once) for
// Summary and Suggestions. A session whose insights cannot be read is kept without
// them: the listing is what was asked.
func (v *ClientV3) SessionInsights(ctx context.Context, q SessionInsightsQuery) ([]SessionInsight, error) {
	want := q.want()
	query := url.Values{}
	addRepeated(query, "org_ids", q.OrgIDs)
	addRepeated(query, "user_ids", q.UserIDs)
	if !q.CreatedAfter.IsZero() {
		query.Set("created_after", strconv.FormatInt(q.CreatedAfter.Unix(), 10))
	}
	orgs, users := set(q.OrgIDs), set(q.UserIDs)
	var out []SessionInsight
	err := listPages(ctx, v, PermViewAccountSessions, "/sessions", query, want, func(items []v3Session) bool {
		for i := range items {
			s := items[i].insight()
			if (len(orgs) > 0 && !orgs[s.OrgID]) || (len(users) > 0 && !users[s.UserID]) ||
				(!q.CreatedAfter.IsZero() && !s.CreatedAt.IsZero() && s.CreatedAt.Before(q.CreatedAfter)) {
				continue
			}
			out = append(out, s)
		}
		return len(out) < want
	})
	if err != nil {
		return nil, err
	}
	if len(out) > want {
		out = out[:want]
	}
	v.addAnalyses(ctx, out)
	return out, nil
}

// addAnalyses fills Summary and Suggestions from each session's insights.
func (v *ClientV3) addAnalyses(ctx context.Context, ss []SessionInsight) {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(insightParallel)
	for i := range ss {
		if ss[i].SessionID == "" {
			continue
		}
		g.Go(func() error {
			var s v3Session
			path := "/sessions/" + url.PathEscape(ss[i].SessionID) + "/insights"
			if err := v.call(gctx, PermViewAccountSessions, http.MethodGet, path, nil, nil, &s); err != nil {
				if v.c.logger != nil {
					v.c.logger.LogAttrs(ctx, slog.LevelWarn, "devin: session insights not read",
						slog.String("session", ss[i].SessionID), slog.String("error", err.Error()))
				}
				return nil
			}
			analysis := s.Analysis
			if len(analysis) == 0 || string(analysis) == "null" {
				analysis = s.SessionAnalysis
			}
			mu.Lock()
			defer mu.Unlock()
			ss[i].Summary = firstNonEmpty(analysisSummary(s.Summary), analysisSummary(analysis), ss[i].Summary)
			if sug := suggestions(analysis); len(sug) > 0 {
				ss[i].Suggestions = sug
			}
			return nil
		})
	}
	_ = g.Wait()
}
