package commands

import (
	"cmp"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"devin-chatops/slackui"
)

// line is a command line split into words once: the parser and the audit log both read
// these words, so the text is never tokenised twice.
type line struct {
	text  string
	words []word
	err   error // a quote that is never closed; words is empty then
}

// lex splits the text after /devin into words.
func lex(text string) line {
	words, err := tokenize(text)
	return line{text: text, words: words, err: err}
}

// readable rewrites the line with Slack's forms written out, quoting the words that need
// it, so that it reads as the person typed it.
func (l line) readable() string {
	if l.err != nil {
		return strings.Join(strings.Fields(decodeEntities(l.text)), " ")
	}
	parts := make([]string, 0, len(l.words))
	for _, w := range l.words {
		s := strings.Join(strings.Fields(w.readable()), " ")
		if s == "" || strings.ContainsAny(w.readable(), " \t\n\"") {
			s = `"` + strings.ReplaceAll(s, `"`, `'`) + `"`
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// formKind is what a piece of text stands for when Slack sent it in its <…> form.
type formKind uint8

const (
	plainText   formKind = iota
	mailtoForm           // <mailto:a@b.com|a@b.com>
	userForm             // <@U123|name>
	channelForm          // <#C123|name>
	specialForm          // <!here>, <!subteam^S1|@team>
	linkForm             // <https://…|label>, or any other URL
)

// String completes "it is …" and "… is …, not an organization".
func (k formKind) String() string {
	switch k {
	case mailtoForm:
		return "an email address"
	case userForm:
		return "a Slack user"
	case channelForm:
		return "a Slack channel"
	case specialForm:
		return "a Slack mention"
	case linkForm:
		return "a link"
	}
	return "text"
}

// segment is a run of plain text, or one Slack form.
type segment struct {
	kind  formKind
	text  string // plain text, or a form's target: the address, user or channel id, URL
	label string // a form's text after '|'
	raw   string // a form as Slack sent it, "<…>"
}

// readable is how a person would have typed the segment.
func (s segment) readable() string {
	switch s.kind {
	case userForm:
		return "@" + strings.TrimPrefix(cmp.Or(s.label, s.text), "@")
	case channelForm:
		return "#" + strings.TrimPrefix(cmp.Or(s.label, s.text), "#")
	case specialForm:
		if s.label != "" {
			return s.label
		}
		return "@" + s.text
	case linkForm:
		if s.label != "" && s.label != s.text {
			return s.label + " (" + s.text + ")"
		}
	}
	return s.text
}

// word is one shell-like word of the command line.
type word struct {
	segs []segment
	// bare is set when the word did not begin inside quotes. Only bare words can be flags,
	// so `--reason "--force was needed"` keeps its value.
	bare bool
}

// text is the word as plain text, with any Slack form left in its raw <…> shape.
func (w word) text() string {
	if len(w.segs) == 1 && w.segs[0].kind == plainText {
		return w.segs[0].text
	}
	var b strings.Builder
	for _, s := range w.segs {
		if s.kind == plainText {
			b.WriteString(s.text)
		} else {
			b.WriteString(s.raw)
		}
	}
	return b.String()
}

// value is what the word stands for when it is one thing (an email, a login, a team): a
// lone Slack form gives its target and kind. A form mixed with other text stays raw, so
// that no check accepts it.
func (w word) value() (string, formKind) {
	if len(w.segs) == 1 {
		return w.segs[0].text, w.segs[0].kind
	}
	return w.text(), plainText
}

// display is the word as an error quotes it.
func (w word) display() string {
	if len(w.segs) == 1 && w.segs[0].kind != plainText {
		return w.segs[0].readable()
	}
	return w.text()
}

// readable is free text (a reason) as the person typed it, with mentions and links
// written out.
func (w word) readable() string {
	var b strings.Builder
	for _, s := range w.segs {
		b.WriteString(s.readable())
	}
	return b.String()
}

// cut splits w around the first sep in its plain text, as "--org=acme" around '='.
func (w word) cut(sep byte) (before, after word, found bool) {
	for i, s := range w.segs {
		if s.kind != plainText {
			continue
		}
		j := strings.IndexByte(s.text, sep)
		if j < 0 {
			continue
		}
		before = word{bare: w.bare, segs: appendPlain(append([]segment(nil), w.segs[:i]...), s.text[:j])}
		after = word{segs: append(appendPlain(nil, s.text[j+1:]), w.segs[i+1:]...)}
		return before, after, true
	}
	return w, word{}, false
}

// split cuts w at every sep and drops empty pieces.
func (w word) split(sep byte) []word {
	var parts []word
	for {
		before, after, found := w.cut(sep)
		if len(before.segs) > 0 {
			parts = append(parts, before)
		}
		if !found {
			return parts
		}
		w = after
	}
}

func appendPlain(segs []segment, text string) []segment {
	if text == "" {
		return segs
	}
	return append(segs, segment{kind: plainText, text: text})
}

// Quotes that group words. Phones and some desktops turn typed quotes into smart ones,
// so those group too. A single quote opens only at the start of a word (or of a flag's
// value after '=') and closes only where no letter or digit follows, so the apostrophes
// in "don't" or "O’Brien" stay text.
const (
	doubleQuotes      = "\"“”"
	singleQuoteOpens  = "'‘"
	singleQuoteCloses = "'’"
)

// tokenize splits a command line into words, like a shell: unquoted white space
// separates words and quotes group them. Slack's <…> forms are kept whole, even when
// their label has spaces or quotes; the &amp;, &lt; and &gt; Slack puts in place of
// what the user typed are undone.
func tokenize(text string) ([]word, error) {
	var (
		words   []word
		cur     word
		inWord  bool
		plain   strings.Builder // pending plain text of cur
		open    rune            // '"' or '\'' while inside quotes, else 0
		openAt  int             // byte offset of the open quote, for the error
		noClose bool            // no '>' is left in text, so any later '<' is plain text
	)
	flush := func() {
		if plain.Len() > 0 {
			cur.segs = append(cur.segs, segment{kind: plainText, text: decodeEntities(plain.String())})
			plain.Reset()
		}
	}
	begin := func(bare bool) {
		if !inWord {
			inWord, cur.bare = true, bare
		}
	}
	atWordStart := func() bool {
		if plain.Len() == 0 {
			return len(cur.segs) == 0
		}
		p := plain.String()
		return p[len(p)-1] == '='
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		end := -1
		if r == '<' && !noClose {
			if end = strings.IndexByte(text[i:], '>'); end < 0 {
				noClose = true
			}
		}
		switch {
		case end > 0:
			begin(open == 0)
			flush()
			cur.segs = append(cur.segs, parseForm(text[i:i+end+1]))
			size = end + 1
		case open == 0 && unicode.IsSpace(r):
			flush()
			if inWord {
				words = append(words, cur)
			}
			cur, inWord = word{}, false
		case open == 0 && strings.ContainsRune(doubleQuotes, r):
			begin(false)
			open, openAt = '"', i
		case open == 0 && strings.ContainsRune(singleQuoteOpens, r) && atWordStart():
			begin(false)
			open, openAt = '\'', i
		case open == '"' && strings.ContainsRune(doubleQuotes, r),
			open == '\'' && strings.ContainsRune(singleQuoteCloses, r) && !letterOrDigitAt(text, i+size):
			open = 0
		default:
			begin(open == 0)
			plain.WriteRune(r)
		}
		i += size
	}
	if open != 0 {
		return nil, fmt.Errorf("The quote at %s is never closed. Add the closing quote, or leave the quote out.",
			quote(slackui.Clip(decodeEntities(text[openAt:]), 30)))
	}
	flush()
	if inWord {
		words = append(words, cur)
	}
	return words, nil
}

func letterOrDigitAt(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	return i < len(text) && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// parseForm reads one of Slack's <…> forms.
func parseForm(raw string) segment {
	target, label, _ := strings.Cut(raw[1:len(raw)-1], "|")
	seg := segment{raw: raw, text: decodeEntities(target), label: decodeEntities(label)}
	switch {
	case strings.HasPrefix(seg.text, "@"):
		seg.kind, seg.text = userForm, seg.text[1:]
	case strings.HasPrefix(seg.text, "#"):
		seg.kind, seg.text = channelForm, seg.text[1:]
	case strings.HasPrefix(seg.text, "!"):
		seg.kind, seg.text = specialForm, seg.text[1:]
	case len(seg.text) >= len("mailto:") && strings.EqualFold(seg.text[:len("mailto:")], "mailto:"):
		seg.kind, seg.text = mailtoForm, seg.text[len("mailto:"):]
	default:
		seg.kind = linkForm
	}
	return seg
}

// decodeEntities undoes the escaping Slack applies to &, < and > in what the user typed.
func decodeEntities(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "&amp;"):
			b.WriteByte('&')
			i += len("&amp;")
		case strings.HasPrefix(s[i:], "&lt;"):
			b.WriteByte('<')
			i += len("&lt;")
		case strings.HasPrefix(s[i:], "&gt;"):
			b.WriteByte('>')
			i += len("&gt;")
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}
