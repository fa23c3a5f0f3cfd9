package e2e

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/bot"
	"devin-chatops/internal/harness"
)

// Card updates and the requester's DM survive a Slack outage: the sweeper re-sends
// what the poster gave up on, once Slack is back, and nothing twice.
func TestReconcileCardAndDMAfterSlackOutage(t *testing.T) {
	logs := &rcLog{}
	opts := harness.Options{Logger: slog.New(logs)}
	// Four attempts per call, as the poster's default, but quick ones: the outage is
	// lifted by the test (below), not by the failures running out.
	opts.App.PosterOptions = []bot.PosterOption{
		bot.WithPacing(2*time.Millisecond, 50),
		bot.WithRetries(4, 5*time.Millisecond, 20*time.Millisecond),
	}
	env := apStart(t, opts)
	id, _ := apSubmit(t, env, harness.Requester, "invite outage.card@example.com")
	card := apCard(t, env, id, "Approval needed: ")
	require.Equal(t, approvals.StatePending, apState(t, env, id).CardState)

	// Slack fails every card update and every message post (DMs, audit lines) until
	// the test says otherwise: far more failures than any caller's retries.
	const outage = 1 << 30
	env.Slack.FailNext("chat.update", "internal_error", outage)
	env.Slack.FailNext("chat.postMessage", "internal_error", outage)
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apEventually(t, "the request is done", func() bool { return apState(t, env, id).State == approvals.StateDone })
	apEventually(t, "the poster gives up on the card and the DM, and a sweep fails too", func() bool {
		return logs.count("approval card not updated; the sweeper will retry", id) > 0 &&
			logs.count("requester not told about their request; the sweeper will retry", id) > 0 &&
			logs.count("request not shown as it is in Slack; retrying on the next sweep", id) > 0
	})
	during, _ := apCurrentCard(env, id)
	require.True(t, strings.HasPrefix(during.Text, "Approval needed: "), "during the outage the card is stale:\n%s", during.AllText())
	require.NotEmpty(t, during.Buttons())
	require.Zero(t, rcDMsAbout(t, env, id))

	// Slack is back.
	env.Slack.FailNext("chat.update", "internal_error", 0)
	env.Slack.FailNext("chat.postMessage", "internal_error", 0)

	apCard(t, env, id, "Done: ", "1 invited")
	apDM(t, env, harness.Requester, id, "is done", "1 invited")
	apEventually(t, "the store records the card and the DM", func() bool {
		r := apState(t, env, id)
		return r.CardState == approvals.StateDone && r.NotifiedState == approvals.StateDone
	})
	apWaitEchoed(t, env, id, apHasKind(audit.KindDone))

	// Nothing is left for the sweeper to send again.
	stale, err := env.App.DB.ListStale(apCtx(t), 0)
	require.NoError(t, err)
	for _, r := range stale {
		require.NotEqual(t, id, r.ID, "the request is still behind in Slack")
	}
	cur, ok := apCurrentCard(env, id)
	require.True(t, ok)
	require.True(t, strings.HasPrefix(cur.Text, "Done: "), cur.AllText())
	require.Empty(t, cur.Buttons(), "a done card has no buttons")
	require.Equal(t, 1, apCards(env, id), "the card was updated in place, not posted again")
	require.Equal(t, 1, rcDMsAbout(t, env, id), "the requester is told exactly once")
}

// rcDMsAbout counts the bot's DMs to the requester about request id.
func rcDMsAbout(t *testing.T, env *harness.Env, id string) int {
	t.Helper()
	n := 0
	for _, m := range apDMs(t, env, harness.Requester) {
		if strings.Contains(m.Text, "`"+id+"`") {
			n++
		}
	}
	return n
}

// rcLog is a slog handler that keeps the bot's warnings and errors so a test can wait
// for the bot to have given up on something.
type rcLog struct {
	mu      sync.Mutex
	records []rcRecord
}

type rcRecord struct{ msg, requestID string }

func (l *rcLog) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelWarn }

func (l *rcLog) Handle(_ context.Context, r slog.Record) error {
	rec := rcRecord{msg: r.Message}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "request_id" {
			rec.requestID = a.Value.String()
		}
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, rec)
	return nil
}

// The attributes added with Logger.With (component…) are not needed here.
func (l *rcLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *rcLog) WithGroup(string) slog.Handler      { return l }

// count is how many records with message msg were logged about request id.
func (l *rcLog) count(msg, id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if r.msg == msg && r.requestID == id {
			n++
		}
	}
	return n
}
