package console

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/config"
	slacksandbox "devin-chatops/internal/sandbox/slack"
)

// syncBuffer is a bytes.Buffer safe for the console's writer and the test's reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMain(m *testing.M) {
	// The scripts wait for what they expect to see; they need not wait for quiet.
	settleQuiet = 100 * time.Millisecond
	os.Exit(m.Run())
}

func consoleConfig() config.Config {
	return config.Config{RequiredApprovals: 1, RequestTTL: time.Hour}
}

// waitFor waits until the output matches re and returns the first submatch (or match).
func waitFor(t *testing.T, out *syncBuffer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[len(m)-1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("output never matched %s:\n%s", re, out.String())
	return ""
}

// script drives Run through a pipe, as a person typing would.
type script struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *syncBuffer
	done chan error
}

func startSession(t *testing.T, opts Options) *script {
	t.Helper()
	inR, inW := io.Pipe()
	s := &script{t: t, in: inW, out: &syncBuffer{}, done: make(chan error, 1)}
	go func() { s.done <- Run(context.Background(), consoleConfig(), opts, inR, s.out, io.Discard) }()
	t.Cleanup(func() { _ = inW.Close() })
	return s
}

func (s *script) send(line string) {
	_, err := io.WriteString(s.in, line+"\n")
	require.NoError(s.t, err)
}

// quit ends the session and returns its whole transcript.
func (s *script) quit() string {
	s.send(":quit")
	require.NoError(s.t, <-s.done)
	return s.out.String()
}

func TestConsoleInviteApproveFlow(t *testing.T) {
	s := startSession(t, Options{})
	s.send("members")
	waitFor(t, s.out, regexp.MustCompile(`Ada Lovelace`))

	s.send(`invite new.hire@example.com --reason "joins the platform team"`)
	id := waitFor(t, s.out, regexp.MustCompile("Request `(R[0-9A-Z]+)` is waiting for approval"))

	s.send(":approve " + id) // rita is not an approver: refused
	waitFor(t, s.out, regexp.MustCompile(`Only approvers can decide on requests`))

	s.send(":as alice")
	s.send(":approve " + id)
	waitFor(t, s.out, regexp.MustCompile(`(?s)DM to rita.*new\.hire@example\.com`))

	text := s.quit()
	assert.Contains(t, text, "== Approval needed: invite to Devin ==")
	assert.Contains(t, text, "[1 Approve] [2 Deny]")
	assert.Contains(t, text, "#approvals (updated)")
	assert.Contains(t, text, "rita@#general> members\n") // piped input is echoed after its prompt
	assert.NotContains(t, text, "no answer from the bot")
}

// A scripted session as the issue describes it: an in-channel report, then a card
// approved with `click N`, as the current user.
func TestConsoleClickNumberedButtons(t *testing.T) {
	s := startSession(t, Options{})
	s.send("usage --post")
	waitFor(t, s.out, regexp.MustCompile(`Usage report posted`))

	s.send(`invite one@example.com --reason "joins"`)
	id := waitFor(t, s.out, regexp.MustCompile("Request `(R[0-9A-Z]+)` is waiting for approval"))
	s.send("click 1") // rita's own request: she is no approver
	waitFor(t, s.out, regexp.MustCompile(`Only approvers can decide on requests`))
	s.send(":as alice")
	s.send("click 1")
	waitFor(t, s.out, regexp.MustCompile(`(?s)DM to rita.*one@example\.com`))
	s.send("click 1") // the card has no buttons any more
	s.send("click 9")
	s.send("click two")
	text := s.quit()

	// --post shows the report in the channel; only the confirmation is rita's alone.
	assert.Regexp(t, `┌ #general\n│ == Devin usage`, text)
	assert.Regexp(t, `┌ only rita sees\n│ :white_check_mark: Usage report posted\.`, text)
	assert.Regexp(t, "(?s)Request `"+id+"`.*\\[1 Approve\\] \\[2 Deny\\]", text)
	assert.Regexp(t, `┌ #approvals \(updated\)\n│ == Approved`, text)
	assert.Contains(t, text, "alice@#general> click 1\nthat button is no longer there: the message has changed since\n")
	assert.Contains(t, text, "no button 9 has been shown yet")
	assert.Contains(t, text, `"two" is not a button number`)
}

// Deny's modal asks for its reason at the prompt, or takes it from `click N REASON`;
// buttons are numbered across the cards on screen.
func TestConsoleDenyModalAtThePrompt(t *testing.T) {
	s := startSession(t, Options{})
	s.send(`invite one@example.com --reason "joins"`)
	first := waitFor(t, s.out, regexp.MustCompile("Request `(R[0-9A-Z]+)` is waiting for approval"))
	s.send(`invite two@example.com --reason "joins too"`)
	second := waitFor(t, s.out, regexp.MustCompile("Request `(R[0-9A-Z]+)` is waiting for approval[^└]*two@example"))
	require.NotEqual(t, first, second)

	s.send(":as alice")
	s.send("click 4") // Deny on the second card: the modal's reason comes next
	waitFor(t, s.out, regexp.MustCompile(`Reason \(optional\): $`))
	s.send("not this quarter")
	waitFor(t, s.out, regexp.MustCompile(`(?s)DM to rita.*`+second+`.*was denied by @alice.*not this quarter`))

	s.send(":as bob")
	s.send("click 2 duplicate of an earlier request")
	waitFor(t, s.out, regexp.MustCompile(`(?s)DM to rita.*`+first+`.*was denied by @bob.*duplicate of an earlier request`))
	text := s.quit()

	assert.Regexp(t, `(?s)`+first+".*\\[1 Approve\\] \\[2 Deny\\].*"+second+".*\\[3 Approve\\] \\[4 Deny\\]", text)
	assert.Equal(t, 1, strings.Count(text, "Reason (optional): "), "asked once: bob gave his reason with the click")
	assert.Equal(t, 2, strings.Count(text, `(modal "Deny request" submitted)`))
	assert.Regexp(t, `(?s)== Denied: invite to Devin ==.*\*Deny reason:\* not this quarter`, text)
	assert.NotContains(t, text, "┌ only alice sees\n│ Deny request") // the modal's closing ack is not a message
}

func TestConsoleRejectsUnknownInput(t *testing.T) {
	out := &syncBuffer{}
	in := strings.NewReader(":as nobody\n:approve not-an-id\n:frobnicate\nfrobnicate\nclick\n")
	require.NoError(t, Run(context.Background(), consoleConfig(), Options{}, in, out, io.Discard))
	text := out.String()
	assert.Contains(t, text, "usage: :as rita|alice|bob|carol|mallory")
	assert.Contains(t, text, `"not-an-id" is not a request ID`)
	assert.Contains(t, text, "unknown console command :frobnicate")
	assert.Contains(t, text, "/devin help") // the bot's own answer to an unknown command
	assert.Contains(t, text, "usage: click N [REASON]")
}

// consoleDirs lists the temporary directories consoles made under dir.
func consoleDirs(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "devin-chatops-console-*"))
	require.NoError(t, err)
	return m
}

// The console never touches the database DATABASE_URL names: it works in a temporary
// file, gone when it stops, whether by :quit, end of input or its context (SIGHUP).
func TestConsoleUsesATemporaryDatabase(t *testing.T) {
	tests := []struct {
		name string
		stop func(s *script, cancel context.CancelFunc)
	}{
		{"quit", func(s *script, _ context.CancelFunc) { s.send(":quit") }},
		{"end of input", func(s *script, _ context.CancelFunc) { require.NoError(t, s.in.Close()) }},
		{"cancelled while reading", func(_ *script, cancel context.CancelFunc) { cancel() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			prod := filepath.Join(t.TempDir(), "production.db")
			t.Setenv("DATABASE_URL", "sqlite:"+prod)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			inR, inW := io.Pipe()
			s := &script{t: t, in: inW, out: &syncBuffer{}, done: make(chan error, 1)}
			go func() { s.done <- Run(ctx, consoleConfig(), Options{}, inR, s.out, io.Discard) }()
			s.send("orgs")
			waitFor(t, s.out, regexp.MustCompile(`2 organizations`))
			dirs := consoleDirs(t, tmp)
			require.Len(t, dirs, 1)
			assert.FileExists(t, filepath.Join(dirs[0], "console.db"))
			assert.Contains(t, s.out.String(), "a temporary database, removed when the console stops")

			tt.stop(s, cancel)
			require.NoError(t, <-s.done)
			assert.Empty(t, consoleDirs(t, tmp), "the temporary database is removed")
			assert.NoFileExists(t, prod)
		})
	}
}

func TestConsoleKeepsItsDatabaseWithDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	s := startSession(t, Options{DBPath: path})
	s.send(`invite kept@example.com --reason "across sessions"`)
	id := waitFor(t, s.out, regexp.MustCompile("Request `(R[0-9A-Z]+)` is waiting for approval"))
	assert.Contains(t, s.quit(), "kept in "+path)
	assert.FileExists(t, path)

	s = startSession(t, Options{DBPath: path})
	s.send("requests")
	waitFor(t, s.out, regexp.MustCompile("`"+id+"`"))
	s.quit()
	assert.FileExists(t, path)
	assert.Empty(t, consoleDirs(t, tmp), "no temporary database with --db")
}

func TestDatabaseURLRefusesAQuestionMark(t *testing.T) {
	_, _, _, err := databaseURL("x.db?mode=memory")
	assert.ErrorContains(t, err, "must not contain '?'")
}

func TestRenderWritesOutSlackMarkup(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"user mention", "by <@U0ALICE>", "by @U0ALICE"},
		{"channel with label", "in <#C1|approvals>", "in #approvals"},
		{"link with label", "<https://x.example|docs>", "docs (https://x.example)"},
		{"date falls back", "<!date^1700000000^{date_short}|Nov 14>", "Nov 14"},
		{"escaped text", "a &lt;b&gt; &amp; c", "a <b> & c"},
		{"user group", "for <!subteam^S0ADMINS>", "for @S0ADMINS"},
		{"user group with its handle", "for <!subteam^S0ADMINS|@admins>", "for @admins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, plain(tt.in)) })
	}
}

func TestRenderShowsUploadedFiles(t *testing.T) {
	chart := slacksandbox.SharedFile{ID: "F1", Name: "usage.png", Title: "Usage, last 30 days", Mimetype: "image/png", Size: 20 * 1024}
	tests := []struct {
		name string
		in   slacksandbox.Content
		want string
	}{
		{"chart alone", slacksandbox.Content{Files: []slacksandbox.SharedFile{chart}},
			"[chart uploaded: Usage, last 30 days (20 KB)]\n"},
		{"with a comment", slacksandbox.Content{Text: "Weekly usage for <@U0ALICE>", Files: []slacksandbox.SharedFile{chart}},
			"Weekly usage for @alice\n[chart uploaded: Usage, last 30 days (20 KB)]\n"},
		{"small file without title", slacksandbox.Content{Files: []slacksandbox.SharedFile{{Name: "a.csv", Mimetype: "text/plain", Size: 3}}},
			"[file uploaded: a.csv (1 KB)]\n"},
		{"no files", slacksandbox.Content{Text: "hi"}, "hi"},
	}
	p := &printer{names: map[string]string{"U0ALICE": "alice"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, p.render(tt.in, nil)) })
	}
}

func TestPrinterShowsAFileShareInItsChannel(t *testing.T) {
	out := &syncBuffer{}
	p := &printer{out: out, chans: map[string]string{"C0REPORTS": "reports"}}
	p.write(slacksandbox.Write{
		Method:  "files.completeUploadExternal",
		Channel: "C0REPORTS",
		Content: slacksandbox.Content{Files: []slacksandbox.SharedFile{{Name: "usage.png", Title: "Usage", Mimetype: "image/png", Size: 1500}}},
	})
	assert.Equal(t, "\n┌ #reports\n│ [chart uploaded: Usage (2 KB)]\n└\n", out.String())
}
