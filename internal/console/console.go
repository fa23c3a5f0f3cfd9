// Package console runs the real bot against in-process fakes of Slack, Devin and
// GitHub, and gives it a prompt: what you type becomes a /devin slash command, the
// approval buttons are clicked with :approve and :deny, and everything the bot posts
// is printed as text.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/config"
	"devin-chatops/internal/harness"
	slacksandbox "devin-chatops/internal/sandbox/slack"
)

const help = `Type a /devin command (the "/devin" is optional), or:
  :as NAME             act as rita (requester), alice or bob (approvers), carol (approver via
                       the admins group) or mallory (nobody)
  :approve ID          click Approve on the card of request ID
  :deny ID [REASON]    click Deny, then submit the reason in the modal
  :channel NAME        type commands in general, approvals or audit
  :help                this text
  :quit                stop (Ctrl-D works too)

Try: help · members · orgs · usage · sessions · teams · team list platform
     invite new.hire@example.com --reason "joins the platform team" · :as alice · :approve R…
     org limit engineering 2000 · offboard grace@example.com --github octocat`

var people = map[string]string{
	"rita": harness.Requester, "alice": harness.Alice, "bob": harness.Bob,
	"carol": harness.Carol, "mallory": harness.Mallory,
}

var channels = map[string]string{
	"general": harness.GeneralChannel, "approvals": harness.ApprovalChannel, "audit": harness.AuditChannel,
}

// Run starts the fakes and the bot and reads commands from in until EOF, :quit or ctx
// ends. The bot's own log goes to errOut at warn level unless LOG_LEVEL says otherwise.
func Run(ctx context.Context, cfg config.Config, in io.Reader, out, errOut io.Writer) error {
	dbURL, cleanup, err := databaseURL()
	if err != nil {
		return err
	}
	defer cleanup()

	level := slog.LevelWarn
	if _, set := os.LookupEnv("LOG_LEVEL"); set {
		level = cfg.LogLevel
	}
	p := &printer{out: out, names: invert(people), chans: invert(channels)}
	env, err := harness.Start(ctx, harness.Options{
		Reports:     true,
		DatabaseURL: dbURL,
		Logger:      slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: level})),
		Slack:       slacksandbox.Options{OnWrite: p.write},
		Configure: func(c *config.Config) {
			c.RequiredApprovals = cfg.RequiredApprovals
			c.AllowSelfApproval = cfg.AllowSelfApproval
			c.RequestTTL = cfg.RequestTTL
		},
	})
	if err != nil {
		return fmt.Errorf("start the bot: %w", err)
	}
	defer env.Close()
	p.setDMUser(env.Slack.DMUser)

	s := &session{env: env, p: p, user: harness.Requester, channel: harness.GeneralChannel}
	p.printf("devin-chatops console — the real bot against fake Slack, Devin and GitHub.\n%s\n\n", help)
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for {
		p.prompt(s.prompt())
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				p.printf("\n")
				return nil
			}
			if quit := s.handle(ctx, strings.TrimSpace(line)); quit {
				return nil
			}
		}
	}
}

// databaseURL keeps console sessions apart from a real deployment's database: unless
// DATABASE_URL is set explicitly, a temporary SQLite file is used and removed at exit.
func databaseURL() (string, func(), error) {
	if v, ok := os.LookupEnv("DATABASE_URL"); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v), func() {}, nil
	}
	dir, err := os.MkdirTemp("", "devin-chatops-console-")
	if err != nil {
		return "", nil, fmt.Errorf("temporary database: %w", err)
	}
	return "sqlite:" + filepath.Join(dir, "console.db"), func() { _ = os.RemoveAll(dir) }, nil
}

type session struct {
	env     *harness.Env
	p       *printer
	user    string
	channel string
}

func (s *session) prompt() string {
	return fmt.Sprintf("%s@#%s> ", s.p.names[s.user], s.p.chans[s.channel])
}

// handle runs one line; it reports whether the user asked to quit.
func (s *session) handle(ctx context.Context, line string) bool {
	if line == "" {
		return false
	}
	if !strings.HasPrefix(line, ":") {
		s.slash(ctx, strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, "/devin"), "devin ")))
		return false
	}
	fields := strings.Fields(line)
	switch fields[0] {
	case ":quit", ":q", ":exit":
		return true
	case ":help", ":h":
		s.p.printf("%s\n", help)
	case ":as":
		if len(fields) < 2 || people[strings.ToLower(fields[1])] == "" {
			s.p.printf("usage: :as rita|alice|bob|carol|mallory\n")
			return false
		}
		s.user = people[strings.ToLower(fields[1])]
	case ":channel":
		if len(fields) < 2 || channels[strings.ToLower(fields[1])] == "" {
			s.p.printf("usage: :channel general|approvals|audit\n")
			return false
		}
		s.channel = channels[strings.ToLower(fields[1])]
	case ":approve", ":deny":
		if len(fields) < 2 {
			s.p.printf("usage: %s REQUEST-ID\n", fields[0])
			return false
		}
		reason := ""
		if len(fields) > 2 {
			reason = strings.Join(fields[2:], " ")
		}
		s.click(ctx, fields[1], fields[0] == ":approve", reason)
	default:
		s.p.printf("unknown console command %s; :help lists them\n", fields[0])
	}
	return false
}

func (s *session) slash(ctx context.Context, text string) {
	it := s.env.Slack.SlashCommand(s.user, s.channel, text)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := it.WaitResponse(wctx); err != nil {
		s.p.printf("(no answer from the bot: %v)\n", err)
	}
	s.settle()
}

func (s *session) click(ctx context.Context, rawID string, approve bool, reason string) {
	id, err := approvals.ParseID(rawID)
	if err != nil {
		s.p.printf("%q is not a request ID (they look like R7K3QX2)\n", rawID)
		return
	}
	var card *slacksandbox.Message
	for _, m := range s.env.Slack.Messages(harness.ApprovalChannel) {
		for _, b := range m.Buttons() {
			if b.Value == id {
				card = &m
			}
		}
	}
	if card == nil {
		s.p.printf("no approval card with buttons for %s (decided, expired, or unknown)\n", id)
		return
	}
	action := approvalslack.ActionIDApprove
	if !approve {
		action = approvalslack.ActionIDDeny
	}
	if _, err := s.env.Slack.ClickButton(s.user, harness.ApprovalChannel, card.TS, action); err != nil {
		s.p.printf("click failed: %v\n", err)
		return
	}
	if !approve {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		v, err := s.env.Slack.WaitView(wctx, func(v slacksandbox.View) bool {
			return v.User == s.user && v.PrivateMetadata == id && !v.Closed
		})
		if err == nil {
			s.p.printf("(modal %q opened; submitting the reason)\n", v.Title)
			if _, err := s.env.Slack.SubmitView(s.user, v.ID, map[string]map[string]string{
				approvalslack.DenyReasonBlockID: {approvalslack.DenyReasonActionID: reason},
			}); err != nil {
				s.p.printf("submit failed: %v\n", err)
			}
		}
	}
	s.settle()
}

// settle gives the bot a moment to finish the follow-up messages of a command
// (card updates, DMs, audit echo) so they print before the next prompt.
func (s *session) settle() {
	s.p.waitQuiet(300*time.Millisecond, 15*time.Second)
}

type printer struct {
	mu     sync.Mutex
	out    io.Writer
	names  map[string]string
	chans  map[string]string
	last   time.Time
	dmUser func(channel string) (string, bool)
}

func (p *printer) setDMUser(f func(string) (string, bool)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dmUser = f
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format, args...)
}

func (p *printer) prompt(s string) { p.printf("%s", s) }

// waitQuiet returns once nothing was printed for quiet, or after at most limit.
func (p *printer) waitQuiet(quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		time.Sleep(quiet / 3)
		p.mu.Lock()
		idle := time.Since(p.last) >= quiet
		p.mu.Unlock()
		if idle {
			return
		}
	}
}

func (p *printer) write(w slacksandbox.Write) {
	if w.Method == "ack" && strings.TrimSpace(w.AllText()) == "" {
		return
	}
	where := p.chans[w.Channel]
	if where == "" {
		where = w.Channel
	}
	var head string
	switch w.Method {
	case "chat.postMessage", "files.completeUploadExternal":
		head = "#" + where
	case "chat.update":
		head = "#" + where + " (updated)"
	case "chat.postEphemeral", "response_url", "ack":
		head = "only you see"
		if w.User != "" {
			head = "only " + p.name(w.User) + " sees"
		}
	case "views.open", "views.update":
		head = "modal for " + p.name(w.User)
	default:
		head = w.Method
	}
	p.mu.Lock()
	if strings.HasPrefix(w.Channel, "D") {
		head = "DM"
		if p.dmUser != nil {
			if u, ok := p.dmUser(w.Channel); ok {
				head = "DM to " + p.name(u)
			}
		}
	}
	body := p.render(w.Content)
	defer p.mu.Unlock()
	p.last = time.Now()
	fmt.Fprintf(p.out, "\n┌ %s\n", head)
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		fmt.Fprintf(p.out, "│ %s\n", l)
	}
	fmt.Fprintln(p.out, "└")
}

// name is a person's console name, or their Slack ID when they have none.
func (p *printer) name(user string) string {
	if n := p.names[user]; n != "" {
		return n
	}
	return user
}

func invert(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[m[k]] = k
	}
	return out
}
