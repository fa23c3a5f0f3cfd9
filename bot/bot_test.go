package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/slackui"
)

// recordingResponder captures replies instead of sending them.
type recordingResponder struct {
	mu      sync.Mutex
	replies map[string][]slackui.Reply
	err     error
}

func (r *recordingResponder) Respond(_ context.Context, url string, reply slackui.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.replies == nil {
		r.replies = map[string][]slackui.Reply{}
	}
	r.replies[url] = append(r.replies[url], reply)
	return r.err
}

func (r *recordingResponder) To(url string) []slackui.Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]slackui.Reply(nil), r.replies[url]...)
}

// funcHandler adapts plain functions to SlashHandler and InteractionHandler.
type funcHandler struct {
	slash       func(ctx context.Context, cmd slack.SlashCommand) slackui.Reply
	interaction func(ctx context.Context, cb slack.InteractionCallback)
}

func (h funcHandler) HandleSlash(ctx context.Context, cmd slack.SlashCommand) slackui.Reply {
	if h.slash == nil {
		return slackui.Reply{}
	}
	return h.slash(ctx, cmd)
}

func (h funcHandler) HandleInteraction(ctx context.Context, cb slack.InteractionCallback) bool {
	if h.interaction == nil {
		return false
	}
	h.interaction(ctx, cb)
	return true
}

// handler is what the tests mount: slash commands and interactions in one.
type handler interface {
	SlashHandler
	InteractionHandler
}

func newUnitBot(t *testing.T, cfg Config, h handler, opts ...Option) (*Bot, *recordingResponder) {
	t.Helper()
	resp := &recordingResponder{}
	cfg.BotToken, cfg.AppToken = "xoxb-unit", "xapp-unit"
	if cfg.APIURL == "" {
		cfg.APIURL = "http://127.0.0.1:1/api/"
	}
	b := New(cfg, h, nil, append([]Option{WithResponder(resp), WithInteractions(h)}, opts...)...)
	b.workCtx = context.Background()
	return b, resp
}

func slashEvent(envelopeID, responseURL string) socketmode.Event {
	return socketmode.Event{
		Type:    socketmode.EventTypeSlashCommand,
		Data:    slack.SlashCommand{Command: "/devin", Text: "help", UserID: "U1", ChannelID: "C1", ResponseURL: responseURL},
		Request: &socketmode.Request{Type: socketmode.RequestTypeSlashCommands, EnvelopeID: envelopeID},
	}
}

func TestRunJobDeliversSlashReply(t *testing.T) {
	h := funcHandler{slash: func(_ context.Context, cmd slack.SlashCommand) slackui.Reply {
		return slackui.Reply{Message: slackui.Text("you said " + cmd.Text), InChannel: true}
	}}
	b, resp := newUnitBot(t, Config{}, h)

	b.runJob(context.Background(), job{envelopeID: "e1", slash: &slack.SlashCommand{Text: "hi", ResponseURL: "https://r/1"}})

	got := resp.To("https://r/1")
	require.Len(t, got, 1)
	assert.Equal(t, "you said hi", got[0].Text)
	assert.True(t, got[0].InChannel)
}

func TestRunJobSkipsEmptyReply(t *testing.T) {
	b, resp := newUnitBot(t, Config{}, funcHandler{})
	b.runJob(context.Background(), job{envelopeID: "e1", slash: &slack.SlashCommand{ResponseURL: "https://r/1"}})
	assert.Empty(t, resp.To("https://r/1"))
}

func TestRunJobRecoversPanics(t *testing.T) {
	h := funcHandler{
		slash:       func(context.Context, slack.SlashCommand) slackui.Reply { panic("boom") },
		interaction: func(context.Context, slack.InteractionCallback) { panic(errors.New("kaboom")) },
	}
	b, resp := newUnitBot(t, Config{}, h)

	require.NotPanics(t, func() {
		b.runJob(context.Background(), job{envelopeID: "e1", slash: &slack.SlashCommand{ResponseURL: "https://r/slash"}})
		b.runJob(context.Background(), job{envelopeID: "e2", interaction: &slack.InteractionCallback{
			Type: slack.InteractionTypeBlockActions, ResponseURL: "https://r/click"}})
		b.runJob(context.Background(), job{envelopeID: "e3", interaction: &slack.InteractionCallback{
			Type: slack.InteractionTypeViewSubmission}}) // no response_url: nothing to tell
	})

	for _, url := range []string{"https://r/slash", "https://r/click"} {
		got := resp.To(url)
		require.Len(t, got, 1, url)
		assert.Contains(t, got[0].Text, "Something went wrong")
		assert.False(t, got[0].InChannel, "errors are only shown to the user")
	}
	assert.EqualValues(t, 3, testutil.ToFloat64(b.metrics.HandlerPanics))
	assert.EqualValues(t, 3, testutil.ToFloat64(b.metrics.HandlerErrors))
}

func TestDispatchAcksDedupesAndEnqueues(t *testing.T) {
	b, _ := newUnitBot(t, Config{QueueSize: 10}, funcHandler{})

	b.dispatch(slashEvent("env-1", "https://r/1"), nil)
	b.dispatch(slashEvent("env-1", "https://r/1"), nil) // redelivery
	b.dispatch(slashEvent("env-2", "https://r/2"), nil)
	b.dispatch(socketmode.Event{
		Type:    socketmode.EventTypeInteractive,
		Data:    slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, ResponseURL: "https://r/3"},
		Request: &socketmode.Request{EnvelopeID: "env-3"},
	}, nil)
	b.dispatch(socketmode.Event{ // shortcuts are acked but not handled
		Type:    socketmode.EventTypeInteractive,
		Data:    slack.InteractionCallback{Type: slack.InteractionTypeShortcut},
		Request: &socketmode.Request{EnvelopeID: "env-4"},
	}, nil)

	require.Len(t, b.queue, 3)
	assert.Equal(t, "env-1", (<-b.queue).envelopeID)
	assert.Equal(t, "env-2", (<-b.queue).envelopeID)
	j := <-b.queue
	assert.Equal(t, "env-3", j.envelopeID)
	require.NotNil(t, j.interaction)
	assert.EqualValues(t, 5, testutil.ToFloat64(b.metrics.EnvelopesReceived))
	assert.EqualValues(t, 5, testutil.ToFloat64(b.metrics.EnvelopesAcked), "duplicates and ignored types are acked too")
	assert.EqualValues(t, 1, testutil.ToFloat64(b.metrics.DuplicatesDropped))
}

func TestDispatchDedupesEventsByEventID(t *testing.T) {
	b, _ := newUnitBot(t, Config{}, funcHandler{})
	raw := func(envelopeID string) socketmode.Event {
		payload := `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","user":"U1","text":"hi","channel":"C1","ts":"1.1"}}`
		evt, err := parseEventsAPI(payload)
		require.NoError(t, err)
		return socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: evt, Request: &socketmode.Request{EnvelopeID: envelopeID}}
	}
	b.dispatch(raw("env-a"), nil)
	b.dispatch(raw("env-b"), nil) // Slack's retry comes in a new envelope
	assert.EqualValues(t, 1, testutil.ToFloat64(b.metrics.DuplicatesDropped))
	assert.EqualValues(t, 2, testutil.ToFloat64(b.metrics.EnvelopesAcked))
}

func TestDispatchTracksConnectionState(t *testing.T) {
	b, _ := newUnitBot(t, Config{}, funcHandler{})
	steps := []struct {
		evt  socketmode.Event
		want bool
	}{
		{socketmode.Event{Type: socketmode.EventTypeConnecting}, false},
		{socketmode.Event{Type: socketmode.EventTypeConnected, Data: &socketmode.ConnectedEvent{}}, true},
		{socketmode.Event{Type: socketmode.EventTypeIncomingError, Data: &slack.IncomingEventError{ErrorObj: &json.SyntaxError{}}}, true},
		{socketmode.Event{Type: socketmode.EventTypeIncomingError, Data: &slack.IncomingEventError{ErrorObj: io.ErrClosedPipe}}, false},
		{socketmode.Event{Type: socketmode.EventTypeHello, Request: &socketmode.Request{Type: "hello"}}, true},
		{socketmode.Event{Type: socketmode.EventTypeDisconnect}, false},
		{socketmode.Event{Type: socketmode.EventTypeConnected, Data: &socketmode.ConnectedEvent{ConnectionCount: 1}}, true},
		{socketmode.Event{Type: socketmode.EventTypeConnectionError, Data: &slack.ConnectionErrorEvent{ErrorObj: errors.New("dial tcp: refused")}}, false},
	}
	for i, s := range steps {
		b.dispatch(s.evt, make(chan error, 1))
		assert.Equal(t, s.want, b.Connected(), "step %d (%s)", i, s.evt.Type)
	}
	assert.EqualValues(t, 1, testutil.ToFloat64(b.metrics.Reconnects))
}

func TestDispatchStopsOnWrongAppTokenType(t *testing.T) {
	b, _ := newUnitBot(t, Config{}, funcHandler{})
	fatal := make(chan error, 1)
	b.dispatch(socketmode.Event{
		Type: socketmode.EventTypeConnectionError,
		Data: &slack.ConnectionErrorEvent{ErrorObj: slack.SlackErrorResponse{Err: "not_allowed_token_type"}},
	}, fatal)
	select {
	case err := <-fatal:
		assert.EqualError(t, err, "SLACK_APP_TOKEN was rejected by Slack (not_allowed_token_type)")
	default:
		t.Fatal("a wrong token type must stop the bot")
	}
	assert.False(t, b.TokensValid())
}

func TestQueueFullTellsUserBusy(t *testing.T) {
	b, resp := newUnitBot(t, Config{QueueSize: 1}, funcHandler{})

	b.dispatch(slashEvent("env-1", "https://r/1"), nil)
	b.dispatch(slashEvent("env-2", "https://r/2"), nil) // no worker is running: the queue is full

	b.bg.Wait()
	assert.Empty(t, resp.To("https://r/1"), "the queued one waits for a worker")
	busy := resp.To("https://r/2")
	require.Len(t, busy, 1)
	assert.Equal(t, "The bot is busy, try again in a minute.", busy[0].Text)
	assert.EqualValues(t, 1, testutil.ToFloat64(b.metrics.QueueFull))
	assert.EqualValues(t, 2, testutil.ToFloat64(b.metrics.EnvelopesAcked), "a turned-away envelope is still acked")
}

func TestHealthEndpoints(t *testing.T) {
	b, _ := newUnitBot(t, Config{}, funcHandler{})
	srv := httptest.NewServer(b.HealthHandler())
	defer srv.Close()

	get := func(path string) (int, string) {
		res, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}

	code, body := get("/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)

	code, body = get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "slack tokens not verified yet\n", body)

	b.tokensValid.Store(true)
	code, body = get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "socket mode not connected\n", body)

	b.setConnected(true)
	code, body = get("/readyz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)

	b.tokensRejected.Store(true)
	code, body = get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "slack rejected a token\n", body)

	b.dispatch(slashEvent("env-1", "https://r/1"), nil)
	b.dispatch(slashEvent("env-1", "https://r/1"), nil)
	code, body = get("/metrics")
	assert.Equal(t, http.StatusOK, code)
	for _, line := range []string{
		"# TYPE chatops_envelopes_received_total counter",
		"chatops_envelopes_received_total 2",
		"chatops_envelopes_acked_total 2",
		"chatops_duplicates_dropped_total 1",
		"chatops_handler_errors_total 0",
		"chatops_queue_depth 1",
		"chatops_socket_connected 1",
		"# TYPE chatops_ack_latency_seconds histogram",
		`chatops_ack_latency_seconds_bucket{le="+Inf"} 2`,
		"chatops_ack_latency_seconds_count 2",
	} {
		assert.Contains(t, body, line+"\n")
	}
	for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
		assert.Regexp(t, `^(# (HELP|TYPE) \S+ .+|[a-z_]+(\{le="[^"]+"\})? [0-9.e+-]+)$`, l)
	}
}

func TestRunRejectsBadBotToken(t *testing.T) {
	api := newWebAPI(t, nil)
	api.Script("auth.test", slackError("invalid_auth"))
	b := New(Config{BotToken: "xoxb-secret-value", AppToken: "xapp-secret-value", APIURL: api.URL()}, funcHandler{}, nil)

	err := b.Run(context.Background())
	require.EqualError(t, err, "SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)")
	assert.False(t, b.TokensValid())
	assert.Empty(t, api.Calls("apps.connections.open"), "no connection is attempted")
}

func TestRunRejectsBadAppToken(t *testing.T) {
	api := newWebAPI(t, nil)
	api.Script("apps.connections.open", slackError("invalid_auth"))
	b := New(Config{BotToken: "xoxb-secret-value", AppToken: "xapp-secret-value", APIURL: api.URL()}, funcHandler{}, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := b.Run(ctx)
	require.EqualError(t, err, "SLACK_APP_TOKEN was rejected by Slack (invalid_auth)")
	assert.False(t, b.TokensValid())
}

func TestRunValidatesConfig(t *testing.T) {
	err := New(Config{APIURL: "http://x/api"}, nil, nil).Run(context.Background())
	require.Error(t, err)
	for _, want := range []string{"SLACK_BOT_TOKEN is empty", "SLACK_APP_TOKEN is empty", "must end with '/'", "no handler"} {
		assert.Contains(t, err.Error(), want)
	}
}

// An unreachable Slack at start-up is an outage, not a configuration error: the bot
// keeps retrying auth.test (not ready meanwhile) until it is stopped.
func TestRunKeepsRetryingWhenSlackUnreachable(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	b := New(Config{BotToken: "xoxb-secret-value", AppToken: "xapp-secret-value", APIURL: "http://127.0.0.1:1/api/"}, funcHandler{}, logger)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := b.Run(ctx)
	assert.NoError(t, err, "stopping while Slack is down is a clean stop")
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "it kept trying until stopped")
	assert.False(t, b.TokensValid())
	assert.GreaterOrEqual(t, strings.Count(logs.String(), "auth.test failed; retrying"), 2)
	assert.NotContains(t, logs.String(), "secret-value")
}

func parseEventsAPI(payload string) (slackevents.EventsAPIEvent, error) {
	return slackevents.ParseEvent(json.RawMessage(payload), slackevents.OptionNoVerifyToken())
}
