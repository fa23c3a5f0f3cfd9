package sandbox

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A connection that never sent a request (a client's spare dial) does not hold Close
// up: net/http's Shutdown alone would wait 5 s for it. A request in progress still
// finishes.
func TestCloseDoesNotWaitForConnectionsWithoutARequest(t *testing.T) {
	release := make(chan struct{})
	s := Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		_, _ = io.WriteString(w, "done")
	}))
	idle, err := net.Dial("tcp", s.URL[len("http://"):])
	require.NoError(t, err)
	defer idle.Close()

	got := make(chan string, 1)
	go func() {
		resp, err := s.Client().Get(s.URL)
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	time.Sleep(50 * time.Millisecond) // the request is in the handler
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(release)
	}()
	start := time.Now()
	s.Close()
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Equal(t, "done", <-got)
}
