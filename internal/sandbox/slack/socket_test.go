package slacksandbox

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHelloAndSlashCommandParseWithSlackGo(t *testing.T) {
	f := newFake(t, testOptions())
	f.AddUser("U1", "alice")
	f.AddChannel("C1", "ops")
	b := newBot(f, time.Second)
	b.run(t)

	hello := b.next(t, socketmode.EventTypeHello)
	require.NotNil(t, hello.Request)
	assert.Equal(t, 1, hello.Request.NumConnections)
	assert.Equal(t, "A0FAKE", hello.Request.ConnectionInfo.AppID)
	assert.NotEmpty(t, hello.Request.DebugInfo.Host)
	require.NoError(t, f.WaitConnected(ctxFor(t), 1))

	in := f.SlashCommand("U1", "C1", "run fix the build")
	evt := b.next(t, socketmode.EventTypeSlashCommand)
	cmd, ok := evt.Data.(slack.SlashCommand)
	require.True(t, ok, "Data is %T", evt.Data)
	assert.Equal(t, slack.SlashCommand{
		Token:               "fake-verification-token",
		TeamID:              "T0FAKE",
		TeamDomain:          "fake",
		IsEnterpriseInstall: false,
		ChannelID:           "C1",
		ChannelName:         "ops",
		UserID:              "U1",
		UserName:            "alice",
		Command:             "/devin",
		Text:                "run fix the build",
		ResponseURL:         in.ResponseURL,
		TriggerID:           in.TriggerID,
		APIAppID:            "A0FAKE",
	}, cmd)
	assert.Equal(t, in.EnvelopeID, evt.Request.EnvelopeID)
	assert.True(t, evt.Request.AcceptsResponsePayload)
	assert.Contains(t, string(in.Payload), `"is_enterprise_install":"false"`)

	require.NoError(t, b.sm.Ack(*evt.Request, map[string]any{"text": "working…"}))
	ack, err := in.WaitAck(ctxFor(t))
	require.NoError(t, err)
	assert.Equal(t, "slash_commands", ack.Type)
	assert.False(t, ack.Duplicate)
	assert.False(t, ack.Late)
	assert.JSONEq(t, `{"text":"working…"}`, string(ack.Payload))

	// Slack shows an ack payload to the user as an ephemeral reply.
	eph, err := f.WaitEphemeral(ctxFor(t), func(e Ephemeral) bool { return e.Text == "working…" })
	require.NoError(t, err)
	assert.Equal(t, "U1", eph.User)
	assert.Empty(t, f.Unacked())
}

func TestDuplicateAckIsRecorded(t *testing.T) {
	f := newFake(t, testOptions())
	b := connectedBot(t, f)
	in := f.SlashCommand("U1", "C1", "help")
	evt := b.next(t, socketmode.EventTypeSlashCommand)
	require.NoError(t, b.sm.Ack(*evt.Request))
	require.NoError(t, b.sm.Ack(*evt.Request))
	require.Eventually(t, func() bool { return len(f.Acks()) == 2 }, waitTimeout, 5*time.Millisecond)
	acks := f.Acks()
	assert.Equal(t, in.EnvelopeID, acks[1].EnvelopeID)
	assert.False(t, acks[0].Duplicate)
	assert.True(t, acks[1].Duplicate)
}

func TestBlockActionsDispatchByActionIDWithBlockID(t *testing.T) {
	f := newFake(t, testOptions())
	f.AddUser("U2", "bob")
	api := newAPI(f)
	ts := postCard(t, api, "C1", "req-7")

	// A button posted without block_id still gets one, as Slack generates it.
	_, bareTS, err := api.PostMessage("C1", slack.MsgOptionBlocks(slack.NewActionBlock("",
		slack.NewButtonBlockElement("retry", "r1", slack.NewTextBlockObject(slack.PlainTextType, "Retry", false, false)))))
	require.NoError(t, err)

	b := newBot(f, time.Second)
	h := socketmode.NewSocketmodeHandler(b.sm)
	got := make(chan slack.InteractionCallback, 2)
	handle := func(evt *socketmode.Event, c *socketmode.Client) {
		_ = c.Ack(*evt.Request)
		got <- evt.Data.(slack.InteractionCallback)
	}
	h.HandleInteractionBlockAction("approve", handle)
	h.HandleInteractionBlockAction("retry", handle)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.RunEventLoopContext(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	require.NoError(t, f.WaitConnected(ctxFor(t), 1))

	in, err := f.ClickButton("U2", "C1", ts, "approve")
	require.NoError(t, err)
	var cb slack.InteractionCallback
	select {
	case cb = <-got:
	case <-time.After(waitTimeout):
		t.Fatal("approve handler never ran")
	}
	assert.Equal(t, slack.InteractionTypeBlockActions, cb.Type)
	require.Len(t, cb.ActionCallback.BlockActions, 1)
	assert.Empty(t, cb.ActionCallback.AttachmentActions)
	act := cb.ActionCallback.BlockActions[0]
	assert.Equal(t, "approve", act.ActionID)
	assert.Equal(t, "approval:req-7", act.BlockID)
	assert.Equal(t, "req-7", act.Value)
	assert.Equal(t, "Approve", act.Text.Text)
	assert.NotEmpty(t, act.ActionTs)
	assert.Equal(t, ts, cb.Container.MessageTs)
	assert.Equal(t, "C1", cb.Container.ChannelID)
	assert.Equal(t, ts, cb.Message.Timestamp)
	assert.Len(t, cb.Message.Blocks.BlockSet, 2)
	assert.Equal(t, "C1", cb.Channel.ID)
	assert.Equal(t, "U2", cb.User.ID)
	assert.Equal(t, "bob", cb.User.Name)
	assert.Equal(t, "T0FAKE", cb.Team.ID)
	assert.Equal(t, in.ResponseURL, cb.ResponseURL)
	assert.Equal(t, in.TriggerID, cb.TriggerID)
	require.NotNil(t, cb.BlockActionState)

	_, err = f.ClickButton("U2", "C1", bareTS, "retry")
	require.NoError(t, err)
	select {
	case cb = <-got:
		assert.NotEmpty(t, cb.ActionCallback.BlockActions[0].BlockID)
	case <-time.After(waitTimeout):
		t.Fatal("retry handler never ran")
	}
}

func TestReconnects(t *testing.T) {
	tests := []struct {
		name  string
		fault func(f *Server)
		heal  func(f *Server)
	}{
		{name: "disconnect refresh_requested", fault: func(f *Server) { f.Disconnect("refresh_requested") }},
		{name: "disconnect link_disabled", fault: func(f *Server) { f.Disconnect("link_disabled") }},
		{name: "dropped TCP", fault: func(f *Server) { f.DropConnections() }},
		{
			name:  "pings stop",
			fault: func(f *Server) { f.StopPinging(true) },
			heal:  func(f *Server) { f.StopPinging(false) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, testOptions())
			b := newBot(f, 300*time.Millisecond)
			b.run(t)
			b.next(t, socketmode.EventTypeHello)
			require.Equal(t, 1, f.Calls("apps.connections.open"))

			tt.fault(f)
			require.Eventually(t, func() bool { return f.Calls("apps.connections.open") >= 2 }, waitTimeout, 10*time.Millisecond)
			if tt.heal != nil {
				tt.heal(f)
			}
			b.next(t, socketmode.EventTypeHello)
			require.NoError(t, f.WaitConnected(ctxFor(t), 1))

			// The new socket carries traffic.
			f.SlashCommand("U1", "C1", "status")
			evt := b.next(t, socketmode.EventTypeSlashCommand)
			require.NoError(t, b.sm.Ack(*evt.Request))
		})
	}
}

func TestWarningDisconnectKeepsSocket(t *testing.T) {
	f := newFake(t, testOptions())
	connectedBot(t, f)
	f.Disconnect("warning")
	assert.Equal(t, 1, f.Connections())
}

func TestEnvelopeQueuedUntilASocketConnects(t *testing.T) {
	f := newFake(t, testOptions())
	in := f.SlashCommand("U1", "C1", "queued")
	b := newBot(f, time.Second)
	b.run(t)
	evt := b.next(t, socketmode.EventTypeSlashCommand)
	assert.Equal(t, in.EnvelopeID, evt.Request.EnvelopeID)
	require.NoError(t, b.sm.Ack(*evt.Request))
	_, err := in.WaitAck(ctxFor(t))
	require.NoError(t, err)
}

func TestEnvelopesSpreadRoundRobin(t *testing.T) {
	f := newFake(t, testOptions())
	b1 := connectedBot(t, f)
	b2 := newBot(f, time.Second)
	b2.run(t)
	hello := b2.next(t, socketmode.EventTypeHello)
	assert.Equal(t, 2, hello.Request.NumConnections)
	require.NoError(t, f.WaitConnected(ctxFor(t), 2))

	for range 4 {
		f.SendEvent(map[string]any{"type": "app_mention", "user": "U1", "text": "<@U0BOT> hi", "channel": "C1"})
	}
	for _, b := range []*bot{b1, b2} {
		for range 2 {
			evt := b.next(t, socketmode.EventTypeEventsAPI)
			require.NoError(t, b.sm.Ack(*evt.Request))
		}
	}
}

func TestAckDeadline(t *testing.T) {
	opts := testOptions()
	opts.AckDeadline = 150 * time.Millisecond
	f := newFake(t, opts)
	b := connectedBot(t, f)

	t.Run("slash command not acked is a user-visible failure", func(t *testing.T) {
		in := f.SlashCommand("U1", "C1", "slow")
		evt := b.next(t, socketmode.EventTypeSlashCommand)
		require.Eventually(t, func() bool { return len(f.Unacked()) == 1 }, waitTimeout, 10*time.Millisecond)
		assert.Contains(t, f.Unacked()[0], in.EnvelopeID)
		require.NoError(t, b.sm.Ack(*evt.Request))
		ack, err := in.WaitAck(ctxFor(t))
		require.NoError(t, err)
		assert.True(t, ack.Late)
		assert.GreaterOrEqual(t, ack.Latency, opts.AckDeadline)
	})

	t.Run("event not acked is redelivered with retry_attempt", func(t *testing.T) {
		first := f.SendEvent(map[string]any{"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1"})
		evt := b.next(t, socketmode.EventTypeEventsAPI)
		assert.Equal(t, first, evt.Request.EnvelopeID)
		assert.Equal(t, 0, evt.Request.RetryAttempt)
		firstEvent := evt.Data.(slackevents.EventsAPIEvent)
		_, isMention := firstEvent.InnerEvent.Data.(*slackevents.AppMentionEvent)
		assert.True(t, isMention)

		retry := b.next(t, socketmode.EventTypeEventsAPI)
		assert.NotEqual(t, first, retry.Request.EnvelopeID)
		assert.Equal(t, 1, retry.Request.RetryAttempt)
		assert.Equal(t, "timeout", retry.Request.RetryReason)
		var p1, p2 struct {
			EventID string `json:"event_id"`
		}
		require.NoError(t, json.Unmarshal(evt.Request.Payload, &p1))
		require.NoError(t, json.Unmarshal(retry.Request.Payload, &p2))
		assert.Equal(t, p1.EventID, p2.EventID, "retries keep the event_id bots dedupe on")
		require.NoError(t, b.sm.Ack(*retry.Request))
		_, err := f.WaitAck(ctxFor(t), retry.Request.EnvelopeID)
		require.NoError(t, err)
	})

	t.Run("event retries run out", func(t *testing.T) {
		before := len(f.Unacked())
		f.SendEvent(map[string]any{"type": "app_mention", "user": "U1", "text": "ignored", "channel": "C1"})
		for attempt := range 3 {
			evt := b.next(t, socketmode.EventTypeEventsAPI)
			assert.Equal(t, attempt, evt.Request.RetryAttempt)
		}
		require.Eventually(t, func() bool { return len(f.Unacked()) == before+1 }, waitTimeout, 10*time.Millisecond)
		assert.Contains(t, f.Unacked()[before], "2 retries")
	})
}

// dialRaw opens a socket with plain gorilla, to send frames slack-go refuses to send.
func dialRaw(t *testing.T, f *Server) *websocket.Conn {
	t.Helper()
	_, url, err := newAPI(f).StartSocketModeContext(ctxFor(t))
	require.NoError(t, err)
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ws.Close() })
	return ws
}

func readType(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(waitTimeout)))
	var frame struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	require.NoError(t, ws.ReadJSON(&frame))
	return strings.TrimSuffix(frame.Type+":"+frame.Reason, ":")
}

func TestOversizedAckClosesWith1009(t *testing.T) {
	rec := &errRecorder{}
	opts := testOptions()
	opts.T = rec
	f := newFake(t, opts)
	ws := dialRaw(t, f)
	require.Equal(t, "hello", readType(t, ws))
	in := f.SlashCommand("U1", "C1", "big")
	require.Equal(t, "slash_commands", readType(t, ws))

	big := `{"envelope_id":"` + in.EnvelopeID + `","payload":{"text":"` + strings.Repeat("x", maxAckBytes) + `"}}`
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(big)))
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue // pings are handled inside ReadMessage; data frames are skipped
		}
		var ce *websocket.CloseError
		require.True(t, errors.As(err, &ce), "got %v", err)
		assert.Equal(t, websocket.CloseMessageTooBig, ce.Code)
		break
	}
	require.Len(t, f.Violations(), 1)
	assert.Contains(t, f.Violations()[0], "20480")
	assert.Len(t, rec.messages(), 1)
	assert.Empty(t, f.Acks())
}

func TestTicketIsSingleUse(t *testing.T) {
	f := newFake(t, testOptions())
	_, url, err := newAPI(f).StartSocketModeContext(ctxFor(t))
	require.NoError(t, err)
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	require.NoError(t, err)
	defer ws.Close()
	_, resp, err := websocket.DefaultDialer.Dial(url, nil)
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	assert.Equal(t, 401, resp.StatusCode)
}

func TestEleventhSocketIsToldTooManyWebsockets(t *testing.T) {
	f := newFake(t, testOptions())
	for range maxConnections {
		require.Equal(t, "hello", readType(t, dialRaw(t, f)))
	}
	require.Equal(t, maxConnections, f.Connections())
	assert.Equal(t, "disconnect:too_many_websockets", readType(t, dialRaw(t, f)))
	assert.Equal(t, maxConnections, f.Connections())
}

func TestAppsConnectionsOpenAuth(t *testing.T) {
	tests := []struct {
		name     string
		appToken string
		wantErr  string
	}{
		{name: "app token", appToken: "xapp-fake"},
		{name: "bot token", appToken: "xoxb-fake", wantErr: "not_allowed_token_type"},
		{name: "wrong token", appToken: "xapp-other", wantErr: "invalid_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, testOptions())
			api := slack.New("xoxb-fake", slack.OptionAppLevelToken(tt.appToken), slack.OptionAPIURL(f.APIURL()))
			_, url, err := api.StartSocketModeContext(ctxFor(t))
			if tt.wantErr != "" {
				requireErrCode(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(url, "ws://"), url)
			assert.Contains(t, url, "/link/?ticket=")
		})
	}
}

func TestCloseWithLiveClientReturns(t *testing.T) {
	f := New(testOptions())
	connectedBot(t, f)
	done := make(chan struct{})
	go func() { f.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("Close hung")
	}
	_, err := f.WaitMessage(context.Background(), func(Message) bool { return false })
	assert.ErrorIs(t, err, ErrClosed)
}
