package console

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	slacksandbox "devin-chatops/internal/sandbox/slack"
)

// printer shows what the bot writes to the fake Slack, one framed block per message,
// headed by where Slack would show it. It numbers the buttons it shows so that
// `click N` can press them.
type printer struct {
	mu     sync.Mutex
	out    io.Writer
	names  map[string]string // Slack user or user-group ID -> console name
	chans  map[string]string // channel ID -> name
	dmUser func(channel string) (string, bool)
	// fileText returns the contents of an uploaded file, for a text file's preview.
	fileText func(id string) (string, bool)
	// prompt is the prompt a plain (non-terminal) reader has printed and is waiting
	// under. A block printed meanwhile repeats it, so the user still sees where to type;
	// a terminal redraws its prompt itself and leaves this "".
	prompt string
	last   time.Time // when the last block was printed
	blocks int       // blocks printed so far
	book   buttonBook
}

// lookUp connects the printer to the fake Slack's DM channels and uploaded files.
func (p *printer) lookUp(f *slacksandbox.Server) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dmUser = f.DMUser
	p.fileText = func(id string) (string, bool) {
		for _, u := range f.Files("") {
			if u.ID == id {
				return string(u.Data), true
			}
		}
		return "", false
	}
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format, args...)
}

// showPrompt prints a plain reader's prompt and remembers it until answered.
func (p *printer) showPrompt(prompt string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prompt = prompt
	fmt.Fprint(p.out, prompt)
}

// answered forgets the prompt; with echo the line read is printed after it, so a
// transcript of piped input reads like a typed session.
func (p *printer) answered(line string, echo bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prompt = ""
	if echo {
		fmt.Fprintln(p.out, line)
	}
}

// printed returns how many blocks were printed so far.
func (p *printer) printed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.blocks
}

// waitQuiet returns once nothing was printed for quiet, after at most limit, or when
// ctx ends.
func (p *printer) waitQuiet(ctx context.Context, quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(quiet / 3):
		}
		p.mu.Lock()
		idle := time.Since(p.last) >= quiet
		p.mu.Unlock()
		if idle {
			return
		}
	}
}

// waitPrinted waits until more than n blocks were printed, for at most limit.
func (p *printer) waitPrinted(ctx context.Context, n int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for p.printed() <= n {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}

// write prints one thing the bot showed (slacksandbox.Options.OnWrite).
func (p *printer) write(w slacksandbox.Write) {
	if w.Method == "ack" && w.Channel == "" {
		// A view submission's ack: the modal closes (or shows errors, which the
		// session prints after submitting); nothing new to show.
		return
	}
	if w.Method == "ack" && strings.TrimSpace(w.AllText()) == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	head := p.head(w)
	var body string
	if w.Deleted {
		body = "(deleted)"
	} else {
		body = p.render(w.Content, p.numberButtons(w))
	}
	p.last = time.Now()
	p.blocks++
	// One Write per block: a terminal redraws its prompt after every Write.
	var b strings.Builder
	fmt.Fprintf(&b, "\n┌ %s\n", head)
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		fmt.Fprintf(&b, "│ %s\n", l)
	}
	b.WriteString("└\n" + p.prompt)
	_, _ = io.WriteString(p.out, b.String())
}

// head says where Slack shows w: in a channel, in a DM, only to one person, or in a
// modal. A response_url reply with response_type in_channel is a channel message.
func (p *printer) head(w slacksandbox.Write) string {
	if w.Method == "views.open" || w.Method == "views.update" {
		return "modal for " + p.name(w.User)
	}
	var where string
	switch {
	case w.Ephemeral || w.Method == "chat.postEphemeral":
		where = "only you see"
		if w.User != "" {
			where = "only " + p.name(w.User) + " sees"
		}
	case strings.HasPrefix(w.Channel, "D"):
		where = "DM"
		if p.dmUser != nil {
			if u, ok := p.dmUser(w.Channel); ok {
				where = "DM to " + p.name(u)
			}
		}
	default:
		where = "#" + p.channelName(w.Channel)
	}
	switch {
	case w.Deleted:
		return where + " (deleted)"
	case w.Method == "chat.update" || w.Replaced:
		return where + " (updated)"
	}
	return where
}

// numberButtons gives each button of a channel message or ephemeral its number and
// returns them by block and action ID. Buttons in modals get none: the fake clicks
// only buttons in messages.
func (p *printer) numberButtons(w slacksandbox.Write) map[string]int {
	if w.Channel == "" || w.TS == "" {
		return nil
	}
	only := ""
	if w.Ephemeral || w.Method == "chat.postEphemeral" {
		only = w.User
	}
	nums := map[string]int{}
	for _, b := range w.Buttons() {
		nums[b.BlockID+"/"+b.ActionID] = p.book.number(shownButton{
			Channel: w.Channel, TS: w.TS, Only: only,
			BlockID: b.BlockID, ActionID: b.ActionID, Value: b.Value, Text: b.Text, URL: b.URL,
		})
	}
	return nums
}

// button returns the button shown with number n.
func (p *printer) button(n int) (shownButton, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.book.byN[n]
	return b, ok
}

// name is a person's (or user group's) console name, or their Slack ID when they
// have none.
func (p *printer) name(user string) string {
	if n := p.names[user]; n != "" {
		return n
	}
	return user
}

func (p *printer) channelName(id string) string {
	if n := p.chans[id]; n != "" {
		return n
	}
	return id
}

// shownButton is a button the console has shown, with what it takes to click it.
type shownButton struct {
	N           int
	Channel, TS string
	// Only is the one user who sees the message (an ephemeral), or "".
	Only                                string
	BlockID, ActionID, Value, Text, URL string
}

// buttonBook numbers buttons in the order they are first shown. A message shown
// again (a card updated) keeps its buttons' numbers, so a number on screen never
// comes to mean another button; numbers of buttons that are gone stay taken, and
// clicking one says so.
type buttonBook struct {
	next  int
	byKey map[string]int
	byN   map[int]shownButton
}

func (b *buttonBook) number(s shownButton) int {
	if b.byKey == nil {
		b.byKey, b.byN = map[string]int{}, map[int]shownButton{}
	}
	key := strings.Join([]string{s.Channel, s.TS, s.BlockID, s.ActionID, s.Value}, "\x00")
	n, ok := b.byKey[key]
	if !ok {
		b.next++
		n = b.next
		b.byKey[key] = n
	}
	s.N = n
	b.byN[n] = s // the latest rendering wins: its label, its URL
	return n
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
