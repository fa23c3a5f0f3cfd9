package e2e

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/app"
	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/clock/clocktest"
	"devin-chatops/internal/harness"
	slacksandbox "devin-chatops/internal/sandbox/slack"
)

// grStart starts a bot whose clock the test moves, with a grant revoked quickly after a
// failure (a retry 10 ms later, two tries in all).
func grStart(t *testing.T, offset *clocktest.Shifted, dbURL string) *harness.Env {
	t.Helper()
	return apStart(t, harness.Options{
		DatabaseURL: dbURL,
		App:         app.Options{Clock: offset, GrantRetry: 10 * time.Millisecond, GrantAttempts: 2, GrantLease: 10 * time.Second},
	})
}

// grGranted submits text, has Alice approve it and waits for its card to read Done.
func grGranted(t *testing.T, env *harness.Env, text string) string {
	t.Helper()
	env.GitHub.AddUser("temp-dev")
	id, _ := apSubmit(t, env, harness.Requester, text)
	card := apCard(t, env, id, "Approval needed: ", "*For:* ")
	apClick(t, env, harness.Alice, card, approvalslack.ActionIDApprove)
	apCard(t, env, id, "Done: ")
	return id
}

// grWait waits until the request's grants are all in state, and returns them.
func grWait(t *testing.T, env *harness.Env, id string, state approvals.GrantState) []approvals.Grant {
	t.Helper()
	var out []approvals.Grant
	apEventually(t, "grants of "+id+" "+string(state), func() bool {
		gs, err := env.App.DB.ListGrants(context.Background())
		require.NoError(t, err)
		out = out[:0]
		for _, g := range gs {
			if g.RequestID == id {
				out = append(out, g)
			}
		}
		for _, g := range out {
			if g.State != state {
				return false
			}
		}
		return len(out) > 0
	})
	return out
}

// grDeletes counts the DELETEs of login's membership GitHub received.
func grDeletes(env *harness.Env, login string) int {
	n := 0
	for _, r := range env.GitHub.Requests() {
		if r.Method == http.MethodDelete && strings.HasSuffix(r.Path, "/"+login) && r.Response.Status < 300 {
			n++
		}
	}
	return n
}

// grThreadReply waits for a reply in the thread of request id's card containing parts.
func grThreadReply(t *testing.T, env *harness.Env, card string, parts ...string) {
	t.Helper()
	_, err := env.Slack.WaitMessage(waitCtx(t, apWait), func(m slacksandbox.Message) bool {
		return m.Channel == harness.ApprovalChannel && m.ThreadTS == card && containsAll(m.AllText(), parts...)
	})
	require.NoError(t, err, "no reply in the card's thread with %q", parts)
}

func TestGrantTeamAddRevokedOnceAtTheEnd(t *testing.T) {
	offset := &clocktest.Shifted{}
	env := grStart(t, offset, "")
	// octocat is in the team already: no change, so no grant, and left alone at the end.
	id := grGranted(t, env, "team add ent:platform octocat temp-dev --for 1m")
	gs := grWait(t, env, id, approvals.GrantActive)
	require.Len(t, gs, 1, "one grant: only the login the bot added")
	assert.Equal(t, "temp-dev", gs[0].Item)
	assert.Contains(t, env.GitHub.Members(harness.TeamPlatform), "temp-dev")
	list := slash(t, env, harness.Bob, harness.GeneralChannel, "grants").AllText()
	assert.Contains(t, list, "1 grant")
	assert.Contains(t, list, "`temp-dev` in `ent:platform` — granted by `"+id+"` for <@"+harness.Requester+"> (1 minute) — ends")

	offset.Shift(2 * time.Minute)
	env.App.Revoker.Kick()
	g := grWait(t, env, id, approvals.GrantRevoked)[0]
	assert.Equal(t, approvals.GrantOutcomeRemoved, g.Outcome)
	assert.NotContains(t, env.GitHub.Members(harness.TeamPlatform), "temp-dev")
	assert.Contains(t, env.GitHub.Members(harness.TeamPlatform), "octocat", "a login the bot did not add is left alone")
	grThreadReply(t, env, apState(t, env, id).CardTS, "Time is up", "temp-dev", "was removed from")
	apDM(t, env, harness.Requester, "Time is up", "temp-dev")
	apWaitEchoed(t, env, id, apHasKind(audit.KindRevoked))

	// Further passes (the sweeper's backstop runs every 50 ms) change nothing.
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, 1, grDeletes(env, "temp-dev"), "removed exactly once")
	assert.Equal(t, 1, apKindLines(env, id, audit.KindRevoked))
	assert.Contains(t, slash(t, env, harness.Bob, harness.GeneralChannel, "grants").AllText(), "No time-boxed access is active")
}

func TestGrantDueWhileDownRevokedAtStartUp(t *testing.T) {
	offset := &clocktest.Shifted{}
	env := grStart(t, offset, "sqlite:"+t.TempDir()+"/db")
	id := grGranted(t, env, "team add ent:platform temp-dev --for 1h")
	grWait(t, env, id, approvals.GrantActive)
	require.NoError(t, env.StopBot())

	offset.Shift(2 * time.Hour) // the grant ends while no bot runs
	require.NoError(t, env.Restart(apCtx(t)))
	grWait(t, env, id, approvals.GrantRevoked)
	assert.NotContains(t, env.GitHub.Members(harness.TeamPlatform), "temp-dev")
	assert.Equal(t, 1, grDeletes(env, "temp-dev"))
}

func TestGrantTwoProcessesRevokeOnce(t *testing.T) {
	offset := &clocktest.Shifted{}
	env := grStart(t, offset, "sqlite:"+t.TempDir()+"/db")
	id := grGranted(t, env, "team add ent:platform temp-dev --for 1m")
	grWait(t, env, id, approvals.GrantActive)
	second, err := app.New(t.Context(), env.Config, slog.New(slog.DiscardHandler), app.Options{Clock: offset})
	require.NoError(t, err)
	t.Cleanup(func() { _ = second.DB.Close() })

	offset.Shift(2 * time.Minute)
	var wg sync.WaitGroup
	for _, r := range []interface{ Pass(context.Context) error }{env.App.Revoker, second.Revoker, env.App.Revoker, second.Revoker} {
		wg.Go(func() { assert.NoError(t, r.Pass(context.Background())) })
	}
	wg.Wait()
	grWait(t, env, id, approvals.GrantRevoked)
	assert.Equal(t, 1, grDeletes(env, "temp-dev"), "two processes, one removal")
	apWaitEchoed(t, env, id, apHasKind(audit.KindRevoked))
	assert.Equal(t, 1, apKindLines(env, id, audit.KindRevoked))
}

func TestGrantRevocationFailingWith500RetriedThenReported(t *testing.T) {
	offset := &clocktest.Shifted{}
	env := grStart(t, offset, "")
	id := grGranted(t, env, "team add ent:platform temp-dev --for 1m")
	grWait(t, env, id, approvals.GrantActive)
	env.GitHub.Fail(http.MethodDelete, "/memberships/temp-dev", http.StatusInternalServerError, 1000)

	offset.Shift(2 * time.Minute)
	env.App.Revoker.Kick()
	g := grWait(t, env, id, approvals.GrantFailed)[0]
	assert.Equal(t, 2, g.Attempts+1, "tried twice (each time with the client's own retries)")
	assert.Contains(t, env.GitHub.Members(harness.TeamPlatform), "temp-dev")
	grThreadReply(t, env, apState(t, env, id).CardTS, "could not be removed", "Remove them by hand")
	apDM(t, env, harness.Requester, "could not be removed")
	apWaitEchoed(t, env, id, apHasKind(audit.KindRevokeFailed))
}

// TestGrantRealClock runs one grant of a minute on the wall clock: the only e2e test
// that waits that long, so it runs in parallel with the rest.
func TestGrantRealClock(t *testing.T) {
	if testing.Short() {
		t.Skip("waits a minute of real time")
	}
	env := apStart(t, harness.Options{})
	id := grGranted(t, env, "team add ent:platform temp-dev --for 1m")
	g := grWait(t, env, id, approvals.GrantActive)[0]
	require.WithinDuration(t, time.Now().Add(time.Minute), g.EndsAt, 10*time.Second)
	deadline := time.Now().Add(90 * time.Second)
	for apStateGrant(t, env, g.ID) != approvals.GrantRevoked {
		require.True(t, time.Now().Before(deadline), "not revoked 30 s after its end")
		time.Sleep(200 * time.Millisecond)
	}
	assert.NotContains(t, env.GitHub.Members(harness.TeamPlatform), "temp-dev")
	assert.Equal(t, 1, grDeletes(env, "temp-dev"))
}

func apStateGrant(t *testing.T, env *harness.Env, id string) approvals.GrantState {
	t.Helper()
	g, err := env.App.DB.GetGrant(context.Background(), id)
	require.NoError(t, err)
	return g.State
}
