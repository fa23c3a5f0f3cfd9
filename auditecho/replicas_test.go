package auditecho_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/audit"
	"devin-chatops/auditecho"
	"devin-chatops/slackui"
	"devin-chatops/store"
)

// recordingPoster records every post, slowly enough that two echoers overlap.
type recordingPoster struct {
	mu     sync.Mutex
	posted []string
}

// The store is the outbox the echoer runs on in production.
var _ auditecho.Outbox = (*store.DB)(nil)

func (p *recordingPoster) Post(_ context.Context, _ string, m slackui.Message) (string, error) {
	time.Sleep(time.Millisecond)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posted = append(p.posted, m.Text)
	return "1.0", nil
}

func (p *recordingPoster) texts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.posted...)
}

// Two echoers on one database, as two replicas run them: every event is posted exactly
// once, in the order written.
func TestTwoEchoersPostEachEventOnceInOrder(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	var dbs [2]*store.DB
	for i := range dbs {
		db, err := store.Open(ctx, "sqlite:"+path)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}

	const n = 40
	var want []string
	at := time.Now().UTC().Truncate(time.Millisecond)
	for i := range n {
		e := audit.Event{ID: fmt.Sprintf("E%03d", i), Kind: audit.KindCommand, Actor: "UA",
			Command: fmt.Sprintf("/devin %d", i), At: at}
		require.NoError(t, dbs[0].AppendAudit(ctx, e))
		want = append(want, auditecho.Format(e))
	}

	poster := &recordingPoster{}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, db := range dbs {
		e := auditecho.NewEchoer(db, poster, "CAUDIT", nil, logger,
			auditecho.WithPollInterval(5*time.Millisecond), auditecho.WithBatchSize(7))
		wg.Go(func() { e.Run(runCtx) })
	}
	require.Eventually(t, func() bool {
		due, err := dbs[0].Due(ctx, time.Now().Add(time.Hour), 1)
		require.NoError(t, err)
		return len(due) == 0
	}, 10*time.Second, 5*time.Millisecond, "every event is delivered")
	time.Sleep(50 * time.Millisecond) // room for a late duplicate to show up
	cancel()
	wg.Wait()

	assert.Equal(t, want, poster.texts(), "each event posted once, in order")
}
