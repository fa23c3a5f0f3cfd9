package auditecho

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A post that has sent nothing when shutdown begins is given up at once; one whose
// request is under way gets its grace.
func TestPostContextGraceOnlyForARequestUnderWay(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)

	t.Run("nothing sent yet: ends with shutdown", func(t *testing.T) {
		parent, stop := context.WithCancel(context.Background())
		ctx, cancel := postContext(parent, time.Hour)
		defer cancel()
		stop()
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a post that sent nothing was kept waiting for the grace")
		}
	})

	t.Run("answered: ends with shutdown", func(t *testing.T) {
		parent, stop := context.WithCancel(context.Background())
		ctx, cancel := postContext(parent, time.Hour)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		stop()
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a post waiting after its answer (for a retry) was kept for the grace")
		}
	})

	t.Run("request under way: outlives shutdown until cancelled", func(t *testing.T) {
		arrived, answer := make(chan struct{}), make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			close(arrived)
			<-answer
		}))
		t.Cleanup(slow.Close)
		parent, stop := context.WithCancel(context.Background())
		ctx, cancel := postContext(parent, time.Hour)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, slow.URL, nil)
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() {
			resp, err := slow.Client().Do(req)
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		<-arrived
		stop()
		time.Sleep(20 * time.Millisecond) // room for a wrong, early end to show
		assert.NoError(t, ctx.Err(), "a request under way keeps its grace")
		close(answer)
		require.NoError(t, <-done, "and is answered")
		cancel()
		assert.Error(t, ctx.Err())
	})
}
