package approvalslack_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/slackui"
)

func manyEmails(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("new.hire.number.%04d@example.com", i)
	}
	return out
}

// showAllButtons lists the "Show all" buttons of a card with the block_id they sit in.
func showAllButtons(t *testing.T, m slackui.Message) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, b := range blockMaps(t, m.Blocks) {
		acc, _ := b["accessory"].(map[string]any)
		if acc != nil && acc["action_id"] == approvalslack.ActionIDShowItems {
			out[b["block_id"].(string)] = acc
		}
	}
	return out
}

func TestCardShowAllButton(t *testing.T) {
	long := manyEmails(250)
	// 30 short items fit the item list but not the 25 outcome lines.
	short := make([]string, 30)
	for i := range short {
		short[i] = fmt.Sprintf("u%02d@x.io", i)
	}
	done := func(items []string) []approvals.ItemOutcome {
		out := make([]approvals.ItemOutcome, len(items))
		for i, it := range items {
			out[i] = approvals.ItemOutcome{Item: it, Status: approvals.OutcomeInvited}
		}
		return out
	}
	tests := []struct {
		name     string
		req      approvals.Request
		want     bool   // a Show all button
		inBlock  string // the section it sits on: "Emails" or "Outcome"
		wantText string
	}{
		{name: "short list: none", req: approvals.Request{State: approvals.StatePending, Items: []string{"a@x.io"}}},
		{name: "pending, cut", req: approvals.Request{State: approvals.StatePending, Items: long},
			want: true, inBlock: "*Emails (250):*", wantText: "Show all 250"},
		{name: "done, items cut: on the items", req: approvals.Request{State: approvals.StateDone, Items: long, Outcomes: done(long)},
			want: true, inBlock: "*Emails (250):*"},
		{name: "done, only the outcomes cut: on the outcomes", req: approvals.Request{State: approvals.StateDone, Items: short, Outcomes: done(short)},
			want: true, inBlock: "*Outcome:*", wantText: "Show all 30"},
		{name: "cancelled, cut: still there", req: approvals.Request{State: approvals.StateCancelled, DecidedBy: "UA", Items: long},
			want: true, inBlock: "*Emails (250):*"},
		{name: "1,000 items: grouped digits", req: approvals.Request{State: approvals.StatePending, Items: manyEmails(1000)},
			want: true, wantText: "Show all 1,000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req
			r.ID, r.Action, r.Requester, r.CreatedAt, r.ExpiresAt = "R7K3QX0", approvals.ActionInvite, requester, t0, t0.Add(24*time.Hour)
			card := approvalslack.Card(r, approvals.Progress{Required: 1})
			assertBlockKitLimits(t, card)
			buttons := showAllButtons(t, card)
			if !tt.want {
				assert.Empty(t, buttons)
				return
			}
			require.Len(t, buttons, 1, "one Show all per card")
			btn, ok := buttons[approvalslack.ItemsBlockIDPrefix+r.ID]
			require.True(t, ok, "block_id items:<ID>: %v", buttons)
			assert.Equal(t, r.ID, btn["value"])
			assert.Equal(t, "button", btn["type"])
			if tt.wantText != "" {
				assert.Equal(t, tt.wantText, btn["text"].(map[string]any)["text"])
			}
			if tt.inBlock != "" {
				for _, b := range blockMaps(t, card.Blocks) {
					if b["block_id"] == approvalslack.ItemsBlockIDPrefix+r.ID {
						assert.Contains(t, b["text"].(map[string]any)["text"], tt.inBlock)
					}
				}
			}
			assert.Equal(t, r.State == approvals.StatePending, actionsBlock(t, card) != nil,
				"Approve and Deny stay in their own block, pending only")
		})
	}
}

// clickShowAll clicks the card's "Show all" button as Slack would send it.
func (e *env) clickShowAll(user string, r approvals.Request, ts string) bool {
	return e.svc.HandleInteraction(context.Background(), slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user},
		Channel:   slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: r.CardChannel}}},
		Container: slack.Container{ChannelID: r.CardChannel, MessageTs: ts},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{
			BlockID: approvalslack.ItemsBlockIDPrefix + r.ID, ActionID: approvalslack.ActionIDShowItems, Value: r.ID,
		}}},
	})
}

func TestShowAllFitsBesideTheCard(t *testing.T) {
	e := newEnv(t)
	emails := manyEmails(250)
	emails[7] = "<!channel>&co@example.com" // user text stays inert
	r := e.submit(inviteSub(emails...))
	require.NotEmpty(t, showAllButtons(t, e.poster.card(r.CardTS)))

	require.True(t, e.clickShowAll("UX", r, r.CardTS), "anyone may click it: it is read-only")
	e.poster.mu.Lock()
	ephs := append([]sent(nil), e.poster.ephemerals...)
	e.poster.mu.Unlock()
	require.Len(t, ephs, 1)
	m := ephs[0]
	assert.Equal(t, "UX", m.User)
	assert.Equal(t, approvalChannel, m.Channel, "beside the card")
	assertBlockKitLimits(t, m.Msg)
	all := texts(t, m.Msg)
	assert.Contains(t, all, "All 250 emails of request `"+r.ID+"` (invite to Devin)")
	for i, em := range emails {
		if i == 7 {
			continue
		}
		assert.Contains(t, all+"\n", "• "+em+"\n", "every item, one a line")
	}
	assert.Contains(t, all, "&lt;!channel&gt;&amp;co@example.com")
	assert.NotContains(t, all, "<!channel>")
	assert.NotContains(t, all, "…and", "nothing is cut")
	for _, leak := range []string{"new hires", "Approve", "*Role:*"} {
		assert.NotContains(t, all, leak, "only the list the card cut")
	}
	assert.Empty(t, e.poster.filesTo("UX"))
	assert.Equal(t, approvals.StatePending, e.get(r.ID).State, "read-only")
}

func TestShowAllTooLongGoesToADMFile(t *testing.T) {
	e := newEnv(t)
	emails := manyEmails(1000)
	r := e.submit(inviteSub(emails...))
	e.click("UA", r.ID, true)
	r = e.get(r.ID)
	require.Equal(t, approvals.StateDone, r.State)

	require.True(t, e.clickShowAll("UX", r, r.CardTS))
	files := e.poster.filesTo("UX")
	require.Len(t, files, 1)
	f := files[0]
	assert.Equal(t, r.ID+"-emails.txt", f.Name)
	assert.Contains(t, f.Title, "all 1,000 emails")
	assert.Contains(t, f.Comment, "`"+r.ID+"`")
	lines := strings.Split(strings.TrimSpace(string(f.Data)), "\n")
	assert.Equal(t, "Request "+r.ID+": invite to Devin", lines[0])
	assert.Equal(t, "1,000 emails", lines[1])
	assert.Len(t, lines, 3+1000, "a heading, a count, a blank line, then one line per item")
	assert.Contains(t, lines, emails[999]+" — invited", "with its outcome")
	assert.True(t, utf8.Valid(f.Data))

	got := e.poster.ephemeralsTo("UX")
	require.Len(t, got, 1)
	assert.Contains(t, got[0], "I sent you all 1,000 emails of request `"+r.ID+"` as a text file in a direct message.")

	t.Run("the upload fails: the clicker is told", func(t *testing.T) {
		e.poster.mu.Lock()
		e.poster.uploadErr = errors.New("ratelimited")
		e.poster.mu.Unlock()
		require.True(t, e.clickShowAll("UY", r, r.CardTS))
		got := e.poster.ephemeralsTo("UY")
		require.Len(t, got, 1)
		assert.Contains(t, got[0], "could not send them to you as a file just now")
	})
}

func TestShowAllRefusals(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub(manyEmails(250)...))
	other := e.submit(inviteSub(manyEmails(300)...))

	// A button value naming another request than the card it sits on (forged).
	forged := r
	forged.ID = other.ID
	require.True(t, e.clickShowAll("UX", forged, r.CardTS))
	// An unknown request.
	unknown := r
	unknown.ID = "R0NOPE0"
	require.True(t, e.clickShowAll("UY", unknown, r.CardTS))

	assert.Equal(t, []string{"That button does not belong to this request's card."}, e.poster.ephemeralsTo("UX"))
	assert.Equal(t, []string{"Request R0NOPE0 does not exist."}, e.poster.ephemeralsTo("UY"))
	assert.Empty(t, e.poster.filesTo("UX"))
	assert.Empty(t, e.poster.filesTo("UY"))
}
