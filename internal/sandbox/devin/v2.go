package devinsandbox

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// maxPageLimit and maxInvite are the real API's limits.
const (
	maxPageLimit     = 200
	defaultPageLimit = 100
	maxInvite        = 100
)

func (s *Server) routes() {
	s.handle(OpListMembers, "GET "+root+"/members", s.listMembers)
	s.handle(OpGetMember, "GET "+root+"/members/{user_id}", s.getMember)
	s.handle(OpRemoveMember, "DELETE "+root+"/members/{user_id}", s.deleteMember)
	s.handle(OpMemberOrgs, "GET "+root+"/members/{user_id}/organizations", s.memberOrgs)
	s.handle(OpInvite, "POST "+root+"/members/invite", s.invite)
	s.handle(OpSetMemberRole, "PATCH "+root+"/members/roles", s.assignRoles)
	s.handle(OpListRoles, "GET "+root+"/roles", s.listRoles)

	s.handle(OpListOrgs, "GET "+root+"/organizations", s.listOrgs)
	s.handle(OpCreateOrg, "POST "+root+"/organizations", s.createOrg)
	s.handle(OpGetOrg, "GET "+root+"/organizations/{org_id}", s.getOrg)
	s.handle(OpUpdateOrg, "PATCH "+root+"/organizations/{org_id}", s.updateOrg)
	s.handle(OpDeleteOrg, "DELETE "+root+"/organizations/{org_id}", s.deleteOrg)
	s.handle(OpListOrgMembers, "GET "+root+"/organizations/{org_id}/members", s.listOrgMembers)
	s.handle(OpAddOrgMember, "POST "+root+"/organizations/{org_id}/members", s.addOrgMembers)
	s.handle(OpRemoveOrgMember, "DELETE "+root+"/organizations/{org_id}/members/{user_id}", s.removeOrgMember)
	s.handle(OpListGitPerms, "GET "+root+"/organizations/{org_id}/git/permissions", s.listGitPerms)
	s.handle(OpAddGitPerms, "POST "+root+"/organizations/{org_id}/git/permissions", s.addGitPerms)

	s.handle(OpCycles, "GET "+root+"/consumption/cycles", s.listCycles)
	s.handle(OpDaily, "GET "+root+"/consumption/daily", s.dailyConsumption)
	s.handle(OpDailyUser, "GET "+root+"/consumption/daily/{user_id}", s.userDailyConsumption)

	s.handle(OpAuditLogs, "GET "+root+"/audit-logs", s.auditLogs)
	s.handle(OpSessions, "GET "+root+"/sessions", s.listSessions)
	s.handle(OpSessionInsights, "GET "+root+"/sessions/insights", s.sessionInsights)
}

// ---- pagination ----

type pageEnvelope struct {
	Items      any  `json:"items"`
	Total      int  `json:"total"`
	Skip       int  `json:"skip"`
	Limit      int  `json:"limit"`
	HasMore    bool `json:"has_more"`
	NextCursor *int `json:"next_cursor"`
}

// pageParams reads skip (≥ 0) and limit (1–200, default 100) as FastAPI would,
// answering 422 for values out of range.
func pageParams(r *http.Request) (skip, limit int, bad *reply) {
	skip, limit = 0, defaultPageLimit
	q := r.URL.Query()
	if v := q.Get("skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			rep := validation([]any{"query", "skip"}, "Input should be greater than or equal to 0", "greater_than_equal")
			return 0, 0, &rep
		}
		skip = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageLimit {
			rep := validation([]any{"query", "limit"}, "Input should be less than or equal to 200", "less_than_equal")
			return 0, 0, &rep
		}
		limit = n
	}
	return skip, limit, nil
}

func paginate[T any](all []T, skip, limit int) pageEnvelope {
	start := min(skip, len(all))
	end := min(start+limit, len(all))
	env := pageEnvelope{Items: all[start:end], Total: len(all), Skip: skip, Limit: limit, HasMore: end < len(all)}
	if env.HasMore {
		next := end
		env.NextCursor = &next
	}
	if env.Items == nil || end == start {
		env.Items = []T{}
	}
	return env
}

func decodeBody(body []byte, v any) *reply {
	if err := json.Unmarshal(body, v); err != nil {
		rep := validation([]any{"body"}, "JSON decode error", "json_invalid")
		return &rep
	}
	return nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	v := rfc3339(*t)
	return &v
}
