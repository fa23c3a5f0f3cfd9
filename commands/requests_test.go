package commands

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"devin-chatops/approvals"
)

func TestRequests(t *testing.T) {
	t.Run("pending requests with age and votes", func(t *testing.T) {
		e := newEnv()
		e.approvals.pending = []approvals.PendingView{
			{Request: approvals.Request{ID: "R0000A1", Action: approvals.ActionInvite, Requester: "U1", Items: []string{"a@x.io", "b@x.io"},
				Role: "admin", Org: "org_1", ExpiresAt: testNow.Add(22 * time.Hour)}, Age: 2 * time.Hour, Approvals: []string{"U7"}, Required: 2, Needed: 1},
			{Request: approvals.Request{ID: "R0000A2", Action: approvals.ActionTeamAdd, Requester: "U2", Items: []string{"octocat"}, Team: "ent:platform"},
				Age: 30 * time.Second, Required: 1, Needed: 1},
			{Request: approvals.Request{ID: "R0000A3", Action: approvals.ActionTeamRemove, Requester: "<!channel>", Items: []string{"a", "b", "c"}, Team: "ent:x"},
				Age: 3 * 24 * time.Hour},
		}
		r := e.run(t, "requests")
		text := blocksText(r.Message)
		assertInOrder(t, text, []string{
			"*3 requests* waiting for approval",
			"• `R0000A1` invite 2 people to Devin (as admin, into `org_1`) — by <@U1>, 2 h ago — approvals 1 of 2 — expires <!date^",
			"• `R0000A2` add 1 GitHub user to `ent:platform` — by <@U2>, just now — approvals 0 of 1\n",
			"• `R0000A3` remove 3 GitHub users from `ent:x` — by &lt;!channel&gt;, 3 days ago — approvals 0 of 1",
		})
		assert.NotContains(t, textOf(r.Message), "<!channel>")
	})
	t.Run("nothing pending", func(t *testing.T) {
		e := newEnv()
		r := e.run(t, "requests")
		assert.Contains(t, blocksText(r.Message), "*0 requests* waiting for approval\n_Nothing is waiting for approval._")
	})
	t.Run("many pending requests stay within limits", func(t *testing.T) {
		e := newEnv()
		for i := range 300 {
			e.approvals.pending = append(e.approvals.pending, approvals.PendingView{Request: approvals.Request{
				ID: fmt.Sprintf("R%06d", i), Action: approvals.ActionInvite, Requester: "U1", Items: []string{"a@x.io"}}, Required: 1})
		}
		r := e.run(t, "requests")
		assert.Contains(t, blocksText(r.Message), "…and 200 more")
	})
}

func TestAge(t *testing.T) {
	assert.Equal(t, "just now", age(59*time.Second))
	assert.Equal(t, "5 min ago", age(5*time.Minute))
	assert.Equal(t, "47 h ago", age(47*time.Hour))
	assert.Equal(t, "2 days ago", age(48*time.Hour))
}

func TestParseRequestsAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"requests", "requests", Requests{}},
	})
}
