package executor_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/executor"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// orgAddFake has five enterprise members: ada an org admin and grace an org member of
// org-eng, and linus, margaret and ken in the enterprise only.
func orgAddFake(t *testing.T) (*devinsandbox.Server, *executor.OrgAdd, map[string]string) {
	t.Helper()
	fake, c := newDevinFake(t)
	ids := map[string]string{}
	for _, e := range []string{"ada@x.io", "grace@x.io", "linus@x.io", "margaret@x.io", "ken@x.io"} {
		ids[e] = fake.AddMember(devinsandbox.Member{Email: e}).UserID
	}
	fake.AddOrg(devinsandbox.Org{ID: "org-eng", Name: "Engineering",
		Members: map[string]string{ids["ada@x.io"]: "org_admin", ids["grace@x.io"]: "org_member"}})
	fake.ResetRequests()
	a := executor.NewOrgAdd(c)
	return fake, &a, ids
}

func orgAddRequest(role string, ids map[string]string, emails ...string) approvals.Request {
	userIDs := make([]string, len(emails))
	for i, e := range emails {
		userIDs[i] = ids[e]
	}
	raw, _ := json.Marshal(userIDs)
	return approvals.Request{Action: approvals.ActionOrgAdd, Org: "org-eng", Items: emails, Role: role,
		Params: map[string]string{"org_name": "Engineering", "user_ids": string(raw)}}
}

// posts are the bodies of the POSTs adding members, as sent.
func posts(fake *devinsandbox.Server) []map[string]any {
	var out []map[string]any
	for _, r := range fake.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/members") {
			var body map[string]any
			_ = json.Unmarshal(r.Body, &body)
			out = append(out, body)
		}
	}
	return out
}

func body(role string, userIDs ...string) map[string]any {
	ids := make([]any, len(userIDs))
	for i, id := range userIDs {
		ids[i] = id
	}
	return map[string]any{"org_ids": []any{"org-eng"}, "user_ids": ids, "org_role": role}
}

func TestExecutorOrgAdd(t *testing.T) {
	t.Run("as members: new people added in one call; members and admins left as they are", func(t *testing.T) {
		fake, a, ids := orgAddFake(t)
		out, err := a.Execute(context.Background(), orgAddRequest("member", ids, "linus@x.io", "grace@x.io", "ada@x.io", "margaret@x.io", "LINUS@x.io"))
		require.NoError(t, err)
		assert.Equal(t, []approvals.ItemOutcome{
			{Item: "linus@x.io", Status: approvals.OutcomeAdded, Reason: "as member"},
			{Item: "grace@x.io", Status: approvals.OutcomeAlreadyMember, Reason: "as member"},
			{Item: "ada@x.io", Status: approvals.OutcomeAlreadyMember, Reason: "as admin"},
			{Item: "margaret@x.io", Status: approvals.OutcomeAdded, Reason: "as member"},
			{Item: "LINUS@x.io", Status: approvals.OutcomeAdded, Reason: "as member"},
		}, out)
		assert.Equal(t, []map[string]any{body("org_member", ids["linus@x.io"], ids["margaret@x.io"])}, posts(fake))
		assert.Zero(t, fake.Count("GET", "/members"), "the stored user IDs are used, not looked up again")
		org, _ := fake.OrgByID("org-eng")
		assert.Equal(t, "org_admin", org.Members[ids["ada@x.io"]], "nobody is demoted")
		assert.Equal(t, "org_member", org.Members[ids["linus@x.io"]])

		again, err := a.Execute(context.Background(), orgAddRequest("member", ids, "linus@x.io", "margaret@x.io"))
		require.NoError(t, err)
		assert.Equal(t, []approvals.ItemOutcome{
			{Item: "linus@x.io", Status: approvals.OutcomeAlreadyMember, Reason: "as member"},
			{Item: "margaret@x.io", Status: approvals.OutcomeAlreadyMember, Reason: "as member"},
		}, again, "a run after a crash sends nothing")
		assert.Len(t, posts(fake), 1)
	})
	t.Run("as admins: new people added and members promoted in one call", func(t *testing.T) {
		fake, a, ids := orgAddFake(t)
		out, err := a.Execute(context.Background(), orgAddRequest("admin", ids, "grace@x.io", "linus@x.io", "ada@x.io"))
		require.NoError(t, err)
		assert.Equal(t, []approvals.ItemOutcome{
			{Item: "grace@x.io", Status: approvals.OutcomeUpdated, Reason: "member → admin"},
			{Item: "linus@x.io", Status: approvals.OutcomeAdded, Reason: "as admin"},
			{Item: "ada@x.io", Status: approvals.OutcomeAlreadyMember, Reason: "as admin"},
		}, out)
		assert.Equal(t, []map[string]any{body("org_admin", ids["linus@x.io"], ids["grace@x.io"])}, posts(fake))
		org, _ := fake.OrgByID("org-eng")
		assert.Equal(t, "org_admin", org.Members[ids["grace@x.io"]])
	})
	t.Run("a custom org role is kept as member, replaced only to become admin", func(t *testing.T) {
		fake, a, ids := orgAddFake(t)
		fake.AddOrg(devinsandbox.Org{ID: "org-x", Name: "X", Members: map[string]string{ids["linus@x.io"]: "org_viewer"}})
		req := orgAddRequest("member", ids, "linus@x.io")
		req.Org = "org-x"
		out, err := a.Execute(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, []approvals.ItemOutcome{{Item: "linus@x.io", Status: approvals.OutcomeAlreadyMember, Reason: "as viewer"}}, out)
		req.Role = "admin"
		out, err = a.Execute(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, []approvals.ItemOutcome{{Item: "linus@x.io", Status: approvals.OutcomeUpdated, Reason: "viewer → admin"}}, out)
	})
	t.Run("someone left the enterprise since: the others are still added, one by one", func(t *testing.T) {
		fake, a, ids := orgAddFake(t)
		req := orgAddRequest("member", ids, "linus@x.io", "ken@x.io", "margaret@x.io")
		_, err := executorRemoveMember(fake, ids["ken@x.io"])
		require.NoError(t, err)
		out, err := a.Execute(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, approvals.OutcomeAdded, out[0].Status)
		assert.Equal(t, approvals.OutcomeFailed, out[1].Status)
		assert.Contains(t, out[1].Reason, "not found in enterprise")
		assert.Equal(t, approvals.OutcomeAdded, out[2].Status)
		assert.Equal(t, []map[string]any{
			body("org_member", ids["linus@x.io"], ids["ken@x.io"], ids["margaret@x.io"]),
			body("org_member", ids["linus@x.io"]), body("org_member", ids["ken@x.io"]), body("org_member", ids["margaret@x.io"]),
		}, posts(fake))
	})
	t.Run("a request stored without user IDs looks them up by email", func(t *testing.T) {
		fake, a, ids := orgAddFake(t)
		req := orgAddRequest("member", ids, "linus@x.io", "nobody@x.io")
		req.Params = map[string]string{"org_name": "Engineering"}
		out, err := a.Execute(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, []approvals.ItemOutcome{
			{Item: "linus@x.io", Status: approvals.OutcomeAdded, Reason: "as member"},
			{Item: "nobody@x.io", Status: approvals.OutcomeFailed, Reason: "not a member of the Devin enterprise (any more)"},
		}, out)
		assert.Equal(t, 2, fake.Count("GET", "/members"))
		assert.Equal(t, []map[string]any{body("org_member", ids["linus@x.io"])}, posts(fake))
	})
	t.Run("the organization's members cannot be read: nothing is sent", func(t *testing.T) {
		fake, a, ids := orgAddFake(t)
		fake.Fail("GET", "/organizations/org-eng/members", 503, 1)
		out, err := a.Execute(context.Background(), orgAddRequest("member", ids, "linus@x.io", "grace@x.io"))
		require.Error(t, err)
		for _, o := range out {
			assert.Equal(t, approvals.OutcomeFailed, o.Status)
			assert.Contains(t, o.Reason, "could not read the organization's members: ")
		}
		assert.Empty(t, posts(fake))
	})
	t.Run("the add fails for everyone: only the people to add fail", func(t *testing.T) {
		fake, a, ids := orgAddFake(t)
		fake.Fail("POST", "/organizations/org-eng/members", 500, 1)
		out, err := a.Execute(context.Background(), orgAddRequest("member", ids, "linus@x.io", "grace@x.io"))
		require.Error(t, err)
		assert.Equal(t, approvals.OutcomeFailed, out[0].Status)
		assert.Contains(t, out[0].Reason, "Devin API")
		assert.Equal(t, approvals.OutcomeAlreadyMember, out[1].Status)
		assert.Len(t, posts(fake), 1, "a POST is not retried on 500, nor sent one by one")
	})
	t.Run("an unknown role is not sent", func(t *testing.T) {
		fake, a, ids := orgAddFake(t)
		out, err := a.Execute(context.Background(), orgAddRequest("owner", ids, "linus@x.io"))
		require.NoError(t, err)
		assert.Equal(t, approvals.OutcomeFailed, out[0].Status)
		assert.Empty(t, fake.Requests())
	})
}

// executorRemoveMember removes a member from the enterprise through the fake's API,
// as an admin would outside the bot.
func executorRemoveMember(fake *devinsandbox.Server, userID string) (int, error) {
	req, err := newRequest("DELETE", fake.URL()+"/v2/enterprise/members/"+userID, fake.APIKey())
	if err != nil {
		return 0, err
	}
	resp, err := fake.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	fake.ResetRequests()
	return resp.StatusCode, nil
}

func newRequest(method, url, key string) (*http.Request, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	return req, nil
}
