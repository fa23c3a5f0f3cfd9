package commands

import (
	"errors"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// These patterns restate the rules independently of the parser, so the fuzz test does
// not trust the code it checks.
var (
	fuzzEmail = regexp.MustCompile("^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z0-9-]*[a-z][a-z0-9-]*$")
	fuzzLogin = regexp.MustCompile(`^[A-Za-z0-9]([-_]?[A-Za-z0-9])*$`)
	fuzzTeam  = regexp.MustCompile(`^(ent:[a-z0-9_-]+|[0-9]+)$`)
	fuzzRepo  = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+){1,20}$`)
)

// FuzzParse checks that no input panics, that every accepted command keeps its
// invariants, and that every error is a UsageError safe to post to Slack. Seeds live in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := Parse(text)
		if err != nil {
			checkFuzzError(t, text, cmd, err)
			return
		}
		if cmd == nil {
			t.Fatalf("Parse(%q) = nil, nil", text)
		}
		switch c := cmd.(type) {
		case Invite:
			checkEmails(t, text, c.Emails)
			if c.Role != "member" && c.Role != "admin" {
				t.Errorf("Parse(%q): role %q", text, c.Role)
			}
			if utf8.RuneCountInString(c.Org) > maxOrgLen || utf8.RuneCountInString(c.Reason) > maxReasonLen {
				t.Errorf("Parse(%q): org or reason over the limit", text)
			}
			// Quoted, because an address may start with an apostrophe, which would open a
			// quote at the start of a word.
			roundTrip(t, `invite "`+strings.Join(c.Emails, `" "`)+`"`, Invite{Emails: c.Emails, Role: "member"})
		case TeamAdd:
			checkTeamChange(t, text, c.Team, c.Logins, c.Reason)
			roundTrip(t, "team add "+c.Team+" "+strings.Join(c.Logins, " "), TeamAdd{Team: c.Team, Logins: c.Logins})
		case TeamRemove:
			checkTeamChange(t, text, c.Team, c.Logins, c.Reason)
			roundTrip(t, "team remove "+c.Team+" "+strings.Join(c.Logins, ","), TeamRemove{Team: c.Team, Logins: c.Logins})
		case TeamList:
			if !fuzzTeam.MatchString(c.Team) {
				t.Errorf("Parse(%q): team %q", text, c.Team)
			}
		case Members:
			if c.Email != "" {
				checkEmails(t, text, []string{c.Email})
			}
		case Sessions:
			if c.Limit < 1 || c.Limit > 50 || utf8.RuneCountInString(c.Org) > maxOrgLen {
				t.Errorf("Parse(%q): limit %d or org %q out of bounds", text, c.Limit, c.Org)
			}
			if c.User != "" {
				checkEmails(t, text, []string{c.User})
			}
		case Audit:
			if c.Since <= 0 || c.Since > 90*24*time.Hour {
				t.Errorf("Parse(%q): since %v", text, c.Since)
			}
		case Help:
			if c.Topic != "" && HelpText(c.Topic) == HelpText("") {
				t.Errorf("Parse(%q): help topic %q has no help", text, c.Topic)
			}
		case PermissionAdd:
			if c.Org == "" || utf8.RuneCountInString(c.Org) > maxOrgLen || utf8.RuneCountInString(c.Reason) > maxReasonLen {
				t.Errorf("Parse(%q): org or reason out of bounds", text)
			}
			if len(c.Repos) > maxRepos {
				t.Errorf("Parse(%q): %d repositories", text, len(c.Repos))
			}
			checkList(t, text, c.Repos, func(r string) bool {
				return fuzzRepo.MatchString(r) && !strings.Contains(r, "..") && len(r) <= maxRepoLen
			})
			// The organization is quoted, without the quotes that would end it early.
			org := strings.Map(func(r rune) rune {
				if strings.ContainsRune(doubleQuotes, r) {
					return -1
				}
				return r
			}, c.Org)
			roundTrip(t, `permission add "x`+org+`" `+strings.Join(c.Repos, " "), PermissionAdd{Repos: c.Repos})
		case Offboard:
			checkEmails(t, text, []string{c.Email})
			if c.GitHub != "" && (len(c.GitHub) > 39 || !fuzzLogin.MatchString(c.GitHub)) {
				t.Errorf("Parse(%q): GitHub login %q", text, c.GitHub)
			}
			if utf8.RuneCountInString(c.Reason) > maxReasonLen {
				t.Errorf("Parse(%q): reason over the limit", text)
			}
		case OrgCreate:
			checkOrgRef(t, text, c.OrgName, c.Reason)
			checkACULimit(t, text, c.ACULimit)
			if !strings.ContainsAny(c.OrgName, "\"“”'‘’<>&") {
				roundTrip(t, `org create "`+c.OrgName+`"`, OrgCreate{OrgName: c.OrgName})
			}
		case OrgLimit:
			checkOrgRef(t, text, c.Org, c.Reason)
			checkACULimit(t, text, c.Limit)
			if !strings.ContainsAny(c.Org, "\"“”'‘’<>&") {
				roundTrip(t, `org limit "`+c.Org+`" `+limitParam(c.Limit), OrgLimit{Org: c.Org, Limit: c.Limit})
			}
		case OrgAdd:
			checkOrgRef(t, text, c.Org, c.Reason)
			checkEmails(t, text, c.Emails)
			if c.Role != "member" && c.Role != "admin" {
				t.Errorf("Parse(%q): role %q", text, c.Role)
			}
		case Orgs, Teams, Usage, Requests:
		default:
			t.Errorf("Parse(%q): unexpected %T", text, cmd)
		}
	})
}

func checkFuzzError(t *testing.T, text string, cmd Command, err error) {
	t.Helper()
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("Parse(%q): error %T %v is not a *UsageError", text, err, err)
	}
	if cmd != nil {
		t.Errorf("Parse(%q): command %#v with an error", text, cmd)
	}
	if ue.Msg == "" || ue.Usage == "" {
		t.Errorf("Parse(%q): empty message or usage: %#v", text, ue)
	}
	if strings.ContainsAny(ue.Msg, "<>") || strings.ContainsAny(ue.Usage, "<>") {
		t.Errorf("Parse(%q): raw angle bracket in %#v", text, ue)
	}
	if !utf8.ValidString(ue.Msg) {
		t.Errorf("Parse(%q): message is not UTF-8: %q", text, ue.Msg)
	}
}

func checkEmails(t *testing.T, text string, emails []string) {
	t.Helper()
	checkList(t, text, emails, func(e string) bool {
		addr, err := mail.ParseAddress(e)
		return err == nil && addr.Address == e && len(e) <= maxEmailLen && fuzzEmail.MatchString(e)
	})
}

// checkOrgRef checks an organization's name or ID as the org commands read it: one
// line, trimmed, single spaces, nothing invisible, 1 to 100 characters.
func checkOrgRef(t *testing.T, text, org, reason string) {
	t.Helper()
	if org == "" || utf8.RuneCountInString(org) > maxOrgLen || org != strings.Join(strings.Fields(org), " ") {
		t.Errorf("Parse(%q): organization %q", text, org)
	}
	for _, r := range org {
		if invisible(r) {
			t.Errorf("Parse(%q): organization %q has an invisible character", text, org)
		}
	}
	if utf8.RuneCountInString(reason) > maxReasonLen {
		t.Errorf("Parse(%q): reason over the limit", text)
	}
}

func checkACULimit(t *testing.T, text string, limit *int) {
	t.Helper()
	if limit != nil && (*limit < 0 || *limit > 1_000_000_000) {
		t.Errorf("Parse(%q): ACU limit %d", text, *limit)
	}
}

func checkTeamChange(t *testing.T, text, team string, logins []string, reason string) {
	t.Helper()
	if !fuzzTeam.MatchString(team) {
		t.Errorf("Parse(%q): team %q", text, team)
	}
	checkList(t, text, logins, func(l string) bool { return len(l) <= 39 && fuzzLogin.MatchString(l) })
	if utf8.RuneCountInString(reason) > maxReasonLen {
		t.Errorf("Parse(%q): reason over the limit", text)
	}
}

// checkList checks a list argument: 1 to 1000 valid items, none repeated ignoring case.
func checkList(t *testing.T, text string, items []string, valid func(string) bool) {
	t.Helper()
	if len(items) == 0 || len(items) > maxItems {
		t.Errorf("Parse(%q): %d items", text, len(items))
	}
	seen := map[string]bool{}
	for _, it := range items {
		if !valid(it) {
			t.Errorf("Parse(%q): invalid item %q", text, it)
		}
		if key := strings.ToLower(it); seen[key] {
			t.Errorf("Parse(%q): repeated item %q", text, it)
		} else {
			seen[key] = true
		}
	}
}

// roundTrip checks that what Parse returned reads back as the same command.
func roundTrip(t *testing.T, text string, want Command) {
	t.Helper()
	got, err := Parse(text)
	if err != nil {
		t.Fatalf("round trip Parse(%q): %v", text, err)
	}
	if name, wantName := got.Name(), want.Name(); name != wantName {
		t.Fatalf("round trip Parse(%q) = %s, want %s", text, name, wantName)
	}
	if g, w := listOf(got), listOf(want); strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("round trip Parse(%q) = %q, want %q", text, g, w)
	}
}

func listOf(c Command) []string {
	switch c := c.(type) {
	case Invite:
		return c.Emails
	case TeamAdd:
		return append([]string{c.Team}, c.Logins...)
	case TeamRemove:
		return append([]string{c.Team}, c.Logins...)
	case PermissionAdd:
		return c.Repos
	case OrgCreate:
		return []string{c.OrgName, limitParam(c.ACULimit)}
	case OrgLimit:
		return []string{c.Org, limitParam(c.Limit)}
	}
	return nil
}
