package commands

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UsageError is input that /devin cannot accept.
type UsageError struct {
	// Msg is mrkdwn that says exactly what is wrong. Any user input in it is clipped and
	// escaped, so it is safe to post as is.
	Msg string
	// Usage is the usage line of the command (one per line when the command is unknown).
	Usage string
}

func (e *UsageError) Error() string { return e.Msg }

// Parse reads the text after /devin. Empty text asks for help. It knows every command,
// configured or not, so a command whose backend is missing still gets its usage checked.
func Parse(text string) (Command, error) {
	_, cmd, err := parseLine(registry(), lex(text))
	return cmd, err
}

// parseLine parses an already split line against table. The spec is the command the
// words selected, even when its arguments are wrong (nil when no command was
// recognised), so that a refused "invite" can be recorded as one.
func parseLine(table []spec, l line) (*spec, Command, error) {
	if l.err != nil {
		verb := ""
		if fields := strings.Fields(strings.ToLower(l.text)); len(fields) > 0 {
			verb = fields[0]
		}
		return nil, nil, &UsageError{Msg: l.err.Error(), Usage: usageLines(table, verb)}
	}
	if len(l.words) == 0 {
		return nil, Help{}, nil
	}
	s, rest, err := lookup(table, l.words)
	if err != nil {
		return nil, nil, err
	}
	in, err := sortWords(table, s, rest)
	if err != nil {
		return s, nil, err
	}
	if in.wantsHelp {
		return s, Help{Topic: s.name}, nil
	}
	cmd, err := s.build(in)
	if err != nil {
		return s, nil, err
	}
	return s, cmd, nil
}

// lookup finds the command the first word (and, for groups such as "team", the second)
// selects, and returns the words after it.
func lookup(table []spec, words []word) (*spec, []word, error) {
	verb := strings.ToLower(words[0].text())
	var group []*spec
	for i := range table {
		if table[i].verb() == verb {
			group = append(group, &table[i])
		}
	}
	if len(group) == 0 {
		msg := fmt.Sprintf("Unknown command %s.", quote(words[0].display()))
		if near := closest(verb, availableVerbs(table)); near != "" {
			msg += fmt.Sprintf(" Did you mean `%s`?", near)
		}
		return nil, nil, &UsageError{Msg: msg + " Try `/devin help`.", Usage: usageLines(table, "")}
	}
	if len(group) == 1 && group[0].name == verb {
		return group[0], words[1:], nil
	}

	usage := usageLines(table, verb)
	var subs []string
	for _, s := range group {
		_, sub, _ := strings.Cut(s.name, " ")
		subs = append(subs, sub)
	}
	choices := "`" + subs[len(subs)-1] + "`"
	if len(subs) > 1 {
		choices = "`" + strings.Join(subs[:len(subs)-1], "`, `") + "` or " + choices
	}
	if len(words) < 2 || isFlagLike(words[1]) {
		return nil, nil, &UsageError{Msg: fmt.Sprintf("`/devin %s` needs one of %s.", verb, choices), Usage: usage}
	}
	sub := strings.ToLower(words[1].text())
	for _, s := range group {
		if s.name == verb+" "+sub {
			return s, words[2:], nil
		}
	}
	msg := fmt.Sprintf("`/devin %s` has no subcommand %s.", verb, quote(words[1].display()))
	if near := closest(sub, subs); near != "" {
		msg += fmt.Sprintf(" Did you mean `%s %s`?", verb, near)
	}
	return nil, nil, &UsageError{Msg: msg + " It takes " + choices + ".", Usage: usage}
}

func availableVerbs(table []spec) []string {
	var verbs []string
	for i := range table {
		if v := table[i].verb(); len(verbs) == 0 || verbs[len(verbs)-1] != v {
			verbs = append(verbs, v)
		}
	}
	return verbs
}

// input is what follows a command's name, sorted into arguments and flags.
type input struct {
	table []spec
	spec  *spec
	args  []arg
	flags map[string]word // by name; a switch such as --post maps to an empty word
	// wantsHelp is set by --help, which every command accepts.
	wantsHelp bool
}

type arg struct {
	word
	// afterFlag names the flag whose value came just before this word. An unquoted
	// `--reason new hire` leaves "hire" here, and the error can say what went wrong.
	afterFlag string
}

func (in *input) errorf(format string, a ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, a...), Usage: in.spec.usage()}
}

func (in *input) noArgs() error {
	if len(in.args) > 0 {
		return in.errorf("`/devin %s` takes no arguments, but got %s.", in.spec.name, quote(in.args[0].display()))
	}
	return nil
}

// sortWords sorts a command's words into arguments and flags. Flags may come anywhere,
// as `--name value` or `--name=value`.
func sortWords(table []spec, s *spec, words []word) (*input, error) {
	in := &input{table: table, spec: s, args: make([]arg, 0, len(words)), flags: map[string]word{}}
	afterFlag := ""
	for i := 0; i < len(words); i++ {
		w := words[i]
		name, value, inline, ok := asFlag(w)
		if !ok {
			if t := w.text(); w.bare && strings.HasPrefix(t, "-") && startsWithLetter(t[1:]) {
				return nil, in.errorf("%s is not a flag: flags start with two dashes, like %s.", quote(t), quote("-"+t))
			}
			in.args = append(in.args, arg{word: w, afterFlag: afterFlag})
			afterFlag = ""
			continue
		}
		afterFlag = ""
		if name == "help" {
			in.wantsHelp = true
			continue
		}
		f := s.flag(name)
		if f == nil {
			msg := fmt.Sprintf("Unknown flag %s for `/devin %s`.", quote("--"+name), s.name)
			var names []string
			for _, f := range s.flags {
				names = append(names, f.name)
			}
			if near := closest(name, names); near != "" {
				msg += fmt.Sprintf(" Did you mean `--%s`?", near)
			} else if len(names) == 0 {
				msg += " It takes no flags."
			}
			return nil, in.errorf("%s", msg)
		}
		if _, dup := in.flags[name]; dup {
			return nil, in.errorf("`--%s` is given twice; give it once.", name)
		}
		if f.value == "" {
			if inline {
				return nil, in.errorf("`--%s` takes no value.", name)
			}
			in.flags[name] = word{}
			continue
		}
		if !inline {
			if i+1 == len(words) || isFlagLike(words[i+1]) {
				return nil, in.errorf("`--%s` needs a value: `--%s %s`.", name, name, f.value)
			}
			i++
			value = words[i]
		}
		if strings.TrimSpace(value.text()) == "" {
			return nil, in.errorf("`--%s` needs a value: `--%s %s`.", name, name, f.value)
		}
		in.flags[name] = value
		afterFlag = name
	}
	return in, nil
}

// asFlag reports whether w is written as a flag, with its lower-cased name and, for
// `--name=value`, the value.
func asFlag(w word) (name string, value word, inline, ok bool) {
	prefix := flagPrefix(w)
	if prefix == "" {
		return "", word{}, false, false
	}
	flag, value, inline := w.cut('=')
	return strings.ToLower(strings.TrimPrefix(flag.text(), prefix)), value, inline, true
}

// flagPrefix is the dashes that make w a flag, or "" when it is not one. Desktop and
// phone keyboards turn "--" into an em or en dash, so those start a flag too.
func flagPrefix(w word) string {
	if !w.bare || len(w.segs) == 0 || w.segs[0].kind != plainText {
		return ""
	}
	for _, prefix := range []string{"--", "—", "–"} {
		if strings.HasPrefix(w.segs[0].text, prefix) {
			return prefix
		}
	}
	return ""
}

func isFlagLike(w word) bool { return flagPrefix(w) != "" }

func startsWithLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

// usageLines is the usage of every available command whose verb is verb, one per line,
// or of every available command when none matches. Errors that cannot name one command
// (an unknown verb, an unclosed quote) show it.
func usageLines(table []spec, verb string) string {
	var lines []string
	for _, all := range []bool{false, true} {
		for i := range table {
			s := &table[i]
			if all || s.verb() == verb {
				lines = append(lines, s.usage())
			}
		}
		if len(lines) > 0 {
			break
		}
	}
	return strings.Join(lines, "\n")
}
