package slacksandbox

import (
	"context"
	"fmt"
	"io"
	"log"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/stretchr/testify/require"

	"devin-chatops/clock/clocktest"
)

const waitTimeout = 5 * time.Second

// testOptions keep every protocol timer short so the package stays fast.
func testOptions() Options {
	return Options{
		PingInterval:     50 * time.Millisecond,
		AckDeadline:      time.Second,
		EventRetryDelays: []time.Duration{0, 20 * time.Millisecond},
		DisconnectGrace:  100 * time.Millisecond,
	}
}

func newFake(t *testing.T, opts Options) *Server {
	t.Helper()
	f := New(opts)
	t.Cleanup(f.Close)
	return f
}

func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

func newAPI(f *Server) *slack.Client {
	o := f.Options()
	return slack.New(o.BotToken, slack.OptionAppLevelToken(o.AppToken), slack.OptionAPIURL(f.APIURL()))
}

// bot is a real slack-go Socket Mode client connected to the fake.
type bot struct {
	api *slack.Client
	sm  *socketmode.Client
}

func newBot(f *Server, pingWatchdog time.Duration) *bot {
	api := newAPI(f)
	sm := socketmode.New(api,
		socketmode.OptionPingInterval(pingWatchdog),
		socketmode.OptionLog(log.New(io.Discard, "", 0)),
	)
	return &bot{api: api, sm: sm}
}

// run starts the client's connection loop and stops it at cleanup.
func (b *bot) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = b.sm.RunContext(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// next returns the next event of type typ, dropping others on the way.
func (b *bot) next(t *testing.T, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case evt := <-b.sm.Events:
			if evt.Type == typ {
				return evt
			}
		case <-timeout:
			t.Fatalf("no %s event within %s", typ, waitTimeout)
		}
	}
}

func connectedBot(t *testing.T, f *Server) *bot {
	t.Helper()
	b := newBot(f, time.Second)
	b.run(t)
	b.next(t, socketmode.EventTypeHello)
	return b
}

// errRecorder stands in for *testing.T to capture the fake's Errorf calls.
type errRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *errRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *errRecorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// newManualClock is an injectable clock tests move by hand.
func newManualClock() *clocktest.Fake {
	return clocktest.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
}

func approvalBlocks(requestID string) []slack.Block {
	return []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Request* "+requestID, false, false), nil, nil),
		slack.NewActionBlock("approval:"+requestID,
			slack.NewButtonBlockElement("approve", requestID, slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement("deny", requestID, slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false)).WithStyle(slack.StyleDanger),
		),
	}
}

func postCard(t *testing.T, api *slack.Client, channel, requestID string) string {
	t.Helper()
	_, ts, err := api.PostMessage(channel, slack.MsgOptionText("Request "+requestID, false), slack.MsgOptionBlocks(approvalBlocks(requestID)...))
	require.NoError(t, err)
	return ts
}

func requireErrCode(t *testing.T, err error, code string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, err.Error())
}
