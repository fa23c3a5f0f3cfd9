package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	nearest "devin-chatops/internal/closest"
	"devin-chatops/slackui"
)

// Sessions lists the newest Devin sessions with their insights, optionally of one
// organization and of one person.
type Sessions struct {
	Org   string // the organization's name (any case) or ID, as typed; "" for all
	User  string // the member's email address, lower-cased; "" for everyone
	Limit int    // how many sessions to show, 1 to maxSessionsLimit
}

func (Sessions) Name() string  { return "sessions" }
func (Sessions) Changes() bool { return false }

const (
	// defaultSessionsLimit sessions are shown when --limit is not given.
	defaultSessionsLimit = 10
	// maxSessionsLimit bounds --limit: each session takes a few lines, and more than
	// this no longer reads as a reply (nor fits Block Kit's 50 blocks comfortably).
	maxSessionsLimit = 50
)

func sessionsSpec() spec {
	return spec{
		name: "sessions",
		flags: []flagSpec{
			{name: "org", value: "ORG", help: "only this organization's sessions, by name (any case) or ID"},
			{name: "user", value: "EMAIL", help: "only the sessions of the member with this email address"},
			{name: "limit", value: "N", help: fmt.Sprintf("how many of the newest sessions to show (default %d, at most %d)", defaultSessionsLimit, maxSessionsLimit)},
		},
		summary: "the newest Devin sessions: who, which organization, ACUs, status, pull requests and the analysis' suggestions",
		example: "/devin sessions --org Engineering --user ada@example.com --limit 5",
		needs:   needsDevin,
		build:   buildSessions,
		run: answers(func(ctx context.Context, env *runEnv, cmd Sessions) (slackui.Reply, error) {
			return runSessions(ctx, env.devin, env.log, cmd)
		}),
	}
}

func buildSessions(in *input) (Command, error) {
	if err := in.noArgs(); err != nil {
		return nil, err
	}
	cmd := Sessions{Limit: defaultSessionsLimit}
	if w, ok := in.flags["org"]; ok {
		for _, seg := range w.segs {
			if seg.kind != plainText {
				return nil, in.errorf("`--org` %s is %s, not an organization.", quote(w.display()), seg.kind)
			}
		}
		cmd.Org = strings.TrimSpace(w.text())
		if cmd.Org == "" {
			return nil, in.errorf("`--org` needs an organization's name or ID.")
		}
		if n := utf8.RuneCountInString(cmd.Org); n > maxOrgLen {
			return nil, in.errorf("`--org` is %d characters long; the limit is %d.", n, maxOrgLen)
		}
	}
	if w, ok := in.flags["user"]; ok {
		email, problem := checkEmail(w)
		if problem != "" {
			return nil, in.errorf("`--user` %s is not a valid email address (%s).", quote(w.display()), problem)
		}
		cmd.User = email
	}
	if w, ok := in.flags["limit"]; ok {
		n, problem := parseSessionsLimit(w.text())
		if problem != "" {
			return nil, in.errorf("`--limit` %s: %s.", quote(w.display()), problem)
		}
		cmd.Limit = n
	}
	return cmd, nil
}

// parseSessionsLimit reads --limit: digits only (no sign, no decimals), from 1 to
// maxSessionsLimit.
func parseSessionsLimit(s string) (int, string) {
	whole := fmt.Sprintf("must be a whole number from 1 to %d", maxSessionsLimit)
	s = strings.TrimSpace(s)
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, whole
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil || n > maxSessionsLimit:
		return 0, fmt.Sprintf("at most %d sessions are shown at once; narrow them with `--org` or `--user`", maxSessionsLimit)
	case n == 0:
		return 0, whole
	}
	return n, ""
}

// SessionInsightReader reads the insights of Devin sessions (*devin.Client).
type SessionInsightReader interface {
	SessionInsights(ctx context.Context, q devin.SessionInsightsQuery) ([]devin.SessionInsight, error)
}

// sessionsAPI is what /devin sessions reads.
type sessionsAPI interface {
	OrgLister
	MemberLister
	SessionInsightReader
}

// runSessions answers /devin sessions: the newest cmd.Limit sessions the API lists for
// the filters, asking the API for no more than that. The organization and the person
// are resolved first, so an unknown one is refused before any session is read; names
// for the sessions' people and organizations come from one listing of each.
func runSessions(ctx context.Context, api sessionsAPI, log *slog.Logger, cmd Sessions) (slackui.Reply, error) {
	limit := cmd.Limit
	if limit <= 0 {
		limit = defaultSessionsLimit
	}
	q := devin.SessionInsightsQuery{Limit: min(limit, maxSessionsLimit)}
	var notes []string

	orgs, err := api.ListOrganizations(ctx)
	var org *devin.Organization
	switch {
	case err != nil && cmd.Org != "":
		return slackui.Reply{}, fmt.Errorf("sessions: list organizations: %w", err)
	case err != nil:
		// The names are a nicety when no organization was asked for.
		log.WarnContext(ctx, "sessions: organizations not read", "err", err)
		notes = append(notes, "_Organization names could not be read: "+slackui.Escape(apiclient.UserMessage(err))+"_")
	case cmd.Org != "":
		if org, err = orgFromList(orgs, cmd.Org); err != nil {
			return slackui.Reply{}, err
		}
		q.OrgIDs = []string{org.ID}
	}

	var user *devin.Member
	if cmd.User != "" {
		// The members endpoint's email filter: one small answer, not the whole listing.
		members, err := api.ListMembers(ctx, devin.ListMembersOptions{Email: cmd.User})
		if err != nil {
			return slackui.Reply{}, fmt.Errorf("sessions: look up %s: %w", cmd.User, err)
		}
		// The filter is the API's; an API that ignores it must not pick someone else.
		i := slices.IndexFunc(members, func(m devin.Member) bool { return strings.EqualFold(strings.TrimSpace(m.Email), cmd.User) })
		if i < 0 || members[i].UserID == "" {
			return slackui.Reply{}, refuse("No member of the Devin enterprise has the email address " + code(cmd.User, maxEmailRunes) +
				", so there are no sessions of theirs to show. `/devin members` lists them.")
		}
		user = &members[i]
		q.UserIDs = []string{user.UserID}
	}

	sessions, err := api.SessionInsights(ctx, q)
	if err != nil {
		return slackui.Reply{}, fmt.Errorf("sessions: read session insights: %w", err)
	}
	if len(sessions) > q.Limit {
		sessions = sessions[:q.Limit]
	}
	// The API lists the newest first; the sort only keeps that promise for a server
	// that does not. Sessions without a time keep their place at the end.
	slices.SortStableFunc(sessions, func(a, b devin.SessionInsight) int {
		if a.CreatedAt.IsZero() || b.CreatedAt.IsZero() {
			return boolOrder(a.CreatedAt.IsZero(), b.CreatedAt.IsZero())
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})

	names := sessionNames{orgs: map[string]string{}, people: map[string]devin.Member{}}
	for _, o := range orgs {
		names.orgs[o.ID] = o.Name
	}
	if user != nil {
		names.people[user.UserID] = *user
	} else if len(sessions) > 0 {
		members, err := api.ListMembers(ctx, devin.ListMembersOptions{})
		if err != nil {
			log.WarnContext(ctx, "sessions: members not read", "err", err)
			notes = append(notes, "_Names of people could not be read: "+slackui.Escape(apiclient.UserMessage(err))+"_")
		}
		for _, m := range members {
			names.people[m.UserID] = m
		}
	}

	entries := make([]string, len(sessions))
	for i, s := range sessions {
		entries[i] = sessionEntry(s, names)
	}
	heading := "*" + plural(len(sessions), "session", "sessions") + "*" + sessionsScope(org, user)
	if len(sessions) > 1 {
		heading += ", newest first"
	}
	switch {
	case len(sessions) == 0:
	case len(sessions) == maxSessionsLimit:
		notes = append(notes, fmt.Sprintf("_The newest %d, the most one reply shows: narrow them with `--org` or `--user`._", maxSessionsLimit))
	case len(sessions) == q.Limit:
		notes = append(notes, fmt.Sprintf("_The newest %d; `--limit N` shows up to %d._", q.Limit, maxSessionsLimit))
	}
	return slackui.Reply{Message: sessionsMessage(heading, entries, "_No sessions match._", strings.Join(notes, "\n"))}, nil
}

// boolOrder sorts false before true.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

// orgFromList finds ref (an ID, or a name in any case) among orgs. An unknown name is
// refused with the closest names, an ambiguous one with the IDs that share it.
func orgFromList(orgs []devin.Organization, ref string) (*devin.Organization, error) {
	org, err := devin.MatchOrganization(orgs, ref)
	switch {
	case err == nil:
		return org, nil
	case errors.Is(err, apiclient.ErrNotFound):
		names := make([]string, len(orgs))
		for i, o := range orgs {
			names[i] = o.Name
		}
		msg := "No Devin organization has the name or ID " + code(ref, maxNameRunes) + "."
		if near := nearest.Names(ref, names, 3); len(near) > 0 {
			for i, n := range near {
				near[i] = "*" + slackui.Inert(strings.ReplaceAll(n, "*", ""), maxNameRunes) + "*"
			}
			msg += " Did you mean " + orList(near) + "?"
		}
		return nil, refuse(msg + " `/devin orgs` lists them.")
	case errors.Is(err, apiclient.ErrValidation):
		var ids []string
		for _, o := range orgs {
			if devin.SameOrgName(o.Name, ref) {
				ids = append(ids, o.ID)
			}
		}
		return nil, refuse("Several Devin organizations are called " + code(ref, maxNameRunes) + ": give its ID (" + codeList(ids) + ").")
	}
	return nil, fmt.Errorf("sessions: find organization: %w", err)
}

// orList is "a", "a or b", "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
