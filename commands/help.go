package commands

import (
	"strings"
)

// spec describes one /devin command. The table of specs is the one source for parsing,
// for the usage lines that errors show and for help, so the three cannot drift apart.
type spec struct {
	name    string // the words after /devin that select it, e.g. "team add"
	args    string // positional arguments as usage shows them, e.g. "TEAM LOGIN…"
	flags   []flagSpec
	summary string   // one line for the overview
	details []string // extra lines for `/devin help COMMAND`
	example string   // a complete, valid command line (tests parse every one)
	changes bool     // needs approval before it runs
	// planned commands are in the design but not built yet. They are listed so that
	// typing one gets "not available yet" instead of "unknown command".
	planned bool
	build   func(*input) (Command, error)
}

// flagSpec describes one --flag of a command.
type flagSpec struct {
	name  string // without the dashes
	value string // placeholder for its value; empty for a switch such as --post
	help  string
}

// usage is the command's usage line, e.g. "/devin team list TEAM".
func (s *spec) usage() string {
	var b strings.Builder
	b.WriteString("/devin ")
	b.WriteString(s.name)
	if s.args != "" {
		b.WriteString(" ")
		b.WriteString(s.args)
	}
	for _, f := range s.flags {
		b.WriteString(" [--")
		b.WriteString(f.name)
		if f.value != "" {
			b.WriteString(" ")
			b.WriteString(f.value)
		}
		b.WriteString("]")
	}
	return b.String()
}

// verb is the first word of the command's name: "team" for "team add".
func (s *spec) verb() string {
	v, _, _ := strings.Cut(s.name, " ")
	return v
}

func (s *spec) flag(name string) *flagSpec {
	for i := range s.flags {
		if s.flags[i].name == name {
			return &s.flags[i]
		}
	}
	return nil
}

// Limits on what one request may carry. They keep an approval card readable and bound
// the work one click can start.
const (
	maxItems     = 1000 // emails or logins per request
	maxReasonLen = 500  // runes
	maxOrgLen    = 100  // runes
)

// commandTable returns the command specs in the order help lists them. It is a function,
// not a package variable, so that nothing can change the table at run time.
func commandTable() []spec {
	reason := flagSpec{name: "reason", value: "TEXT", help: "why, for the approvers (at most 500 characters; quote it if it has spaces)"}
	return []spec{
		{
			name:    "help",
			args:    "[COMMAND]",
			summary: "show this help, or the details of one command",
			example: "/devin help invite",
			build:   buildHelp,
		},
		{
			name:    "members",
			flags:   []flagSpec{{name: "email", value: "EMAIL", help: "show only the member with this email address"}},
			summary: "list the members of the Devin enterprise",
			example: "/devin members --email ada@example.com",
			build:   buildMembers,
		},
		{
			name:    "orgs",
			summary: "list the Devin organizations and their ACU limits",
			example: "/devin orgs",
			build:   func(in *input) (Command, error) { return Orgs{}, in.noArgs() },
		},
		{
			name:    "teams",
			summary: "list the GitHub enterprise teams",
			example: "/devin teams",
			build:   func(in *input) (Command, error) { return Teams{}, in.noArgs() },
		},
		{
			name:    "team list",
			args:    "TEAM",
			summary: "list the members of a GitHub enterprise team",
			details: []string{teamDetail},
			example: "/devin team list ent:platform",
			build:   buildTeamList,
		},
		{
			name:    "usage",
			flags:   []flagSpec{{name: "post", help: "post the report in this channel instead of only to you"}},
			summary: "ACU consumption for the current billing cycle",
			example: "/devin usage --post",
			build:   buildUsage,
		},
		{
			name:    "audit",
			flags:   []flagSpec{{name: "since", value: "DURATION", help: "how far back to look, e.g. `12h`, `7d`, `2w` (default 24h, at most 90d)"}},
			summary: "recent entries of the Devin audit log",
			example: "/devin audit --since 7d",
			build:   buildAudit,
		},
		{
			name:    "requests",
			summary: "list the approval requests still waiting for a decision",
			example: "/devin requests",
			build:   func(in *input) (Command, error) { return Requests{}, in.noArgs() },
		},
		{
			name: "invite",
			args: "EMAIL…",
			flags: []flagSpec{
				{name: "role", value: "member|admin", help: "enterprise role (default member)"},
				{name: "org", value: "ORG", help: "also add them to this Devin organization"},
				reason,
			},
			summary: "invite people to the Devin enterprise",
			details: []string{"`EMAIL…` — up to 1000 addresses, separated by spaces or commas; repeats are dropped"},
			example: `/devin invite ada@example.com grace@example.com --role admin --reason "new platform team"`,
			changes: true,
			build:   buildInvite,
		},
		{
			name:    "team add",
			args:    "TEAM LOGIN…",
			flags:   []flagSpec{reason},
			summary: "add GitHub users to an enterprise team",
			details: []string{teamDetail, loginDetail},
			example: `/devin team add ent:platform octocat hubot --reason "on-call rotation"`,
			changes: true,
			build:   func(in *input) (Command, error) { return buildTeamChange(in, false) },
		},
		{
			name:    "team remove",
			args:    "TEAM LOGIN…",
			flags:   []flagSpec{reason},
			summary: "remove GitHub users from an enterprise team",
			details: []string{teamDetail, loginDetail},
			example: "/devin team remove platform octocat",
			changes: true,
			build:   func(in *input) (Command, error) { return buildTeamChange(in, true) },
		},
		{name: "org create", planned: true},
		{name: "org limit", planned: true},
		{name: "org add", planned: true},
		{name: "sessions", planned: true},
		{name: "permission add", planned: true},
		{name: "offboard", planned: true},
	}
}

const (
	teamDetail  = "`TEAM` — the team's slug, with or without `ent:` (e.g. `ent:platform` or `platform`), or its numeric id"
	loginDetail = "`LOGIN…` — up to 1000 GitHub logins (managed users too, like `mona_acme`), separated by spaces or commas; repeats are dropped"
)

// HelpText is the mrkdwn help for /devin: an overview of every command, or the details
// of one command (or of a group, such as "team") when topic names it. An unknown topic
// gets the overview.
func HelpText(topic string) string {
	table := commandTable()
	if matched := topicSpecs(table, normaliseTopic(topic)); len(matched) > 0 {
		return topicHelp(matched)
	}
	return overviewHelp(table)
}

// normaliseTopic lets "Team  Add" and "/devin team add" name the same topic.
func normaliseTopic(topic string) string {
	fields := strings.Fields(strings.ToLower(topic))
	if len(fields) > 0 && fields[0] == "/devin" {
		fields = fields[1:]
	}
	return strings.Join(fields, " ")
}

// topicSpecs are the available commands a help topic names: one command ("team add") or
// every command of a group ("team").
func topicSpecs(table []spec, topic string) []*spec {
	if topic == "" {
		return nil
	}
	var matched []*spec
	for i := range table {
		s := &table[i]
		if !s.planned && (s.name == topic || s.verb() == topic) {
			matched = append(matched, s)
		}
	}
	return matched
}

func overviewHelp(table []spec) string {
	var b strings.Builder
	b.WriteString("*`/devin` runs the Devin enterprise and its GitHub enterprise teams from Slack.*\n")
	for _, group := range []struct {
		title   string
		changes bool
	}{
		{"*Read-only* — answered right away", false},
		{"*Needs approval* — posted to the approvers; runs once one approves", true},
	} {
		b.WriteString("\n")
		b.WriteString(group.title)
		b.WriteString("\n")
		for i := range table {
			s := &table[i]
			if s.planned || s.changes != group.changes {
				continue
			}
			b.WriteString("• `")
			b.WriteString(s.usage())
			b.WriteString("` — ")
			b.WriteString(s.summary)
			b.WriteString("\n")
		}
	}
	b.WriteString("\nFlags go anywhere after the command, as `--flag value` or `--flag=value`. ")
	b.WriteString("Put values with spaces in quotes: `--reason \"new hire\"`. ")
	b.WriteString("`/devin help COMMAND` shows one command in detail.")
	return b.String()
}

func topicHelp(specs []*spec) string {
	var b strings.Builder
	for i, s := range specs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("`")
		b.WriteString(s.usage())
		b.WriteString("`\n")
		b.WriteString(s.summary)
		if s.changes {
			b.WriteString(" (needs approval)")
		}
		for _, d := range s.details {
			b.WriteString("\n• ")
			b.WriteString(d)
		}
		for _, f := range s.flags {
			b.WriteString("\n• `--")
			b.WriteString(f.name)
			if f.value != "" {
				b.WriteString(" ")
				b.WriteString(f.value)
			}
			b.WriteString("` — ")
			b.WriteString(f.help)
		}
		b.WriteString("\nExample: `")
		b.WriteString(s.example)
		b.WriteString("`")
	}
	return b.String()
}

// usageLines is the usage of every available command whose verb is verb, one per line,
// or of every available command when none matches. Errors that cannot name one command
// (an unknown verb, an unclosed quote) show it.
func usageLines(table []spec, verb string) string {
	var lines []string
	for _, all := range []bool{false, true} {
		for i := range table {
			s := &table[i]
			if !s.planned && (all || s.verb() == verb) {
				lines = append(lines, s.usage())
			}
		}
		if len(lines) > 0 {
			break
		}
	}
	return strings.Join(lines, "\n")
}
