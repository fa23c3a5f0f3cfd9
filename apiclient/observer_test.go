package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
)

type seenCall struct {
	api    string
	status int
	retry  bool
}

type recordingObserver struct {
	mu    sync.Mutex
	calls []seenCall
}

func (o *recordingObserver) APICall(api string, status int, retry bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, seenCall{api, status, retry})
}

// Every HTTP attempt is observed once, with its status (0 without an answer) and
// whether it was a retry.
func TestCallerObservesEveryAttempt(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		respond func(call int, req *http.Request) (*http.Response, error)
		want    []seenCall
	}{
		{"first try", http.MethodGet, func(int, *http.Request) (*http.Response, error) {
			return answer(200, nil, `{}`), nil
		}, []seenCall{{"Test API", 200, false}}},
		{"429 then 200", http.MethodPost, func(call int, _ *http.Request) (*http.Response, error) {
			if call == 1 {
				return answer(429, nil, `{}`), nil
			}
			return answer(200, nil, `{}`), nil
		}, []seenCall{{"Test API", 429, false}, {"Test API", 200, true}}},
		{"no answer, then 404", http.MethodGet, func(call int, _ *http.Request) (*http.Response, error) {
			if call == 1 {
				return nil, errors.New("connection reset")
			}
			return answer(404, nil, `{}`), nil
		}, []seenCall{{"Test API", 0, false}, {"Test API", 404, true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs := &recordingObserver{}
			c := newCaller(&scripted{respond: tc.respond}, newFakeClock(), apiclient.RetryPolicy{})
			c.Observer = obs
			_, _ = c.Do(context.Background(), apiclient.Request{Method: tc.method, URL: testURL})
			require.Len(t, obs.calls, len(tc.want))
			assert.Equal(t, tc.want, obs.calls)
		})
	}
}
