package commands

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"devin-chatops/apiclient/devin"
	"devin-chatops/slackui"
)

// Members lists enterprise members, or only the one with Email.
type Members struct{ Email string }

func (Members) Name() string  { return "members" }
func (Members) Changes() bool { return false }

func membersSpec() spec {
	return spec{
		name:    "members",
		flags:   []flagSpec{{name: "email", value: "EMAIL", help: "show only the member with this email address"}},
		summary: "list the members of the Devin enterprise",
		example: "/devin members --email ada@example.com",
		needs:   needsDevin,
		build:   buildMembers,
		run: answers(func(ctx context.Context, env *runEnv, cmd Members) (slackui.Reply, error) {
			return runMembers(ctx, env.devin, cmd)
		}),
	}
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

// MemberLister lists the members of the Devin enterprise (*devin.Client).
type MemberLister interface {
	ListMembers(ctx context.Context, opts devin.ListMembersOptions) ([]devin.Member, error)
}

// runMembers answers /devin members [--email EMAIL]: how many members there are and
// who, sorted by email.
func runMembers(ctx context.Context, api MemberLister, cmd Members) (slackui.Reply, error) {
	members, err := api.ListMembers(ctx, devin.ListMembersOptions{Email: cmd.Email})
	if err != nil {
		return slackui.Reply{}, err
	}
	if cmd.Email != "" {
		// The filter is the API's; an API that ignores it must not make the answer wrong.
		members = slices.DeleteFunc(members, func(m devin.Member) bool { return !strings.EqualFold(m.Email, cmd.Email) })
		if len(members) == 0 {
			return reply("No member of the Devin enterprise has the email address " + code(cmd.Email, maxEmailRunes) + "."), nil
		}
	}
	slices.SortStableFunc(members, func(a, b devin.Member) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email)), cmp.Compare(a.UserID, b.UserID))
	})
	lines := make([]string, 0, len(members))
	for _, m := range members {
		lines = append(lines, memberLine(m))
	}
	heading := "*" + plural(len(members), "member", "members") + "* in the Devin enterprise"
	if cmd.Email != "" {
		heading = "*Member with the email address* " + code(cmd.Email, maxEmailRunes)
	}
	return slackui.Reply{Message: list{
		heading: heading,
		lines:   lines,
		empty:   "_The enterprise has no members._",
		more:    "use `--email` to look one up",
	}.message()}, nil
}

// memberLine is "• *Ada Lovelace* — ada@example.com — admin — last login 2024-05-01".
func memberLine(m devin.Member) string {
	parts := make([]string, 0, 4)
	if name := strings.TrimSpace(m.Name); name != "" {
		parts = append(parts, "*"+slackui.Inert(strings.ReplaceAll(name, "*", ""), maxNameRunes)+"*")
	}
	email := strings.TrimSpace(m.Email)
	if email == "" {
		email = m.UserID
	}
	parts = append(parts, slackui.Inert(email, maxEmailRunes))
	if m.Role != "" {
		parts = append(parts, slackui.Inert(m.Role, maxNameRunes))
	}
	// Without logins from the API (v3) the line says nothing about them.
	switch {
	case m.LastLogin != nil && !m.LastLogin.IsZero():
		parts = append(parts, "last login "+date(*m.LastLogin))
	case m.LastLoginKnown:
		parts = append(parts, "never logged in")
	}
	return "• " + strings.Join(parts, " — ")
}

// reply is an ephemeral reply of one mrkdwn text.
func reply(text string) slackui.Reply { return slackui.Reply{Message: textMessage(text)} }
