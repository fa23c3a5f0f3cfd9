// How /devin sessions reads: its heading, one entry per session, and the packing of
// entries into Block Kit sections.

package commands

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"devin-chatops/apiclient/devin"
	"devin-chatops/slackui"
)

// sessionsScope says what the list covers: " in the Devin enterprise", " of *Ada*
// (ada@example.com) in *Engineering*".
func sessionsScope(org *devin.Organization, user *devin.Member) string {
	var s string
	if user != nil {
		s += " of " + personName(*user)
	}
	if org != nil {
		s += " in " + orgName(*org)
	}
	if s == "" {
		s = " in the Devin enterprise"
	}
	return s
}

// sessionNames resolve the IDs a session carries.
type sessionNames struct {
	orgs   map[string]string       // org ID -> name
	people map[string]devin.Member // user ID -> member
}

// Rune budgets of the parts of one session, before escaping. They keep every line of an
// entry well under a section's 3,000 characters even when every character is one that
// escaping multiplies (& becomes &amp;).
const (
	maxTitleRunes      = 100
	maxStatusRunes     = 30
	maxPRLabelRunes    = 40
	maxPRStateRunes    = 20
	maxLinkURL         = 400 // longer URLs are shown as their label only
	maxShownPRs        = 3
	maxShownHints      = 3
	maxHintRunes       = 120
	maxSessionsChars   = 30000 // all the entries of one reply together
	maxSessionSections = slackui.MaxBlocks - 3
)

// sessionEntry is one session, on up to four lines:
//
//   - *<url|Fix the flaky test>* — `finished` — 3.8 ACUs — <date>
//     by *Ada Lovelace* (ada@example.com) in *Engineering*
//     PRs: <url|acme/api#12> (merged)
//     Suggestions: Name the repository · Add a test plan
func sessionEntry(s devin.SessionInsight, names sessionNames) string {
	title := strings.ReplaceAll(strings.TrimSpace(s.Title), "*", "")
	if title == "" {
		title = "untitled session"
	}
	first := "• *" + shortLink(s.URL, title, maxTitleRunes) + "*"
	if st := strings.TrimSpace(s.Status); st != "" {
		first += " — " + code(st, maxStatusRunes)
	}
	first += " — " + slackui.Number(s.ACUsConsumed) + " ACUs"
	if !s.CreatedAt.IsZero() {
		first += " — " + slackTime(s.CreatedAt)
	}
	lines := []string{first}

	var who []string
	if s.UserID != "" {
		if m, ok := names.people[s.UserID]; ok {
			who = append(who, "by "+personName(m))
		} else {
			who = append(who, "by "+code(s.UserID, maxIDRunes))
		}
	}
	if s.OrgID != "" {
		if n := strings.TrimSpace(names.orgs[s.OrgID]); n != "" {
			who = append(who, "in "+orgName(devin.Organization{ID: s.OrgID, Name: n}))
		} else {
			who = append(who, "in "+code(s.OrgID, maxIDRunes))
		}
	}
	if len(who) > 0 {
		lines = append(lines, "   "+strings.Join(who, " "))
	}

	if len(s.PullRequests) > 0 {
		prs := make([]string, 0, maxShownPRs+1)
		for _, pr := range s.PullRequests[:min(len(s.PullRequests), maxShownPRs)] {
			p := shortLink(pr.URL, prLabel(pr.URL), maxPRLabelRunes)
			if st := strings.TrimSpace(pr.State); st != "" {
				p += " (" + slackui.Inert(st, maxPRStateRunes) + ")"
			}
			prs = append(prs, p)
		}
		if rest := len(s.PullRequests) - maxShownPRs; rest > 0 {
			prs = append(prs, "+"+slackui.Int(rest)+" more")
		}
		lines = append(lines, "   "+plainPlural(len(s.PullRequests), "PR", "PRs")+": "+strings.Join(prs, " · "))
	}

	hints := s.Suggestions
	label := "Suggestions"
	if len(hints) == 0 && strings.TrimSpace(s.Summary) != "" {
		hints, label = []string{s.Summary}, "Analysis"
	}
	if len(hints) > 0 {
		shown := make([]string, 0, maxShownHints+1)
		for _, h := range hints[:min(len(hints), maxShownHints)] {
			shown = append(shown, slackui.Inert(h, maxHintRunes))
		}
		if rest := len(hints) - maxShownHints; rest > 0 {
			shown = append(shown, "+"+slackui.Int(rest)+" more")
		}
		lines = append(lines, "   _"+label+":_ "+strings.Join(shown, " · "))
	}
	return strings.Join(lines, "\n")
}

// plainPlural is "PR" or "3 PRs" without the count for one: "PR: …", "3 PRs: …".
func plainPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return plural(n, one, many)
}

// personName is "*Ada Lovelace* (ada@example.com)", or the email alone when the member
// has no name, or the user ID when neither is known.
func personName(m devin.Member) string {
	email := strings.TrimSpace(m.Email)
	name := strings.ReplaceAll(strings.TrimSpace(m.Name), "*", "")
	switch {
	case name != "" && email != "":
		return "*" + slackui.Inert(name, maxNameRunes) + "* (" + slackui.Inert(email, maxEmailRunes) + ")"
	case name != "":
		return "*" + slackui.Inert(name, maxNameRunes) + "*"
	case email != "":
		return slackui.Inert(email, maxEmailRunes)
	}
	return code(m.UserID, maxIDRunes)
}

// shortLink is link for URLs short enough to budget for; a longer one shows only its
// label, so one session cannot fill a section with its URLs.
func shortLink(rawURL, label string, maxRunes int) string {
	if len(rawURL) > maxLinkURL {
		return slackui.Inert(label, maxRunes)
	}
	return link(rawURL, label, maxRunes)
}

// prPath matches the path of a GitHub pull request or a GitLab merge request.
var prPath = regexp.MustCompile(`^/(.+?)/(?:pull|-/merge_requests)/([0-9]+)/?$`)

// prLabel names a pull request by its URL: "acme/api#12" for GitHub and GitLab, else
// the host and path.
func prLabel(rawURL string) string {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Host == "" {
		return "pull request"
	}
	if m := prPath.FindStringSubmatch(u.Path); m != nil {
		return m[1] + "#" + m[2]
	}
	return u.Host + strings.TrimSuffix(u.Path, "/")
}

// sessionsMessage renders the heading, the entries and the note. Entries are packed
// whole into sections where they fit; the whole stays within maxSessionsChars and
// Block Kit's 50 blocks, and what does not fit is counted in "…and N more".
func sessionsMessage(heading string, entries []string, empty, note string) slackui.Message {
	shown, chars := 0, 0
	for shown < len(entries) {
		n := utf8.RuneCountInString(entries[shown]) + 1
		if chars+n > maxSessionsChars && shown > 0 {
			break
		}
		chars += n
		shown++
	}
	var sections []string
	for {
		sections = packEntries(entries[:shown], sectionBudget)
		if rest := len(entries) - shown; rest > 0 {
			sections = append(sections, "…and "+plural(rest, "more session", "more sessions")+
				" (too long for one reply: lower `--limit`)")
		}
		if len(sections) <= maxSessionSections || shown == 0 {
			break
		}
		shown--
	}
	blocks := []slack.Block{slackui.Section(heading)}
	if len(entries) == 0 && empty != "" {
		sections = []string{empty}
	}
	for _, s := range sections {
		blocks = append(blocks, slackui.Section(s))
	}
	if note != "" {
		blocks = append(blocks, slackui.Section(note))
	}
	return slackui.Message{Text: slackui.Clip(heading, slackui.MaxMessageText), Blocks: blocks}
}

// packEntries joins multi-line entries into sections of at most budget runes, an entry
// never split unless it is longer than a section on its own (then at its lines).
func packEntries(entries []string, budget int) []string {
	var out []string
	cur, n := "", 0
	flush := func() {
		if cur != "" {
			out = append(out, cur)
		}
		cur, n = "", 0
	}
	for _, e := range entries {
		en := utf8.RuneCountInString(e)
		switch {
		case en > budget:
			flush()
			out = append(out, packLines(strings.Split(e, "\n"), budget)...)
		case cur == "":
			cur, n = e, en
		case n+1+en <= budget:
			cur, n = cur+"\n"+e, n+1+en
		default:
			flush()
			cur, n = e, en
		}
	}
	flush()
	return out
}
