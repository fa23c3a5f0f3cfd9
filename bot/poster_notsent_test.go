package bot

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/slackui"
)

// A failure is marked NotSent only when Slack certainly did not act on the call, so a
// caller may hand the work to another process without risking a duplicate.
func TestPosterMarksFailuresSlackCannotHaveActedOn(t *testing.T) {
	tests := []struct {
		name    string
		script  []scripted
		notSent bool
	}{
		{"429 until the attempts run out", []scripted{
			{status: http.StatusTooManyRequests, retryAfter: "1"}, {status: http.StatusTooManyRequests, retryAfter: "1"},
		}, true},
		{"a documented refusal", []scripted{slackError("channel_not_found")}, true},
		{"ok:false ratelimited, then a refusal", []scripted{slackError("ratelimited"), slackError("not_in_channel")}, true},
		{"a 5xx may have been acted on", []scripted{{status: http.StatusBadGateway}, {status: http.StatusBadGateway}}, false},
		{"a 429, then a 5xx", []scripted{{status: http.StatusTooManyRequests, retryAfter: "1"}, {status: http.StatusBadGateway}}, false},
		{"an internal_error may have been acted on", []scripted{slackError("internal_error"), slackError("internal_error")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, api := newTestPoster(t, newAutoClock(), WithRetries(2, time.Second, time.Second))
			api.Script("chat.postMessage", tt.script...)
			_, err := p.Post(context.Background(), "C1", slackui.Text("hi"))
			require.Error(t, err)
			assert.Equal(t, tt.notSent, slackui.NotSent(err), "%v", err)
		})
	}
}

func TestPosterFailedDialIsNotSent(t *testing.T) {
	client := NewSlackClient(Config{BotToken: "xoxb-test", APIURL: "http://127.0.0.1:1/api/"})
	p := NewPoster(client, nil, WithPosterClock(newAutoClock()), WithRetries(2, time.Second, time.Second))
	_, err := p.Post(context.Background(), "C1", slackui.Text("hi"))
	require.Error(t, err)
	assert.True(t, slackui.NotSent(err), "%v", err)
}

// Given up while it waited for a Retry-After window, the post never left: NotSent.
func TestPosterCancelledBeforeSendingIsNotSent(t *testing.T) {
	clock := newManualClock()
	p, api := newTestPoster(t, clock)
	api.Script("chat.postMessage", scripted{status: http.StatusTooManyRequests, retryAfter: "30"})
	// The first post earns the 429 and retries after the window; cancelled meanwhile.
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := p.Post(ctx, "C1", slackui.Text("first"))
		errc <- err
	}()
	require.Eventually(t, func() bool { return clock.Waiters() == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	err := <-errc
	require.ErrorIs(t, err, context.Canceled)
	assert.True(t, slackui.NotSent(err), "only a 429 reached Slack")

	// A post started while the window is open waits for it and never leaves either.
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() {
		_, err := p.Post(ctx2, "C2", slackui.Text("second"))
		errc <- err
	}()
	require.Eventually(t, func() bool { return clock.Waiters() == 1 }, 5*time.Second, time.Millisecond)
	cancel2()
	err = <-errc
	require.ErrorIs(t, err, context.Canceled)
	assert.True(t, slackui.NotSent(err))
	assert.Len(t, api.Calls("chat.postMessage"), 1)

	// Already ended: nothing is sent.
	_, err = p.Post(ctx2, "C3", slackui.Text("third"))
	assert.True(t, slackui.NotSent(err))
	assert.Len(t, api.Calls("chat.postMessage"), 1)
}

// Cut off while its request was at Slack, a post may have been made: not NotSent.
func TestPosterCancelledMidRequestMayHaveBeenSent(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client going away
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: no handler outlives the test
	client := NewSlackClient(Config{BotToken: "xoxb-test", APIURL: srv.URL + "/api/"})
	p := NewPoster(client, nil, WithPosterClock(newAutoClock()))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := p.Post(ctx, "C1", slackui.Text("hi"))
		errc <- err
	}()
	<-arrived
	cancel()
	err := <-errc
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, slackui.NotSent(err))
}
