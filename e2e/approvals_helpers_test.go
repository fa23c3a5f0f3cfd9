package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"devin-chatops/app"
	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/auditecho"
	"devin-chatops/bot"
	"devin-chatops/internal/harness"
	slacksandbox "devin-chatops/internal/sandbox/slack"
)

// apWait is how long the approval tests wait for one thing the bot should do. It is
// generous because the tests run in parallel under -race on small machines; a passing
// test never waits for it.
const apWait = 20 * time.Second

// apStart starts a bot for one approval test, in parallel with the others.
func apStart(t *testing.T, opts harness.Options) *harness.Env {
	t.Helper()
	t.Parallel()
	return start(t, opts)
}

var apRequestIDInReply = regexp.MustCompile("Request `(R[0-9A-Z]{6})` is waiting for approval")

// apSubmit runs a change command as user and returns the request ID its reply names.
func apSubmit(t *testing.T, env *harness.Env, user, text string) (string, slacksandbox.Response) {
	t.Helper()
	r := slash(t, env, user, harness.GeneralChannel, text)
	m := apRequestIDInReply.FindStringSubmatch(r.AllText())
	require.NotNil(t, m, "the reply to /devin %.80s names no request:\n%s", text, r.AllText())
	require.Equal(t, "ephemeral", r.ResponseType, "the request confirmation is for the requester only")
	return m[1], r
}

// apIsCard reports whether m is (a version of) the approval card of request id.
func apIsCard(m slacksandbox.Message, id string) bool {
	return m.Channel == harness.ApprovalChannel && strings.Contains(m.Text, "request `"+id+"`")
}

// apCard waits for a version of request id's card whose fallback text starts with
// prefix ("Approval needed: ", "Done: ", "Denied: "…) and that contains every part.
func apCard(t *testing.T, env *harness.Env, id, prefix string, parts ...string) slacksandbox.Message {
	t.Helper()
	m, err := env.Slack.WaitMessage(waitCtx(t, apWait), func(m slacksandbox.Message) bool {
		return apIsCard(m, id) && strings.HasPrefix(m.Text, prefix) && containsAll(m.AllText(), parts...)
	})
	if err != nil {
		cur, _ := apCurrentCard(env, id)
		require.NoError(t, err, "card of %s never showed %q with %q; it is now:\n%s", id, prefix, parts, cur.AllText())
	}
	return m
}

// apCurrentCard is the card of request id as Slack shows it now.
func apCurrentCard(env *harness.Env, id string) (slacksandbox.Message, bool) {
	for _, m := range env.Slack.Messages(harness.ApprovalChannel) {
		if apIsCard(m, id) {
			return m, true
		}
	}
	return slacksandbox.Message{}, false
}

// apCards counts the approval cards posted for request id.
func apCards(env *harness.Env, id string) int {
	n := 0
	for _, m := range env.Slack.Messages(harness.ApprovalChannel) {
		if apIsCard(m, id) {
			n++
		}
	}
	return n
}

// apClick clicks actionID on card as user (only a button the bot really posted can be
// clicked) and waits for the ack.
func apClick(t *testing.T, env *harness.Env, user string, card slacksandbox.Message, actionID string) *slacksandbox.Interaction {
	t.Helper()
	it, err := env.Slack.ClickButton(user, card.Channel, card.TS, actionID)
	require.NoError(t, err)
	_, err = it.WaitAck(waitCtx(t, apWait))
	require.NoError(t, err, "click not acked")
	return it
}

// apEphemeral waits for an ephemeral shown to user beside the cards that contains parts.
func apEphemeral(t *testing.T, env *harness.Env, user string, parts ...string) slacksandbox.Ephemeral {
	t.Helper()
	e, err := env.Slack.WaitEphemeral(waitCtx(t, apWait), func(e slacksandbox.Ephemeral) bool {
		return e.User == user && e.Channel == harness.ApprovalChannel && containsAll(e.AllText(), parts...)
	})
	require.NoError(t, err, "no ephemeral for %s with %q", user, parts)
	return e
}

// apEphemerals lists the ephemerals shown beside the cards that contain part.
func apEphemerals(env *harness.Env, part string) []slacksandbox.Ephemeral {
	var out []slacksandbox.Ephemeral
	for _, e := range env.Slack.Ephemerals() {
		if e.Channel == harness.ApprovalChannel && strings.Contains(e.AllText(), part) {
			out = append(out, e)
		}
	}
	return out
}

// apDMChannel is the ID of the bot's direct-message channel with user, found the way
// the bot finds it (conversations.open).
func apDMChannel(t *testing.T, env *harness.Env, user string) string {
	t.Helper()
	api := slack.New(env.Slack.Options().BotToken, slack.OptionAPIURL(env.Slack.APIURL()))
	ch, _, _, err := api.OpenConversationContext(waitCtx(t, apWait), &slack.OpenConversationParameters{Users: []string{user}})
	require.NoError(t, err)
	return ch.ID
}

// apDM waits for a direct message from the bot to user that contains parts.
func apDM(t *testing.T, env *harness.Env, user string, parts ...string) slacksandbox.Message {
	t.Helper()
	dm := apDMChannel(t, env, user)
	m, err := env.Slack.WaitMessage(waitCtx(t, apWait), func(m slacksandbox.Message) bool {
		return m.Channel == dm && containsAll(m.AllText(), parts...)
	})
	require.NoError(t, err, "no DM to %s with %q", user, parts)
	return m
}

// apDMs lists the bot's direct messages to user.
func apDMs(t *testing.T, env *harness.Env, user string) []slacksandbox.Message {
	t.Helper()
	return env.Slack.Messages(apDMChannel(t, env, user))
}

// apAuditLines lists the audit-channel lines about request id, in the order posted.
func apAuditLines(env *harness.Env, id string) []slacksandbox.Message {
	var out []slacksandbox.Message
	for _, m := range env.Slack.Messages(harness.AuditChannel) {
		if strings.Contains(m.Text, "`"+id+"`") {
			out = append(out, m)
		}
	}
	return out
}

// apKindLines counts the audit lines about request id of one kind ("done", "vote"…).
func apKindLines(env *harness.Env, id string, kind audit.Kind) int {
	n := 0
	for _, m := range apAuditLines(env, id) {
		if strings.Contains(m.Text, "`"+id+"` *"+string(kind)+"*") {
			n++
		}
	}
	return n
}

// apEvents reads request id's audit events from the running bot's store.
func apEvents(t *testing.T, env *harness.Env, id string) []audit.Event {
	t.Helper()
	evs, err := env.App.DB.AuditEvents(waitCtx(t, apWait), id)
	require.NoError(t, err)
	return evs
}

// apKinds lists the kinds of events, in order.
func apKinds(evs []audit.Event) []audit.Kind {
	out := make([]audit.Kind, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

// apWaitEchoed waits until every stored audit event of request id has been echoed to
// the audit channel exactly once, as its formatted line, nothing else about id is there
// and the outbox is empty (nothing is still on its way); it returns the lines in the order posted. done, when not nil, must also hold
// (typically "the final event has been stored"), so that the comparison is made once
// the request has settled.
func apWaitEchoed(t *testing.T, env *harness.Env, id string, done func([]audit.Event) bool) []slacksandbox.Message {
	t.Helper()
	var want, got []string
	var lines []slacksandbox.Message
	deadline := time.Now().Add(apWait)
	for {
		evs := apEvents(t, env, id)
		want = want[:0]
		for _, e := range evs {
			want = append(want, auditecho.Format(e))
		}
		lines = apAuditLines(env, id)
		got = got[:0]
		for _, m := range lines {
			got = append(got, m.Text)
		}
		if (done == nil || done(evs)) && apSameLines(want, got) && apOutboxEmpty(t, env) {
			return lines
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.ElementsMatch(t, want, got, "audit channel lines of %s vs the stored events", id)
	require.Fail(t, "the request never settled", "events: %q", want)
	return nil
}

// apOutboxEmpty reports whether every stored audit event has been marked echoed.
func apOutboxEmpty(t *testing.T, env *harness.Env) bool {
	t.Helper()
	due, err := env.App.DB.Due(apCtx(t), time.Now().Add(24*time.Hour), 1)
	require.NoError(t, err)
	return len(due) == 0
}

func apSameLines(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// apHasKind returns a done func for apWaitEchoed: settled once an event of kind is stored.
func apHasKind(kind audit.Kind) func([]audit.Event) bool {
	return func(evs []audit.Event) bool {
		return slices.Contains(apKinds(evs), kind)
	}
}

// apInOrder asserts that the audit lines contain one line of each kind, in that order.
func apInOrder(t *testing.T, id string, lines []slacksandbox.Message, kinds ...audit.Kind) {
	t.Helper()
	last := -1
	for _, k := range kinds {
		at := -1
		for i, m := range lines {
			if strings.Contains(m.Text, "`"+id+"` *"+string(k)+"*") {
				require.Equal(t, -1, at, "two %s lines for %s", k, id)
				at = i
			}
		}
		require.NotEqual(t, -1, at, "no %s line for %s", k, id)
		require.Greater(t, at, last, "the %s line of %s is out of order", k, id)
		last = at
	}
}

// apState reads request id from the running bot's store.
func apState(t *testing.T, env *harness.Env, id string) approvals.Request {
	t.Helper()
	r, err := env.App.DB.GetRequest(waitCtx(t, apWait), id)
	require.NoError(t, err)
	return r
}

// apEventually polls cond until it holds or apWait passes.
func apEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(apWait)
	for !cond() {
		if time.Now().After(deadline) {
			require.Fail(t, "timed out: "+what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// apEmails makes n distinct addresses.
func apEmails(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user%04d@example.com", i)
	}
	return out
}

// apButtons checks a pending card's two buttons: labels, styles and the request ID.
func apButtons(t *testing.T, card slacksandbox.Message, id string) {
	t.Helper()
	approve, ok := card.Button(approvalslack.ActionIDApprove)
	require.True(t, ok, "no Approve button")
	deny, ok := card.Button(approvalslack.ActionIDDeny)
	require.True(t, ok, "no Deny button")
	require.Equal(t, "Approve", approve.Text)
	require.Equal(t, "primary", approve.Style)
	require.Equal(t, "Deny", deny.Text)
	require.Equal(t, "danger", deny.Style)
	require.Equal(t, id, approve.Value)
	require.Equal(t, id, deny.Value)
	require.NotEmpty(t, approve.BlockID)
}

// apCtx is a short context for direct store work in a test.
func apCtx(t *testing.T) context.Context { return waitCtx(t, apWait) }

// apReplica starts a second bot process on env's database and fakes, as a second
// replica of the deployment would run, and stops it at the end of the test.
func apReplica(t *testing.T, env *harness.Env) *app.App {
	t.Helper()
	a, err := app.New(t.Context(), env.Config, slog.New(slog.DiscardHandler), app.Options{
		APIHTTPClient:   &http.Client{Timeout: 30 * time.Second},
		SweepEvery:      50 * time.Millisecond,
		EchoPoll:        100 * time.Millisecond,
		EchoBackoffBase: 20 * time.Millisecond,
		EchoBackoffMax:  200 * time.Millisecond,
		PosterOptions:   []bot.PosterOption{bot.WithPacing(2*time.Millisecond, 50)},
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	apEventually(t, "the replica connects", a.Bot.Connected)
	return a
}
