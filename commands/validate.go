package commands

import (
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

// Limits on what one request may carry. They keep an approval card readable and bound
// the work one click can start.
const (
	maxItems     = 1000 // emails or logins per request
	maxReasonLen = 500  // runes
	maxOrgLen    = 100  // runes
)

// reasonFlag is the --reason every change command takes.
// forFlag is `--for DURATION` on the commands that grant access for a time.
func forFlag() flagSpec {
	return flagSpec{name: "for", value: "DURATION", help: "grant for this long only, e.g. `90m`, `12h`, `7d`, `2w` (from 1m to GRANT_MAX); removed again when the time is up"}
}

// grantFor reads `--for`: 0 when it is not given.
func (in *input) grantFor() (time.Duration, error) {
	w, ok := in.flags["for"]
	if !ok {
		return 0, nil
	}
	d, problem := parseFor(w.text())
	if problem != "" {
		return 0, in.errorf("`--for` %s: %s. Use a duration like `90m`, `12h`, `7d` or `2w`.", quote(w.display()), problem)
	}
	return d, nil
}

func reasonFlag() flagSpec {
	return flagSpec{name: "reason", value: "TEXT", help: "why, for the approvers (at most 500 characters; quote it if it has spaces)"}
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
	return parseDuration(s, maxAuditWindow, "the limit is 90 days")
}

// maxGrantParse bounds what `--for` parses before GRANT_MAX is applied at run time (the
// grammar does not know the configuration): ten years, far above any sane GRANT_MAX,
// and far below an overflow.
const maxGrantParse = 10 * 365 * 24 * time.Hour

// minGrant is the shortest `--for`: anything shorter would be revoked before the
// approver had read the card's outcome.
const minGrant = time.Minute

// parseFor reads a `--for` duration: at least minGrant. GRANT_MAX is checked when the
// command runs (checkGrantMax).
func parseFor(s string) (time.Duration, string) {
	d, problem := parseDuration(s, maxGrantParse, "that is far too long")
	if problem == "" && d < minGrant {
		return 0, "the shortest is 1 minute (`1m`)"
	}
	return d, problem
}

// parseDuration reads a positive duration of at most limit (tooLong says so), in Go's
// units plus d and w, such as "36h", "7d", "2w" or "1w2d12h".
func parseDuration(s string, limit time.Duration, tooLong string) (time.Duration, string) {
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
		if d+float64(total) > float64(limit) {
			return 0, tooLong
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
