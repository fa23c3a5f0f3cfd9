// Package console runs the real bot against in-process fakes of Slack, Devin and
// GitHub, and gives it a prompt: what you type becomes a /devin slash command, the
// buttons the bot shows are numbered and pressed with `click N` (the approval buttons
// also with :approve and :deny), modals are filled in at the prompt, and everything
// the bot posts is printed as text, headed by where Slack would show it.
package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/config"
	"devin-chatops/internal/harness"
	slacksandbox "devin-chatops/internal/sandbox/slack"
)

const help = `Type a /devin command (the "/devin" is optional), or:
  click N [REASON]     press the button shown as [N …] (as the person you act as); a modal
                       it opens asks for its fields at the prompt (REASON fills the first;
                       :cancel leaves it unsent)
  :as NAME             act as rita (requester), alice or bob (approvers), carol (approver via
                       the admins group) or mallory (nobody)
  :approve ID          click Approve on the card of request ID
  :deny ID [REASON]    click Deny, then submit the reason in the modal
  :channel NAME        type commands in general, approvals or audit
  :help                this text
  :quit                stop (Ctrl-D works too)

Try: help · members · orgs · usage · sessions · teams · team list platform
     invite new.hire@example.com --reason "joins the platform team" · :as alice · click 1
     org limit engineering 2000 · offboard grace@example.com --github octocat`

var people = map[string]string{
	"rita": harness.Requester, "alice": harness.Alice, "bob": harness.Bob,
	"carol": harness.Carol, "mallory": harness.Mallory,
}

// groups are the user groups the printer names, as Slack shows <!subteam^S…>.
var groups = map[string]string{"admins": harness.AdminsGroup}

var channels = map[string]string{
	"general": harness.GeneralChannel, "approvals": harness.ApprovalChannel, "audit": harness.AuditChannel,
}

// Options shape a console session.
type Options struct {
	// DBPath is the SQLite file the bot keeps its requests and audit log in, kept
	// after the session. Empty means a temporary file, removed when the console stops.
	// The environment's DATABASE_URL is never used: it names a deployment's database.
	DBPath string
}

// Run starts the fakes and the bot and reads commands from in until EOF, :quit or ctx
// ends (main cancels it on SIGINT, SIGTERM and SIGHUP); the temporary database is
// removed in every case. When in and out are a terminal, lines are edited with
// history and the bot's background messages are printed above the prompt; otherwise
// lines are read plainly and echoed. The bot's own log goes to errOut at warn level
// unless LOG_LEVEL says otherwise.
func Run(ctx context.Context, cfg config.Config, opts Options, in io.Reader, out, errOut io.Writer) error {
	dbURL, where, cleanup, err := databaseURL(opts.DBPath)
	if err != nil {
		return err
	}
	defer cleanup()

	tty, err := openTerminal(in, out)
	if err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	var reader lineReader
	p := &printer{out: out, names: invert(people), chans: invert(channels)}
	for name, id := range groups {
		p.names[id] = name
	}
	if tty != nil {
		defer tty.restore()
		p.out, reader = tty, tty
		if f, ok := errOut.(*os.File); ok && isTerminal(f) {
			errOut = tty // raw mode: the log too needs \r\n and the prompt redrawn
		}
	} else {
		reader = newPlainReader(in, p)
	}

	level := slog.LevelWarn
	if _, set := os.LookupEnv("LOG_LEVEL"); set {
		level = cfg.LogLevel
	}
	p.printf("devin-chatops console — the real bot against fake Slack, Devin and GitHub.\n"+
		"Requests and the audit log are kept in %s.\n%s\n\n", where, help)
	// The sandbox speaks the current Devin API unless DEVIN_API_VERSION asks for v2;
	// the key's prefix means nothing here, the fake's key is used.
	version := config.DevinV3
	if _, set := os.LookupEnv("DEVIN_API_VERSION"); set && cfg.DevinAPIVersion != "" {
		version = cfg.DevinAPIVersion
	}
	env, err := harness.Start(ctx, harness.Options{
		DevinAPIVersion: version,
		Reports:         true,
		DatabaseURL:     dbURL,
		Logger:          slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: level})),
		Slack:           slacksandbox.Options{OnWrite: p.write},
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
	p.lookUp(env.Slack)

	s := &session{env: env, p: p, user: harness.Requester, channel: harness.GeneralChannel,
		asks: make(chan ask), answers: make(chan lineResult, 1)}
	go s.readLines(reader)
	defer close(s.asks)
	for {
		line, err := s.read(ctx, s.prompt(), true)
		switch {
		case errors.Is(err, io.EOF):
			if tty != nil {
				fmt.Fprint(out, "\r\n") // under the prompt, past the terminal's line editor
			} else {
				p.printf("\n")
			}
			return nil
		case ctx.Err() != nil:
			return nil
		case err != nil:
			return fmt.Errorf("read: %w", err)
		}
		if quit := s.handle(ctx, strings.TrimSpace(line)); quit {
			return nil
		}
	}
}

// databaseURL keeps console sessions apart from a real deployment's database: a
// temporary SQLite file, removed by cleanup, unless path names one to keep.
func databaseURL(path string) (url, where string, cleanup func(), err error) {
	if path = strings.TrimSpace(path); path != "" {
		if strings.Contains(path, "?") {
			return "", "", nil, fmt.Errorf("--db %q: the path must not contain '?'", path)
		}
		return "sqlite:" + path, path, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "devin-chatops-console-")
	if err != nil {
		return "", "", nil, fmt.Errorf("temporary database: %w", err)
	}
	return "sqlite:" + filepath.Join(dir, "console.db"), "a temporary database, removed when the console stops (--db PATH keeps one)",
		func() { _ = os.RemoveAll(dir) }, nil
}

type ask struct {
	prompt   string
	remember bool // a command, for the history
}

type lineResult struct {
	line string
	err  error
}

type session struct {
	env     *harness.Env
	p       *printer
	user    string
	channel string
	asks    chan ask        // prompts for readLines
	answers chan lineResult // its lines
}

// readLines answers each prompt sent on s.asks with a line, until s.asks is closed. It
// runs on its own goroutine so that the session can stop (ctx) while a read blocks.
func (s *session) readLines(r lineReader) {
	for a := range s.asks {
		line, err := r.ReadLine(a.prompt, a.remember)
		s.answers <- lineResult{line, err}
	}
}

// read shows prompt and returns the next line; remember keeps it in the history.
func (s *session) read(ctx context.Context, prompt string, remember bool) (string, error) {
	select {
	case s.asks <- ask{prompt, remember}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	select {
	case r := <-s.answers:
		return r.line, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (s *session) prompt() string {
	return fmt.Sprintf("%s@#%s> ", s.p.names[s.user], s.p.chans[s.channel])
}

// handle runs one line; it reports whether the user asked to quit.
func (s *session) handle(ctx context.Context, line string) bool {
	if line == "" {
		return false
	}
	fields := strings.Fields(line)
	if fields[0] == "click" || fields[0] == ":click" {
		s.clickCommand(ctx, fields[1:])
		return false
	}
	if !strings.HasPrefix(line, ":") {
		s.slash(ctx, strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, "/devin"), "devin ")))
		return false
	}
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
		s.decide(ctx, fields[1], fields[0] == ":approve", strings.Join(fields[2:], " "))
	default:
		s.p.printf("unknown console command %s; :help lists them\n", fields[0])
	}
	return false
}

func (s *session) slash(ctx context.Context, text string) {
	it := s.env.Slack.SlashCommand(s.user, s.channel, text)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := it.WaitResponse(wctx); err != nil && ctx.Err() == nil {
		s.p.printf("(no answer from the bot: %v)\n", err)
	}
	s.settle(ctx)
}

// clickCommand is `click N [REASON]`.
func (s *session) clickCommand(ctx context.Context, args []string) {
	if len(args) == 0 {
		s.p.printf("usage: click N [REASON], N being a button's number, as in [1 Approve]\n")
		return
	}
	n, err := strconv.Atoi(strings.Trim(args[0], "[]"))
	if err != nil || n <= 0 {
		s.p.printf("%q is not a button number; buttons are shown as [1 Approve] [2 Deny]\n", args[0])
		return
	}
	b, ok := s.p.button(n)
	if !ok {
		s.p.printf("no button %d has been shown yet\n", n)
		return
	}
	if b.Only != "" && b.Only != s.user {
		s.p.printf("button %d is in a message only %s sees; :as %s to click it\n", n, s.p.name(b.Only), s.p.name(b.Only))
		return
	}
	reason := strings.Join(args[1:], " ")
	s.press(ctx, b, reason, reason == "")
}

// decide is :approve / :deny ID: the button of that request's card in the approvals
// channel.
func (s *session) decide(ctx context.Context, rawID string, approve bool, reason string) {
	id, err := approvals.ParseID(rawID)
	if err != nil {
		s.p.printf("%q is not a request ID (they look like R7K3QX2)\n", rawID)
		return
	}
	action := approvalslack.ActionIDApprove
	if !approve {
		action = approvalslack.ActionIDDeny
	}
	var found *shownButton
	for _, m := range s.env.Slack.Messages(harness.ApprovalChannel) {
		for _, b := range m.Buttons() {
			if b.Value == id && b.ActionID == action {
				found = &shownButton{Channel: m.Channel, TS: m.TS, BlockID: b.BlockID, ActionID: b.ActionID, Value: b.Value, Text: b.Text}
			}
		}
	}
	if found == nil {
		s.p.printf("no approval card with buttons for %s (decided, expired, or unknown)\n", id)
		return
	}
	s.press(ctx, *found, reason, false)
}

// press clicks b as the current user through the fake Slack's block_actions, waits
// for what the bot shows in answer, and fills in a modal the click opened: reason
// fills its first text field, and with ask the fields are asked for at the prompt.
func (s *session) press(ctx context.Context, b shownButton, reason string, ask bool) {
	if b.URL != "" {
		s.p.printf("(button %q opens %s in a browser)\n", b.Text, b.URL)
	}
	viewsBefore := len(s.env.Slack.Views())
	printed := s.p.printed()
	it, err := s.env.Slack.ClickBlockButton(s.user, b.Channel, b.TS, b.BlockID, b.ActionID)
	if err != nil {
		if _, ok := s.env.Slack.Message(b.Channel, b.TS); ok {
			s.p.printf("that button is no longer there: the message has changed since\n")
		} else {
			s.p.printf("that button is no longer there: %v\n", err)
		}
		return
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := it.WaitAck(wctx); err != nil {
		if ctx.Err() == nil {
			s.p.printf("(the bot did not acknowledge the click: %v)\n", err)
		}
		return
	}
	if b.URL == "" {
		// Every click the bot handles shows something: a card update, a reply, a modal.
		s.p.waitPrinted(ctx, printed, 3*time.Second)
	}
	s.settle(ctx)
	for _, v := range s.env.Slack.Views()[viewsBefore:] {
		if v.User == s.user && !v.Closed {
			s.fillModal(ctx, v, reason, ask)
			return
		}
	}
}

// fillModal fills the modal's text inputs, from reason or, with ask, at the prompt,
// and submits it.
func (s *session) fillModal(ctx context.Context, v slacksandbox.View, reason string, ask bool) {
	values := map[string]map[string]string{}
	for _, blk := range v.Blocks {
		in, ok := blk.(*slack.InputBlock)
		if !ok {
			continue
		}
		el, ok := in.Element.(*slack.PlainTextInputBlockElement)
		if !ok {
			continue // only text fields can be typed at a prompt; Slack sends the rest empty
		}
		label := el.ActionID
		if in.Label != nil {
			label = in.Label.Text
		}
		text := reason
		if ask && reason == "" {
			line, err := s.read(ctx, label+": ", false)
			if err != nil || strings.TrimSpace(line) == ":cancel" {
				s.p.printf("(modal %q not submitted)\n", v.Title)
				return
			}
			text = line
		}
		reason = "" // a reason from the command line fills the first field only
		values[in.BlockID] = map[string]string{el.ActionID: strings.TrimSpace(text)}
	}
	if _, err := s.env.Slack.SubmitView(s.user, v.ID, values); err != nil {
		s.p.printf("submit failed: %v\n", err)
		return
	}
	s.p.printf("(modal %q submitted)\n", v.Title)
	s.settle(ctx)
	for _, now := range s.env.Slack.Views() {
		if now.ID == v.ID && !now.Closed && len(now.Errors) > 0 {
			for field, msg := range now.Errors {
				s.p.printf("modal %q refused %s: %s\n", v.Title, field, msg)
			}
		}
	}
}

// settleQuiet is how long the bot must have printed nothing for a command's
// follow-up messages to count as done; tests shorten it.
var settleQuiet = 300 * time.Millisecond

// settle gives the bot a moment to finish the follow-up messages of a command
// (card updates, DMs, audit echo) so they print before the next prompt.
func (s *session) settle(ctx context.Context) {
	s.p.waitQuiet(ctx, settleQuiet, 15*time.Second)
}
