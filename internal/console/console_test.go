package console

import (
	"bytes"
	"context"
	"io"
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

func TestConsoleInviteApproveFlow(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	inR, inW := io.Pipe()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), consoleConfig(), inR, out, io.Discard) }()

	send := func(line string) { _, err := io.WriteString(inW, line+"\n"); require.NoError(t, err) }
	send("members")
	waitFor(t, out, regexp.MustCompile(`Ada Lovelace`))

	send(`invite new.hire@example.com --reason "joins the platform team"`)
	id := waitFor(t, out, regexp.MustCompile("Request `(R[0-9A-Z]+)` is waiting for approval"))

	send(":approve " + id) // rita is not an approver: refused
	waitFor(t, out, regexp.MustCompile(`Only approvers can decide on requests`))

	send(":as alice")
	send(":approve " + id)
	waitFor(t, out, regexp.MustCompile(`(?s)DM to rita.*new\.hire@example\.com`))

	send(":quit")
	require.NoError(t, <-done)
	text := out.String()
	assert.Contains(t, text, "== Approval needed: invite to Devin ==")
	assert.Contains(t, text, "[Approve] [Deny]")
	assert.Contains(t, text, "#approvals (updated)")
	assert.NotContains(t, text, "no answer from the bot")
}

func TestConsoleRejectsUnknownInput(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	out := &syncBuffer{}
	in := strings.NewReader(":as nobody\n:approve not-an-id\n:frobnicate\nfrobnicate\n")
	require.NoError(t, Run(context.Background(), consoleConfig(), in, out, io.Discard))
	text := out.String()
	assert.Contains(t, text, "usage: :as rita|alice|bob|carol|mallory")
	assert.Contains(t, text, `"not-an-id" is not a request ID`)
	assert.Contains(t, text, "unknown console command :frobnicate")
	assert.Contains(t, text, "/devin help") // the bot's own answer to an unknown command
}

func TestRenderWritesOutSlackMarkup(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"user mention", "by <@U0ALICE>", "by @U0ALICE"},
		{"channel with label", "in <#C1|approvals>", "in #approvals"},
		{"link with label", "<https://x.example|docs>", "docs (https://x.example)"},
		{"date falls back", "<!date^1700000000^{date_short}|Nov 14>", "Nov 14"},
		{"escaped text", "a &lt;b&gt; &amp; c", "a <b> & c"},
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
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, p.render(tt.in)) })
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
