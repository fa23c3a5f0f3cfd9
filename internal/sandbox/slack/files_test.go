package slacksandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pngBytes starts like a PNG, so the fake sniffs image/png.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 1500)...)

// formCall posts a Web API method as a form with the bot token and decodes the answer.
func formCall(t *testing.T, f *Server, method string, form url.Values) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.APIURL()+method, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+f.Options().BotToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

// announce starts an upload of n bytes and returns the file ID and upload URL.
func announce(t *testing.T, f *Server, name string, n int) (string, string) {
	t.Helper()
	r := formCall(t, f, "files.getUploadURLExternal", url.Values{"filename": {name}, "length": {strconv.Itoa(n)}})
	require.Equal(t, true, r["ok"], "%v", r)
	return r["file_id"].(string), r["upload_url"].(string)
}

func postBytes(t *testing.T, uploadURL, contentType string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(uploadURL, contentType, bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(text)
}

func multipartBody(t *testing.T, field string, data []byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	part, err := w.CreateFormFile(field, "chart.png")
	require.NoError(t, err)
	_, err = part.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return w.FormDataContentType(), b.Bytes()
}

func TestFileUploadFlowWithSlackGo(t *testing.T) {
	var mu sync.Mutex
	var writes []Write
	opts := testOptions()
	opts.OnWrite = func(w Write) {
		mu.Lock()
		defer mu.Unlock()
		writes = append(writes, w)
	}
	f := newFake(t, opts)
	f.AddChannel("C1", "reports")
	api := newAPI(f)
	ctx := ctxFor(t)
	parent := postCard(t, api, "C1", "r1")

	up, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "usage.png", FileSize: len(pngBytes)})
	require.NoError(t, err)
	assert.Regexp(t, `^F[0-9A-Z]+$`, up.FileID)
	u, err := url.Parse(up.UploadURL)
	require.NoError(t, err)
	assert.Equal(t, "/upload/"+up.FileID, u.Path)
	assert.NotEmpty(t, u.Query().Get("sig"), "upload URLs are signed, like Slack's")

	require.NoError(t, api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: up.UploadURL, Reader: bytes.NewReader(pngBytes), Filename: "usage.png"}))
	assert.Empty(t, f.Files(""), "an upload is invisible until completed")

	done, err := api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
		Files:           []slack.FileSummary{{ID: up.FileID, Title: "Usage, last 30 days"}},
		Channel:         "C1",
		InitialComment:  "Weekly usage",
		ThreadTimestamp: parent,
	})
	require.NoError(t, err)
	assert.Equal(t, []slack.FileSummary{{ID: up.FileID, Title: "Usage, last 30 days"}}, done.Files)

	files := f.Files("C1")
	require.Len(t, files, 1)
	got := files[0]
	assert.Equal(t, pngBytes, got.Data)
	assert.False(t, got.At.IsZero())
	got.Data, got.At = nil, time.Time{}
	assert.Equal(t, UploadedFile{ID: up.FileID, Channel: "C1", Name: "usage.png", Title: "Usage, last 30 days",
		Comment: "Weekly usage", ThreadTS: parent, TS: got.TS}, got)
	assert.Empty(t, f.Files("C2"))

	// The share is a message in the channel, in the card's thread.
	m, ok := f.Message("C1", got.TS)
	require.True(t, ok)
	assert.Equal(t, "Weekly usage", m.Text)
	assert.Equal(t, parent, m.ThreadTS)
	assert.Equal(t, []SharedFile{{ID: up.FileID, Name: "usage.png", Title: "Usage, last 30 days", Mimetype: "image/png", Size: len(pngBytes)}}, m.Files)
	var raw struct {
		Files []struct {
			ID, Filetype string
			Size         int
		}
	}
	require.NoError(t, json.Unmarshal(m.Raw, &raw))
	require.Len(t, raw.Files, 1)
	assert.Equal(t, "png", raw.Files[0].Filetype)

	mu.Lock()
	last := writes[len(writes)-1]
	mu.Unlock()
	assert.Equal(t, "files.completeUploadExternal", last.Method)
	assert.Equal(t, m.Files, last.Files)

	assert.Equal(t, 1, f.Calls(UploadMethod))
	assert.NotContains(t, f.Methods(), UploadMethod, "an upload URL is not a Web API method")
	assert.Contains(t, f.Methods(), "files.completeUploadExternal")

	// slack-go's one-call helper runs the same three steps; a DM the fake opened is a
	// known channel, and a missing title falls back to the name.
	f.AddUser("U1", "alice")
	dm, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U1"}})
	require.NoError(t, err)
	_, err = api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "a.csv", FileSize: 3, Content: "a,b", Channel: dm.ID})
	require.NoError(t, err)
	dmFiles := f.Files(dm.ID)
	require.Len(t, dmFiles, 1)
	assert.Equal(t, "a.csv", dmFiles[0].Title)
	assert.Equal(t, []byte("a,b"), dmFiles[0].Data)
}

func TestFileUploadEndpoint(t *testing.T) {
	mpType, mpBody := multipartBody(t, "file", pngBytes)
	otherType, otherBody := multipartBody(t, "attachment", pngBytes)
	tests := []struct {
		name        string
		contentType string
		body        []byte
		mangleURL   func(string) string
		get         bool
		wantStatus  int
	}{
		{name: "raw body", contentType: "image/png", body: pngBytes, wantStatus: http.StatusOK},
		{name: "multipart file field", contentType: mpType, body: mpBody, wantStatus: http.StatusOK},
		{name: "multipart without file field", contentType: otherType, body: otherBody, wantStatus: http.StatusBadRequest},
		{name: "fewer bytes than announced", contentType: "image/png", body: pngBytes[:100], wantStatus: http.StatusBadRequest},
		{name: "more bytes than announced", contentType: "image/png", body: append(bytes.Clone(pngBytes), 0), wantStatus: http.StatusBadRequest},
		{name: "wrong signature", contentType: "image/png", body: pngBytes, wantStatus: http.StatusNotFound,
			mangleURL: func(u string) string { return u[:len(u)-1] + "x" }},
		{name: "no signature", contentType: "image/png", body: pngBytes, wantStatus: http.StatusNotFound,
			mangleURL: func(u string) string { return strings.Split(u, "?")[0] }},
		{name: "unknown file", contentType: "image/png", body: pngBytes, wantStatus: http.StatusNotFound,
			mangleURL: func(u string) string { return strings.Replace(u, "/upload/F", "/upload/FNOPE", 1) }},
		{name: "GET", get: true, wantStatus: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, testOptions())
			f.AddChannel("C1", "reports")
			id, uploadURL := announce(t, f, "chart.png", len(pngBytes))
			if tt.mangleURL != nil {
				uploadURL = tt.mangleURL(uploadURL)
			}
			var status int
			if tt.get {
				resp, err := http.Get(uploadURL)
				require.NoError(t, err)
				resp.Body.Close()
				status = resp.StatusCode
			} else {
				var text string
				status, text = postBytes(t, uploadURL, tt.contentType, tt.body)
				if status == http.StatusOK {
					assert.Equal(t, "OK - "+strconv.Itoa(len(pngBytes)), text)
				}
			}
			require.Equal(t, tt.wantStatus, status)

			r := formCall(t, f, "files.completeUploadExternal", url.Values{"files": {`[{"id":"` + id + `"}]`}, "channel_id": {"C1"}})
			if tt.wantStatus != http.StatusOK {
				assert.Equal(t, "file_not_found", r["error"], "the bytes never arrived")
				return
			}
			require.Equal(t, true, r["ok"], "%v", r)
			files := f.Files("C1")
			require.Len(t, files, 1)
			assert.Equal(t, pngBytes, files[0].Data)
		})
	}
}

func TestFileUploadArgumentErrors(t *testing.T) {
	t.Run("files.getUploadURLExternal", func(t *testing.T) {
		tests := []struct {
			name string
			form url.Values
		}{
			{"no filename", url.Values{"length": {"10"}}},
			{"no length", url.Values{"filename": {"a.png"}}},
			{"zero length", url.Values{"filename": {"a.png"}, "length": {"0"}}},
			{"length not a number", url.Values{"filename": {"a.png"}, "length": {"ten"}}},
			{"too large", url.Values{"filename": {"a.png"}, "length": {strconv.Itoa(maxUploadBytes + 1)}}},
		}
		f := newFake(t, testOptions())
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := formCall(t, f, "files.getUploadURLExternal", tt.form)
				assert.Equal(t, false, r["ok"])
				assert.Equal(t, "invalid_arguments", r["error"])
				assert.Nil(t, r["upload_url"])
			})
		}
		_, r := rawPost(t, f, "files.getUploadURLExternal", "application/x-www-form-urlencoded", "",
			url.Values{"filename": {"a.png"}, "length": {"1"}}.Encode())
		assert.Equal(t, "not_authed", r.Error)
	})

	t.Run("files.completeUploadExternal", func(t *testing.T) {
		tests := []struct {
			name  string
			form  func(id string) url.Values
			error string
		}{
			{"no files", func(string) url.Values { return url.Values{"channel_id": {"C1"}} }, "invalid_arguments"},
			{"files not JSON", func(string) url.Values { return url.Values{"files": {"F1"}, "channel_id": {"C1"}} }, "invalid_arguments"},
			{"files empty", func(string) url.Values { return url.Values{"files": {"[]"}, "channel_id": {"C1"}} }, "invalid_arguments"},
			{"repeated id", func(id string) url.Values {
				return url.Values{"files": {`[{"id":"` + id + `"},{"id":"` + id + `"}]`}, "channel_id": {"C1"}}
			}, "invalid_arguments"},
			{"thread without channel", func(id string) url.Values {
				return url.Values{"files": {`[{"id":"` + id + `"}]`}, "thread_ts": {"1.000001"}}
			}, "invalid_arguments"},
			{"unknown file", func(string) url.Values {
				return url.Values{"files": {`[{"id":"F404"}]`}, "channel_id": {"C1"}}
			}, "file_not_found"},
			{"unknown channel", func(id string) url.Values {
				return url.Values{"files": {`[{"id":"` + id + `"}]`}, "channel_id": {"C404"}}
			}, "channel_not_found"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := newFake(t, testOptions())
				f.AddChannel("C1", "reports")
				id, uploadURL := announce(t, f, "chart.png", len(pngBytes))
				status, _ := postBytes(t, uploadURL, "image/png", pngBytes)
				require.Equal(t, http.StatusOK, status)

				r := formCall(t, f, "files.completeUploadExternal", tt.form(id))
				assert.Equal(t, false, r["ok"])
				assert.Equal(t, tt.error, r["error"])
				assert.Empty(t, f.Files(""))
				assert.Empty(t, f.Messages(""))

				// The failed call left the upload pending: it can still be completed.
				r = formCall(t, f, "files.completeUploadExternal", url.Values{"files": {`[{"id":"` + id + `"}]`}, "channel_id": {"C1"}})
				assert.Equal(t, true, r["ok"], "%v", r)
			})
		}
	})
}

func TestFileUploadCompletesOnce(t *testing.T) {
	f := newFake(t, testOptions())
	f.AddChannel("C1", "reports")
	id, uploadURL := announce(t, f, "chart.png", len(pngBytes))
	status, _ := postBytes(t, uploadURL, "image/png", pngBytes)
	require.Equal(t, http.StatusOK, status)

	form := url.Values{"files": {`[{"id":"` + id + `","title":"Chart"}]`}, "channel_id": {"C1"}}
	r := formCall(t, f, "files.completeUploadExternal", form)
	require.Equal(t, true, r["ok"], "%v", r)
	r = formCall(t, f, "files.completeUploadExternal", form)
	assert.Equal(t, "file_not_found", r["error"], "Slack completes an upload once")
	status, _ = postBytes(t, uploadURL, "image/png", pngBytes)
	assert.Equal(t, http.StatusNotFound, status, "nor takes bytes for it afterwards")
	assert.Len(t, f.Files("C1"), 1)
	assert.Len(t, f.Messages("C1"), 1)
}

func TestFileUploadWithoutChannelStaysPrivate(t *testing.T) {
	f := newFake(t, testOptions())
	id, uploadURL := announce(t, f, "chart.png", len(pngBytes))
	status, _ := postBytes(t, uploadURL, "image/png", pngBytes)
	require.Equal(t, http.StatusOK, status)

	r := formCall(t, f, "files.completeUploadExternal", url.Values{"files": {`[{"id":"` + id + `"}]`}})
	require.Equal(t, true, r["ok"], "%v", r)
	files := f.Files("")
	require.Len(t, files, 1)
	assert.Empty(t, files[0].Channel)
	assert.Empty(t, files[0].TS)
	assert.Empty(t, f.Messages(""), "a private file is shared in no channel")
}

func TestFileUploadFaultInjection(t *testing.T) {
	f := newFake(t, testOptions())
	f.AddChannel("C1", "reports")
	api := newAPI(f)
	ctx := context.Background()
	announceParams := slack.GetUploadURLExternalParameters{FileName: "chart.png", FileSize: len(pngBytes)}

	f.RateLimit("files.getUploadURLExternal", 1, 3*time.Second)
	_, err := api.GetUploadURLExternalContext(ctx, announceParams)
	var rl *slack.RateLimitedError
	require.True(t, errors.As(err, &rl), "got %T %v", err, err)
	assert.Equal(t, 3*time.Second, rl.RetryAfter)
	up, err := api.GetUploadURLExternalContext(ctx, announceParams)
	require.NoError(t, err)

	upload := func() error {
		return api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: up.UploadURL, Reader: bytes.NewReader(pngBytes), Filename: "chart.png"})
	}
	f.RateLimit(UploadMethod, 1, time.Second)
	require.True(t, errors.As(upload(), &rl))
	f.FailNext(UploadMethod, "upload_failed", 1)
	var sc slack.StatusCodeError
	require.True(t, errors.As(upload(), &sc))
	assert.Equal(t, http.StatusInternalServerError, sc.Code)
	require.NoError(t, upload())
	assert.Equal(t, 3, f.Calls(UploadMethod))

	complete := func() error {
		_, err := api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
			Files: []slack.FileSummary{{ID: up.FileID}}, Channel: "C1"})
		return err
	}
	f.FailNext("files.completeUploadExternal", "internal_error", 1)
	requireErrCode(t, complete(), "internal_error")
	require.NoError(t, complete())
	assert.Len(t, f.Files("C1"), 1)
}
