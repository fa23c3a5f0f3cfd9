package readshare

import (
	"maps"
	"slices"

	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
)

// The clones copy everything a caller could change through an answer: the slice, and
// each pointer, map and nested JSON value in its elements. TestClonesCoverEveryReference
// fails when a type gains a reference field these do not copy.

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneMembers(ms []devin.Member) []devin.Member {
	out := slices.Clone(ms)
	for i := range out {
		out[i].LastLogin = clonePtr(out[i].LastLogin)
		out[i].LoginCount = clonePtr(out[i].LoginCount)
	}
	return out
}

func cloneOrgs(os []devin.Organization) []devin.Organization {
	out := slices.Clone(os)
	for i := range out {
		out[i].MaxCycleACULimit = clonePtr(out[i].MaxCycleACULimit)
		out[i].MaxSessionACULimit = clonePtr(out[i].MaxSessionACULimit)
		out[i].CreatedAt = clonePtr(out[i].CreatedAt)
	}
	return out
}

func cloneCycles(cs []devin.Cycle) []devin.Cycle {
	out := slices.Clone(cs)
	for i := range out {
		out[i].ACUsUsed = clonePtr(out[i].ACUsUsed)
	}
	return out
}

func cloneConsumption(c *devin.Consumption) *devin.Consumption {
	if c == nil {
		return nil
	}
	out := *c
	out.ByDate = maps.Clone(c.ByDate)
	out.ByOrg = maps.Clone(c.ByOrg)
	out.ByUser = maps.Clone(c.ByUser)
	if c.ByUserApprox != nil {
		a := *c.ByUserApprox
		a.Partial = slices.Clone(a.Partial)
		out.ByUserApprox = &a
	}
	return &out
}

func cloneAuditLogs(es []devin.AuditLogEntry) []devin.AuditLogEntry {
	out := slices.Clone(es)
	for i := range out {
		if out[i].Extra != nil {
			out[i].Extra = cloneJSONObject(out[i].Extra)
		}
	}
	return out
}

func cloneSessionInsights(ss []devin.SessionInsight) []devin.SessionInsight {
	out := slices.Clone(ss)
	for i := range out {
		out[i].PullRequests = slices.Clone(out[i].PullRequests)
		out[i].Suggestions = slices.Clone(out[i].Suggestions)
	}
	return out
}

// cloneJSONObject copies a decoded JSON object, nested objects and arrays included.
func cloneJSONObject(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneJSON(v)
	}
	return out
}

func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneJSONObject(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSON(e)
		}
		return out
	default:
		// Strings, numbers, booleans and null: values.
		return v
	}
}

func cloneTeam(t *github.Team) *github.Team {
	if t == nil {
		return nil
	}
	out := *t
	out.MembersCount = clonePtr(t.MembersCount)
	out.GroupID = clonePtr(t.GroupID)
	return &out
}

func cloneTeams(ts []github.Team) []github.Team {
	out := slices.Clone(ts)
	for i := range out {
		out[i].MembersCount = clonePtr(out[i].MembersCount)
		out[i].GroupID = clonePtr(out[i].GroupID)
	}
	return out
}

// cloneUsers copies users, which hold only values.
func cloneUsers(us []github.User) []github.User { return slices.Clone(us) }

// cloneUser copies a user, which holds only values.
func cloneUser(u *github.User) *github.User { return clonePtr(u) }

func cloneGitPerms(ps []devin.GrantedGitPermission) []devin.GrantedGitPermission {
	out := slices.Clone(ps)
	for i := range out {
		out[i].RepoPaths = slices.Clone(out[i].RepoPaths)
		out[i].GroupPrefixes = slices.Clone(out[i].GroupPrefixes)
	}
	return out
}
