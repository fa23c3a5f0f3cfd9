package devin

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SessionInsightsQuery selects session insights.
type SessionInsightsQuery struct {
	Limit        int // most sessions to return; 0 = 100
	OrgIDs       []string
	UserIDs      []string
	CreatedAfter time.Time
}

// want is how many sessions the query asks for.
func (q SessionInsightsQuery) want() int {
	if q.Limit <= 0 {
		return 100
	}
	return q.Limit
}

// values are the query's filters as the API takes them (paging aside).
func (q SessionInsightsQuery) values() url.Values {
	v := url.Values{}
	addRepeated(v, "org_ids", q.OrgIDs)
	addRepeated(v, "user_ids", q.UserIDs)
	if !q.CreatedAfter.IsZero() {
		v.Set("created_date_from", q.CreatedAfter.UTC().Format(time.RFC3339))
	}
	return v
}

// Key identifies the question the query asks: two queries with the same Key get the
// same answer. It is for callers that share answers between queries.
func (q SessionInsightsQuery) Key() string {
	v := q.values()
	v.Set("limit", strconv.Itoa(q.want()))
	return v.Encode()
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
	PullRequests []PullRequest
	// Suggestions are what the analysis suggests, one short line each: the suggested
	// prompt's feedback items, then the action items. At most maxSuggestions.
	Suggestions []string
}

// PullRequest is a pull request a session opened, with its state ("open", "merged",
// "closed"; "" when the API does not say).
type PullRequest struct {
	URL   string
	State string
}

const (
	// maxSuggestions and maxPullRequests bound what one session keeps: a reply shows
	// a few of each, and a hostile or runaway analysis must not fill memory.
	maxSuggestions  = 10
	maxPullRequests = 20
)

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
	PullRequests    json.RawMessage `json:"pull_requests"`
}

type insightsPage struct {
	pageMeta
	Items    []insightJSON `json:"items"`
	Sessions []insightJSON `json:"sessions"`
}

// SessionInsights returns up to Limit sessions with their insights, in the API's
// order (newest first). It asks for no more than Limit: one page when Limit is at most
// the API's largest page (200), and each further page only for what is still missing.
// The filters are sent to the API and applied again here, so a server that ignores
// them cannot widen the answer.
func (c *Client) SessionInsights(ctx context.Context, q SessionInsightsQuery) ([]SessionInsight, error) {
	want := q.want()
	orgs, users := set(q.OrgIDs), set(q.UserIDs)

	var out []SessionInsight
	err := c.paginate(ctx, "/sessions/insights", q.values(), want, func(body []byte) (int, pageMeta, error) {
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
	analysis := j.SessionAnalysis
	if len(analysis) == 0 || string(analysis) == "null" {
		analysis = j.Insight
	}
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
		PullRequests: pullRequests(j.PullRequests),
		Suggestions:  suggestions(analysis),
	}
}

// pullRequests reads the schema's [{url, state}], tolerating the names other shapes
// use (pr_url, html_url, status) and bare URL strings. Entries without a URL are
// dropped.
func pullRequests(raw json.RawMessage) []PullRequest {
	var items []json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []PullRequest
	for _, item := range items {
		if len(out) == maxPullRequests {
			break
		}
		var pr struct {
			URL     string `json:"url"`
			PRURL   string `json:"pr_url"`
			HTMLURL string `json:"html_url"`
			State   string `json:"state"`
			PRState string `json:"pr_state"`
			Status  string `json:"status"`
		}
		var bare string
		switch {
		case json.Unmarshal(item, &bare) == nil:
			pr.URL = bare
		case json.Unmarshal(item, &pr) != nil:
			continue
		}
		u := strings.TrimSpace(firstNonEmpty(pr.URL, pr.PRURL, pr.HTMLURL))
		if u == "" {
			continue
		}
		out = append(out, PullRequest{URL: u, State: strings.TrimSpace(firstNonEmpty(pr.State, pr.PRState, pr.Status))})
	}
	return out
}

// suggestions reads what an analysis suggests: suggested_prompt.feedback_items[] (each
// its summary, else its details), then action_items[] (strings, or objects read by
// their most telling text field). Each is one clipped line; repeats are dropped.
func suggestions(raw json.RawMessage) []string {
	var a struct {
		SuggestedPrompt struct {
			FeedbackItems []json.RawMessage `json:"feedback_items"`
		} `json:"suggested_prompt"`
		ActionItems []json.RawMessage `json:"action_items"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &a) != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(item json.RawMessage, fields ...string) {
		if len(out) == maxSuggestions {
			return
		}
		s := clip(itemText(item, fields))
		if s == "" || seen[strings.ToLower(s)] {
			return
		}
		seen[strings.ToLower(s)] = true
		out = append(out, s)
	}
	for _, item := range a.SuggestedPrompt.FeedbackItems {
		add(item, "summary", "details")
	}
	for _, item := range a.ActionItems {
		add(item, "summary", "title", "action", "description", "text", "details")
	}
	return out
}

// itemText is item itself when it is a string, else its first non-empty string field
// of fields.
func itemText(item json.RawMessage, fields []string) string {
	var s string
	if json.Unmarshal(item, &s) == nil {
		return s
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(item, &obj) != nil {
		return ""
	}
	for _, f := range fields {
		var v string
		if json.Unmarshal(obj[f], &v) == nil && strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
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
