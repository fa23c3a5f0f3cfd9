package slacksandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type apiReply struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

func rawPost(t *testing.T, f *Server, method, contentType, auth, body string) (int, apiReply) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.APIURL()+method, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var r apiReply
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
	return resp.StatusCode, r
}

func TestPostMessageFormAndJSON(t *testing.T) {
	blocks := `[{"type":"section","text":{"type":"mrkdwn","text":"hello"}}]`
	tests := []struct {
		name        string
		contentType string
		auth        string
		body        string
		wantErr     string
	}{
		{
			name:        "form with token",
			contentType: "application/x-www-form-urlencoded",
			body:        url.Values{"token": {"xoxb-fake"}, "channel": {"C1"}, "text": {"hi"}, "blocks": {blocks}}.Encode(),
		},
		{
			name:        "form with bearer",
			contentType: "application/x-www-form-urlencoded",
			auth:        "xoxb-fake",
			body:        url.Values{"channel": {"C1"}, "text": {"hi"}, "blocks": {blocks}}.Encode(),
		},
		{
			name:        "json with bearer",
			contentType: "application/json; charset=utf-8",
			auth:        "xoxb-fake",
			body:        `{"channel":"C1","text":"hi","blocks":` + blocks + `}`,
		},
		{
			name:        "json without auth",
			contentType: "application/json",
			body:        `{"channel":"C1","text":"hi"}`,
			wantErr:     "not_authed",
		},
		{
			name:        "wrong token",
			contentType: "application/x-www-form-urlencoded",
			body:        url.Values{"token": {"xoxb-nope"}, "channel": {"C1"}, "text": {"hi"}}.Encode(),
			wantErr:     "invalid_auth",
		},
		{
			name:        "app token",
			contentType: "application/json",
			auth:        "xapp-fake",
			body:        `{"channel":"C1","text":"hi"}`,
			wantErr:     "not_allowed_token_type",
		},
		{
			name:        "no text",
			contentType: "application/json",
			auth:        "xoxb-fake",
			body:        `{"channel":"C1"}`,
			wantErr:     "no_text",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, testOptions())
			status, r := rawPost(t, f, "chat.postMessage", tt.contentType, tt.auth, tt.body)
			require.Equal(t, http.StatusOK, status)
			if tt.wantErr != "" {
				assert.False(t, r.OK)
				assert.Equal(t, tt.wantErr, r.Error)
				assert.Empty(t, f.Messages(""))
				return
			}
			require.True(t, r.OK, r.Error)
			msgs := f.Messages("C1")
			require.Len(t, msgs, 1)
			assert.Equal(t, r.TS, msgs[0].TS)
			assert.Equal(t, "hi", msgs[0].Text)
			require.Len(t, msgs[0].Blocks, 1)
			_, isSection := msgs[0].Blocks[0].(*slack.SectionBlock)
			assert.True(t, isSection)
			assert.Contains(t, msgs[0].AllText(), "hello")
		})
	}
}

func TestChatFlowWithSlackGo(t *testing.T) {
	f := newFake(t, testOptions())
	f.AddUser("U1", "alice")
	api := newAPI(f)
	ctx := ctxFor(t)

	ts := postCard(t, api, "C1", "r1")
	m, err := f.WaitMessage(ctx, func(m Message) bool { return m.TS == ts })
	require.NoError(t, err)
	assert.Equal(t, []Button{
		{ActionID: "approve", BlockID: "approval:r1", Value: "r1", Text: "Approve", Style: "primary"},
		{ActionID: "deny", BlockID: "approval:r1", Value: "r1", Text: "Deny", Style: "danger"},
	}, m.Buttons())

	_, _, _, err = api.UpdateMessage("C1", ts, slack.MsgOptionText("Approved by alice", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Approved by <@U1>", false, false), nil, nil)))
	require.NoError(t, err)
	updated, err := f.WaitMessage(ctx, func(m Message) bool { return m.TS == ts && m.Updates == 1 })
	require.NoError(t, err)
	assert.Empty(t, updated.Buttons())
	assert.Len(t, f.Messages("C1"), 1)

	_, _, _, err = api.UpdateMessage("C1", "1.000001", slack.MsgOptionText("x", false))
	requireErrCode(t, err, "message_not_found")

	ephTS, err := api.PostEphemeral("C1", "U1", slack.MsgOptionText("only you", false))
	require.NoError(t, err)
	eph := f.Ephemerals()
	require.Len(t, eph, 1)
	assert.Equal(t, Ephemeral{Content: eph[0].Content, Channel: "C1", User: "U1", TS: ephTS}, eph[0])
	_, _, _, err = api.UpdateMessage("C1", ephTS, slack.MsgOptionText("x", false))
	requireErrCode(t, err, "message_not_found")
	_, err = api.PostEphemeral("C1", "U404", slack.MsgOptionText("x", false))
	requireErrCode(t, err, "user_not_found")

	ch, _, alreadyOpen, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"U1"}})
	require.NoError(t, err)
	assert.Regexp(t, `^D[0-9A-Z]+$`, ch.ID)
	assert.False(t, alreadyOpen)
	again, _, alreadyOpen, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"U1"}})
	require.NoError(t, err)
	assert.Equal(t, ch.ID, again.ID)
	assert.True(t, alreadyOpen)

	// Posting to a user id lands in the same DM, as in Slack.
	dmChannel, _, err := api.PostMessage("U1", slack.MsgOptionText("psst", false))
	require.NoError(t, err)
	assert.Equal(t, ch.ID, dmChannel)

	u, err := api.GetUserInfo("U1")
	require.NoError(t, err)
	assert.Equal(t, "alice", u.Name)
	assert.Equal(t, "alice", u.Profile.DisplayName)
	_, err = api.GetUserInfo("U404")
	requireErrCode(t, err, "user_not_found")

	f.AddUserGroup("S1", "U1", "U2")
	members, err := api.GetUserGroupMembers("S1")
	require.NoError(t, err)
	assert.Equal(t, []string{"U1", "U2"}, members)
	_, err = api.GetUserGroupMembers("S404")
	requireErrCode(t, err, "no_such_subteam")

	auth, err := api.AuthTest()
	require.NoError(t, err)
	assert.Equal(t, "U0BOT", auth.UserID)
	assert.Equal(t, "T0FAKE", auth.TeamID)

	assert.Equal(t, 2, f.Calls("chat.postMessage"))
	assert.Equal(t, 3, f.Calls("chat.update"))
}

func TestTimestampsAreMonotonicWithAFrozenClock(t *testing.T) {
	opts := testOptions()
	clock := newManualClock()
	opts.Now = clock.Now
	f := newFake(t, opts)
	api := newAPI(f)
	prev := ""
	for range 5 {
		_, ts, err := api.PostMessage("C1", slack.MsgOptionText("tick", false))
		require.NoError(t, err)
		assert.Regexp(t, regexp.MustCompile(`^\d{10}\.\d{6}$`), ts)
		assert.Greater(t, ts, prev)
		prev = ts
	}
}

func TestFaultInjection(t *testing.T) {
	f := newFake(t, testOptions())
	f.AddUser("U1", "alice")
	api := newAPI(f)

	t.Run("rate limit", func(t *testing.T) {
		f.RateLimit("chat.postMessage", 1, 2*time.Second)
		_, _, err := api.PostMessage("C1", slack.MsgOptionText("hi", false))
		var rl *slack.RateLimitedError
		require.True(t, errors.As(err, &rl), "got %T %v", err, err)
		assert.Equal(t, 2*time.Second, rl.RetryAfter)
		_, _, err = api.PostMessage("C1", slack.MsgOptionText("hi", false))
		require.NoError(t, err)
		assert.Equal(t, 2, f.Calls("chat.postMessage"))
		assert.Len(t, f.Messages("C1"), 1)
	})

	t.Run("rate limit on socket open", func(t *testing.T) {
		f.RateLimit("apps.connections.open", 1, time.Second)
		_, _, err := api.StartSocketModeContext(ctxFor(t))
		var rl *slack.RateLimitedError
		require.True(t, errors.As(err, &rl), "got %T %v", err, err)
	})

	t.Run("fail next", func(t *testing.T) {
		f.FailNext("users.info", "internal_error", 2)
		for range 2 {
			_, err := api.GetUserInfo("U1")
			requireErrCode(t, err, "internal_error")
		}
		_, err := api.GetUserInfo("U1")
		require.NoError(t, err)
	})

	t.Run("latency", func(t *testing.T) {
		f.SetLatency("auth.test", 100*time.Millisecond)
		start := time.Now()
		_, err := api.AuthTest()
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
		f.SetLatency("auth.test", 0)
	})

	t.Run("unknown method", func(t *testing.T) {
		_, r := rawPost(t, f, "chat.nope", "application/json", "xoxb-fake", `{}`)
		assert.Equal(t, "unknown_method", r.Error)
	})
}

func TestBlockKitLimitViolations(t *testing.T) {
	section := func(text string) string {
		b, _ := json.Marshal(map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}})
		return string(b)
	}
	button := func(actionID, text, value string) string {
		b, _ := json.Marshal(map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type": "button", "action_id": actionID, "value": value, "text": map[string]any{"type": "plain_text", "text": text},
		}}})
		return string(b)
	}
	many := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = section("x")
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	tests := []struct {
		name   string
		text   string
		blocks string
		want   string // substring of the violation
		code   string
	}{
		{name: "too many blocks", blocks: many(51), want: "51 blocks, max 50"},
		{name: "section text", blocks: "[" + section(strings.Repeat("é", 3001)) + "]", want: "3001 chars, max 3000"},
		{name: "header text", blocks: `[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("h", 151) + `"}}]`, want: "151 chars, max 150"},
		{name: "header mrkdwn", blocks: `[{"type":"header","text":{"type":"mrkdwn","text":"h"}}]`, want: "must be plain_text"},
		{name: "duplicate block_id", blocks: `[{"type":"divider","block_id":"a"},{"type":"divider","block_id":"a"}]`, want: `duplicate block_id "a"`},
		{name: "long block_id", blocks: `[{"type":"divider","block_id":"` + strings.Repeat("b", 256) + `"}]`, want: "block_id is 256 chars"},
		{name: "long action_id", blocks: "[" + button(strings.Repeat("a", 256), "Go", "v") + "]", want: "action_id is 256 chars"},
		{name: "button value", blocks: "[" + button("go", "Go", strings.Repeat("v", 2001)) + "]", want: "button value is 2001 chars"},
		{name: "button text", blocks: "[" + button("go", strings.Repeat("t", 76), "v") + "]", want: "76 chars, max 75"},
		{name: "message text", text: strings.Repeat("m", 40001), want: "text is 40001 chars"},
		{name: "empty section", blocks: `[{"type":"section"}]`, want: "needs text or fields"},
		{name: "not json", blocks: `[{`, want: "not a JSON array", code: "invalid_blocks_format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &errRecorder{}
			opts := testOptions()
			opts.T = rec
			f := newFake(t, opts)
			vals := url.Values{"token": {"xoxb-fake"}, "channel": {"C1"}, "text": {tt.text}}
			if tt.blocks != "" {
				vals.Set("blocks", tt.blocks)
			}
			_, r := rawPost(t, f, "chat.postMessage", "application/x-www-form-urlencoded", "", vals.Encode())
			code := tt.code
			if code == "" {
				code = "invalid_blocks"
			}
			assert.Equal(t, code, r.Error)
			require.NotEmpty(t, f.Violations())
			assert.Contains(t, strings.Join(f.Violations(), "\n"), tt.want)
			assert.Len(t, rec.messages(), len(f.Violations()), "each violation fails the test")
			assert.Empty(t, f.Messages("C1"))
		})
	}

	t.Run("within limits", func(t *testing.T) {
		rec := &errRecorder{}
		opts := testOptions()
		opts.T = rec
		f := newFake(t, opts)
		_, _, err := newAPI(f).PostMessage("C1", slack.MsgOptionBlocks(approvalBlocks("ok")...))
		require.NoError(t, err)
		assert.Empty(t, f.Violations())
		assert.Empty(t, rec.messages())
	})

	t.Run("slack-go sees the error", func(t *testing.T) {
		f := newFake(t, testOptions())
		_, _, err := newAPI(f).PostMessage("C1", slack.MsgOptionBlocks(
			slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("h", 151), false, false))))
		requireErrCode(t, err, "invalid_blocks")
		var se slack.SlackErrorResponse
		require.True(t, errors.As(err, &se))
		require.NotEmpty(t, se.ResponseMetadata.Messages)
		assert.Contains(t, se.ResponseMetadata.Messages[0], "max 150")
	})
}

func TestResponseURLAcceptsStringBooleans(t *testing.T) {
	f := newFake(t, testOptions())
	ts := postCard(t, newAPI(f), "C1", "r1")
	in, err := f.ClickButton("U1", "C1", ts, "approve")
	require.NoError(t, err)
	resp, err := http.Post(in.ResponseURL, "application/json",
		bytes.NewBufferString(`{"replace_original":"true","text":"Approved","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"Approved"}}]}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	r, err := in.WaitResponse(ctxFor(t))
	require.NoError(t, err)
	assert.True(t, r.ReplaceOriginal)
	m, ok := f.Message("C1", ts)
	require.True(t, ok)
	assert.Equal(t, "Approved", m.Text)
	assert.Equal(t, 1, m.Updates)
	assert.Empty(t, m.Buttons())
}
