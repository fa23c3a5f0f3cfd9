package console

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// lineReader reads what the user types, one line at a time, after a prompt.
type lineReader interface {
	// ReadLine shows prompt and returns the next line, or io.EOF at the end of input
	// (Ctrl-D or Ctrl-C on a terminal). Only lines read with remember go into the
	// history: commands, not the answers to a modal's questions.
	ReadLine(prompt string, remember bool) (string, error)
}

// terminal puts a terminal in raw mode and edits lines with golang.org/x/term's
// Terminal: arrows, Home/End, Ctrl-A/E/K/U/W, word moves and a history on Up/Down.
// Its Write clears the prompt and the half-typed line, prints, and draws them again,
// which is what lets the bot's background messages (an expiry, an alert) arrive while
// the user types. x/term is kept by the Go project and adds no dependency besides
// golang.org/x/sys, which the module already has; chzyer/readline, the other line
// editor the module proxy serves, has had no release since 2022 (its maintained fork,
// ergochat/readline, is not served).
type terminal struct {
	t       *term.Terminal
	fd      int
	state   *term.State
	history *history
}

// openTerminal returns a terminal when in and out are both the same kind of TTY (an
// interactive session), or nil: pipes, files and tests read plain lines.
func openTerminal(in io.Reader, out io.Writer) (*terminal, error) {
	fin, ok1 := in.(*os.File)
	fout, ok2 := out.(*os.File)
	if !ok1 || !ok2 || !isTerminal(fin) || !isTerminal(fout) {
		return nil, nil
	}
	fd := int(fin.Fd())
	state, err := term.MakeRaw(fd)
	if err != nil {
		return nil, err
	}
	return newTerminal(fin, fout, fd, state), nil
}

func newTerminal(in io.Reader, out io.Writer, fd int, state *term.State) *terminal {
	t := &terminal{t: term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{in, out}, ""), fd: fd, state: state, history: &history{}}
	t.t.History = t.history
	return t
}

// Write prints above the prompt (turning \n into \r\n, as raw mode needs).
func (t *terminal) Write(p []byte) (int, error) { return t.t.Write(p) }

func (t *terminal) ReadLine(prompt string, remember bool) (string, error) {
	if w, h, err := term.GetSize(t.fd); err == nil {
		_ = t.t.SetSize(w, h) // the window may have been resized since the last line
	}
	t.t.SetPrompt(prompt)
	t.history.forget(!remember)
	line, err := t.t.ReadLine()
	if errors.Is(err, term.ErrPasteIndicator) {
		err = nil // a pasted line is a line like any other here
	}
	return line, err
}

// restore gives the terminal back as it was.
func (t *terminal) restore() {
	if t.state != nil {
		_ = term.Restore(t.fd, t.state)
	}
}

// history is the terminal's history of commands, newest first (term.History), the
// last historySize of them, without a line repeating the one before it.
type history struct {
	mu      sync.Mutex
	lines   []string
	discard bool // the line being read is not a command: do not keep it
}

const historySize = 500

func (h *history) forget(discard bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.discard = discard
}

func (h *history) Add(line string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.discard || strings.TrimSpace(line) == "" || (len(h.lines) > 0 && h.lines[0] == line) {
		return
	}
	h.lines = append([]string{line}, h.lines[:min(len(h.lines), historySize-1)]...)
}

func (h *history) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.lines)
}

func (h *history) At(i int) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lines[i]
}

// plainReader reads lines from a pipe, a file or a test. The prompt goes through the
// printer, which repeats it under any block printed while it waits.
type plainReader struct {
	sc   *bufio.Scanner
	p    *printer
	echo bool // print each line after its prompt: the input is not a terminal echoing it
}

func newPlainReader(in io.Reader, p *printer) *plainReader {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	echo := true
	if f, ok := in.(*os.File); ok && isTerminal(f) {
		echo = false
	}
	return &plainReader{sc: sc, p: p, echo: echo}
}

func (r *plainReader) ReadLine(prompt string, _ bool) (string, error) {
	r.p.showPrompt(prompt)
	if !r.sc.Scan() {
		r.p.answered("", false)
		if err := r.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	line := r.sc.Text()
	r.p.answered(line, r.echo)
	return line, nil
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
