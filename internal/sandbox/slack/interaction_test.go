package slacksandbox

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/clock/clocktest"
)

func respond(api *slack.Client, url string, opts ...slack.MsgOption) error {
	_, _, err := api.PostMessage("", append([]slack.MsgOption{slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral)}, opts...)...)
	return err
}

func TestResponseURLUsesAndExpiry(t *testing.T) {
	tests := []struct {
		name    string
		advance time.Duration
		posts   int // successful posts before the failing one
		want    string
	}{
		{name: "sixth use", posts: 5, want: "used_url"},
		{name: "after 30 minutes", advance: 30*time.Minute + time.Second, want: "expired_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newManualClock()
			opts := testOptions()
			opts.Now = clock.Now
			f := newFake(t, opts)
			api := newAPI(f)
			in := f.SlashCommand("U1", "C1", "help")
			for i := range tt.posts {
				require.NoError(t, respond(api, in.ResponseURL, slack.MsgOptionText("reply", false)), "post %d", i)
			}
			clock.Advance(tt.advance)
			err := respond(api, in.ResponseURL, slack.MsgOptionText("one too many", false))
			var sce slack.StatusCodeError
			require.True(t, errors.As(err, &sce), "got %T %v", err, err)
			assert.Equal(t, 404, sce.Code)
			assert.Len(t, in.Responses(), tt.posts)
			assert.Equal(t, tt.posts+1, f.Calls("response_url"))
		})
	}

	t.Run("29 minutes is still fine", func(t *testing.T) {
		clock := newManualClock()
		opts := testOptions()
		opts.Now = clock.Now
		f := newFake(t, opts)
		in := f.SlashCommand("U1", "C1", "help")
		clock.Advance(29 * time.Minute)
		require.NoError(t, respond(newAPI(f), in.ResponseURL, slack.MsgOptionText("late but ok", false)))
	})
}

func TestResponseURLEffects(t *testing.T) {
	f := newFake(t, testOptions())
	api := newAPI(f)
	ctx := ctxFor(t)

	t.Run("slash replies are ephemeral, in_channel posts, replace edits the last reply", func(t *testing.T) {
		in := f.SlashCommand("U1", "C9", "status")
		require.NoError(t, respond(api, in.ResponseURL, slack.MsgOptionText("working…", false)))
		r, err := in.WaitResponse(ctx)
		require.NoError(t, err)
		assert.Equal(t, "ephemeral", r.ResponseType)
		assert.Equal(t, "working…", r.Text)

		_, _, err = api.PostMessage("", slack.MsgOptionReplaceOriginal(in.ResponseURL), slack.MsgOptionText("done", false))
		require.NoError(t, err)
		r, err = in.WaitResponse(ctx)
		require.NoError(t, err)
		assert.True(t, r.ReplaceOriginal)
		eph, err := f.WaitEphemeral(ctx, func(e Ephemeral) bool { return e.Text == "done" })
		require.NoError(t, err)
		assert.Equal(t, 1, eph.Updates)
		assert.True(t, eph.ViaResponseURL)

		_, _, err = api.PostMessage("", slack.MsgOptionResponseURL(in.ResponseURL, slack.ResponseTypeInChannel), slack.MsgOptionText("for all", false))
		require.NoError(t, err)
		m, err := f.WaitMessage(ctx, func(m Message) bool { return m.Channel == "C9" && m.Text == "for all" })
		require.NoError(t, err)
		r, err = in.WaitResponse(ctx)
		require.NoError(t, err)
		assert.Equal(t, m.TS, r.TS)
	})

	t.Run("delete_original removes the clicked message", func(t *testing.T) {
		ts := postCard(t, api, "C2", "r9")
		in, err := f.ClickButton("U1", "C2", ts, "deny")
		require.NoError(t, err)
		_, _, err = api.PostMessage("", slack.MsgOptionDeleteOriginal(in.ResponseURL))
		require.NoError(t, err)
		_, err = f.WaitMessage(ctx, func(m Message) bool { return m.TS == ts && m.Deleted })
		require.NoError(t, err)
		assert.Empty(t, f.Messages("C2"))
		_, err = f.ClickButton("U1", "C2", ts, "deny")
		assert.Error(t, err)
	})
}

func TestClickButtonOnlyClicksWhatWasPosted(t *testing.T) {
	f := newFake(t, testOptions())
	f.AddUser("U1", "alice")
	f.AddUser("U2", "bob")
	api := newAPI(f)
	ts := postCard(t, api, "C1", "r1")
	updatedTS := postCard(t, api, "C1", "r2")
	_, _, _, err := api.UpdateMessage("C1", updatedTS, slack.MsgOptionText("Approved", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Approved", false, false), nil, nil)))
	require.NoError(t, err)
	ephTS, err := api.PostEphemeral("C1", "U1", slack.MsgOptionBlocks(approvalBlocks("r3")...))
	require.NoError(t, err)

	tests := []struct {
		name, user, ts, blockID, actionID string
		wantErr                           string
	}{
		{name: "posted button", user: "U2", ts: ts, actionID: "approve"},
		{name: "button in named block", user: "U2", ts: ts, blockID: "approval:r1", actionID: "deny"},
		{name: "own ephemeral", user: "U1", ts: ephTS, actionID: "approve"},
		{name: "never posted action", user: "U2", ts: ts, actionID: "escalate", wantErr: "no button"},
		{name: "wrong block", user: "U2", ts: ts, blockID: "approval:r2", actionID: "approve", wantErr: "no button"},
		{name: "removed by update", user: "U2", ts: updatedTS, actionID: "approve", wantErr: "no button"},
		{name: "unknown message", user: "U2", ts: "1.000000", actionID: "approve", wantErr: "no message"},
		{name: "someone else's ephemeral", user: "U2", ts: ephTS, actionID: "approve", wantErr: "shown to U1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := f.ClickBlockButton(tt.user, "C1", tt.ts, tt.blockID, tt.actionID)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.NotEmpty(t, in.EnvelopeID)
			assert.Contains(t, string(in.Payload), `"block_id":"approval:`)
		})
	}
}

func TestTriggerIDRules(t *testing.T) {
	modal := slack.ModalViewRequest{
		Type:  slack.VTModal,
		Title: slack.NewTextBlockObject(slack.PlainTextType, "Request access", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "hi", false, false), nil, nil),
		}},
	}
	tests := []struct {
		name    string
		prepare func(f *Server, clock *clocktest.Fake, api *slack.Client, trigger string) string
		want    string
	}{
		{name: "fresh", prepare: func(_ *Server, _ *clocktest.Fake, _ *slack.Client, trig string) string { return trig }},
		{name: "3 s is still fresh", prepare: func(_ *Server, c *clocktest.Fake, _ *slack.Client, trig string) string {
			c.Advance(3 * time.Second)
			return trig
		}},
		{name: "expired", want: "expired_trigger_id", prepare: func(_ *Server, c *clocktest.Fake, _ *slack.Client, trig string) string {
			c.Advance(3*time.Second + time.Millisecond)
			return trig
		}},
		{name: "used twice", want: "exchanged_trigger_id", prepare: func(_ *Server, _ *clocktest.Fake, api *slack.Client, trig string) string {
			_, err := api.OpenView(trig, modal)
			if err != nil {
				panic(err)
			}
			return trig
		}},
		{name: "unknown", want: "invalid_trigger_id", prepare: func(_ *Server, _ *clocktest.Fake, _ *slack.Client, _ string) string {
			return "123.456.abc"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newManualClock()
			opts := testOptions()
			opts.Now = clock.Now
			f := newFake(t, opts)
			api := newAPI(f)
			in := f.SlashCommand("U1", "C1", "request")
			trig := tt.prepare(f, clock, api, in.TriggerID)
			resp, err := api.OpenView(trig, modal)
			if tt.want != "" {
				requireErrCode(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			assert.Regexp(t, `^V[0-9A-Z]+$`, resp.ID)
			assert.NotEmpty(t, resp.Hash)
			assert.Equal(t, "Request access", resp.Title.Text)
		})
	}
}

func accessModal(title string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Send", false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		CallbackID:      "access_request",
		PrivateMetadata: `{"channel":"C1"}`,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("reason", slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "reason_input")),
			slack.NewInputBlock("team", slack.NewTextBlockObject(slack.PlainTextType, "Team", false, false), nil,
				slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "team_select",
					slack.NewOptionBlockObject("eng", slack.NewTextBlockObject(slack.PlainTextType, "Engineering", false, false), nil),
					slack.NewOptionBlockObject("ops", slack.NewTextBlockObject(slack.PlainTextType, "Operations", false, false), nil))),
		}},
	}
}

func TestViewSubmission(t *testing.T) {
	f := newFake(t, testOptions())
	b := connectedBot(t, f)
	ctx := ctxFor(t)

	in := f.SlashCommand("U1", "C1", "request")
	evt := b.next(t, socketmode.EventTypeSlashCommand)
	require.NoError(t, b.sm.Ack(*evt.Request))
	opened, err := b.api.OpenView(in.TriggerID, accessModal("Request access"))
	require.NoError(t, err)

	views := f.Views()
	require.Len(t, views, 1)
	assert.Equal(t, opened.ID, views[0].ID)
	assert.Equal(t, "U1", views[0].User)
	assert.Equal(t, "access_request", views[0].CallbackID)

	_, err = f.SubmitView("U1", opened.ID, map[string]map[string]string{"reason": {"nope": "x"}})
	assert.ErrorContains(t, err, "no input reason/nope")
	_, err = f.SubmitView("U2", opened.ID, nil)
	assert.ErrorContains(t, err, "open for U1")
	_, err = f.SubmitView("U1", opened.ID, map[string]map[string]string{"team": {"team_select": "sales"}})
	assert.ErrorContains(t, err, `no option with value "sales"`)

	submit := func(reason string) (*Interaction, slack.InteractionCallback) {
		t.Helper()
		sub, err := f.SubmitView("U1", opened.ID, map[string]map[string]string{
			"reason": {"reason_input": reason},
			"team":   {"team_select": "ops"},
		})
		require.NoError(t, err)
		evt := b.next(t, socketmode.EventTypeInteractive)
		return sub, evt.Data.(slack.InteractionCallback)
	}

	sub, cb := submit("")
	assert.Equal(t, slack.InteractionTypeViewSubmission, cb.Type)
	assert.Equal(t, opened.ID, cb.View.ID)
	assert.Equal(t, "access_request", cb.View.CallbackID)
	assert.Equal(t, `{"channel":"C1"}`, cb.View.PrivateMetadata)
	assert.Equal(t, opened.Hash, cb.View.Hash)
	require.NotNil(t, cb.View.State)
	assert.Equal(t, "plain_text_input", string(cb.View.State.Values["reason"]["reason_input"].Type))
	assert.Equal(t, "ops", cb.View.State.Values["team"]["team_select"].SelectedOption.Value)
	assert.Equal(t, "U1", cb.User.ID)
	assert.NotEmpty(t, cb.TriggerID)
	require.NoError(t, b.sm.Ack(*b.requestFor(t, sub), slack.NewErrorsViewSubmissionResponse(map[string]string{"reason": "Say why"})))
	v, err := f.WaitView(ctx, func(v View) bool { return v.Errors["reason"] == "Say why" })
	require.NoError(t, err)
	assert.False(t, v.Closed)

	sub, cb = submit("need prod access")
	assert.Equal(t, "need prod access", cb.View.State.Values["reason"]["reason_input"].Value)
	thanks := accessModal("Thanks")
	thanks.Blocks = slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Sent for approval", false, false), nil, nil)}}
	thanks.Submit = nil
	require.NoError(t, b.sm.Ack(*b.requestFor(t, sub), slack.NewUpdateViewSubmissionResponse(&thanks)))
	v, err = f.WaitView(ctx, func(v View) bool { return v.Updates == 1 })
	require.NoError(t, err)
	assert.Equal(t, "Thanks", v.Title)
	assert.Contains(t, v.AllText(), "Sent for approval")

	_, err = b.api.UpdateView(accessModal("Edited"), "", "stale-hash", opened.ID)
	requireErrCode(t, err, "hash_conflict")
	_, err = b.api.UpdateView(accessModal("Edited"), "", v.Hash, opened.ID)
	require.NoError(t, err)

	sub, _ = submit("again")
	require.NoError(t, b.sm.Ack(*b.requestFor(t, sub), slack.NewClearViewSubmissionResponse()))
	_, err = f.WaitView(ctx, func(v View) bool { return v.Closed })
	require.NoError(t, err)
	_, err = f.SubmitView("U1", opened.ID, nil)
	assert.ErrorContains(t, err, "closed")
	assert.Empty(t, f.Violations())
}

// requestFor rebuilds the socketmode request for an interaction the test already read.
func (b *bot) requestFor(t *testing.T, in *Interaction) *socketmode.Request {
	t.Helper()
	return &socketmode.Request{EnvelopeID: in.EnvelopeID}
}

func TestViewLimitViolations(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*slack.ModalViewRequest)
		want   string
	}{
		{name: "title", modify: func(m *slack.ModalViewRequest) {
			m.Title = slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("t", 25), false, false)
		}, want: "view title is 25 chars, max 24"},
		{name: "submit", modify: func(m *slack.ModalViewRequest) {
			m.Submit = slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("s", 25), false, false)
		}, want: "view submit is 25 chars"},
		{name: "private_metadata", modify: func(m *slack.ModalViewRequest) { m.PrivateMetadata = strings.Repeat("p", 3001) }, want: "private_metadata is 3001 chars"},
		{name: "input without submit", modify: func(m *slack.ModalViewRequest) { m.Submit = nil }, want: "needs a submit button"},
		{name: "101 blocks", modify: func(m *slack.ModalViewRequest) {
			for range 99 {
				m.Blocks.BlockSet = append(m.Blocks.BlockSet, slack.NewDividerBlock())
			}
		}, want: "101 blocks, max 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &errRecorder{}
			opts := testOptions()
			opts.T = rec
			f := newFake(t, opts)
			in := f.SlashCommand("U1", "C1", "request")
			m := accessModal("Request access")
			tt.modify(&m)
			_, err := newAPI(f).OpenView(in.TriggerID, m)
			requireErrCode(t, err, "invalid_blocks")
			assert.Contains(t, strings.Join(f.Violations(), "\n"), tt.want)
			assert.NotEmpty(t, rec.messages())
			// A rejected view does not burn the trigger.
			_, err = newAPI(f).OpenView(in.TriggerID, accessModal("Request access"))
			require.NoError(t, err)
		})
	}
}

func TestOnWriteSeesEverythingUsersSee(t *testing.T) {
	var mu sync.Mutex
	var writes []string
	opts := testOptions()
	opts.OnWrite = func(w Write) {
		mu.Lock()
		defer mu.Unlock()
		w1 := w.Method + " " + w.Text
		if w.Ephemeral {
			w1 += " (only " + w.User + ")"
		}
		if w.Replaced {
			w1 += " (replaced)"
		}
		writes = append(writes, w1)
	}
	f := newFake(t, opts)
	f.AddUser("U1", "alice")
	api := newAPI(f)
	ts := postCard(t, api, "C1", "r1")
	_, _, _, err := api.UpdateMessage("C1", ts, slack.MsgOptionText("Approved", false))
	require.NoError(t, err)
	_, err = api.PostEphemeral("C1", "U1", slack.MsgOptionText("psst", false))
	require.NoError(t, err)
	in := f.SlashCommand("U1", "C1", "help")
	require.NoError(t, respond(api, in.ResponseURL, slack.MsgOptionText("usage", false)))
	require.NoError(t, respond(api, in.ResponseURL, slack.MsgOptionText("usage, edited", false), slack.MsgOptionReplaceOriginal(in.ResponseURL)))
	_, _, err = api.PostMessage("", slack.MsgOptionResponseURL(in.ResponseURL, slack.ResponseTypeInChannel), slack.MsgOptionText("for everyone", false))
	require.NoError(t, err)
	card := postCard(t, api, "C1", "r2")
	click, err := f.ClickButton("U1", "C1", card, "approve")
	require.NoError(t, err)
	require.NoError(t, respond(api, click.ResponseURL, slack.MsgOptionText("Approved", false), slack.MsgOptionReplaceOriginal(click.ResponseURL)))

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{
		"chat.postMessage Request r1",
		"chat.update Approved",
		"chat.postEphemeral psst (only U1)",
		"response_url usage (only U1)",
		"response_url usage, edited (only U1) (replaced)",
		"response_url for everyone",
		"chat.postMessage Request r2",
		"response_url Approved (replaced)",
	}, writes)
}
