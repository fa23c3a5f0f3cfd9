package console

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/internal/harness"
	slacksandbox "devin-chatops/internal/sandbox/slack"
)

func newTestPrinter(out io.Writer) *printer {
	p := &printer{out: out, names: invert(people), chans: invert(channels)}
	for name, id := range groups {
		p.names[id] = name
	}
	return p
}

// The printer heads each block with where Slack shows it, and numbers the buttons
// across messages, keeping a message's numbers when it is updated.
func TestPrinterShowsWhereSlackShowsIt(t *testing.T) {
	out := &syncBuffer{}
	p := newTestPrinter(out)
	f := slacksandbox.New(slacksandbox.Options{OnWrite: p.write})
	t.Cleanup(f.Close)
	p.lookUp(f)
	for name, id := range people {
		f.AddUser(id, name)
	}
	for name, id := range channels {
		f.AddChannel(id, name)
	}
	o := f.Options()
	api := slack.New(o.BotToken, slack.OptionAPIURL(f.APIURL()))

	txt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	card := slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Request R1 for <!subteam^"+harness.AdminsGroup+">", false, false), nil, nil),
		slack.NewActionBlock("card:R1",
			slack.NewButtonBlockElement("approve", "R1", txt("Approve")),
			slack.NewButtonBlockElement("deny", "R1", txt("Deny"))),
	)
	var cardTS string
	slash := f.SlashCommand(harness.Requester, harness.GeneralChannel, "usage --post")
	respond := func(typ string, opts ...slack.MsgOption) {
		_, _, err := api.PostMessage("", append([]slack.MsgOption{slack.MsgOptionResponseURL(slash.ResponseURL, typ)}, opts...)...)
		require.NoError(t, err)
	}

	steps := []struct {
		name string
		do   func()
		want string
	}{
		{"a card in its channel, buttons numbered", func() {
			var err error
			_, cardTS, err = api.PostMessage(harness.ApprovalChannel, slack.MsgOptionText("Request R1", false), card)
			require.NoError(t, err)
		}, "┌ #approvals\n│ Request R1 for @admins\n│ [1 Approve] [2 Deny]\n└\n"},
		{"the card updated keeps its numbers", func() {
			_, _, _, err := api.UpdateMessage(harness.ApprovalChannel, cardTS, slack.MsgOptionText("Request R1", false), card)
			require.NoError(t, err)
		}, "┌ #approvals (updated)\n│ Request R1 for @admins\n│ [1 Approve] [2 Deny]\n└\n"},
		{"an ephemeral with an accessory button and a link", func() {
			_, err := api.PostEphemeral(harness.GeneralChannel, harness.Requester, slack.MsgOptionBlocks(
				slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "127 of 1,000 shown, see <#"+harness.ApprovalChannel+">", false, false), nil,
					slack.NewAccessory(slack.NewButtonBlockElement("show_items", "R1", txt("Show all")))),
				slack.NewActionBlock("links", slack.NewButtonBlockElement("docs", "", txt("Docs")).WithURL("https://example.com/docs")),
			))
			require.NoError(t, err)
		}, "┌ only rita sees\n│ 127 of 1,000 shown, see #approvals\n│ [3 Show all]\n│ [4 Docs ↗ https://example.com/docs]\n└\n"},
		{"an in_channel reply is a channel message", func() {
			respond(slack.ResponseTypeInChannel, slack.MsgOptionText("Usage for everyone", false))
		}, "┌ #general\n│ Usage for everyone\n└\n"},
		{"an ephemeral reply", func() {
			respond(slack.ResponseTypeEphemeral, slack.MsgOptionText("Usage report posted.", false))
		}, "┌ only rita sees\n│ Usage report posted.\n└\n"},
		{"the ephemeral reply replaced", func() {
			respond(slack.ResponseTypeEphemeral, slack.MsgOptionText("Posted, chart too.", false), slack.MsgOptionReplaceOriginal(slash.ResponseURL))
		}, "┌ only rita sees (updated)\n│ Posted, chart too.\n└\n"},
		{"a DM", func() {
			ch, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{harness.Alice}})
			require.NoError(t, err)
			_, _, err = api.PostMessage(ch.ID, slack.MsgOptionText("Your request was approved by <@"+harness.Bob+">", false))
			require.NoError(t, err)
		}, "┌ DM to alice\n│ Your request was approved by @bob\n└\n"},
		{"a text file, previewed", func() {
			var lines []string
			for i := 1; i <= 20; i++ {
				lines = append(lines, fmt.Sprintf("user%02d@example.com", i))
			}
			content := strings.Join(lines, "\n") + "\n"
			_, err := api.UploadFile(slack.UploadFileParameters{Filename: "R1.txt", Title: "Request R1, every item",
				Content: content, FileSize: len(content), Channel: harness.GeneralChannel})
			require.NoError(t, err)
		}, "┌ #general\n│ [file uploaded: Request R1, every item (1 KB)]\n" +
			"│   user01@example.com\n│   user02@example.com\n│   user03@example.com\n│   user04@example.com\n│   user05@example.com\n" +
			"│   user06@example.com\n│   user07@example.com\n│   user08@example.com\n│   user09@example.com\n│   user10@example.com\n" +
			"│   user11@example.com\n│   user12@example.com\n│   user13@example.com\n│   user14@example.com\n│   user15@example.com\n" +
			"│   … 5 more lines\n└\n"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := len(out.String())
			st.do()
			assert.Equal(t, "\n"+st.want, out.String()[before:])
		})
	}

	b, ok := p.button(3)
	require.True(t, ok)
	assert.Equal(t, shownButton{N: 3, Channel: harness.GeneralChannel, TS: b.TS, Only: harness.Requester,
		BlockID: b.BlockID, ActionID: "show_items", Value: "R1", Text: "Show all"}, b)
	b, ok = p.button(2)
	require.True(t, ok)
	assert.Equal(t, []string{harness.ApprovalChannel, cardTS, "card:R1", "deny", "R1"}, []string{b.Channel, b.TS, b.BlockID, b.ActionID, b.Value})
	_, ok = p.button(5)
	assert.False(t, ok)
}

// A block printed while a plain reader waits repeats the prompt under it.
func TestPlainPromptIsRepeatedUnderABackgroundMessage(t *testing.T) {
	out := &syncBuffer{}
	p := newTestPrinter(out)
	inR, inW := io.Pipe()
	r := newPlainReader(inR, p)
	got := make(chan string, 1)
	go func() {
		line, _ := r.ReadLine("alice@#general> ", true)
		got <- line
	}()
	require.Eventually(t, func() bool { return out.String() == "alice@#general> " }, time.Second, 5*time.Millisecond)
	p.write(slacksandbox.Write{Method: "chat.postMessage", Channel: harness.AuditChannel, Content: slacksandbox.Content{Text: "R1 expired"}})
	_, err := io.WriteString(inW, "orgs\n")
	require.NoError(t, err)
	assert.Equal(t, "orgs", <-got)
	assert.Equal(t, "alice@#general> \n┌ #audit\n│ R1 expired\n└\nalice@#general> orgs\n", out.String())

	p.write(slacksandbox.Write{Method: "chat.postMessage", Channel: harness.AuditChannel, Content: slacksandbox.Content{Text: "later"}})
	assert.True(t, strings.HasSuffix(out.String(), "orgs\n\n┌ #audit\n│ later\n└\n"), "no prompt is repeated once the line is read")
}

// On a terminal, a message arriving while the user types clears the prompt and the
// half-typed line, prints, and draws them again below (x/term's Terminal does it; the
// printer must write through it).
func TestTerminalRedrawsThePromptUnderABackgroundMessage(t *testing.T) {
	keysR, keysW := io.Pipe()
	screen := &syncBuffer{}
	tty := newTerminal(keysR, screen, -1, nil)
	p := newTestPrinter(tty)
	got := make(chan string, 1)
	go func() {
		line, _ := tty.ReadLine("alice@#general> ", true)
		got <- line
	}()
	_, err := io.WriteString(keysW, "org")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return strings.HasSuffix(screen.String(), "org") }, time.Second, 5*time.Millisecond)

	p.write(slacksandbox.Write{Method: "chat.postMessage", Channel: harness.AuditChannel, Content: slacksandbox.Content{Text: "R1 expired"}})
	_, err = io.WriteString(keysW, "s\r")
	require.NoError(t, err)
	assert.Equal(t, "orgs", <-got)

	shown := screen.String()
	i := strings.Index(shown, "┌ #audit\r\n│ R1 expired\r\n└\r\n")
	require.GreaterOrEqual(t, i, 0, "the block is printed with CR LF (raw mode): %q", shown)
	assert.Contains(t, shown[:i], "alice@#general> org\x1b[19D\x1b[K", "the prompt line is cleared first (cursor 19 left, erase to its end)")
	assert.Contains(t, shown[i:], "alice@#general> org", "then drawn again under the block, what was typed included")
}

// Up recalls commands, not what was typed in answer to a modal's questions.
func TestTerminalHistoryKeepsCommandsOnly(t *testing.T) {
	keysR, keysW := io.Pipe()
	tty := newTerminal(keysR, io.Discard, -1, nil)
	lines := []struct {
		keys     string
		remember bool
		want     string
	}{
		{"orgs\r", true, "orgs"},
		{"members\r", true, "members"},
		{"members\r", true, "members"},
		{"too vague\r", false, "too vague"},
		{"\x1b[A\r", true, "members"},          // Up: the last command
		{"\x1b[A\x1b[A\r", true, "orgs"},       // a repeated line is kept once
		{"\x1b[A\x1b[A\x1b[B\r", true, "orgs"}, // Down goes back to the newest
	}
	for _, l := range lines {
		got := make(chan string, 1)
		go func() {
			line, _ := tty.ReadLine("> ", l.remember)
			got <- line
		}()
		_, err := io.WriteString(keysW, l.keys)
		require.NoError(t, err)
		assert.Equal(t, l.want, <-got, "keys %q", l.keys)
	}
	assert.Equal(t, []string{"orgs", "members", "orgs"}, tty.history.lines, "newest first, no line twice in a row")
}
