package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/app"
	"devin-chatops/approvalslack"
	"devin-chatops/internal/harness"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// TestShareBurstMakesOneListing: 50 /devin members at once while the Devin API takes
// 300 ms to list members share one listing (two at most, should one command come just
// as the first ends), and every command gets the whole answer.
func TestShareBurstMakesOneListing(t *testing.T) {
	t.Parallel()
	const n = 50
	env := start(t, harness.Options{})
	env.Devin.SetLatencyOp(300*time.Millisecond, devinsandbox.OpListMembers)

	its := roBurst(env, n, "members")
	resps, _, errs := roAwaitAnswers(waitCtx(t, 10*time.Second), its)
	for i, err := range errs {
		require.NoError(t, err, "command %d was never answered", i)
		assert.Contains(t, roShown(resps[i].Content), "*4 members* in the Devin enterprise", "answer %d", i)
	}
	listings := env.Devin.CountOp(devinsandbox.OpListMembers)
	assert.GreaterOrEqual(t, listings, 1)
	assert.LessOrEqual(t, listings, 2, "the burst shares its listings")
}

// TestShareChangeThenReadIsFresh: answers are kept for an hour here, so only the
// executed change can make the next read fresh: an invitation makes /devin members
// read again, a team change /devin team list.
func TestShareChangeThenReadIsFresh(t *testing.T) {
	t.Parallel()
	env := start(t, harness.Options{App: app.Options{ReadShareTTL: time.Hour}})
	readTwice := func(text, want string, count func() int) int {
		t.Helper()
		before := count()
		for range 2 {
			assert.Contains(t, roShown(slash(t, env, harness.Requester, harness.GeneralChannel, text).Content), want)
		}
		require.Equal(t, before+1, count(), "/devin %s read once, then kept", text)
		return count()
	}
	approve := func(text, done string) {
		t.Helper()
		id, _ := apSubmit(t, env, harness.Requester, text)
		apClick(t, env, harness.Alice, apCard(t, env, id, "Approval needed: "), approvalslack.ActionIDApprove)
		apCard(t, env, id, "Done: ", done)
	}

	t.Run("invite, then members", func(t *testing.T) {
		listings := func() int { return env.Devin.CountOp(devinsandbox.OpListMembers) }
		n := readTwice("members", "*4 members*", listings)
		approve("invite new.hire@example.com", "1 invited")
		assert.Contains(t, roShown(slash(t, env, harness.Requester, harness.GeneralChannel, "members").Content), "*5 members*")
		// The invitation itself looks the address up; what matters is that the
		// command read again rather than answer from what was kept.
		assert.Greater(t, listings(), n)
	})
	t.Run("team add, then team list", func(t *testing.T) {
		calls := func() int { return len(env.GitHub.Requests()) }
		readTwice("team list "+harness.TeamPlatform, "*2 members*", calls)
		approve("team add "+harness.TeamPlatform+" mona", "1 added")
		assert.Contains(t, roShown(slash(t, env, harness.Requester, harness.GeneralChannel, "team list "+harness.TeamPlatform).Content), "*3 members*")
	})
}
