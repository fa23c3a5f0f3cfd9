// Package commands is the /devin grammar: it turns the text of a slash command into a
// typed Command, or into a UsageError that says what is wrong and shows the right usage.
// Parsing is pure: no I/O, no clock, no state.
package commands

import (
	"cmp"
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"devin-chatops/slackui"
)

// Command is one parsed /devin request. Handlers switch on the concrete type.
type Command interface {
	// Name is the command as typed after /devin, e.g. "team add".
	Name() string
	// Changes reports whether the command changes access, so it must be approved first.
	Changes() bool
}

// Help asks for the overview, or for one command's details when Topic names it
// (e.g. "invite" or "team add").
type Help struct{ Topic string }

// Members lists enterprise members, or only the one with Email.
type Members struct{ Email string }

// Orgs lists organizations with their ACU limits.
type Orgs struct{}

// Teams lists GitHub enterprise teams.
type Teams struct{}

// TeamList lists the members of Team.
type TeamList struct{ Team string }

// Usage reports ACU consumption; Post puts the report in the channel for everyone.
type Usage struct{ Post bool }

// Audit lists Devin audit-log entries from the last Since.
type Audit struct{ Since time.Duration }

// Requests lists pending approval requests.
type Requests struct{}

// Invite invites Emails to the enterprise with Role, and into Org when it is set.
type Invite struct {
	Emails []string // valid, lower-cased, no repeats, 1 to 1000
	Role   string   // "member" or "admin"
	Org    string   // optional
	Reason string   // optional
}

// TeamAdd adds Logins to Team.
type TeamAdd struct {
	Team   string   // "ent:slug", or a numeric team id
	Logins []string // valid, no repeats (ignoring case), 1 to 1000
	Reason string
}

// TeamRemove removes Logins from Team.
type TeamRemove struct {
	Team   string   // "ent:slug", or a numeric team id
	Logins []string // valid, no repeats (ignoring case), 1 to 1000
	Reason string
}

func (Help) Name() string       { return "help" }
func (Members) Name() string    { return "members" }
func (Orgs) Name() string       { return "orgs" }
func (Teams) Name() string      { return "teams" }
func (TeamList) Name() string   { return "team list" }
func (Usage) Name() string      { return "usage" }
func (Audit) Name() string      { return "audit" }
func (Requests) Name() string   { return "requests" }
func (Invite) Name() string     { return "invite" }
func (TeamAdd) Name() string    { return "team add" }
func (TeamRemove) Name() string { return "team remove" }

func (Help) Changes() bool       { return false }
func (Members) Changes() bool    { return false }
func (Orgs) Changes() bool       { return false }
func (Teams) Changes() bool      { return false }
func (TeamList) Changes() bool   { return false }
func (Usage) Changes() bool      { return false }
func (Audit) Changes() bool      { return false }
func (Requests) Changes() bool   { return false }
func (Invite) Changes() bool     { return true }
func (TeamAdd) Changes() bool    { return true }
func (TeamRemove) Changes() bool { return true }

// UsageError is input that /devin cannot accept.
type UsageError struct {
	// Msg is mrkdwn that says exactly what is wrong. Any user input in it is clipped and
	// escaped, so it is safe to post as is.
	Msg string
	// Usage is the usage line of the command (one per line when the command is unknown).
	Usage string
}

func (e *UsageError) Error() string { return e.Msg }

// Parse reads the text after /devin. Empty text asks for help.
func Parse(text string) (Command, error) {
	table := commandTable()
	words, err := tokenize(text)
	if err != nil {
		verb := ""
		if fields := strings.Fields(strings.ToLower(text)); len(fields) > 0 {
			verb = fields[0]
		}
		return nil, &UsageError{Msg: err.Error(), Usage: usageLines(table, verb)}
	}
	if len(words) == 0 {
		return Help{}, nil
	}
	s, rest, err := lookup(table, words)
	if err != nil {
		return nil, err
	}
	in, err := sortWords(table, s, rest)
	if err != nil {
		return nil, err
	}
	if in.wantsHelp {
		return Help{Topic: s.name}, nil
	}
	cmd, err := s.build(in)
	if err != nil {
		return nil, err
	}
	return cmd, nil
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
	if group[0].planned {
		return nil, nil, &UsageError{
			Msg:   fmt.Sprintf("`/devin %s` is not available yet. Try `/devin help` for what is.", verb),
			Usage: usageLines(table, ""),
		}
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
		if v := table[i].verb(); !table[i].planned && (len(verbs) == 0 || verbs[len(verbs)-1] != v) {
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

func buildHelp(in *input) (Command, error) {
	parts := make([]string, 0, len(in.args))
	for _, a := range in.args {
		parts = append(parts, a.text())
	}
	topic := normaliseTopic(strings.Join(parts, " "))
	if topic == "" || len(topicSpecs(in.table, topic)) > 0 {
		return Help{Topic: topic}, nil
	}
	var topics []string
	for i := range in.table {
		if s := &in.table[i]; !s.planned {
			topics = append(topics, s.name)
			if v := s.verb(); v != s.name {
				topics = append(topics, v)
			}
		}
	}
	msg := fmt.Sprintf("There is no help for %s.", quote(topic))
	if near := closest(topic, topics); near != "" {
		msg += fmt.Sprintf(" Did you mean `/devin help %s`?", near)
	}
	return nil, in.errorf("%s Try `/devin help` for every command.", msg)
}

func buildMembers(in *input) (Command, error) {
	if err := in.noArgs(); err != nil {
		return nil, err
	}
	w, ok := in.flags["email"]
	if !ok {
		return Members{}, nil
	}
	email, problem := checkEmail(w)
	if problem != "" {
		return nil, in.errorf("%s is not a valid email address (%s).", quote(w.display()), problem)
	}
	return Members{Email: email}, nil
}

func buildTeamList(in *input) (Command, error) {
	if len(in.args) == 0 {
		return nil, in.errorf("Which team? Give its slug (like `ent:platform`) or its id.")
	}
	if len(in.args) > 1 {
		return nil, in.errorf("`/devin team list` takes one team, but got also %s.", quote(in.args[1].display()))
	}
	team, err := in.team(in.args[0].word)
	if err != nil {
		return nil, err
	}
	return TeamList{Team: team}, nil
}

func buildUsage(in *input) (Command, error) {
	_, post := in.flags["post"]
	return Usage{Post: post}, in.noArgs()
}

func buildAudit(in *input) (Command, error) {
	if err := in.noArgs(); err != nil {
		return nil, err
	}
	w, ok := in.flags["since"]
	if !ok {
		return Audit{Since: 24 * time.Hour}, nil
	}
	since, problem := parseSince(w.text())
	if problem != "" {
		return nil, in.errorf("`--since` %s: %s. Use a duration like `12h`, `7d` or `2w`.", quote(w.display()), problem)
	}
	return Audit{Since: since}, nil
}

func buildInvite(in *input) (Command, error) {
	emails, err := in.list(in.args, itemKind{"email address", "email addresses"}, checkEmail)
	if err != nil {
		return nil, err
	}
	inv := Invite{Emails: emails, Role: "member"}
	if w, ok := in.flags["role"]; ok {
		inv.Role = strings.ToLower(w.text())
		if inv.Role != "member" && inv.Role != "admin" {
			return nil, in.errorf("`--role` must be `member` or `admin`, not %s.", quote(w.display()))
		}
	}
	if w, ok := in.flags["org"]; ok {
		for _, seg := range w.segs {
			if seg.kind != plainText {
				return nil, in.errorf("`--org` %s is %s, not an organization.", quote(w.display()), seg.kind)
			}
		}
		inv.Org = strings.TrimSpace(w.text())
		if n := utf8.RuneCountInString(inv.Org); n > maxOrgLen {
			return nil, in.errorf("`--org` is %d characters long; the limit is %d.", n, maxOrgLen)
		}
	}
	if inv.Reason, err = in.reason(); err != nil {
		return nil, err
	}
	return inv, nil
}

// buildTeamChange builds team add, or team remove when remove is set: both take the same
// arguments.
func buildTeamChange(in *input, remove bool) (Command, error) {
	if len(in.args) == 0 {
		return nil, in.errorf("Which team? Give its slug (like `ent:platform`) or its id, then the GitHub logins.")
	}
	team, err := in.team(in.args[0].word)
	if err != nil {
		return nil, err
	}
	logins, err := in.list(in.args[1:], itemKind{"GitHub login", "GitHub logins"}, checkLogin)
	if err != nil {
		return nil, err
	}
	reason, err := in.reason()
	if err != nil {
		return nil, err
	}
	if remove {
		return TeamRemove{Team: team, Logins: logins, Reason: reason}, nil
	}
	return TeamAdd{Team: team, Logins: logins, Reason: reason}, nil
}

func (in *input) reason() (string, error) {
	w, ok := in.flags["reason"]
	if !ok {
		return "", nil
	}
	reason := strings.TrimSpace(w.readable())
	if n := utf8.RuneCountInString(reason); n > maxReasonLen {
		return "", in.errorf("`--reason` is %d characters long; the limit is %d.", n, maxReasonLen)
	}
	return reason, nil
}

func (in *input) team(w word) (string, error) {
	team, problem := checkTeam(w)
	if problem != "" {
		return "", in.errorf("%s is not a valid team (%s). Give its slug (like `ent:platform`) or its id.", quote(w.display()), problem)
	}
	return team, nil
}

// itemKind names the things a list argument holds, for its errors.
type itemKind struct{ one, many string }

// list reads a list argument (EMAIL… or LOGIN…). Items may also be separated by commas,
// as they are when pasted from a spreadsheet. Every item is checked before anything is
// returned, so one reply names all the bad ones and nothing is half-done; repeats (ignoring
// case) are dropped, keeping the first.
func (in *input) list(args []arg, kind itemKind, check func(word) (string, string)) ([]string, error) {
	var (
		items = make([]string, 0, len(args))
		seen  = make(map[string]bool, len(args))
		bad   []string // "`item` (what is wrong)"
		first string   // the first bad item as a sentence, for when it is the only one
		hint  string
	)
	for _, a := range args {
		for _, w := range a.split(',') {
			item, problem := check(w)
			if problem != "" {
				if first == "" {
					first = fmt.Sprintf("%s is not a valid %s (%s).", quote(w.display()), kind.one, problem)
				}
				bad = append(bad, fmt.Sprintf("%s (%s)", quote(w.display()), problem))
				if hint == "" && a.afterFlag != "" {
					hint = fmt.Sprintf(" If %s belongs to `--%s`, put the whole value in quotes.", quote(w.display()), a.afterFlag)
				}
				continue
			}
			if key := strings.ToLower(item); !seen[key] {
				seen[key] = true
				items = append(items, item)
			}
		}
	}
	switch {
	case len(bad) == 1:
		return nil, in.errorf("%s%s", first, hint)
	case len(bad) > 1:
		return nil, in.errorf("%d %s are not valid: %s.%s", len(bad), kind.many, slackui.JoinLimited(bad, ", ", 5, 0), hint)
	case len(items) == 0:
		return nil, in.errorf("Give at least one %s.", kind.one)
	case len(items) > maxItems:
		return nil, in.errorf("Too many %s: %d given, the limit is %d per request.", kind.many, len(items), maxItems)
	}
	return items, nil
}

const maxEmailLen = 254

// checkEmail returns the lower-cased address, or what is wrong with it. It wants a bare
// address (no display name, no comments, no quoted local part) with a dotted domain,
// because that is all the Devin API takes and all a person means by "an email".
func checkEmail(w word) (email, problem string) {
	s, kind := w.value()
	switch kind {
	case plainText:
	case mailtoForm:
		// Slack writes the label itself; a label that names another address is forged.
		if label := w.segs[0].label; label != "" && !strings.EqualFold(label, s) {
			return "", "its link text is a different address"
		}
	default:
		return "", "it is " + kind.String()
	}
	switch {
	case s == "":
		return "", "empty"
	case len(s) > maxEmailLen:
		return "", fmt.Sprintf("longer than %d characters", maxEmailLen)
	case strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
		return "", "it has spaces or characters an address cannot have"
	case strings.Count(s, "@") != 1:
		return "", "it needs exactly one @"
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" {
		return "", "nothing before the @"
	}
	if problem := checkDomain(domain); problem != "" {
		return "", problem
	}
	if addr, err := mail.ParseAddress(s); err != nil || addr.Name != "" || addr.Address != s {
		return "", "not a plain address"
	}
	return strings.ToLower(s), ""
}

func checkDomain(domain string) string {
	labels := strings.Split(domain, ".")
	if domain == "" || len(labels) < 2 {
		return "the domain needs a dot, like example.com"
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' ||
			strings.IndexFunc(l, func(r rune) bool { return !isASCIIAlnum(r) && r != '-' }) >= 0 {
			return "the domain is not a valid host name"
		}
	}
	if tld := labels[len(labels)-1]; len(tld) < 2 || strings.IndexFunc(tld, unicode.IsLetter) < 0 {
		return "the domain does not end in a real top-level domain"
	}
	return ""
}

const maxLoginLen = 39

// checkLogin returns the login as typed (minus a leading @), or what is wrong with it.
// GitHub logins are 1–39 letters, digits or single hyphens, not at either end. Enterprise
// Managed Users add an underscore and the enterprise's shortcode ("mona_acme"), so a
// single underscore between letters or digits is accepted too.
func checkLogin(w word) (login, problem string) {
	s, kind := w.value()
	if kind != plainText {
		return "", "it is " + kind.String()
	}
	s = strings.TrimPrefix(s, "@")
	isSep := func(b byte) bool { return b == '-' || b == '_' }
	switch {
	case s == "":
		return "", "empty"
	case utf8.RuneCountInString(s) > maxLoginLen:
		return "", fmt.Sprintf("longer than %d characters", maxLoginLen)
	case strings.IndexFunc(s, func(r rune) bool { return !isASCIIAlnum(r) && r != '-' && r != '_' }) >= 0:
		return "", "only letters, digits, hyphens and underscores"
	case isSep(s[0]) || isSep(s[len(s)-1]):
		return "", "it cannot start or end with a hyphen or underscore"
	case strings.Contains(s, "--"):
		return "", "no double hyphens"
	}
	for i := 1; i < len(s); i++ {
		if isSep(s[i-1]) && isSep(s[i]) {
			return "", "no two hyphens or underscores in a row"
		}
	}
	return s, ""
}

const (
	teamPrefix     = "ent:"
	maxTeamSlugLen = 255
	maxTeamIDLen   = 19 // digits in the largest int64
)

// checkTeam returns the team as the GitHub API takes it: "ent:slug", lower-cased, or a
// numeric id as is.
func checkTeam(w word) (team, problem string) {
	s, kind := w.value()
	if kind != plainText {
		return "", "it is " + kind.String()
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
		if len(s) > maxTeamIDLen {
			return "", "too long for a team id"
		}
		return s, ""
	}
	slug := strings.ToLower(s)
	slug = strings.TrimPrefix(slug, teamPrefix)
	switch {
	case slug == "":
		return "", "empty"
	case len(slug) > maxTeamSlugLen:
		return "", fmt.Sprintf("longer than %d characters", maxTeamSlugLen)
	case strings.IndexFunc(slug, func(r rune) bool { return !isASCIIAlnum(r) && r != '-' && r != '_' }) >= 0:
		return "", "a slug has only letters, digits, - and _"
	}
	return teamPrefix + slug, ""
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

const maxAuditWindow = 90 * 24 * time.Hour

// durationUnit knows Go's duration units plus days and weeks, which is how people say how
// far back they want to look.
func durationUnit(unit string) (time.Duration, bool) {
	switch unit {
	case "ns":
		return time.Nanosecond, true
	case "us", "µs", "μs":
		return time.Microsecond, true
	case "ms":
		return time.Millisecond, true
	case "s":
		return time.Second, true
	case "m":
		return time.Minute, true
	case "h":
		return time.Hour, true
	case "d":
		return 24 * time.Hour, true
	case "w":
		return 7 * 24 * time.Hour, true
	}
	return 0, false
}

// parseSince reads a positive duration of at most 90 days, such as "36h", "7d", "2w" or
// "1w2d12h".
func parseSince(s string) (time.Duration, string) {
	const invalid = "not a duration"
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.HasPrefix(s, "-") {
		return 0, "it must be positive"
	}
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return 0, invalid
	}
	var total time.Duration
	for s != "" {
		n := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if n <= 0 {
			return 0, invalid
		}
		u := strings.IndexFunc(s[n:], func(r rune) bool { return r >= '0' && r <= '9' || r == '.' })
		if u < 0 {
			u = len(s) - n
		}
		number, err := strconv.ParseFloat(s[:n], 64)
		unit, ok := durationUnit(s[n : n+u])
		if err != nil || !ok {
			return 0, invalid
		}
		// Work in float and compare before converting, so a huge number cannot overflow.
		d := number * float64(unit)
		if d+float64(total) > float64(maxAuditWindow) {
			return 0, "the limit is 90 days"
		}
		total += time.Duration(math.Round(d))
		s = s[n+u:]
	}
	if total <= 0 {
		return 0, "it must be positive"
	}
	return total, ""
}

const maxQuoted = 80 // runes of user input an error shows

// quote shows user input inside an error message: clipped, so a pasted wall of text stays
// readable; escaped, so it cannot ping (<!channel>), forge a mention or hide a link; and
// on one line in a code span, with anything invisible made visible.
func quote(s string) string {
	if s == "" {
		return "`\"\"`"
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '`':
			return '\''
		case r == '\n' || r == '\t':
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return utf8.RuneError
		}
		return r
	}, s)
	return "`" + slackui.Escape(slackui.Clip(s, maxQuoted)) + "`"
}

// closest is the option nearest to s within two edits, for "did you mean". Ties go to the
// earlier option.
func closest(s string, options []string) string {
	best, bestDist := "", 3
	for _, o := range options {
		if d := editDistance(s, o, bestDist); d < bestDist {
			best, bestDist = o, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, or limit when it is at least
// limit; the early exit keeps a long hostile word cheap.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if diff := len(ra) - len(rb); diff >= limit || -diff >= limit {
		return limit
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(rb)], limit)
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
