package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"devin-chatops/apiclient/devin"
	nearest "devin-chatops/internal/closest"
	"devin-chatops/slackui"
)

// What the organization commands (org create, org limit, org add) share: reading an
// organization from the line, finding it among the enterprise's, and ACU limits.

// orgArg reads an organization's name or ID from an argument. A name with spaces
// arrives as one quoted word; runs of spaces in it count as one, as people read them.
// what names the argument for the errors ("the organization", "the name").
func (in *input) orgArg(w word, what string) (string, error) {
	for _, seg := range w.segs {
		if seg.kind != plainText {
			return "", in.errorf("%s is %s, not an organization.", quote(w.display()), seg.kind)
		}
	}
	raw := w.text()
	if strings.IndexFunc(raw, invisible) >= 0 {
		return "", in.errorf("%s has invisible or control characters; type %s again.", quote(raw), what)
	}
	name := strings.Join(strings.Fields(raw), " ")
	if name == "" {
		return "", in.errorf("%s is empty.", capitalise(what))
	}
	if n := utf8.RuneCountInString(name); n > maxOrgLen {
		return "", in.errorf("%s is %d characters long; the limit is %d.", capitalise(what), n, maxOrgLen)
	}
	return name, nil
}

// invisible reports the characters a name may not hide: controls and format
// characters, except the joiner and variation selector that emoji are made of
// ("👩‍💻"). Spaces and line breaks are folded, not refused.
func invisible(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\u200d', '\ufe0f':
		return false
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// tooManyNameWords explains an organization name given as several words: it must be
// quoted. rest is what follows the name in the suggestion (" 500" for org limit).
func tooManyNameWords(args []arg, command, rest string) string {
	return quoteHint(args, "An organization's name is one argument, so a name with spaces goes in quotes: "+
		quote(command+` "`+strings.Join(displays(args), " ")+`"`+rest)+".")
}

// quoteHint adds to msg, when one of args came right after a flag, that the flag's
// value may need quotes.
func quoteHint(args []arg, msg string) string {
	for _, a := range args {
		if a.afterFlag != "" {
			msg += " If " + quote(a.display()) + " belongs to `--" + a.afterFlag + "`, put the whole value in quotes."
			break
		}
	}
	return msg
}

func capitalise(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// sameOrgName compares organization names as people do: case and runs of spaces aside.
func sameOrgName(a, b string) bool { return devin.SameOrgName(a, b) }

// orgFromRef finds the organization ref names, by ID or by name in any case, among
// all the enterprise's. An unknown name is refused with the closest names, an
// ambiguous one with the IDs that share it; either way nothing is submitted.
func orgFromRef(ctx context.Context, api OrgLister, ref string) (devin.Organization, error) {
	orgs, err := api.ListOrganizations(ctx)
	if err != nil {
		return devin.Organization{}, err
	}
	for _, o := range orgs {
		if o.ID == ref {
			return o, nil
		}
	}
	var matches []devin.Organization
	for _, o := range orgs {
		if sameOrgName(o.Name, ref) {
			matches = append(matches, o)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		names := make([]string, len(orgs))
		for i, o := range orgs {
			names[i] = o.Name
		}
		msg := "There is no Devin organization with the name or ID " + boldName(ref) + ", so nothing was submitted."
		if near := nearest.Names(ref, names, 3); len(near) > 0 {
			shown := make([]string, len(near))
			for i, n := range near {
				shown[i] = boldName(n)
			}
			last := len(shown) - 1
			choices := shown[last]
			if last > 0 {
				choices = strings.Join(shown[:last], ", ") + " or " + shown[last]
			}
			msg += " Did you mean " + choices + "?"
		}
		return devin.Organization{}, refuse(msg + " `/devin orgs` lists them.")
	}
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = m.ID
	}
	return devin.Organization{}, refuse(fmt.Sprintf("%d organizations are called %s (%s), so nothing was submitted: give the ID of the one you mean.",
		len(matches), boldName(ref), codeList(ids)))
}

// boldName is an organization name in bold, inert.
func boldName(name string) string { return orgName(devin.Organization{Name: name}) }

// maxACULimit bounds an ACU limit: far above any real budget, far below overflow.
const maxACULimit = 1_000_000_000

// parseACULimit reads a cycle ACU limit: a whole number of ACUs, 0 or more, written
// plainly or with its thousands grouped by commas as the bot shows them ("1,000").
func parseACULimit(s string) (int, string) {
	s = strings.TrimSpace(s)
	digits := s
	if strings.Contains(s, ",") {
		groups := strings.Split(s, ",")
		for i, g := range groups {
			if (i == 0 && (len(g) < 1 || len(g) > 3)) || (i > 0 && len(g) != 3) {
				return 0, "commas must group thousands, like 1,000"
			}
		}
		digits = strings.Join(groups, "")
	}
	switch {
	case digits == "":
		return 0, "empty"
	case strings.HasPrefix(digits, "-"):
		return 0, "it cannot be negative"
	case strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0:
		return 0, "a whole number of ACUs"
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n > maxACULimit {
		return 0, "the most is " + slackui.Int(maxACULimit)
	}
	return n, ""
}

// limitText is a cycle ACU limit for people: "1,000" or "none".
func limitText(l *int) string {
	if l == nil {
		return "none"
	}
	return slackui.Int(*l)
}

// limitParam is a limit as a request stores it: "1000" or "none".
func limitParam(l *int) string {
	if l == nil {
		return "none"
	}
	return strconv.Itoa(*l)
}

func displays(args []arg) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a.display()
	}
	return out
}
