package e2e

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/app"
	"devin-chatops/bot"
	"devin-chatops/config"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
	slacksandbox "devin-chatops/internal/sandbox/slack"
)

// roBurst sends n slash commands at once, texts taken in turn from texts.
func roBurst(env *harness.Env, n int, texts ...string) []*slacksandbox.Interaction {
	its := make([]*slacksandbox.Interaction, n)
	for i := range its {
		its[i] = env.Slack.SlashCommand(harness.Requester, harness.GeneralChannel, texts[i%len(texts)])
	}
	return its
}

// roAwaitAnswers waits for the first response of every interaction, all at once, and
// returns them in order together with when each arrived.
func roAwaitAnswers(ctx context.Context, its []*slacksandbox.Interaction) ([]slacksandbox.Response, []time.Time, []error) {
	resps := make([]slacksandbox.Response, len(its))
	at := make([]time.Time, len(its))
	errs := make([]error, len(its))
	var wg sync.WaitGroup
	for i, it := range its {
		wg.Go(func() {
			resps[i], errs[i] = it.WaitResponse(ctx)
			at[i] = time.Now()
		})
	}
	wg.Wait()
	return resps, at, errs
}

// roAwaitAcks waits for the ack of every interaction.
func roAwaitAcks(ctx context.Context, its []*slacksandbox.Interaction) ([]slacksandbox.AckRecord, []error) {
	acks := make([]slacksandbox.AckRecord, len(its))
	errs := make([]error, len(its))
	for i, it := range its {
		acks[i], errs[i] = it.WaitAck(ctx)
	}
	return acks, errs
}

// roGet fetches path from the bot's health listener.
func roGet(t *testing.T, base, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// roEventually polls cond every 10 ms until it holds or d passes.
func roEventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			require.Failf(t, "timed out", "waiting %s for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRuntimeDisconnectMidBurst: Slack asks the bot to reconnect (as it does every few
// hours) while 48 commands are arriving. The bot opens a new socket, and every command
// is acked in time (the fake records any that is not, and start fails the test) and
// answered exactly once.
func TestRuntimeDisconnectMidBurst(t *testing.T) {
	t.Parallel()
	env := start(t, harness.Options{})
	texts := []string{"members", "help", "teams", "orgs"}
	wants := map[string]string{
		"members": "*4 members* in the Devin enterprise",
		"help":    "*Read-only*",
		"teams":   "*2 teams* in the GitHub enterprise",
		"orgs":    "*2 organizations* in the Devin enterprise",
	}

	// 24 so that the second half starts again at texts[0], like the first.
	first := roBurst(env, 24, texts...)
	env.Slack.Disconnect("refresh_requested")
	second := roBurst(env, 24, texts...)
	its := append(first, second...)

	// Acks are due within 3 s; waiting longer only makes a failure slow.
	acks, errs := roAwaitAcks(waitCtx(t, 10*time.Second), its)
	for i, err := range errs {
		require.NoError(t, err, "command %d was never acked", i)
		assert.Less(t, acks[i].Latency, 3*time.Second, "command %d acked late", i)
		assert.False(t, acks[i].Late, "command %d acked after Slack's deadline", i)
	}
	ctx := waitCtx(t, 30*time.Second)
	resps, _, errs := roAwaitAnswers(ctx, its)
	for i, err := range errs {
		require.NoError(t, err, "command %d was never answered", i)
		text := texts[i%len(texts)]
		assert.Contains(t, roShown(resps[i].Content), wants[text], "answer to command %d (/devin %s)", i, text)
	}
	// A redelivered or re-handled envelope would show up as a second answer.
	time.Sleep(200 * time.Millisecond)
	for i, it := range its {
		assert.Len(t, it.Responses(), 1, "command %d answered more than once", i)
	}
	require.NoError(t, env.Slack.WaitConnected(ctx, 1))
	assert.True(t, env.App.Bot.Connected())

	code, metrics := roGet(t, "http://"+env.App.Addr(), "/metrics")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, metrics, "\nchatops_socket_reconnects_total 1\n")
	assert.Contains(t, metrics, "\nchatops_socket_connected 1\n")
}

// TestRuntimeSlowAPIBurst: the Devin API takes 2 s per call while 200 /devin members
// arrive at once. Slack's 3-second rule is about the ack, not the answer: every
// envelope must be acked within 3 s, and every command answered eventually, all from
// one shared listing.
func TestRuntimeSlowAPIBurst(t *testing.T) {
	t.Parallel()
	const n = 200
	env := start(t, harness.Options{App: app.Options{Bot: bot.Config{
		// Most commands run at once and wait for the listing together; how the
		// default pool fares is the load driver's business.
		Workers: 100,
	}}})
	env.Devin.SetLatencyOp(2*time.Second, devinsandbox.OpListMembers)

	began := time.Now()
	its := roBurst(env, n, "members")
	acks, errs := roAwaitAcks(waitCtx(t, 10*time.Second), its)
	var slowest time.Duration
	for i, err := range errs {
		require.NoError(t, err, "command %d was never acked", i)
		slowest = max(slowest, acks[i].Latency)
		assert.Less(t, acks[i].Latency, 3*time.Second, "command %d acked after %s", i, acks[i].Latency)
		assert.False(t, acks[i].Late)
	}
	t.Logf("slowest ack of %d: %s", n, slowest)
	// The acks are not waiting for the API: all came before the first answer could.
	assert.Less(t, time.Since(began), 2*time.Second, "acks took as long as the API")

	resps, _, errs := roAwaitAnswers(waitCtx(t, 45*time.Second), its)
	for i, err := range errs {
		require.NoError(t, err, "command %d was never answered", i)
		assert.Contains(t, roShown(resps[i].Content), "*4 members* in the Devin enterprise", "answer %d", i)
	}
	assert.Equal(t, 1, env.Devin.CountOp(devinsandbox.OpListMembers), "the burst shares one listing")
	assert.Empty(t, env.Slack.Unacked())
}

// roGatedSlack is a proxy for the fake Slack's Web API that holds every
// apps.connections.open until gate is closed: the bot is up, its tokens verified, but
// its socket not yet connected. Point it at the fake with setTarget (from
// Options.Configure, which runs on harness.Start's goroutine).
func roGatedSlack(t *testing.T, gate <-chan struct{}) (apiURL string, setTarget func(apiURL string)) {
	t.Helper()
	var (
		mu    sync.Mutex
		proxy *httputil.ReverseProxy
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/apps.connections.open") {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		mu.Lock()
		p := proxy
		mu.Unlock()
		if p == nil {
			http.Error(w, "no target yet", http.StatusBadGateway)
			return
		}
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/", func(target string) {
		u, err := url.Parse(target)
		if err != nil {
			panic(err) // the fake's own URL
		}
		u.Path = ""
		mu.Lock()
		proxy = httputil.NewSingleHostReverseProxy(u)
		mu.Unlock()
	}
}

// TestRuntimeHealth: /healthz answers while the process runs; /readyz is 503 until the
// socket is connected, 200 while it is, and 503 again while the bot reconnects.
func TestRuntimeHealth(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	gate := make(chan struct{})
	gated, setTarget := roGatedSlack(t, gate)
	var once sync.Once
	openGate := func() { once.Do(func() { close(gate) }) }
	t.Cleanup(openGate) // before the proxy closes, should the test stop early
	opts := harness.Options{
		Slack: slacksandbox.Options{T: t},
		App:   app.Options{Listener: ln},
		Configure: func(c *config.Config) {
			setTarget(c.SlackAPIURL)
			c.SlackAPIURL = gated
		},
	}
	type started struct {
		env *harness.Env
		err error
	}
	done := make(chan started, 1)
	go func() {
		env, err := harness.Start(t.Context(), opts)
		done <- started{env, err}
	}()

	// Before the socket is connected: alive, not ready, and saying why.
	roEventually(t, 5*time.Second, "/readyz to say the socket is down", func() bool {
		code, body := roGet(t, base, "/readyz")
		require.Equal(t, http.StatusServiceUnavailable, code, "/readyz before the socket is up: %s", body)
		require.Contains(t, []string{"slack tokens not verified yet", "socket mode not connected"}, body)
		return body == "socket mode not connected"
	})
	code, body := roGet(t, base, "/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok", body)
	_, metrics := roGet(t, base, "/metrics")
	assert.Contains(t, metrics, "\nchatops_socket_connected 0\n")

	openGate()
	s := <-done
	require.NoError(t, s.err)
	env := s.env
	t.Cleanup(func() {
		require.NoError(t, env.Close())
		require.Empty(t, env.Slack.Unacked())
	})
	code, body = roGet(t, base, "/readyz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok", body)
	_, metrics = roGet(t, base, "/metrics")
	assert.Contains(t, metrics, "\nchatops_socket_connected 1\n")

	// While reconnecting (apps.connections.open slowed down) the bot is not ready.
	env.Slack.SetLatency("apps.connections.open", 1500*time.Millisecond)
	env.Slack.Disconnect("refresh_requested")
	roEventually(t, 3*time.Second, "/readyz to report the reconnect", func() bool {
		code, _ := roGet(t, base, "/readyz")
		return code == http.StatusServiceUnavailable
	})
	code, body = roGet(t, base, "/healthz")
	assert.Equal(t, http.StatusOK, code, "liveness does not depend on the socket")
	assert.Equal(t, "ok", body)
	roEventually(t, 10*time.Second, "/readyz to recover", func() bool {
		code, _ := roGet(t, base, "/readyz")
		return code == http.StatusOK
	})
	r := slash(t, env, harness.Requester, harness.GeneralChannel, "orgs")
	assert.Contains(t, roShown(r.Content), "*2 organizations*")
}

// TestRuntimeRejectedTokens: a token Slack rejects stops the start with an error that
// names the setting to fix and never the token itself.
func TestRuntimeRejectedTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, want string
		set        func(c *config.Config, bad config.Secret)
		bad        config.Secret
	}{
		{"bot token", "SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)",
			func(c *config.Config, bad config.Secret) { c.SlackBotToken = bad }, "xoxb-0000-wrong-secret-bot-token"},
		{"app token", "SLACK_APP_TOKEN was rejected by Slack (invalid_auth)",
			func(c *config.Config, bad config.Secret) { c.SlackAppToken = bad }, "xapp-1-A0000-wrong-secret-app-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			began := time.Now()
			env, err := harness.Start(t.Context(), harness.Options{
				Slack:     slacksandbox.Options{T: t},
				Configure: func(c *config.Config) { tc.set(c, tc.bad) },
			})
			if err == nil {
				_ = env.Close()
				t.Fatal("the bot started with a token Slack rejects")
			}
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), string(tc.bad))
			assert.NotContains(t, err.Error(), "wrong-secret")
			assert.NotContains(t, err.Error(), "xoxb-fake")
			assert.NotContains(t, err.Error(), "xapp-fake")
			assert.Less(t, time.Since(began), 5*time.Second, "a rejected token is not retried")
		})
	}
}

// TestRuntimeGracefulShutdown: stopping the bot (SIGTERM) while a slow command is in
// flight waits for it: the user still gets the answer, and Run returns nil.
func TestRuntimeGracefulShutdown(t *testing.T) {
	t.Parallel()
	env := start(t, harness.Options{})
	env.Devin.SetLatencyOp(time.Second, devinsandbox.OpListMembers)
	it := env.Slack.SlashCommand(harness.Requester, harness.GeneralChannel, "members")
	_, err := it.WaitAck(waitCtx(t, 5*time.Second))
	require.NoError(t, err)
	roEventually(t, 5*time.Second, "the command to reach the Devin API", func() bool {
		return env.Devin.CountOp(devinsandbox.OpListMembers) > 0
	})

	began := time.Now()
	require.NoError(t, env.StopBot())
	took := time.Since(began)
	assert.Less(t, took, 10*time.Second, "shutdown is bounded")
	resps := it.Responses()
	require.Len(t, resps, 1, "the in-flight command was answered before the bot stopped")
	assert.Contains(t, roShown(resps[0].Content), "*4 members* in the Devin enterprise")
}

// TestRuntimeShutdownTimeout: work that outlasts the shutdown timeout does not hold
// the process: Run returns soon after the timeout.
func TestRuntimeShutdownTimeout(t *testing.T) {
	t.Parallel()
	env := start(t, harness.Options{App: app.Options{Bot: bot.Config{ShutdownTimeout: 300 * time.Millisecond}}})
	env.Devin.SetLatencyOp(10*time.Second, devinsandbox.OpListMembers)
	it := env.Slack.SlashCommand(harness.Requester, harness.GeneralChannel, "members")
	_, err := it.WaitAck(waitCtx(t, 5*time.Second))
	require.NoError(t, err)
	roEventually(t, 5*time.Second, "the command to reach the Devin API", func() bool {
		return env.Devin.CountOp(devinsandbox.OpListMembers) > 0
	})
	began := time.Now()
	require.NoError(t, env.StopBot())
	assert.Less(t, time.Since(began), 3*time.Second, "shutdown waited for work past its timeout")
	// The user whose command was cut off is told, not left waiting.
	r, err := it.WaitResponse(waitCtx(t, 5*time.Second))
	require.NoError(t, err)
	assert.Contains(t, r.AllText(), "The bot restarted before it could answer; please run the command again.")
}

// roErrorLog is a slog handler that keeps the messages of error records.
type roErrorLog struct {
	mu   *sync.Mutex
	msgs *[]string
}

func newROErrorLog() roErrorLog { return roErrorLog{mu: &sync.Mutex{}, msgs: &[]string{}} }

func (h roErrorLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h roErrorLog) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.msgs = append(*h.msgs, r.Message)
	return nil
}
func (h roErrorLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h roErrorLog) WithGroup(string) slog.Handler      { return h }
func (h roErrorLog) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), *h.msgs...)
}

// TestRuntimeCleanShutdownLogsNoError: a SIGTERM with work in the pipes (audit echoes
// waiting for Slack's pace) is a normal stop; it must not log errors an operator would
// be paged for. The stop races with the echoer, so it is done three times.
func TestRuntimeCleanShutdownLogsNoError(t *testing.T) {
	t.Parallel()
	errs := newROErrorLog()
	env := start(t, harness.Options{Logger: slog.New(errs)})
	for round := range 3 {
		if round > 0 {
			require.NoError(t, env.Restart(t.Context()))
		}
		its := roBurst(env, 10, "help", "members")
		_, _, answered := roAwaitAnswers(waitCtx(t, 10*time.Second), its)
		for _, err := range answered {
			require.NoError(t, err)
		}
		require.NoError(t, env.StopBot())
		assert.Empty(t, errs.messages(), "errors logged by clean shutdown %d", round+1)
	}
}
