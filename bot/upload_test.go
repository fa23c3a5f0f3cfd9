package bot

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/clock/clocktest"
	slacksandbox "devin-chatops/internal/sandbox/slack"
	"devin-chatops/slackui"
)

const reportsChannel = "C0REPORTS"

// chartPNG starts like a PNG, so the fake sees an image.
var chartPNG = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0xAB}, 4096)...)

// roundTripFunc lets a test stand between the poster and the fake Slack.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// failUnsent fails r as a network error before the body left would, closing the body
// as a RoundTripper must.
func failUnsent(r *http.Request, op string, errno syscall.Errno) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return nil, &net.OpError{Op: op, Net: "tcp", Err: errno}
}

type uploadSetup struct {
	transport http.RoundTripper // nil: straight to the fake
	logger    *slog.Logger
	opts      []PosterOption
}

// newUploadPoster returns a Poster talking to a fresh fake Slack that knows the
// reports channel.
func newUploadPoster(t *testing.T, clock *clocktest.Fake, setup uploadSetup) (*Poster, *slacksandbox.Server) {
	t.Helper()
	fake := slacksandbox.New(slacksandbox.Options{T: t})
	t.Cleanup(fake.Close)
	fake.AddChannel(reportsChannel, "reports")
	o := fake.Options()
	cfg := Config{BotToken: o.BotToken, APIURL: fake.APIURL()}
	if setup.transport != nil {
		cfg.HTTPClient = &http.Client{Transport: setup.transport, Timeout: 10 * time.Second}
	}
	opts := append([]PosterOption{WithPosterClock(clock)}, setup.opts...)
	return NewPoster(NewSlackClient(cfg), setup.logger, opts...), fake
}

func TestPosterUploadSharesTheFile(t *testing.T) {
	tests := []struct {
		name      string
		file      slackui.File
		inThread  bool
		wantTitle string
	}{
		{name: "title and comment", file: slackui.File{Name: "usage.png", Title: "Usage, last 30 days", Comment: "Weekly usage", Data: chartPNG},
			wantTitle: "Usage, last 30 days"},
		{name: "in a thread", file: slackui.File{Name: "usage.png", Title: "Usage", Data: chartPNG}, inThread: true,
			wantTitle: "Usage"},
		{name: "title defaults to the name", file: slackui.File{Name: "usage.png", Data: chartPNG},
			wantTitle: "usage.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, fake := newUploadPoster(t, newAutoClock(), uploadSetup{})
			ctx := context.Background()
			if tt.inThread {
				ts, err := p.Post(ctx, reportsChannel, slackui.Text("Usage report"))
				require.NoError(t, err)
				tt.file.ThreadTS = ts
			}

			id, err := p.Upload(ctx, reportsChannel, tt.file)
			require.NoError(t, err)

			files := fake.Files("")
			require.Len(t, files, 1)
			got := files[0]
			assert.Equal(t, id, got.ID)
			assert.Equal(t, reportsChannel, got.Channel)
			assert.Equal(t, chartPNG, got.Data, "the bytes arrive intact")
			assert.Equal(t, tt.file.Name, got.Name)
			assert.Equal(t, tt.wantTitle, got.Title)
			assert.Equal(t, tt.file.Comment, got.Comment)
			assert.Equal(t, tt.file.ThreadTS, got.ThreadTS)

			m, ok := fake.Message(reportsChannel, got.TS)
			require.True(t, ok, "the file is shared as a message in the channel")
			require.Len(t, m.Files, 1)
			assert.Equal(t, "image/png", m.Files[0].Mimetype)
			for _, method := range []string{methodGetUploadURL, slacksandbox.UploadMethod, methodCompleteUpload} {
				assert.Equal(t, 1, fake.Calls(method), method)
			}
		})
	}
}

func TestPosterUploadDM(t *testing.T) {
	p, fake := newUploadPoster(t, newAutoClock(), uploadSetup{})
	fake.AddUser("U1", "alice")
	ctx := context.Background()

	for range 2 {
		_, err := p.UploadDM(ctx, "U1", slackui.File{Name: "usage.png", Data: chartPNG})
		require.NoError(t, err)
	}
	files := fake.Files("")
	require.Len(t, files, 2)
	user, ok := fake.DMUser(files[0].Channel)
	require.True(t, ok, "shared in a DM")
	assert.Equal(t, "U1", user)
	assert.Equal(t, files[0].Channel, files[1].Channel)
	assert.Equal(t, 1, fake.Calls("conversations.open"), "the DM channel is cached")

	_, err := p.UploadDM(ctx, "U404", slackui.File{Name: "usage.png", Data: chartPNG})
	var se *slackui.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "user_not_found", se.Code)
	assert.Equal(t, 2, fake.Calls(methodGetUploadURL), "no upload for a user who cannot be reached")
}

// Each step is retried where the poster retries that kind of failure; a retried step
// does not repeat the steps before it.
func TestPosterUploadRetriesEachStep(t *testing.T) {
	tests := []struct {
		name   string
		inject func(*slacksandbox.Server)
		method string // the step that failed first
		sleep  time.Duration
	}{
		{name: "429 on files.getUploadURLExternal", method: methodGetUploadURL, sleep: 3 * time.Second,
			inject: func(f *slacksandbox.Server) { f.RateLimit(methodGetUploadURL, 1, 3*time.Second) }},
		{name: "internal_error on files.getUploadURLExternal", method: methodGetUploadURL,
			inject: func(f *slacksandbox.Server) { f.FailNext(methodGetUploadURL, "internal_error", 1) }},
		{name: "429 on the upload URL", method: slacksandbox.UploadMethod, sleep: 2 * time.Second,
			inject: func(f *slacksandbox.Server) { f.RateLimit(slacksandbox.UploadMethod, 1, 2*time.Second) }},
		{name: "500 on the upload URL", method: slacksandbox.UploadMethod,
			inject: func(f *slacksandbox.Server) { f.FailNext(slacksandbox.UploadMethod, "upload_failed", 1) }},
		{name: "429 on files.completeUploadExternal", method: methodCompleteUpload, sleep: 5 * time.Second,
			inject: func(f *slacksandbox.Server) { f.RateLimit(methodCompleteUpload, 1, 5*time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newAutoClock()
			p, fake := newUploadPoster(t, clock, uploadSetup{})
			tt.inject(fake)

			_, err := p.Upload(context.Background(), reportsChannel, slackui.File{Name: "usage.png", Data: chartPNG})
			require.NoError(t, err)

			for _, method := range []string{methodGetUploadURL, slacksandbox.UploadMethod, methodCompleteUpload} {
				want := 1
				if method == tt.method {
					want = 2
				}
				assert.Equal(t, want, fake.Calls(method), method)
			}
			if tt.sleep > 0 {
				assert.Contains(t, clock.Sleeps(), tt.sleep, "Retry-After was waited out")
			}
			files := fake.Files(reportsChannel)
			require.Len(t, files, 1, "shared once")
			assert.Equal(t, chartPNG, files[0].Data)
		})
	}
}

func TestPosterUploadUnknownChannelIsPermanent(t *testing.T) {
	clock := newAutoClock()
	p, fake := newUploadPoster(t, clock, uploadSetup{})

	_, err := p.Upload(context.Background(), "C0GONE", slackui.File{Name: "usage.png", Data: chartPNG})
	var se *slackui.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, slackui.Permanent, se.Kind)
	assert.Equal(t, "channel_not_found", se.Code)
	assert.Equal(t, methodCompleteUpload, se.Method)
	assert.True(t, slackui.IsPermanent(err))
	assert.Equal(t, 1, fake.Calls(methodCompleteUpload), "not retried")
	assert.Empty(t, fake.Files(""))
}

func TestPosterUploadRefusesBadInputWithoutACall(t *testing.T) {
	tests := []struct {
		name    string
		channel string
		file    slackui.File
		want    string
	}{
		{"no data", reportsChannel, slackui.File{Name: "usage.png"}, "no data"},
		{"empty data", reportsChannel, slackui.File{Name: "usage.png", Data: []byte{}}, "no data"},
		{"no name", reportsChannel, slackui.File{Data: chartPNG}, "empty file name"},
		{"no channel", "", slackui.File{Name: "usage.png", Data: chartPNG}, "empty channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, fake := newUploadPoster(t, newManualClock(), uploadSetup{})
			_, err := p.Upload(context.Background(), tt.channel, tt.file)
			require.ErrorContains(t, err, tt.want)
			assert.True(t, slackui.IsPermanent(err), "no retry can fix it")
			assert.Empty(t, fake.Methods(), "no call")
			assert.Zero(t, fake.Calls(slacksandbox.UploadMethod))
		})
	}
	t.Run("DM", func(t *testing.T) {
		p, fake := newUploadPoster(t, newManualClock(), uploadSetup{})
		fake.AddUser("U1", "alice")
		_, err := p.UploadDM(context.Background(), "U1", slackui.File{Name: "usage.png"})
		require.ErrorContains(t, err, "no data")
		_, err = p.UploadDM(context.Background(), "", slackui.File{Name: "usage.png", Data: chartPNG})
		require.ErrorContains(t, err, "empty user")
		assert.Empty(t, fake.Methods(), "not even conversations.open")
	})
}

// The upload URL is signed like a bearer capability and the token is a secret: a
// failure at the upload URL (whose *url.Error names the full URL) must show neither,
// in the error or in the retry log.
func TestPosterUploadErrorsCarryNoSecrets(t *testing.T) {
	var mu sync.Mutex
	var uploadURLs []string
	reset := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasPrefix(r.URL.Path, "/upload/") {
			mu.Lock()
			uploadURLs = append(uploadURLs, r.URL.String())
			mu.Unlock()
			return failUnsent(r, "read", syscall.ECONNRESET)
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	var log bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &log}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, fake := newUploadPoster(t, newAutoClock(), uploadSetup{
		transport: reset,
		logger:    logger,
		opts:      []PosterOption{WithRetries(3, time.Second, time.Second)},
	})

	_, err := p.Upload(context.Background(), reportsChannel, slackui.File{Name: "usage.png", Data: chartPNG})
	var se *slackui.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, methodUploadURL, se.Method)
	mu.Lock()
	require.Len(t, uploadURLs, 3, "a POST of the bytes is retried even after it was sent")
	signed := uploadURLs[0]
	mu.Unlock()
	sig := signed[strings.Index(signed, "sig=")+len("sig="):]
	require.NotEmpty(t, sig)
	assert.Zero(t, fake.Calls(methodCompleteUpload), "nothing is shared after a failed upload")

	logMu.Lock()
	logged := log.String()
	logMu.Unlock()
	require.Contains(t, logged, "retrying Slack call")
	for what, text := range map[string]string{"error": err.Error(), "log": logged} {
		for _, secret := range []string{sig, "sig=", "/upload/", fake.Options().BotToken} {
			assert.NotContains(t, text, secret, "the %s shows %q", what, secret)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// files.completeUploadExternal shares the file: like chat.postMessage it is sent again
// only when it certainly never left, never when its answer was merely lost. Asking for
// an upload URL again is harmless, so that step is resent either way.
func TestPosterUploadResendsOnlyWhatIsSafe(t *testing.T) {
	answerLost := func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil {
			resp.Body.Close()
		}
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	neverSent := func(r *http.Request) (*http.Response, error) {
		return failUnsent(r, "dial", syscall.ECONNREFUSED)
	}
	tests := []struct {
		name      string
		method    string // the first call to it fails
		fail      func(r *http.Request) (*http.Response, error)
		wantErr   bool
		wantCalls int // calls to method that reached the fake
	}{
		{name: "completion answer lost", method: methodCompleteUpload, fail: answerLost, wantErr: true, wantCalls: 1},
		{name: "completion never sent", method: methodCompleteUpload, fail: neverSent, wantCalls: 1},
		{name: "upload URL answer lost", method: methodGetUploadURL, fail: answerLost, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			failed := false
			transport := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				first := !failed && strings.HasSuffix(r.URL.Path, "/"+tt.method)
				failed = failed || first
				mu.Unlock()
				if first {
					return tt.fail(r)
				}
				return http.DefaultTransport.RoundTrip(r)
			})
			p, fake := newUploadPoster(t, newAutoClock(), uploadSetup{transport: transport})

			_, err := p.Upload(context.Background(), reportsChannel, slackui.File{Name: "usage.png", Data: chartPNG})
			if tt.wantErr {
				require.Error(t, err)
				var ne net.Error
				assert.True(t, errors.As(err, &ne), "the network error is kept: %v", err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantCalls, fake.Calls(tt.method))
			assert.Len(t, fake.Files(reportsChannel), 1, "shared once")
		})
	}
}
