package devin_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient/devin"
)

func TestV3InviteKeepsTheContract(t *testing.T) {
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/roles", reply(200, page(v3Roles, "")))
	s.on("GET", "/v3/enterprise/members/users", func(r *http.Request, _ any) (int, any) {
		if r.URL.Query().Get("email") == "old@x.io" {
			return 200, page([]any{user("u-old", "old@x.io", "Member")}, "")
		}
		return 200, page([]any{}, "")
	})
	s.on("POST", "/v3/enterprise/members/users", reply(200, []any{user("u-new", "new@x.io", "Admin")}))
	s.on("PATCH", "/v3/enterprise/members/users/u-old", reply(200, user("u-old", "old@x.io", "Admin")))
	s.on("GET", "/v3/enterprise/organizations/org-1/members/users", reply(200, page([]any{user("u-old", "old@x.io", "Admin", "org-1", "Member")}, "")))
	s.on("POST", "/v3/enterprise/organizations/org-1/members/users/u-new", reply(200, user("u-new", "new@x.io", "Admin", "org-1", "Member")))

	res, err := s.client(t).Invite(context.Background(), devin.InviteRequest{
		Emails: []string{"new@x.io", "old@x.io", "NEW@x.io", "bad"}, Role: "admin", OrgID: "org-1",
	})
	require.NoError(t, err)
	assert.Equal(t, []devin.InviteOutcome{
		{Email: "new@x.io", UserID: "u-new", Status: devin.StatusInvited},
		{Email: "old@x.io", UserID: "u-old", Status: devin.StatusAlreadyMember},
		{Email: "bad", Status: devin.StatusFailed, Reason: "not a valid email address"},
	}, res.Outcomes)

	var post, patch, orgAdd *v3Call
	for i, c := range s.Calls() {
		switch c.Method + " " + c.Path {
		case "POST /v3/enterprise/members/users":
			post = &s.Calls()[i]
		case "PATCH /v3/enterprise/members/users/u-old":
			patch = &s.Calls()[i]
		case "POST /v3/enterprise/organizations/org-1/members/users/u-new":
			orgAdd = &s.Calls()[i]
		}
	}
	require.NotNil(t, post)
	assert.Equal(t, map[string]any{"emails": []any{"new@x.io"}, "enterprise_role_id": "r-admin"}, post.Body, "only the non-member is invited, with the role")
	require.NotNil(t, patch)
	assert.Equal(t, map[string]any{"role_id": "r-admin"}, patch.Body, "the existing member gets the asked role")
	require.NotNil(t, orgAdd)
	assert.Equal(t, map[string]any{"role_id": "r-org-member"}, orgAdd.Body)
	for _, c := range s.Calls() {
		assert.NotEqual(t, "POST /v3/enterprise/organizations/org-1/members/users/u-old", c.Method+" "+c.Path, "already in the org: not added again")
	}
}

func TestV3InviteUnknownRoleSendsNothing(t *testing.T) {
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/roles", reply(200, page(v3Roles, "")))
	_, err := s.client(t).Invite(context.Background(), devin.InviteRequest{Emails: []string{"a@x.io"}, Role: "owner"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no enterprise role matches")
	assert.Len(t, s.Calls(), 1)
}

func TestV3AddOrgMembersAddsOrPromotes(t *testing.T) {
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/roles", reply(200, page(v3Roles, "")))
	s.on("GET", "/v3/enterprise/organizations/org-1/members/users", reply(200, page([]any{
		user("u-member", "m@x.io", "Member", "org-1", "Member"),
		user("u-admin", "a@x.io", "Member", "org-1", "Admin"),
	}, "")))
	s.on("POST", "/v3/enterprise/organizations/org-1/members/users/u-new", reply(200, user("u-new", "n@x.io", "Member")))
	s.on("PATCH", "/v3/enterprise/organizations/org-1/members/users/u-member", reply(200, user("u-member", "m@x.io", "Member")))
	require.NoError(t, s.client(t).AddOrgMembers(context.Background(), "org-1", []string{"u-new", "u-member", "u-admin"}, "org_admin"))
	var got []string
	for _, c := range s.Calls() {
		if c.Method != "GET" {
			got = append(got, c.Method+" "+c.Path)
			assert.Equal(t, map[string]any{"role_id": "r-org-admin"}, c.Body)
		}
	}
	assert.Equal(t, []string{
		"POST /v3/enterprise/organizations/org-1/members/users/u-new",
		"PATCH /v3/enterprise/organizations/org-1/members/users/u-member",
	}, got, "an admin already is left alone")
}

func TestV3ListOrgMembersReadsTheOrgRole(t *testing.T) {
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/organizations/org-1/members/users", reply(200, page([]any{user("u1", "a@x.io", "Member", "org-2", "Member", "org-1", "Admin")}, "")))
	ms, err := s.client(t).ListOrgMembers(context.Background(), "org-1")
	require.NoError(t, err)
	assert.Equal(t, []devin.OrgMember{{UserID: "u1", Email: "a@x.io", Name: "Name u1", OrgRole: "org_admin"}}, ms)
}

func TestV3AuditLogs(t *testing.T) {
	s := newV3Server(t)
	entry := func(id string) map[string]any {
		return map[string]any{"audit_log_id": id, "action": "user_invited", "created_at": 1733385600, "user_id": "u1", "user_email": "a@x.io", "org_id": nil, "data": map[string]any{"target_user_id": "u9"}}
	}
	s.on("GET", "/v3/enterprise/audit-logs", func(r *http.Request, _ any) (int, any) {
		if r.URL.Query().Get("after") == "" {
			return 200, page([]any{entry("a1"), entry("a2")}, "c1")
		}
		return 200, page([]any{entry("a2"), entry("a3")}, "c2")
	})
	es, err := s.client(t).AuditLogs(context.Background(), devin.AuditLogsQuery{After: "2024-12-05T08:00:00Z", Limit: 3})
	require.NoError(t, err)
	require.Len(t, es, 3)
	assert.Equal(t, []string{"a1", "a2", "a3"}, []string{es[0].ID, es[1].ID, es[2].ID}, "a2 seen twice is kept once")
	assert.Equal(t, "u9", es[0].Extra["target_user_id"])
	assert.Equal(t, int64(1733385600), es[0].CreatedAt.Unix())
	calls := s.Calls()
	require.Len(t, calls, 2)
	assert.Equal(t, "desc", calls[0].Query.Get("order"))
	assert.Equal(t, "1733385600", calls[0].Query.Get("time_after"))
	assert.Equal(t, "3", calls[0].Query.Get("first"))
	assert.Equal(t, "1", calls[1].Query.Get("first"), "the second page asks only for what is missing")
}

func TestV3SessionInsightsBoundedCalls(t *testing.T) {
	s := newV3Server(t)
	sess := func(id string) map[string]any {
		return map[string]any{"session_id": id, "org_id": "org-1", "user_id": "u1", "title": "T " + id, "status": "exit", "acus_consumed": 2.5, "created_at": 1733385600,
			"pull_requests": []any{map[string]any{"pr_url": "https://gh/pr/1", "pr_state": "merged"}}}
	}
	s.on("GET", "/v3/enterprise/sessions", reply(200, page([]any{sess("s1"), sess("s2")}, "more")))
	s.on("GET", "/v3/enterprise/sessions/s1/insights", reply(200, map[string]any{"session_id": "s1", "analysis": map[string]any{"action_items": []any{"Add tests"}}}))
	s.on("GET", "/v3/enterprise/sessions/s2/insights", reply(404, map[string]any{"title": "Not Found", "status": 404}))
	got, err := s.client(t).SessionInsights(context.Background(), devin.SessionInsightsQuery{Limit: 2, OrgIDs: []string{"org-1"}})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []string{"Add tests"}, got[0].Suggestions)
	assert.Equal(t, []devin.PullRequest{{URL: "https://gh/pr/1", State: "merged"}}, got[0].PullRequests)
	assert.Equal(t, 2.5, got[1].ACUsConsumed, "a session whose insights failed is kept")
	calls := s.Calls()
	require.Len(t, calls, 3, "one listing page and one insights call per session")
	assert.Equal(t, "2", calls[0].Query.Get("first"))
	assert.Equal(t, []string{"org-1"}, calls[0].Query["org_ids"])
}

func TestV3InviteBatchesOf100WithTheMemberRole(t *testing.T) {
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/roles", reply(200, page(v3Roles, "")))
	s.on("GET", "/v3/enterprise/members/users", reply(200, page([]any{}, "")))
	s.on("POST", "/v3/enterprise/members/users", func(_ *http.Request, body any) (int, any) {
		var users []any
		for i, e := range body.(map[string]any)["emails"].([]any) {
			users = append(users, user(fmt.Sprintf("id-%v-%d", e, i), e.(string), "Member"))
		}
		return 200, users
	})
	var emails []string
	for i := range 150 {
		emails = append(emails, fmt.Sprintf("p%03d@x.io", i))
	}
	res, err := s.client(t).Invite(context.Background(), devin.InviteRequest{Emails: emails})
	require.NoError(t, err)
	assert.Equal(t, devin.InviteCounts{Invited: 150}, res.Counts())
	var sizes []int
	for _, c := range s.Calls() {
		if c.Method == "POST" {
			b := c.Body.(map[string]any)
			assert.Equal(t, "r-member", b["enterprise_role_id"], "a plain invite carries the Member role")
			sizes = append(sizes, len(b["emails"].([]any)))
		}
	}
	assert.Equal(t, []int{100, 50}, sizes)
	assert.Len(t, s.Calls(), 4, "roles, one members listing (many emails), two invites")
}

func TestV3RolesAreKeptAndReadAgainOnAMiss(t *testing.T) {
	s := newV3Server(t)
	roles := v3Roles
	s.on("GET", "/v3/enterprise/roles", func(*http.Request, any) (int, any) { return 200, page(roles, "") })
	s.on("PATCH", "/v3/enterprise/members/users/u1", reply(200, user("u1", "a@x.io", "Admin")))
	c := s.client(t)
	ctx := context.Background()
	require.NoError(t, c.AssignRole(ctx, []string{"u1"}, "account_admin"))
	require.NoError(t, c.AssignRole(ctx, []string{"u1"}, "Admin"))
	assert.Len(t, s.Calls(), 3, "the roles are read once")

	roles = append(append([]any{}, v3Roles...), map[string]any{"role_id": "r-auditor", "role_name": "Auditor", "role_type": "enterprise"})
	require.NoError(t, c.AssignRole(ctx, []string{"u1"}, "auditor"))
	calls := s.Calls()
	require.Len(t, calls, 5, "a role created since is found by reading the roles again")
	assert.Equal(t, map[string]any{"role_id": "r-auditor"}, calls[4].Body)
}

// The default org role is for people not in the organization yet: someone already
// in it keeps the role they have, as v2's call without org_role and the executor's
// "nobody is demoted" rule do. An invite with --org must not turn an org admin who
// turns out to be a member already into a Member.
func TestV3AddOrgMembersDefaultRoleDemotesNobody(t *testing.T) {
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/roles", reply(200, page(v3Roles, "")))
	s.on("GET", "/v3/enterprise/members/users", func(r *http.Request, _ any) (int, any) {
		if r.URL.Query().Get("email") == "boss@x.io" {
			return 200, page([]any{user("u-boss", "boss@x.io", "Member")}, "")
		}
		return 200, page([]any{}, "")
	})
	s.on("POST", "/v3/enterprise/members/users", reply(200, []any{user("u-new", "new@x.io", "Member")}))
	s.on("GET", "/v3/enterprise/organizations/org-1/members/users", reply(200, page([]any{
		user("u-boss", "boss@x.io", "Member", "org-1", "Admin"),
	}, "")))
	s.on("POST", "/v3/enterprise/organizations/org-1/members/users/u-new", reply(200, user("u-new", "new@x.io", "Member", "org-1", "Member")))
	s.on("PATCH", "/v3/enterprise/organizations/org-1/members/users/u-boss", reply(200, user("u-boss", "boss@x.io", "Member", "org-1", "Member")))

	res, err := s.client(t).Invite(context.Background(), devin.InviteRequest{Emails: []string{"new@x.io", "boss@x.io"}, OrgID: "org-1"})
	require.NoError(t, err)
	assert.Equal(t, devin.InviteCounts{Invited: 1, AlreadyMember: 1}, res.Counts())
	require.NoError(t, s.client(t).AddOrgMembers(context.Background(), "org-1", []string{"u-boss"}, ""))
	for _, c := range s.Calls() {
		assert.NotEqual(t, "PATCH /v3/enterprise/organizations/org-1/members/users/u-boss", c.Method+" "+c.Path, "the org admin is not demoted")
	}
}

// The filters are matched on the client too, for a server that ignores them; the
// listing must then go on past the sessions it drops, not stop once it has read as
// many as were asked for.
func TestV3SessionInsightsReadOnWhenTheServerIgnoresAFilter(t *testing.T) {
	s := newV3Server(t)
	sess := func(id, user string) map[string]any {
		return map[string]any{"session_id": id, "org_id": "org-1", "user_id": user, "title": "T " + id, "status": "exit", "created_at": 1733385600}
	}
	s.on("GET", "/v3/enterprise/sessions", func(r *http.Request, _ any) (int, any) {
		if r.URL.Query().Get("after") == "" {
			return 200, page([]any{sess("s1", "u-other"), sess("s2", "u-other")}, "p2")
		}
		return 200, page([]any{sess("s3", "u-me"), sess("s4", "u-me"), sess("s5", "u-me")}, "")
	})
	for _, id := range []string{"s3", "s4", "s5"} {
		s.on("GET", "/v3/enterprise/sessions/"+id+"/insights", reply(200, map[string]any{"session_id": id}))
	}
	got, err := s.client(t).SessionInsights(context.Background(), devin.SessionInsightsQuery{Limit: 2, UserIDs: []string{"u-me"}})
	require.NoError(t, err)
	var ids []string
	for _, g := range got {
		ids = append(ids, g.SessionID)
	}
	assert.Equal(t, []string{"s3", "s4"}, ids)
}

// v3's User has a nullable email: an answer that lists the invitees without their
// addresses must not turn a sent invitation into "failed". The emails the answer does
// not name are looked up; found now (they were not members before), they were invited.
func TestV3InviteAnswerWithoutEmailsIsCheckedByLookup(t *testing.T) {
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/roles", reply(200, page(v3Roles, "")))
	var invited atomic.Bool
	s.on("GET", "/v3/enterprise/members/users", func(r *http.Request, _ any) (int, any) {
		if invited.Load() && r.URL.Query().Get("email") == "new@x.io" {
			return 200, page([]any{user("u-new", "new@x.io", "Member")}, "")
		}
		return 200, page([]any{}, "")
	})
	s.on("POST", "/v3/enterprise/members/users", func(*http.Request, any) (int, any) {
		invited.Store(true)
		u := user("u-new", "new@x.io", "Member")
		u["email"] = nil
		return 200, []any{u}
	})
	res, err := s.client(t).Invite(context.Background(), devin.InviteRequest{Emails: []string{"new@x.io", "gone@x.io"}})
	require.NoError(t, err)
	assert.Equal(t, []devin.InviteOutcome{
		{Email: "new@x.io", UserID: "u-new", Status: devin.StatusInvited},
		{Email: "gone@x.io", Status: devin.StatusFailed, Reason: "not invited by the API"},
	}, res.Outcomes)
}

// A caller that lists the organization and adds right after (the executor) costs one
// listing: the client's own listing serves AddOrgMembers once, and is read again for
// the next call, after a change, or when older than a few seconds. With the listing
// reused the guarantees stand: an org admin is neither demoted nor re-added.
func TestV3AddOrgMembersReusesAFreshListingOnce(t *testing.T) {
	now := reportNow
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/roles", reply(200, page(v3Roles, "")))
	s.on("GET", "/v3/enterprise/organizations/org-1/members/users", reply(200, page([]any{
		user("u-admin", "a@x.io", "Member", "org-1", "Admin"),
	}, "")))
	s.on("POST", "/v3/enterprise/organizations/org-1/members/users/u-new", reply(200, user("u-new", "n@x.io", "Member")))
	clk := newFakeClockAt(now)
	c, err := devin.NewV3(s.srv.URL, v3Key, devin.WithClock(clk))
	require.NoError(t, err)
	ctx := context.Background()
	listings := func() int {
		n := 0
		for _, call := range s.Calls() {
			if call.Method == "GET" && call.Path == "/v3/enterprise/organizations/org-1/members/users" {
				n++
			}
		}
		return n
	}

	_, err = c.ListOrgMembers(ctx, "org-1")
	require.NoError(t, err)
	require.NoError(t, c.AddOrgMembers(ctx, "org-1", []string{"u-new", "u-admin"}, ""))
	assert.Equal(t, 1, listings(), "the executor's listing serves the add")
	require.NoError(t, c.AddOrgMembers(ctx, "org-1", []string{"u-admin"}, ""))
	assert.Equal(t, 2, listings(), "used once: the next add reads again")

	_, err = c.ListOrgMembers(ctx, "org-1")
	require.NoError(t, err)
	clk.Advance(11 * time.Second)
	require.NoError(t, c.AddOrgMembers(ctx, "org-1", []string{"u-admin"}, ""))
	assert.Equal(t, 4, listings(), "a listing older than a few seconds is read again")

	for _, call := range s.Calls() {
		assert.NotEqual(t, "PATCH", call.Method, "the org admin keeps their role")
		assert.NotEqual(t, "POST /v3/enterprise/organizations/org-1/members/users/u-admin", call.Method+" "+call.Path, "nor is added again")
	}
}

// A listing kept for the next add is no longer true once this client removes someone
// from the enterprise (which takes them out of every organization): a person removed
// and invited again must be added, not skipped as "in it already".
func TestV3AddOrgMembersDoesNotReuseAListingAfterARemoval(t *testing.T) {
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/roles", reply(200, page(v3Roles, "")))
	var removed atomic.Bool
	s.on("GET", "/v3/enterprise/organizations/org-1/members/users", func(*http.Request, any) (int, any) {
		if !removed.Load() {
			return 200, page([]any{user("u-1", "a@x.io", "Member", "org-1", "Member")}, "")
		}
		return 200, page([]any{}, "")
	})
	s.on("DELETE", "/v3/enterprise/members/users/u-1", func(*http.Request, any) (int, any) {
		removed.Store(true)
		return 200, map[string]any{}
	})
	s.on("POST", "/v3/enterprise/organizations/org-1/members/users/u-1", reply(200, user("u-1", "a@x.io", "Member", "org-1", "Member")))
	c, err := devin.NewV3(s.srv.URL, v3Key, devin.WithClock(newFakeClockAt(reportNow)))
	require.NoError(t, err)
	ctx := context.Background()

	_, err = c.ListOrgMembers(ctx, "org-1")
	require.NoError(t, err)
	require.NoError(t, c.RemoveMember(ctx, "u-1"))
	require.NoError(t, c.AddOrgMembers(ctx, "org-1", []string{"u-1"}, ""))

	var added bool
	for _, call := range s.Calls() {
		added = added || call.Method+" "+call.Path == "POST /v3/enterprise/organizations/org-1/members/users/u-1"
	}
	assert.True(t, added, "the listing from before the removal must not serve the add")
}

// A listing read while this client added someone may predate the add: it is not
// kept, so the next add reads again instead of adding the same person twice.
func TestV3AddOrgMembersDoesNotKeepAListingThatOverlappedAnAdd(t *testing.T) {
	s := newV3Server(t)
	s.on("GET", "/v3/enterprise/roles", reply(200, page(v3Roles, "")))
	var added atomic.Bool
	var listings atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	s.on("GET", "/v3/enterprise/organizations/org-1/members/users", func(*http.Request, any) (int, any) {
		inOrg := added.Load() // read as the first page is: the answer is as old as this
		if listings.Add(1) == 1 {
			close(entered)
			<-release
		}
		if inOrg {
			return 200, page([]any{user("u-1", "a@x.io", "Member", "org-1", "Member")}, "")
		}
		return 200, page([]any{}, "")
	})
	s.on("POST", "/v3/enterprise/organizations/org-1/members/users/u-1", func(*http.Request, any) (int, any) {
		added.Store(true)
		return 200, user("u-1", "a@x.io", "Member", "org-1", "Member")
	})
	c, err := devin.NewV3(s.srv.URL, v3Key, devin.WithClock(newFakeClockAt(reportNow)))
	require.NoError(t, err)
	ctx := context.Background()

	done := make(chan error, 1)
	go func() {
		_, err := c.ListOrgMembers(ctx, "org-1")
		done <- err
	}()
	<-entered
	require.NoError(t, c.AddOrgMembers(ctx, "org-1", []string{"u-1"}, ""))
	close(release)
	require.NoError(t, <-done)
	require.NoError(t, c.AddOrgMembers(ctx, "org-1", []string{"u-1"}, ""))

	posts := 0
	for _, call := range s.Calls() {
		if call.Method+" "+call.Path == "POST /v3/enterprise/organizations/org-1/members/users/u-1" {
			posts++
		}
	}
	assert.Equal(t, 1, posts, "added once")
}
