package bot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"devin-chatops/clock/clocktest"
)

// webAPI is a minimal Slack Web API stand-in for unit tests of the Poster and the
// start-up checks: it records each call (with the fake clock's time) and replies with
// scripted failures before falling back to a success.
type webAPI struct {
	t     *testing.T
	srv   *httptest.Server
	clock *clocktest.Fake

	mu      sync.Mutex
	calls   []apiCall
	scripts map[string][]scripted // method -> responses to give first, in order
	nextTS  int
}

type apiCall struct {
	Method string
	At     time.Time
	Form   url.Values
	JSON   map[string]any
}

type scripted struct {
	status     int
	retryAfter string
	body       string
}

func newWebAPI(t *testing.T, clock *clocktest.Fake) *webAPI {
	w := &webAPI{t: t, clock: clock, scripts: map[string][]scripted{}}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webAPI) URL() string { return w.srv.URL + "/api/" }

func (w *webAPI) ResponseURL(id string) string { return w.srv.URL + "/response/" + id }

// Script queues responses for method (e.g. "chat.postMessage" or "response").
func (w *webAPI) Script(method string, rs ...scripted) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.scripts[method] = append(w.scripts[method], rs...)
}

func (w *webAPI) Calls(method string) []apiCall {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []apiCall
	for _, c := range w.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (w *webAPI) serve(rw http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if strings.HasPrefix(r.URL.Path, "/response/") {
		method = "response"
	}
	call := apiCall{Method: method}
	if w.clock != nil {
		call.At = w.clock.Now()
	}
	body, _ := io.ReadAll(r.Body)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &call.JSON)
	} else {
		call.Form, _ = url.ParseQuery(string(body))
	}

	w.mu.Lock()
	w.calls = append(w.calls, call)
	var sc *scripted
	if q := w.scripts[method]; len(q) > 0 {
		sc = &q[0]
		w.scripts[method] = q[1:]
	}
	w.nextTS++
	ts := fmt.Sprintf("1700000000.%06d", w.nextTS)
	w.mu.Unlock()

	if sc != nil {
		if sc.retryAfter != "" {
			rw.Header().Set("Retry-After", sc.retryAfter)
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(sc.status)
		_, _ = io.WriteString(rw, sc.body)
		return
	}

	rw.Header().Set("Content-Type", "application/json")
	switch method {
	case "auth.test":
		_, _ = io.WriteString(rw, `{"ok":true,"team_id":"T1","user_id":"UBOT","bot_id":"B1"}`)
	case "chat.postMessage", "chat.update":
		fmt.Fprintf(rw, `{"ok":true,"channel":%q,"ts":%q}`, call.Form.Get("channel"), ts)
	case "chat.postEphemeral":
		fmt.Fprintf(rw, `{"ok":true,"message_ts":%q}`, ts)
	case "conversations.open":
		fmt.Fprintf(rw, `{"ok":true,"channel":{"id":"D%s"}}`, call.Form.Get("users"))
	case "views.open":
		_, _ = io.WriteString(rw, `{"ok":true,"view":{"id":"V1"}}`)
	case "response":
		_, _ = io.WriteString(rw, `{"ok":true}`)
	default:
		_, _ = io.WriteString(rw, `{"ok":false,"error":"unknown_method"}`)
	}
}

func slackError(code string) scripted {
	return scripted{status: http.StatusOK, body: fmt.Sprintf(`{"ok":false,"error":%q}`, code)}
}
