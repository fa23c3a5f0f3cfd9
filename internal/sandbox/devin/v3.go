package devinsandbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func (s *Server) routesV3() {
	const e = rootV3
	s.handle(OpListMembers, "GET "+e+"/members/users", s.v3ListUsers)
	s.handle(OpInvite, "POST "+e+"/members/users", s.v3Invite)
	s.handle(OpGetMember, "GET "+e+"/members/users/{user_id}", s.v3GetUser)
	s.handle(OpSetMemberRole, "PATCH "+e+"/members/users/{user_id}", s.v3SetUserRole)
	s.handle(OpRemoveMember, "DELETE "+e+"/members/users/{user_id}", s.v3RemoveUser)
	s.handle(OpListRoles, "GET "+e+"/roles", s.v3ListRoles)

	s.handle(OpListOrgs, "GET "+e+"/organizations", s.v3ListOrgs)
	s.handle(OpCreateOrg, "POST "+e+"/organizations", s.v3CreateOrg)
	s.handle(OpGetOrg, "GET "+e+"/organizations/{org_id}", s.v3GetOrg)
	s.handle(OpUpdateOrg, "PATCH "+e+"/organizations/{org_id}", s.v3UpdateOrg)
	s.handle(OpDeleteOrg, "DELETE "+e+"/organizations/{org_id}", s.v3DeleteOrg)
	s.handle(OpListOrgMembers, "GET "+e+"/organizations/{org_id}/members/users", s.v3ListOrgUsers)
	s.handle(OpAddOrgMember, "POST "+e+"/organizations/{org_id}/members/users/{user_id}", s.v3AddOrgUser)
	s.handle(OpSetOrgMemberRole, "PATCH "+e+"/organizations/{org_id}/members/users/{user_id}", s.v3SetOrgUserRole)
	s.handle(OpRemoveOrgMember, "DELETE "+e+"/organizations/{org_id}/members/users/{user_id}", s.v3RemoveOrgUser)

	s.handle(OpListACULimits, "GET "+e+"/consumption/acu-limits/devin", s.v3ListLimits)
	s.handle(OpSetOrgLimit, "PUT "+e+"/consumption/acu-limits/devin/organizations/{org_id}", s.v3SetOrgLimit)
	s.handle(OpClearOrgLimit, "DELETE "+e+"/consumption/acu-limits/devin/organizations/{org_id}", s.v3ClearOrgLimit)

	s.handle(OpListGitConnections, "GET "+e+"/git-providers/connections", s.v3ListConnections)
	s.handle(OpListGitPerms, "GET "+e+"/organizations/{org_id}/git-providers/permissions", s.v3ListGitPerms)
	s.handle(OpAddGitPerms, "POST "+e+"/organizations/{org_id}/git-providers/permissions", s.v3AddGitPerms)

	s.handle(OpCycles, "GET "+e+"/consumption/cycles", s.v3Cycles)
	s.handle(OpDaily, "GET "+e+"/consumption/daily", s.v3Daily)
	s.handle(OpDailyOrg, "GET "+e+"/consumption/daily/organizations/{org_id}", s.v3DailyOrg)
	s.handle(OpDailyUser, "GET "+e+"/consumption/daily/users/{user_id}", s.v3DailyUser)

	s.handle(OpAuditLogs, "GET "+e+"/audit-logs", s.v3AuditLogs)
	s.handle(OpSessions, "GET "+e+"/sessions", s.v3Sessions)
	s.handle(OpSessionInsights, "GET "+e+"/sessions/insights", s.v3SessionInsightsList)
	s.handle(OpGetSession, "GET "+e+"/sessions/{devin_id}", s.v3GetSession)
	s.handle(OpGetSessionInsights, "GET "+e+"/sessions/{devin_id}/insights", s.v3GetSessionInsights)
	s.handle(OpOrgSessions, "GET /v3/organizations/{org_id}/sessions", s.v3OrgSessions)
}

// invalid answers a request the client should not have sent (422, or 400 for a
// cursor it did not get from this listing) and records it as a violation. Callers
// must not hold s.mu.
func (s *Server) invalid(r *http.Request, rep reply) reply {
	msg := ""
	if m, isMap := rep.body.(map[string]any); isMap {
		msg, _ = m["detail"].(string)
	}
	s.violate(r, fmt.Sprintf("invalid v3 request (%d %s)", rep.status, msg))
	return rep
}

// badField is the 422 problem for one field.
func badField(loc []any, msg string) reply { return unprocessable(loc, msg, "value_error") }

// ---- cursor pagination ----

// cursor is what end_cursor encodes: base64 of JSON, as the docs' example is, naming
// the listing it belongs to so a cursor from another listing is refused.
type cursor struct {
	List   string `json:"list"`
	Offset int    `json:"offset"`
}

func encodeCursor(list string, offset int) string {
	b, _ := json.Marshal(cursor{List: list, Offset: offset})
	return base64.StdEncoding.EncodeToString(b)
}

// pageV3 reads first (1–200, default 100) and after. list names the listing (and
// its scope, e.g. an organization); a cursor of another listing is a 400.
func (s *Server) pageV3(r *http.Request, list string) (first, offset int, bad *reply) {
	q := r.URL.Query()
	first = defaultPageLimit
	if v := q.Get("first"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageLimit {
			rep := s.invalid(r, badField([]any{"query", "first"}, "Input should be an integer from 1 to 200"))
			return 0, 0, &rep
		}
		first = n
	}
	if v := q.Get("after"); v != "" {
		var c cursor
		raw, err := base64.StdEncoding.DecodeString(v)
		if err == nil {
			err = json.Unmarshal(raw, &c)
		}
		if err != nil || c.List != list || c.Offset < 0 {
			rep := s.invalid(r, problem(http.StatusBadRequest, "Invalid cursor: after must be an end_cursor of this listing"))
			return 0, 0, &rep
		}
		offset = c.Offset
	}
	return first, offset, nil
}

type pageV3Envelope struct {
	Items       any     `json:"items"`
	HasNextPage bool    `json:"has_next_page"`
	EndCursor   *string `json:"end_cursor"`
	Total       int     `json:"total"`
}

// paginateV3 serves all[offset:offset+first] with the cursor of the next page.
func paginateV3[T any](all []T, list string, first, offset int) pageV3Envelope {
	start := min(offset, len(all))
	end := min(start+first, len(all))
	items := all[start:end]
	if items == nil {
		items = []T{}
	}
	env := pageV3Envelope{Items: items, Total: len(all), HasNextPage: end < len(all)}
	if env.HasNextPage {
		c := encodeCursor(list, end)
		env.EndCursor = &c
	}
	return env
}

// unixQuery reads an optional Unix-seconds bound.
func (s *Server) unixQuery(r *http.Request, name string) (time.Time, *reply) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		rep := s.invalid(r, badField([]any{"query", name}, "Input should be a valid integer (Unix seconds)"))
		return time.Time{}, &rep
	}
	return time.Unix(n, 0).UTC(), nil
}

// listQuery reads a string-list parameter, sent repeated or comma-separated.
func listQuery(r *http.Request, name string) map[string]bool {
	var out map[string]bool
	for _, v := range r.URL.Query()[name] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				if out == nil {
					out = map[string]bool{}
				}
				out[id] = true
			}
		}
	}
	return out
}

// decodeV3 decodes a JSON body; the description has checked its shape where it
// describes the operation.
func (s *Server) decodeV3(r *http.Request, body []byte, v any) *reply {
	if err := json.Unmarshal(body, v); err != nil {
		rep := s.invalid(r, badField([]any{"body"}, "JSON decode error"))
		return &rep
	}
	return nil
}

func unixOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// Page is the slice of a listing a recorded request asked for, whichever version it
// used: v2's skip and limit, or v3's cursor position and first (each default 100). A
// cursor the fake did not issue reads as offset -1.
func (r RecordedRequest) Page() (offset, size int) {
	q, _ := url.ParseQuery(r.RawQuery)
	size = defaultPageLimit
	if !isV3(r.decodedPath) {
		offset, _ = strconv.Atoi(q.Get("skip"))
		if n, err := strconv.Atoi(q.Get("limit")); err == nil {
			size = n
		}
		return offset, size
	}
	if n, err := strconv.Atoi(q.Get("first")); err == nil {
		size = n
	}
	if after := q.Get("after"); after != "" {
		var c cursor
		raw, err := base64.StdEncoding.DecodeString(after)
		if err != nil || json.Unmarshal(raw, &c) != nil {
			return -1, size
		}
		offset = c.Offset
	}
	return offset, size
}
