package approvalslack_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
)

func TestCardPerState(t *testing.T) {
	base := approvals.Request{
		ID: "R7K3QX0", Action: approvals.ActionTeamAdd, Requester: "UREQ", Team: "ent:platform",
		Items: []string{"octocat", "hubot"}, Reason: "on-call", CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour),
	}
	decided := t0.Add(5 * time.Minute)
	tests := []struct {
		name        string
		mutate      func(*approvals.Request)
		votes       approvals.Progress
		wantButtons bool
		want        []string
		notWant     []string
	}{
		{
			name: "pending", mutate: func(r *approvals.Request) { r.State = approvals.StatePending },
			votes: approvals.Progress{Approvers: []string{"U1"}, Required: 2}, wantButtons: true,
			want: []string{"Approval needed: add to GitHub team ent:platform", "*Team:* ent:platform", "octocat, hubot",
				"*Reason:* on-call", "Request `R7K3QX0`", "expires <!date^", "Approvals: 1 of 2 — <@U1>"},
		},
		{
			name: "pending without a reason", mutate: func(r *approvals.Request) { r.State = approvals.StatePending; r.Reason = "" },
			wantButtons: true, want: []string{"*Reason:* _none given_", "Approvals: 0 of 1"},
		},
		{
			name: "executing", mutate: func(r *approvals.Request) {
				r.State, r.DecidedBy, r.DecidedAt = approvals.StateExecuting, "U1,U2", decided
			},
			want:    []string{"Approved, running: add to GitHub team", "*Approved by* <@U1>, <@U2> at <!date^1741082820^", "Running now"},
			notWant: []string{"expires", "Approvals:"},
		},
		{
			name: "done", mutate: func(r *approvals.Request) {
				r.State, r.DecidedBy, r.DecidedAt, r.DoneAt = approvals.StateDone, "U1", decided, decided
				r.Outcomes = outcomes("octocat", "already_member", "hubot", "added")
			},
			want: []string{"Done: add to GitHub team", "*Approved by* <@U1>", "*Outcome:* 1 added, 1 already a member",
				"• octocat — already a member", "• hubot — added"},
		},
		{
			name: "failed lists failures first", mutate: func(r *approvals.Request) {
				r.State, r.DecidedBy, r.DecidedAt, r.DoneAt = approvals.StateFailed, "U1", decided, decided
				r.Outcomes = []approvals.ItemOutcome{{Item: "octocat", Status: "added"}, {Item: "hubot", Status: "failed", Reason: "unknown user"}}
			},
			want: []string{"Failed: add to GitHub team", "finished with failures", "1 added, 1 failed", "• hubot — failed: unknown user\n• octocat — added"},
		},
		{
			name: "denied", mutate: func(r *approvals.Request) {
				r.State, r.DecidedBy, r.DecidedAt, r.DenyReason = approvals.StateDenied, "U2", decided, "not this quarter"
			},
			want: []string{"Denied: add to GitHub team", "*Denied by* <@U2>", "*Deny reason:* not this quarter"},
		},
		{
			name: "expired", mutate: func(r *approvals.Request) { r.State = approvals.StateExpired },
			want: []string{"Expired: add to GitHub team", "*Expired* at <!date^1741168920^"},
		},
		{
			name: "cancelled", mutate: func(r *approvals.Request) {
				r.State, r.DecidedBy, r.DecidedAt = approvals.StateCancelled, "UREQ", decided
			},
			want:    []string{"Cancelled: add to GitHub team", ":no_entry_sign: *Cancelled by* <@UREQ> at <!date^1741082820^"},
			notWant: []string{"expires", "Approvals:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.mutate(&r)
			m := approvalslack.Card(r, tt.votes)
			assertBlockKitLimits(t, m)
			assert.Equal(t, tt.wantButtons, actionsBlock(t, m) != nil)
			all := texts(t, m)
			for _, w := range tt.want {
				assert.Contains(t, all, w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, all, w)
			}
		})
	}
}

func TestCardHeaders(t *testing.T) {
	for action, want := range map[approvals.Action]string{
		approvals.ActionInvite:     "Approval needed: invite to Devin",
		approvals.ActionTeamAdd:    "Approval needed: add to GitHub team ent:x",
		approvals.ActionTeamRemove: "Approval needed: remove from GitHub team ent:x",
	} {
		m := approvalslack.Card(approvals.Request{ID: "R1", Action: action, Team: "ent:x", Items: []string{"a"}, State: approvals.StatePending}, approvals.Progress{})
		blocks := blockMaps(t, m.Blocks)
		require.Equal(t, "header", blocks[0]["type"])
		assert.Equal(t, want, blocks[0]["text"].(map[string]any)["text"])
	}
}

func TestCardWorstCaseInputStaysWithinLimits(t *testing.T) {
	amp := strings.Repeat("&", 5000) // escapes five-fold
	items := make([]string, 1000)
	for i := range items {
		items[i] = strings.Repeat("<", 300)
	}
	outs := make([]approvals.ItemOutcome, len(items))
	for i, it := range items {
		outs[i] = approvals.ItemOutcome{Item: it, Status: "failed", Reason: amp}
	}
	for _, state := range []approvals.State{approvals.StatePending, approvals.StateDenied, approvals.StateFailed} {
		r := approvals.Request{
			ID: "R7K3QX0", Action: approvals.ActionInvite, Requester: "UREQ", Role: amp, Org: amp, Team: amp,
			Items: items, Reason: amp, DenyReason: amp, DecidedBy: strings.Repeat("U1,", 50), State: state, Outcomes: outs,
			Params: map[string]string{approvals.ParamSummary: amp},
		}
		m := approvalslack.Card(r, approvals.Progress{Approvers: strings.Split(strings.Repeat("U1,", 100), ","), Required: 100})
		assertBlockKitLimits(t, m)
	}
}

func TestDenyModal(t *testing.T) {
	v := approvalslack.DenyModal(approvals.Request{ID: "R7K3QX0", Action: approvals.ActionInvite, Requester: "UREQ"})
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	assert.Equal(t, "modal", m["type"])
	assert.Equal(t, "deny_reason", m["callback_id"])
	assert.Equal(t, "R7K3QX0", m["private_metadata"])
	assert.LessOrEqual(t, len(m["title"].(map[string]any)["text"].(string)), 24)
	blocks := m["blocks"].([]any)
	input := blocks[len(blocks)-1].(map[string]any)
	assert.Equal(t, "input", input["type"])
	assert.Equal(t, "reason", input["block_id"])
	assert.Equal(t, true, input["optional"])
	el := input["element"].(map[string]any)
	assert.Equal(t, "plain_text_input", el["type"])
	assert.Equal(t, "reason", el["action_id"])
	assert.EqualValues(t, 500, el["max_length"])
	assert.NotNil(t, m["submit"], "a view with an input needs a submit button")
}

// The summary of outcomes on a card is escaped: a status from the store cannot ping.
func TestCardEscapesOutcomeSummary(t *testing.T) {
	m := approvalslack.Card(approvals.Request{ID: "R1", Action: approvals.ActionInvite, Items: []string{"a"},
		State: approvals.StateFailed, Outcomes: outcomes("a", "weird<!x>")}, approvals.Progress{})
	all := texts(t, m)
	assert.Contains(t, all, "1 weird&lt;!x&gt;")
	assert.NotContains(t, all, "<!x>")
}

func TestCardShowsThePlan(t *testing.T) {
	r := approvals.Request{ID: "R1", Action: approvals.ActionInvite, Requester: "U1", Items: []string{"a@b.c"}, State: approvals.StatePending,
		Plan: []string{"limit now 1,000, after <!channel>", "warning: the person is an enterprise admin"}}
	text := texts(t, approvalslack.Card(r, approvals.Progress{}))
	assert.Contains(t, text, "*Checked before asking:*\n• limit now 1,000, after &lt;!channel&gt;\n:warning: *the person is an enterprise admin*")
}

func TestCardOrgLimitReadsAsNumbers(t *testing.T) {
	r := approvals.Request{ID: "R1", Action: approvals.ActionOrgLimit, Requester: "U1", Org: "org-eng", Items: []string{"Engineering"},
		State: approvals.StatePending, Params: map[string]string{"limit": "2000", "limit_before": "none"}}
	assert.Contains(t, texts(t, approvalslack.Card(r, approvals.Progress{})), "*Limit:* none → *2,000*")
}

// TestCardPlanSummary: the plan's summary is the line right under the title, in every
// state, escaped; a request without one has no such line.
func TestCardPlanSummary(t *testing.T) {
	base := approvals.Request{
		ID: "R7K3QX0", Action: approvals.ActionTeamAdd, Requester: "UREQ", Team: "ent:platform",
		Items: []string{"octocat", "hubot", "mona"}, CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour),
		Params: map[string]string{
			approvals.ParamSummary:  "adds 2 to ent:platform; 1 already a member",
			approvals.ParamNoChange: `["hubot"]`,
		},
		Plan: []string{"to add (2): octocat, mona", "already in ent:platform — no change (1): hubot"},
	}
	tests := []struct {
		name   string
		mutate func(*approvals.Request)
		want   string // the second block's text; "" for none
	}{
		{"pending", func(r *approvals.Request) { r.State = approvals.StatePending },
			"*Plan:* adds 2 to ent:platform; 1 already a member"},
		{"done", func(r *approvals.Request) {
			r.State, r.DecidedBy, r.DecidedAt, r.DoneAt = approvals.StateDone, "U1", t0, t0
			r.Outcomes = outcomes("octocat", "added", "hubot", "already_member", "mona", "added")
		}, "*Plan:* adds 2 to ent:platform; 1 already a member"},
		{"escaped", func(r *approvals.Request) {
			r.State = approvals.StatePending
			r.Params = map[string]string{approvals.ParamSummary: "invites 1 <!channel> & <@U1>"}
		}, "*Plan:* invites 1 &lt;!channel&gt; &amp; &lt;@U1&gt;"},
		{"no summary", func(r *approvals.Request) { r.State = approvals.StatePending; r.Params = nil }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.mutate(&r)
			m := approvalslack.Card(r, approvals.Progress{Required: 1})
			assertBlockKitLimits(t, m)
			blocks := blockMaps(t, m.Blocks)
			require.Equal(t, "header", blocks[0]["type"])
			second := blocks[1]["text"].(map[string]any)["text"].(string)
			if tt.want == "" {
				assert.NotContains(t, texts(t, m), "*Plan:*")
				assert.True(t, strings.HasPrefix(second, "*Requested by:*"), second)
				return
			}
			assert.Equal(t, tt.want, second)
			assert.Equal(t, 1, strings.Count(texts(t, m), "*Plan:*"), "once")
			assert.Contains(t, texts(t, m), "*Checked before asking:*\n• to add (2): octocat, mona\n• already in ent:platform — no change (1): hubot")
		})
	}
}
