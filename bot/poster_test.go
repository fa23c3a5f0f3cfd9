package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/clock/clocktest"
	"devin-chatops/slackui"
)

func newTestPoster(t *testing.T, clock *clocktest.Fake, opts ...PosterOption) (*Poster, *webAPI) {
	t.Helper()
	api := newWebAPI(t, clock)
	client := NewSlackClient(Config{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: api.URL()})
	opts = append([]PosterOption{WithPosterClock(clock)}, opts...)
	return NewPoster(client, nil, opts...), api
}

func offsets(calls []apiCall) []time.Duration {
	out := make([]time.Duration, len(calls))
	for i, c := range calls {
		out[i] = c.At.Sub(calls[0].At)
	}
	return out
}

func TestPosterPacesOneChannelAfterBurst(t *testing.T) {
	clock := newAutoClock()
	p, api := newTestPoster(t, clock)

	for i := range 10 {
		_, err := p.Post(context.Background(), "C1", slackui.Text("hello"))
		require.NoError(t, err, "post %d", i)
	}

	s := time.Second
	assert.Equal(t,
		[]time.Duration{0, 0, 0, 1 * s, 2 * s, 3 * s, 4 * s, 5 * s, 6 * s, 7 * s},
		offsets(api.Calls("chat.postMessage")),
		"a burst of 3, then one message per second")
}

func TestPosterChannelsDoNotBlockEachOther(t *testing.T) {
	clock := newManualClock()
	p, api := newTestPoster(t, clock)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Saturate C1: three go out, the fourth waits for the clock.
	var busy sync.WaitGroup
	busy.Go(func() {
		for range 5 {
			_, err := p.Post(ctx, "C1", slackui.Text("flood"))
			assert.NoError(t, err)
		}
	})
	require.Eventually(t, func() bool { return clock.Waiters() == 1 }, 5*time.Second, time.Millisecond)
	require.Len(t, api.Calls("chat.postMessage"), 3)

	// C2 is not held up by C1's queue, and nothing advanced the clock.
	_, err := p.Post(ctx, "C2", slackui.Text("other channel"))
	require.NoError(t, err)
	calls := api.Calls("chat.postMessage")
	require.Len(t, calls, 4)
	assert.Equal(t, "C2", calls[3].Form.Get("channel"))

	// Time frees C1 one message per second.
	for range 2 {
		require.Eventually(t, func() bool { return clock.Waiters() == 1 }, 5*time.Second, time.Millisecond)
		clock.Advance(time.Second)
	}
	busy.Wait()
	assert.Len(t, api.Calls("chat.postMessage"), 6)
}

func TestPosterHonoursRetryAfter(t *testing.T) {
	clock := newAutoClock()
	p, api := newTestPoster(t, clock)
	api.Script("chat.postMessage", scripted{status: http.StatusTooManyRequests, retryAfter: "7"})

	ts, err := p.Post(context.Background(), "C1", slackui.Text("hi"))
	require.NoError(t, err)
	assert.NotEmpty(t, ts)

	calls := api.Calls("chat.postMessage")
	require.Len(t, calls, 2)
	assert.GreaterOrEqual(t, calls[1].At.Sub(calls[0].At), 7*time.Second, "the retry waited out Retry-After")
	assert.Contains(t, clock.Sleeps(), 7*time.Second)
}

func TestPosterRetryAfterBlocksTheMethodForEveryone(t *testing.T) {
	clock := newManualClock()
	p, api := newTestPoster(t, clock)
	api.Script("chat.update", scripted{status: http.StatusTooManyRequests, retryAfter: "30"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	wg.Go(func() { assert.NoError(t, p.Update(ctx, "C1", "1.1", slackui.Text("x"))) })
	require.Eventually(t, func() bool { return clock.Waiters() == 1 }, 5*time.Second, time.Millisecond)

	// Another channel, same method: it waits for the window instead of earning a 429.
	wg.Go(func() { assert.NoError(t, p.Update(ctx, "C2", "1.2", slackui.Text("y"))) })
	require.Eventually(t, func() bool { return clock.Waiters() == 2 }, 5*time.Second, time.Millisecond)
	assert.Len(t, api.Calls("chat.update"), 1)

	// Other methods are not limited by chat.update's window.
	_, err := p.Post(ctx, "C3", slackui.Text("z"))
	require.NoError(t, err)

	clock.Advance(30 * time.Second)
	wg.Wait()
	calls := api.Calls("chat.update")
	require.Len(t, calls, 3)
	assert.Equal(t, 30*time.Second, calls[1].At.Sub(calls[0].At))
}

func TestPosterDoesNotRetryPermanentErrors(t *testing.T) {
	for _, code := range []string{"channel_not_found", "invalid_blocks", "not_in_channel", "msg_too_long"} {
		t.Run(code, func(t *testing.T) {
			clock := newAutoClock()
			p, api := newTestPoster(t, clock)
			api.Script("chat.postMessage", slackError(code), slackError(code))

			_, err := p.Post(context.Background(), "C1", slackui.Text("hi"))
			require.Error(t, err)
			var se slack.SlackErrorResponse
			require.ErrorAs(t, err, &se)
			assert.Equal(t, code, se.Err)
			assert.Len(t, api.Calls("chat.postMessage"), 1, "not retried")
			assert.Empty(t, clock.Sleeps())
		})
	}
}

func TestPosterRetriesTransientFailures(t *testing.T) {
	clock := newAutoClock()
	p, api := newTestPoster(t, clock, WithRetries(4, time.Second, 8*time.Second))
	api.Script("chat.postEphemeral",
		scripted{status: http.StatusServiceUnavailable, body: "<html>"},
		slackError("internal_error"))

	require.NoError(t, p.Ephemeral(context.Background(), "C1", "U1", slackui.Text("psst")))
	assert.Len(t, api.Calls("chat.postEphemeral"), 3)
	sleeps := clock.Sleeps()
	require.Len(t, sleeps, 2)
	assert.GreaterOrEqual(t, sleeps[0], 500*time.Millisecond)
	assert.LessOrEqual(t, sleeps[0], time.Second)
	assert.GreaterOrEqual(t, sleeps[1], time.Second, "backoff grows")
	assert.LessOrEqual(t, sleeps[1], 2*time.Second)
}

func TestPosterGivesUpAfterMaxAttempts(t *testing.T) {
	clock := newAutoClock()
	p, api := newTestPoster(t, clock, WithRetries(3, time.Second, 8*time.Second))
	for range 5 {
		api.Script("chat.postMessage", scripted{status: http.StatusBadGateway})
	}

	_, err := p.Post(context.Background(), "C1", slackui.Text("hi"))
	var sc slack.StatusCodeError
	require.ErrorAs(t, err, &sc)
	assert.Equal(t, http.StatusBadGateway, sc.Code)
	assert.Len(t, api.Calls("chat.postMessage"), 3)
}

func TestPosterRetriesNetworkErrors(t *testing.T) {
	clock := newAutoClock()
	client := NewSlackClient(Config{BotToken: "xoxb-test", APIURL: "http://127.0.0.1:1/api/"})
	p := NewPoster(client, nil, WithPosterClock(clock), WithRetries(3, time.Second, time.Second))

	_, err := p.Post(context.Background(), "C1", slackui.Text("hi"))
	require.Error(t, err)
	assert.Len(t, clock.Sleeps(), 2, "two retries after the first failure")
	assert.NotContains(t, err.Error(), "xoxb-test", "errors never carry the token")
}

func TestPosterRespectsContextWhilePaced(t *testing.T) {
	clock := newManualClock()
	p, api := newTestPoster(t, clock)
	for range 3 {
		_, err := p.Post(context.Background(), "C1", slackui.Text("x"))
		require.NoError(t, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := p.Post(ctx, "C1", slackui.Text("waits"))
		errc <- err
	}()
	require.Eventually(t, func() bool { return clock.Waiters() == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("Post did not return after its context ended")
	}
	assert.Len(t, api.Calls("chat.postMessage"), 3)

	// The abandoned slot was handed back: one second later exactly one post may go.
	clock.Advance(time.Second)
	_, err := p.Post(context.Background(), "C1", slackui.Text("next"))
	require.NoError(t, err)
}

func TestPosterRespond(t *testing.T) {
	clock := newManualClock() // any pacing wait would block this test
	p, api := newTestPoster(t, clock)

	for range 5 {
		require.NoError(t, p.Respond(context.Background(), api.ResponseURL("r1"), slackui.Reply{Message: slackui.Text("only you")}))
	}
	require.NoError(t, p.Respond(context.Background(), api.ResponseURL("r2"), slackui.Reply{Message: slackui.Text("everyone"), InChannel: true}))

	calls := api.Calls("response")
	require.Len(t, calls, 6, "response_urls are not paced")
	assert.Equal(t, "ephemeral", calls[0].JSON["response_type"])
	assert.Equal(t, "only you", calls[0].JSON["text"])
	assert.NotEmpty(t, calls[0].JSON["blocks"])
	assert.Equal(t, "in_channel", calls[5].JSON["response_type"])

	api.Script("response", slackError("expired_url"))
	err := p.Respond(context.Background(), api.ResponseURL("r3"), slackui.Reply{Message: slackui.Text("late")})
	assert.ErrorContains(t, err, "expired_url")
	assert.Error(t, p.Respond(context.Background(), "", slackui.Reply{Message: slackui.Text("x")}))
}

func TestPosterDMOpensConversationOnce(t *testing.T) {
	p, api := newTestPoster(t, newAutoClock())

	require.NoError(t, p.DM(context.Background(), "U42", slackui.Text("one")))
	require.NoError(t, p.DM(context.Background(), "U42", slackui.Text("two")))

	assert.Len(t, api.Calls("conversations.open"), 1, "the DM channel is cached")
	posts := api.Calls("chat.postMessage")
	require.Len(t, posts, 2)
	assert.Equal(t, "DU42", posts[1].Form.Get("channel"))

	// A vanished DM channel is forgotten so the next DM reopens it.
	api.Script("chat.postMessage", slackError("channel_not_found"))
	require.Error(t, p.DM(context.Background(), "U42", slackui.Text("three")))
	require.NoError(t, p.DM(context.Background(), "U42", slackui.Text("four")))
	assert.Len(t, api.Calls("conversations.open"), 2)
}

func TestPosterSendsTextAndBlocksUnescaped(t *testing.T) {
	p, api := newTestPoster(t, newAutoClock())
	_, err := p.Post(context.Background(), "C1", slackui.Text("<@U1> approved"))
	require.NoError(t, err)
	require.NoError(t, p.Update(context.Background(), "C1", "1.1", slackui.Message{Text: "done"}))

	post := api.Calls("chat.postMessage")[0]
	assert.Equal(t, "<@U1> approved", post.Form.Get("text"), "callers escape; the poster does not")
	var blocks []struct {
		Text struct{ Text string } `json:"text"`
	}
	require.NoError(t, json.Unmarshal([]byte(post.Form.Get("blocks")), &blocks))
	require.Len(t, blocks, 1)
	assert.Equal(t, "<@U1> approved", blocks[0].Text.Text)
	upd := api.Calls("chat.update")[0]
	assert.Equal(t, "1.1", upd.Form.Get("ts"))
	assert.Equal(t, "[]", upd.Form.Get("blocks"), "an update without blocks removes the old ones")
}

func TestPosterOpenView(t *testing.T) {
	p, api := newTestPoster(t, newManualClock())
	view := slack.ModalViewRequest{
		Type:  slack.VTModal,
		Title: slack.NewTextBlockObject(slack.PlainTextType, "Request", false, false),
	}
	require.NoError(t, p.OpenView(context.Background(), "trig-1", view))
	calls := api.Calls("views.open")
	require.Len(t, calls, 1)
	assert.Equal(t, "trig-1", calls[0].JSON["trigger_id"])

	api.Script("views.open", slackError("expired_trigger_id"))
	err := p.OpenView(context.Background(), "trig-2", view)
	var se *slackui.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "expired_trigger_id", se.Code)
	assert.Len(t, api.Calls("views.open"), 2, "not retried")
}

// A post whose request reached Slack but whose answer was lost may have been posted:
// sending it again would duplicate an approval card or a reply. An update may be resent.
func TestPosterDoesNotResendPostsThatMayHaveArrived(t *testing.T) {
	var posts, updates atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/chat.postMessage"):
			posts.Add(1)
		case strings.HasSuffix(r.URL.Path, "/chat.update"):
			updates.Add(1)
		case strings.Contains(r.URL.Path, "/response/"):
			posts.Add(1)
		}
		// Drop the connection after reading the request: the caller cannot tell
		// whether Slack acted on it.
		hj, ok := w.(http.Hijacker)
		require.True(t, ok)
		conn, _, err := hj.Hijack()
		require.NoError(t, err)
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	clock := newAutoClock()
	client := NewSlackClient(Config{BotToken: "xoxb-test", APIURL: srv.URL + "/api/"})
	p := NewPoster(client, nil, WithPosterClock(clock), WithRetries(3, time.Second, time.Second))

	_, err := p.Post(context.Background(), "C1", slackui.Text("card"))
	require.Error(t, err)
	assert.EqualValues(t, 1, posts.Load(), "chat.postMessage is sent once")

	err = p.Respond(context.Background(), srv.URL+"/response/abc", slackui.Reply{Message: slackui.Text("hi")})
	require.Error(t, err)
	assert.EqualValues(t, 2, posts.Load(), "a response_url post is sent once")
	assert.NotContains(t, err.Error(), "/response/abc", "a response_url never reaches an error")

	require.Error(t, p.Update(context.Background(), "C1", "1.000001", slackui.Text("card")))
	assert.EqualValues(t, 3, updates.Load(), "chat.update is retried: resending it is harmless")
}
