package approvalslack_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
)

func TestNewMessengerRefusesApproversThatAreNotIDs(t *testing.T) {
	tests := []struct {
		name      string
		approvers []string
		wantErr   string
	}{
		{"users and groups", []string{"U0ALICE", "W0BOB", "S0ADMINS"}, ""},
		{"none", nil, ""},
		{"channel ping", []string{"U0ALICE", "<!channel>"}, `approver "<!channel>" is neither`},
		{"here", []string{"@here"}, `approver "@here" is neither`},
		{"a channel ID", []string{"C0GENERAL"}, `approver "C0GENERAL" is neither`},
		{"a handle", []string{"@alice"}, `approver "@alice" is neither`},
		{"lower case", []string{"u0alice"}, `approver "u0alice" is neither`},
		{"a mention already", []string{"<@U0ALICE>"}, `approver "<@U0ALICE>" is neither`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := approvalslack.NewMessenger(newFakePoster(), approvalChannel, nil, approvalslack.WithApprovers(tt.approvers))
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestCardMentionsApprovers(t *testing.T) {
	pending := approvals.Request{
		ID: "R7K3QX0", Action: approvals.ActionInvite, Requester: "UREQ", Items: []string{"a@example.com"},
		State: approvals.StatePending, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
	}
	const line = "Approvers: <@U0ALICE>, <@W0BOB>, <!subteam^S0ADMINS>"
	tests := []struct {
		name      string
		approvers []string
		state     approvals.State
		want      bool
	}{
		{"pending card asks the approvers", []string{"U0ALICE", "W0BOB", "S0ADMINS"}, approvals.StatePending, true},
		{"a decided card asks nobody", []string{"U0ALICE", "W0BOB", "S0ADMINS"}, approvals.StateDone, false},
		{"an expired card asks nobody", []string{"U0ALICE", "W0BOB", "S0ADMINS"}, approvals.StateExpired, false},
		{"no approvers given", nil, approvals.StatePending, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			poster := newFakePoster()
			m, err := approvalslack.NewMessenger(poster, approvalChannel, nil, approvalslack.WithApprovers(tt.approvers))
			require.NoError(t, err)
			r := pending
			ref, err := m.ShowRequest(context.Background(), r, approvals.Progress{Required: 1})
			require.NoError(t, err)
			r.State, r.CardChannel, r.CardTS, r.DecidedBy, r.DecidedAt = tt.state, ref.Channel, ref.TS, "U0ALICE", t0
			require.NoError(t, m.UpdateRequest(context.Background(), r, approvals.Progress{Required: 1}))

			card := poster.card(ref.TS)
			assertBlockKitLimits(t, card)
			all := texts(t, card)
			assert.NotContains(t, all, "<!channel>")
			assert.NotContains(t, all, "<!here>")
			if !tt.want {
				assert.NotContains(t, all, "Approvers:")
				assert.NotContains(t, all, "subteam")
				return
			}
			// In the fallback text, which Slack notifies with…
			assert.Contains(t, card.Text, "request `R7K3QX0` by <@UREQ>")
			assert.True(t, strings.HasSuffix(card.Text, " · "+line), card.Text)
			// …and on the card, just above the buttons.
			blocks := blockMaps(t, card.Blocks)
			require.GreaterOrEqual(t, len(blocks), 2)
			assert.Equal(t, "actions", blocks[len(blocks)-1]["type"])
			ctx := blocks[len(blocks)-2]
			assert.Equal(t, "context", ctx["type"])
			el := ctx["elements"].([]any)[0].(map[string]any)
			assert.Equal(t, "mrkdwn", el["type"])
			assert.Equal(t, line, el["text"])
		})
	}
}

func TestCardWithManyApproversStaysWithinLimits(t *testing.T) {
	ids := make([]string, 400)
	for i := range ids {
		ids[i] = fmt.Sprintf("U%08d", i)
	}
	poster := newFakePoster()
	m, err := approvalslack.NewMessenger(poster, approvalChannel, nil, approvalslack.WithApprovers(ids))
	require.NoError(t, err)
	r := approvals.Request{
		ID: "R7K3QX0", Action: approvals.ActionInvite, Requester: "UREQ", Items: []string{"a@example.com"},
		State: approvals.StatePending, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
	}
	ref, err := m.ShowRequest(context.Background(), r, approvals.Progress{Required: 1})
	require.NoError(t, err)
	card := poster.card(ref.TS)
	assertBlockKitLimits(t, card)
	assert.Contains(t, card.Text, "<@U00000000>, <@U00000001>")
	assert.Contains(t, card.Text, " more")
}
