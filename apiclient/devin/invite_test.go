package devin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

func emails(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d@example.com", prefix, i)
	}
	return out
}

func inviteBodies(t *testing.T, fake *devinsandbox.Server) [][]string {
	t.Helper()
	var out [][]string
	for _, r := range fake.Requests() {
		if r.Method != "POST" || r.Path != "/v2/enterprise/members/invite" {
			continue
		}
		var body struct {
			Emails []string `json:"emails"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &body))
		out = append(out, body.Emails)
	}
	return out
}

func TestInviteChunksAndReportsEachEmail(t *testing.T) {
	fake := newFake(t)
	all := emails("new", 250)
	existing := map[string]devinsandbox.Member{}
	for _, e := range all[10:50] { // 40 already members
		existing[e] = fake.AddMember(devinsandbox.Member{Email: e})
	}
	rejected := all[200:205] // 5 the API silently skips
	fake.RejectInvites(rejected...)
	c, _ := newClient(t, fake)

	res, err := c.Invite(context.Background(), devin.InviteRequest{Emails: all})
	require.NoError(t, err)

	bodies := inviteBodies(t, fake)
	require.Len(t, bodies, 3, "250 emails = 3 invite calls")
	assert.Len(t, bodies[0], 100)
	assert.Len(t, bodies[1], 100)
	assert.Len(t, bodies[2], 50)

	require.Len(t, res.Outcomes, 250)
	assert.Equal(t, devin.InviteCounts{Invited: 205, AlreadyMember: 40, Failed: 5}, res.Counts())
	for i, o := range res.Outcomes {
		assert.Equal(t, all[i], o.Email, "outcomes keep the request order")
		switch {
		case existing[o.Email].UserID != "":
			assert.Equal(t, devin.InviteOutcome{Email: o.Email, UserID: existing[o.Email].UserID, Status: devin.StatusAlreadyMember}, o)
		case i >= 200 && i < 205:
			assert.Equal(t, devin.InviteOutcome{Email: o.Email, Status: devin.StatusFailed, Reason: "not invited by the API"}, o)
		default:
			assert.Equal(t, devin.InviteOutcome{Email: o.Email, UserID: devinsandbox.UserIDFor(o.Email), Status: devin.StatusInvited}, o)
		}
	}
	// 45 emails to check is past the one-by-one threshold: one full listing instead.
	assert.Equal(t, 0, countQueries(fake, "email"))
}

// countQueries counts GET /members requests that carry the query key.
func countQueries(fake *devinsandbox.Server, key string) int {
	n := 0
	for _, r := range fake.Requests() {
		q, _ := url.ParseQuery(r.RawQuery)
		if r.Method == "GET" && r.Path == "/v2/enterprise/members" && q.Has(key) {
			n++
		}
	}
	return n
}

func TestInviteLooksUpFewEmailsOneByOne(t *testing.T) {
	fake := newFake(t)
	fake.SeedMembers(500)
	old := fake.AddMember(devinsandbox.Member{Email: "old@example.com"})
	fake.RejectInvites("blocked@example.com")
	c, _ := newClient(t, fake)

	res, err := c.Invite(context.Background(), devin.InviteRequest{
		Emails: []string{"new@example.com", "OLD@example.com", "blocked@example.com"},
	})
	require.NoError(t, err)
	assert.Equal(t, []devin.InviteOutcome{
		{Email: "new@example.com", UserID: devinsandbox.UserIDFor("new@example.com"), Status: devin.StatusInvited},
		{Email: "OLD@example.com", UserID: old.UserID, Status: devin.StatusAlreadyMember},
		{Email: "blocked@example.com", Status: devin.StatusFailed, Reason: "not invited by the API"},
	}, res.Outcomes)
	assert.Equal(t, 2, countQueries(fake, "email"))
	assert.Equal(t, 2, fake.Count("GET", "/members"), "no full listing of 501 members")
}

func TestInviteIsIdempotent(t *testing.T) {
	fake := newFake(t)
	c, _ := newClient(t, fake)
	list := emails("x", 30)
	first, err := c.Invite(context.Background(), devin.InviteRequest{Emails: list})
	require.NoError(t, err)
	assert.Equal(t, devin.InviteCounts{Invited: 30}, first.Counts())

	again, err := c.Invite(context.Background(), devin.InviteRequest{Emails: list})
	require.NoError(t, err)
	assert.Equal(t, devin.InviteCounts{AlreadyMember: 30}, again.Counts())
	for i, o := range again.Outcomes {
		assert.Equal(t, first.Outcomes[i].UserID, o.UserID)
	}
	assert.Len(t, fake.Members(), 30)
}

func TestInviteDropsDuplicatesAndInvalidAddresses(t *testing.T) {
	fake := newFake(t)
	c, _ := newClient(t, fake)
	res, err := c.Invite(context.Background(), devin.InviteRequest{
		Emails: []string{"a@example.com", " A@Example.com ", "not-an-email", "", "Bob <b@example.com>", "b@example.com"},
	})
	require.NoError(t, err)
	assert.Equal(t, []devin.InviteOutcome{
		{Email: "a@example.com", UserID: devinsandbox.UserIDFor("a@example.com"), Status: devin.StatusInvited},
		{Email: "not-an-email", Status: devin.StatusFailed, Reason: "not a valid email address"},
		{Email: "Bob <b@example.com>", Status: devin.StatusFailed, Reason: "not a valid email address"},
		{Email: "b@example.com", UserID: devinsandbox.UserIDFor("b@example.com"), Status: devin.StatusInvited},
	}, res.Outcomes)
	assert.Equal(t, [][]string{{"a@example.com", "b@example.com"}}, inviteBodies(t, fake))

	none, err := c.Invite(context.Background(), devin.InviteRequest{Emails: []string{" "}})
	require.NoError(t, err)
	assert.Empty(t, none.Outcomes)
	var nilResult *devin.InviteResult
	assert.Equal(t, devin.InviteCounts{}, nilResult.Counts())
}

func TestInviteWithRoleAndOrg(t *testing.T) {
	fake := newFake(t)
	// A deployment whose Admin role has a non-default ID: the client must read it
	// from /roles rather than assume account_admin.
	fake.SetRoles([]devinsandbox.Role{
		{ID: "role_7f3a", Name: "Admin", Type: "account"},
		{ID: "role_m", Name: "Member", Type: "account"},
		{ID: "role_billing", Name: "Billing Viewer", Type: "account"},
		{ID: "org_admin", Name: "Org Admin", Type: "org"},
		{ID: "org_member", Name: "Org Member", Type: "org"},
	})
	org := fake.AddOrg(devinsandbox.Org{Name: "Platform"})
	old := fake.AddMember(devinsandbox.Member{Email: "old@example.com", Role: "role_m"})
	c, _ := newClient(t, fake)

	res, err := c.Invite(context.Background(), devin.InviteRequest{
		Emails: []string{"n1@example.com", "n2@example.com", "old@example.com"},
		Role:   "admin",
		OrgID:  org.ID,
	})
	require.NoError(t, err)
	assert.Equal(t, devin.InviteCounts{Invited: 2, AlreadyMember: 1}, res.Counts())

	for _, e := range []string{"n1@example.com", "n2@example.com", "old@example.com"} {
		m, ok := fake.MemberByEmail(e)
		require.True(t, ok)
		assert.Equal(t, "role_7f3a", m.Role, e)
	}
	got, _ := fake.OrgByID(org.ID)
	ids := []string{devinsandbox.UserIDFor("n1@example.com"), devinsandbox.UserIDFor("n2@example.com"), old.UserID}
	for _, id := range ids {
		assert.Equal(t, "org_member", got.Members[id])
	}
	assert.Equal(t, 1, fake.Count("GET", "/roles"))

	var orgBody struct {
		OrgIDs  []string `json:"org_ids"`
		UserIDs []string `json:"user_ids"`
	}
	for _, r := range fake.Requests() {
		if r.Method == "POST" && r.Path == "/v2/enterprise/organizations/"+url.PathEscape(org.ID)+"/members" {
			require.NoError(t, json.Unmarshal(r.Body, &orgBody))
		}
	}
	assert.Equal(t, []string{org.ID}, orgBody.OrgIDs)
	sort.Strings(ids)
	sort.Strings(orgBody.UserIDs)
	assert.Equal(t, ids, orgBody.UserIDs)
}

func TestInviteRoleResolution(t *testing.T) {
	tests := []struct {
		role     string
		wantRole string // the role ID sent to PATCH /members/roles; "" = no call
		wantErr  *apiclient.Error
	}{
		{role: "", wantRole: ""},
		{role: "member", wantRole: ""},
		{role: "admin", wantRole: "role_7f3a"},
		{role: "ADMIN", wantRole: "role_7f3a"},
		{role: "role_7f3a", wantRole: "role_7f3a"},
		{role: "billing viewer", wantRole: "role_billing"},
		{role: "superuser", wantErr: &apiclient.Error{Kind: apiclient.KindNotFound,
			Message: `no enterprise role matches "superuser" (roles: Admin, Billing Viewer, Member)`}},
		{role: "org_admin", wantErr: &apiclient.Error{Kind: apiclient.KindValidation}},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			fake := newFake(t)
			fake.SetRoles([]devinsandbox.Role{
				{ID: "role_7f3a", Name: "Admin", Type: "account"},
				{ID: "account_member", Name: "Member", Type: "account"},
				{ID: "role_billing", Name: "Billing Viewer", Type: "account"},
				{ID: "org_admin", Name: "Org Admin", Type: "org"},
			})
			c, _ := newClient(t, fake)
			res, err := c.Invite(context.Background(), devin.InviteRequest{Emails: []string{"z@example.com"}, Role: tt.role})
			if tt.wantErr != nil {
				var e *apiclient.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, tt.wantErr.Kind, e.Kind)
				if tt.wantErr.Message != "" {
					assert.Equal(t, tt.wantErr.Message, e.Message)
				}
				assert.Nil(t, res)
				assert.Zero(t, fake.Count("POST", "/members/invite"), "nothing is sent for an unknown role")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, devin.InviteCounts{Invited: 1}, res.Counts())
			m, _ := fake.MemberByEmail("z@example.com")
			if tt.wantRole == "" {
				assert.Zero(t, fake.Count("PATCH", "/members/roles"))
				assert.Equal(t, "account_member", m.Role)
				return
			}
			assert.Equal(t, tt.wantRole, m.Role)
		})
	}
}

func TestInviteAdminFallsBackWhenRolesIsDown(t *testing.T) {
	fake := newFake(t)
	fake.Fail("GET", "/roles", 500, -1)
	c, _ := newClient(t, fake)
	res, err := c.Invite(context.Background(), devin.InviteRequest{Emails: []string{"z@example.com"}, Role: "admin"})
	require.NoError(t, err)
	assert.Equal(t, devin.InviteCounts{Invited: 1}, res.Counts())
	m, _ := fake.MemberByEmail("z@example.com")
	assert.Equal(t, "account_admin", m.Role)
}

func TestInviteFailedChunkDoesNotStopTheOthers(t *testing.T) {
	fake := newFake(t)
	fake.Fail("POST", "/members/invite", 500, 1)
	c, _ := newClient(t, fake)
	list := emails("c", 250)

	res, err := c.Invite(context.Background(), devin.InviteRequest{Emails: list})
	require.NoError(t, err)
	assert.Equal(t, 3, fake.Count("POST", "/members/invite"), "a POST is not retried on 500")
	assert.Equal(t, devin.InviteCounts{Invited: 150, Failed: 100}, res.Counts())
	for _, o := range res.Outcomes[:100] {
		assert.Equal(t, devin.StatusFailed, o.Status)
		assert.Equal(t, "Devin API is having trouble (500); try again in a few minutes.", o.Reason)
	}
}

func TestInviteStopsOnAuthFailure(t *testing.T) {
	for _, status := range []int{401, 403} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			fake := newFake(t)
			fake.Fail("POST", "/members/invite", status, 1)
			c, _ := newClient(t, fake)
			res, err := c.Invite(context.Background(), devin.InviteRequest{Emails: emails("d", 250)})

			require.Error(t, err)
			assert.ErrorIs(t, err, map[int]error{401: apiclient.ErrUnauthorized, 403: apiclient.ErrForbidden}[status])
			assert.Equal(t, 1, fake.Count("POST", "/members/invite"), "nothing more is sent")
			require.NotNil(t, res)
			assert.Equal(t, devin.InviteCounts{Failed: 250}, res.Counts())
			assert.Empty(t, fake.Members())
		})
	}
}

func TestInviteRoleFailureMarksItemsFailed(t *testing.T) {
	fake := newFake(t)
	old := fake.AddMember(devinsandbox.Member{Email: "old@example.com"})
	fake.Fail("PATCH", "/members/roles", 500, 1)
	c, _ := newClient(t, fake)

	res, err := c.Invite(context.Background(), devin.InviteRequest{Emails: []string{"n@example.com", "old@example.com"}, Role: "admin"})
	require.NoError(t, err)
	assert.Equal(t, 1, fake.Count("PATCH", "/members/roles"), "a PATCH is not retried on 500")
	msg := "Devin API is having trouble (500); try again in a few minutes."
	assert.Equal(t, []devin.InviteOutcome{
		{Email: "n@example.com", UserID: devinsandbox.UserIDFor("n@example.com"), Status: devin.StatusFailed,
			Reason: "invited, but the role was not set: " + msg},
		{Email: "old@example.com", UserID: old.UserID, Status: devin.StatusFailed,
			Reason: "already a member, but the role was not set: " + msg},
	}, res.Outcomes)
}

func TestInviteOrgFailureMarksItemsFailed(t *testing.T) {
	fake := newFake(t)
	c, _ := newClient(t, fake)
	res, err := c.Invite(context.Background(), devin.InviteRequest{Emails: []string{"n@example.com"}, OrgID: "org-missing"})
	require.NoError(t, err)
	require.Len(t, res.Outcomes, 1)
	assert.Equal(t, devin.StatusFailed, res.Outcomes[0].Status)
	assert.Equal(t, "invited, but not added to the organization: Devin API could not find that (404): Organization not found.",
		res.Outcomes[0].Reason)
	assert.Equal(t, devinsandbox.UserIDFor("n@example.com"), res.Outcomes[0].UserID)
}

func TestInviteExampleShapes(t *testing.T) {
	fake := newFake(t)
	fake.UseExampleShapes(true)
	org := fake.AddOrg(devinsandbox.Org{Name: "Eng"})
	old := fake.AddMember(devinsandbox.Member{Email: "old@example.com"})
	c, _ := newClient(t, fake)

	// The examples' answer lists invited emails without IDs; the org step needs the
	// IDs, so the client looks them up.
	res, err := c.Invite(context.Background(), devin.InviteRequest{
		Emails: []string{"n1@example.com", "old@example.com"}, OrgID: org.ID,
	})
	require.NoError(t, err)
	assert.Equal(t, []devin.InviteOutcome{
		{Email: "n1@example.com", UserID: devinsandbox.UserIDFor("n1@example.com"), Status: devin.StatusInvited},
		{Email: "old@example.com", UserID: old.UserID, Status: devin.StatusAlreadyMember},
	}, res.Outcomes)
	got, _ := fake.OrgByID(org.ID)
	assert.Len(t, got.Members, 2)
}

func TestInviteLookupFailure(t *testing.T) {
	fake := newFake(t)
	fake.AddMember(devinsandbox.Member{Email: "old@example.com"})
	fake.Fail("GET", "/members", 500, -1)
	c, _ := newClient(t, fake)
	res, err := c.Invite(context.Background(), devin.InviteRequest{Emails: []string{"new@example.com", "old@example.com"}})
	require.NoError(t, err)
	assert.Equal(t, devin.StatusInvited, res.Outcomes[0].Status)
	assert.Equal(t, devin.StatusFailed, res.Outcomes[1].Status)
	assert.Equal(t, "its invitation could not be checked: Devin API is having trouble (500); try again in a few minutes.",
		res.Outcomes[1].Reason)
}
