package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	slacksandbox "devin-chatops/internal/sandbox/slack"
	"devin-chatops/slackui"
)

// harness runs a real Bot against the fake Slack.
type harness struct {
	fake   *slacksandbox.Server
	bot    *Bot
	cancel context.CancelFunc
	errc   chan error
	once   sync.Once
	err    error
}

// fakeOptions keeps the fake's timers short but Slack-shaped: the 3 s ack deadline
// is the real one, since it is what the tests measure against.
func fakeOptions(tb testing.TB) slacksandbox.Options {
	return slacksandbox.Options{
		T:               tb,
		PingInterval:    200 * time.Millisecond,
		AckDeadline:     3 * time.Second,
		DisconnectGrace: 100 * time.Millisecond,
	}
}

func startHarness(tb testing.TB, cfg Config, h handler) *harness {
	tb.Helper()
	fake := slacksandbox.New(fakeOptions(tb))
	tb.Cleanup(fake.Close)

	o := fake.Options()
	cfg.BotToken, cfg.AppToken, cfg.APIURL = o.BotToken, o.AppToken, fake.APIURL()
	if cfg.PingInterval == 0 {
		cfg.PingInterval = 2 * time.Second
	}
	var logger *slog.Logger
	// BOT_TEST_LOG=1 prints the bot's debug log, to diagnose a socket test.
	if os.Getenv("BOT_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	hs := &harness{fake: fake, bot: New(cfg, h, logger, WithInteractions(h)), errc: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	hs.cancel = cancel
	go func() { hs.errc <- hs.bot.Run(ctx) }()
	tb.Cleanup(func() { _ = hs.stop(tb) })

	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	require.NoError(tb, fake.WaitConnected(wctx, 1))
	require.Eventually(tb, hs.bot.Connected, 5*time.Second, 5*time.Millisecond)
	return hs
}

// stop cancels Run's context and returns what Run returned.
func (hs *harness) stop(tb testing.TB) error {
	hs.once.Do(func() {
		hs.cancel()
		select {
		case hs.err = <-hs.errc:
		case <-time.After(30 * time.Second):
			tb.Errorf("Run did not return after its context was cancelled")
		}
	})
	return hs.err
}

func waitCtx(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	tb.Cleanup(cancel)
	return ctx
}

// echo answers every slash command with its text.
func echo() handler {
	return funcHandler{slash: func(_ context.Context, cmd slack.SlashCommand) slackui.Reply {
		return slackui.Reply{Message: slackui.Text("echo: " + slackui.Escape(cmd.Text))}
	}}
}

func TestSocketSlashCommandAckedAndAnsweredViaResponseURL(t *testing.T) {
	hs := startHarness(t, Config{}, echo())
	ctx := waitCtx(t, 10*time.Second)

	it := hs.fake.SlashCommand("U1", "C1", "ping <!channel>")
	ack, err := it.WaitAck(ctx)
	require.NoError(t, err)
	assert.Empty(t, ack.Payload, "slash commands are acked without a payload")
	assert.Less(t, ack.Latency, time.Second)

	resp, err := it.WaitResponse(ctx)
	require.NoError(t, err)
	assert.Equal(t, "echo: ping &lt;!channel&gt;", resp.Text)
	assert.Equal(t, "ephemeral", resp.ResponseType)

	assert.True(t, hs.bot.TokensValid())
	assert.Equal(t, 1, hs.fake.Calls("auth.test"), "tokens are verified once at start")
	require.NoError(t, hs.stop(t))
	assert.False(t, hs.bot.Connected())
	assert.Empty(t, hs.fake.Unacked())
}

func TestSocketClickButtonRunsInteractionHandler(t *testing.T) {
	clicked := make(chan slack.InteractionCallback, 1)
	// The handler runs on a worker goroutine; the pointer is set once the bot exists.
	var poster atomic.Pointer[Poster]
	h := funcHandler{
		slash: func(ctx context.Context, cmd slack.SlashCommand) slackui.Reply {
			_, err := poster.Load().Post(ctx, cmd.ChannelID, slackui.Message{Text: "card", Blocks: []slack.Block{
				slack.NewActionBlock("req-1", slack.NewButtonBlockElement("devin_approve", "req-1",
					slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false))),
			}})
			if err != nil {
				return slackui.Reply{Message: slackui.Text("failed: " + err.Error())}
			}
			return slackui.Reply{Message: slackui.Text("posted")}
		},
		interaction: func(_ context.Context, cb slack.InteractionCallback) { clicked <- cb },
	}
	hs := startHarness(t, Config{}, h)
	poster.Store(NewPoster(hs.bot.api, nil))
	ctx := waitCtx(t, 10*time.Second)

	it := hs.fake.SlashCommand("U1", "C1", "request")
	resp, err := it.WaitResponse(ctx)
	require.NoError(t, err)
	require.Equal(t, "posted", resp.Text)
	msgs := hs.fake.Messages("C1")
	require.Len(t, msgs, 1)

	click, err := hs.fake.ClickButton("U2", "C1", msgs[0].TS, "devin_approve")
	require.NoError(t, err)
	_, err = click.WaitAck(ctx)
	require.NoError(t, err)
	select {
	case cb := <-clicked:
		assert.Equal(t, slack.InteractionTypeBlockActions, cb.Type)
		require.Len(t, cb.ActionCallback.BlockActions, 1)
		assert.Equal(t, "req-1", cb.ActionCallback.BlockActions[0].Value)
		assert.Equal(t, "U2", cb.User.ID)
	case <-ctx.Done():
		t.Fatal("interaction handler not called")
	}
}

func TestSocketRedeliveredEventHandledOnce(t *testing.T) {
	hs := startHarness(t, Config{}, echo())
	ctx := waitCtx(t, 10*time.Second)

	// A retried event arrives in a new envelope with the same event_id.
	event := map[string]any{
		"type": "event_callback", "event_id": "Ev0DUPLICATE",
		"event": map[string]any{"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1"},
	}
	first := hs.fake.SendEvent(event)
	second := hs.fake.SendEvent(event)
	for _, id := range []string{first, second} {
		_, err := hs.fake.WaitAck(ctx, id)
		require.NoError(t, err, "both deliveries are acked")
	}
	assert.EqualValues(t, 1, testutil.ToFloat64(hs.bot.metrics.DuplicatesDropped))
}

func TestSocketSameEnvelopeTwiceHandledOnce(t *testing.T) {
	// slacksandbox never resends an envelope id, so a minimal Socket Mode server delivers
	// the very same frame twice, as Slack may after a missed ack.
	srv := newReplayServer(t)
	var calls atomic.Int32
	h := funcHandler{slash: func(context.Context, slack.SlashCommand) slackui.Reply {
		calls.Add(1)
		return slackui.Reply{Message: slackui.Text("done")}
	}}
	b := New(Config{BotToken: "xoxb-r", AppToken: "xapp-r", APIURL: srv.URL + "/api/"}, h, nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.Run(ctx) }()

	acks := srv.waitAcks(t, 2)
	assert.Equal(t, []string{"env-dup", "env-dup"}, acks, "each delivery is acked")
	require.Eventually(t, func() bool { return srv.replies.Load() == 1 }, 5*time.Second, 5*time.Millisecond)

	cancel()
	require.NoError(t, <-errc)
	assert.EqualValues(t, 1, calls.Load(), "handled once")
	assert.EqualValues(t, 1, srv.replies.Load())
	assert.EqualValues(t, 1, testutil.ToFloat64(b.metrics.DuplicatesDropped))
}

func TestSocketDisconnectMidBurstReconnectsAndAcksEverything(t *testing.T) {
	hs := startHarness(t, Config{}, echo())
	ctx := waitCtx(t, 20*time.Second)

	var its []*slacksandbox.Interaction
	for i := range 20 {
		its = append(its, hs.fake.SlashCommand("U1", "C1", fmt.Sprintf("before %d", i)))
	}
	hs.fake.Disconnect("refresh_requested")
	for i := range 20 {
		// No live socket now: the fake holds these until the bot reconnects.
		its = append(its, hs.fake.SlashCommand("U1", "C1", fmt.Sprintf("after %d", i)))
	}

	for i, it := range its {
		ack, err := it.WaitAck(ctx)
		require.NoError(t, err, "envelope %d (%s): acks=%d unacked=%v conns=%d", i, it.EnvelopeID, len(hs.fake.Acks()), hs.fake.Unacked(), hs.fake.Connections())
		assert.False(t, ack.Late, "envelope %s acked late", it.EnvelopeID)
		_, err = it.WaitResponse(ctx)
		require.NoError(t, err)
	}
	assert.Empty(t, hs.fake.Unacked())
	assert.GreaterOrEqual(t, hs.fake.Calls("apps.connections.open"), 2, "the bot reconnected")
	assert.GreaterOrEqual(t, testutil.ToFloat64(hs.bot.metrics.Reconnects), 1.0)
	require.Eventually(t, hs.bot.Connected, 5*time.Second, 5*time.Millisecond)
}

func TestSocketReconnectsWhenPingsStop(t *testing.T) {
	hs := startHarness(t, Config{PingInterval: 500 * time.Millisecond}, echo())
	ctx := waitCtx(t, 10*time.Second)

	hs.fake.StopPinging(true)
	// The down phase of a reconnect lasts only milliseconds, so watch the counter.
	require.Eventually(t, func() bool { return testutil.ToFloat64(hs.bot.metrics.Reconnects) >= 1 }, 5*time.Second, 5*time.Millisecond,
		"slack-go's watchdog drops a silent socket and the bot reconnects")
	hs.fake.StopPinging(false)
	require.Eventually(t, hs.bot.Connected, 5*time.Second, 5*time.Millisecond)

	it := hs.fake.SlashCommand("U1", "C1", "still there?")
	_, err := it.WaitResponse(ctx)
	require.NoError(t, err)
}

// sleepyHandler sleeps d (or until its context ends) before answering.
func sleepyHandler(d time.Duration) handler {
	return funcHandler{slash: func(ctx context.Context, _ slack.SlashCommand) slackui.Reply {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return slackui.Reply{Message: slackui.Text("slow answer")}
	}}
}

// burstAckLatencies sends n slash commands at once and returns the fake's ack latency
// (from the envelope leaving the fake to the ack arriving back) for each.
func burstAckLatencies(tb testing.TB, hs *harness, n int) []time.Duration {
	tb.Helper()
	ctx := waitCtx(tb, 15*time.Second)
	its := make([]*slacksandbox.Interaction, n)
	for i := range its {
		its[i] = hs.fake.SlashCommand("U1", "C1", fmt.Sprintf("burst %d", i))
	}
	lat := make([]time.Duration, n)
	for i, it := range its {
		ack, err := it.WaitAck(ctx)
		require.NoError(tb, err, "envelope %d never acked", i)
		require.False(tb, ack.Duplicate)
		lat[i] = ack.Latency
	}
	slices.Sort(lat)
	return lat
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func TestSocketBurstWithSlowHandlerIsAckedInTime(t *testing.T) {
	hs := startHarness(t, Config{ShutdownTimeout: 500 * time.Millisecond}, sleepyHandler(2*time.Second))

	lat := burstAckLatencies(t, hs, 200)
	t.Logf("ack latency for 200 slash commands, 2 s handler, %d workers: p50=%s p99=%s max=%s",
		DefaultWorkers, percentile(lat, 0.5), percentile(lat, 0.99), lat[len(lat)-1])
	assert.Less(t, lat[len(lat)-1], 3*time.Second, "every envelope acked inside Slack's deadline")
	assert.Empty(t, hs.fake.Unacked())
	assert.Zero(t, testutil.ToFloat64(hs.bot.metrics.QueueFull), "the queue absorbs the burst")

	// 200 × 2 s of work on 16 workers cannot finish in the 500 ms shutdown window:
	// Run still returns promptly, cancelling what is left.
	start := time.Now()
	require.NoError(t, hs.stop(t))
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestSocketGracefulShutdownFinishesInFlightWork(t *testing.T) {
	started := make(chan struct{})
	var ctxErrAtEnd atomic.Value
	h := funcHandler{slash: func(ctx context.Context, _ slack.SlashCommand) slackui.Reply {
		close(started)
		time.Sleep(500 * time.Millisecond)
		ctxErrAtEnd.Store(fmt.Sprint(ctx.Err()))
		return slackui.Reply{Message: slackui.Text("finished")}
	}}
	hs := startHarness(t, Config{ShutdownTimeout: 10 * time.Second}, h)
	ctx := waitCtx(t, 10*time.Second)

	it := hs.fake.SlashCommand("U1", "C1", "long job")
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("handler did not start")
	}
	require.NoError(t, hs.stop(t), "a graceful stop returns nil")

	assert.Equal(t, "<nil>", ctxErrAtEnd.Load(), "in-flight work keeps a live context")
	resps := it.Responses()
	require.Len(t, resps, 1, "the reply went out before Run returned")
	assert.Equal(t, "finished", resps[0].Text)
	assert.False(t, hs.bot.Connected())

	// Nothing is read after the stop: a new command is not acked by this bot.
	late := hs.fake.SlashCommand("U1", "C1", "after stop")
	lctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := late.WaitAck(lctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestSocketShutdownTimeoutCancelsStuckWork(t *testing.T) {
	cancelled := make(chan struct{})
	h := funcHandler{slash: func(ctx context.Context, _ slack.SlashCommand) slackui.Reply {
		<-ctx.Done()
		close(cancelled)
		return slackui.Reply{}
	}}
	hs := startHarness(t, Config{ShutdownTimeout: 300 * time.Millisecond}, h)
	it := hs.fake.SlashCommand("U1", "C1", "stuck")
	_, err := it.WaitAck(waitCtx(t, 5*time.Second))
	require.NoError(t, err)

	start := time.Now()
	require.NoError(t, hs.stop(t))
	assert.Less(t, time.Since(start), 2*time.Second)
	select {
	case <-cancelled:
	case <-time.After(2 * time.Second):
		t.Fatal("stuck handler's context was not cancelled after ShutdownTimeout")
	}
}

// A handler cut off by the shutdown deadline still records what it did (commands write
// their audit line detached from the cancelled context): Run waits for it, so that the
// caller does not close the store under that write.
func TestSocketShutdownTimeoutWaitsForCancelledHandlers(t *testing.T) {
	var recorded atomic.Bool
	h := funcHandler{slash: func(ctx context.Context, _ slack.SlashCommand) slackui.Reply {
		<-ctx.Done()
		time.Sleep(100 * time.Millisecond) // the audit write after the cancellation
		recorded.Store(true)
		return slackui.Reply{}
	}}
	hs := startHarness(t, Config{ShutdownTimeout: 300 * time.Millisecond}, h)
	it := hs.fake.SlashCommand("U1", "C1", "stuck")
	_, err := it.WaitAck(waitCtx(t, 5*time.Second))
	require.NoError(t, err)

	require.NoError(t, hs.stop(t))
	assert.True(t, recorded.Load(), "Run returned before the cancelled handler was through")
}

func TestSocketQueueFullRepliesBusyWithoutBlockingAcks(t *testing.T) {
	release := make(chan struct{})
	running := make(chan struct{}, 10)
	h := funcHandler{slash: func(ctx context.Context, _ slack.SlashCommand) slackui.Reply {
		running <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return slackui.Reply{Message: slackui.Text("done")}
	}}
	hs := startHarness(t, Config{Workers: 1, QueueSize: 1, ShutdownTimeout: time.Second}, h)
	defer close(release)
	ctx := waitCtx(t, 10*time.Second)

	its := make([]*slacksandbox.Interaction, 5)
	for i := range its {
		its[i] = hs.fake.SlashCommand("U1", "C1", fmt.Sprintf("job %d", i))
		_, err := its[i].WaitAck(ctx)
		require.NoError(t, err)
		if i == 0 {
			<-running // the only worker is now busy with job 0
		}
	}
	// One runs, one waits in the queue, the other three are told to come back later.
	busy := 0
	for _, it := range its[2:] {
		r, err := it.WaitResponse(ctx)
		require.NoError(t, err)
		if strings.Contains(r.Text, "busy") {
			busy++
		}
	}
	assert.Equal(t, 3, busy)
}

func BenchmarkAckBurst(b *testing.B) {
	const burst = 200
	var all []time.Duration
	for b.Loop() {
		b.StopTimer()
		hs := startHarness(b, Config{ShutdownTimeout: 200 * time.Millisecond}, sleepyHandler(2*time.Second))
		b.StartTimer()
		all = append(all, burstAckLatencies(b, hs, burst)...)
		b.StopTimer()
		require.NoError(b, hs.stop(b))
		hs.fake.Close()
		b.StartTimer()
	}
	slices.Sort(all)
	b.ReportMetric(float64(percentile(all, 0.5).Microseconds())/1000, "p50-ack-ms")
	b.ReportMetric(float64(percentile(all, 0.99).Microseconds())/1000, "p99-ack-ms")
	b.ReportMetric(float64(all[len(all)-1].Microseconds())/1000, "max-ack-ms")
}

// replayServer is a bare Socket Mode endpoint that sends one slash-command envelope
// twice with the same envelope_id and records the acks and response_url posts.
type replayServer struct {
	*httptest.Server
	mu      sync.Mutex
	acks    []string
	ackSig  chan struct{}
	replies atomic.Int32
}

func newReplayServer(t *testing.T) *replayServer {
	rs := &replayServer{ackSig: make(chan struct{}, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/auth.test", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"team_id":"T1","user_id":"UBOT"}`))
	})
	mux.HandleFunc("/api/apps.connections.open", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(rs.URL, "http") + "/link"})
	})
	mux.HandleFunc("/response/1", func(w http.ResponseWriter, _ *http.Request) {
		rs.replies.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	var served atomic.Bool
	mux.HandleFunc("/link", func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","num_connections":1}`))
		if served.CompareAndSwap(false, true) {
			payload, _ := json.Marshal(map[string]string{
				"command": "/devin", "text": "once", "user_id": "U1", "channel_id": "C1",
				"response_url": rs.URL + "/response/1", "trigger_id": "t1", "is_enterprise_install": "false",
			})
			frame, _ := json.Marshal(map[string]any{
				"envelope_id": "env-dup", "type": "slash_commands", "payload": json.RawMessage(payload),
				"accepts_response_payload": true,
			})
			_ = ws.WriteMessage(websocket.TextMessage, frame)
			_ = ws.WriteMessage(websocket.TextMessage, frame)
		}
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var ack struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(data, &ack) == nil {
				rs.mu.Lock()
				rs.acks = append(rs.acks, ack.EnvelopeID)
				rs.mu.Unlock()
				rs.ackSig <- struct{}{}
			}
		}
	})
	rs.Server = httptest.NewServer(mux)
	t.Cleanup(rs.Close)
	return rs
}

func (rs *replayServer) waitAcks(t *testing.T, n int) []string {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for range n {
		select {
		case <-rs.ackSig:
		case <-timeout:
			t.Fatalf("fewer than %d acks", n)
		}
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.acks...)
}
