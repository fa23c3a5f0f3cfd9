package commands

import (
	"context"
	"fmt"
	"strings"

	"devin-chatops/slackui"
)

// Help asks for the overview, or for one command's details when Topic names it
// (e.g. "invite" or "team add").
type Help struct{ Topic string }

func (Help) Name() string  { return "help" }
func (Help) Changes() bool { return false }

func helpSpec() spec {
	return spec{
		name:    "help",
		args:    "[COMMAND]",
		summary: "show this help, or the details of one command",
		example: "/devin help invite",
		build:   buildHelp,
		run:     answers(runHelp),
	}
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
		s := &in.table[i]
		topics = append(topics, s.name)
		if v := s.verb(); v != s.name {
			topics = append(topics, v)
		}
	}
	msg := fmt.Sprintf("There is no help for %s.", quote(topic))
	if near := closest(topic, topics); near != "" {
		msg += fmt.Sprintf(" Did you mean `/devin help %s`?", near)
	}
	return nil, in.errorf("%s Try `/devin help` for every command.", msg)
}

// runHelp answers /devin help [COMMAND] from the commands that can run here, so help
// never offers what is not configured. A topic that names only commands that cannot run
// gets what would turn them on. The help text is safe mrkdwn; a long overview is split
// into sections rather than clipped.
func runHelp(_ context.Context, env *runEnv, h Help) (slackui.Reply, error) {
	topic := normaliseTopic(h.Topic)
	if matched := topicSpecs(env.enabled, topic); len(matched) > 0 {
		return reply(topicHelp(matched)), nil
	}
	if matched := topicSpecs(registry(), topic); len(matched) > 0 {
		return slackui.Reply{}, refuse(matched[0].needs.missing(env.have))
	}
	return reply(overviewHelp(env.enabled)), nil
}

// HelpText is the mrkdwn help for /devin over every command, configured or not: an
// overview, or the details of one command (or of a group, such as "team") when topic
// names it. An unknown topic gets the overview.
func HelpText(topic string) string {
	table := registry()
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
		if s.name == topic || s.verb() == topic {
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
		{"*Needs approval* — posted to the approvers; runs once they approve", true},
	} {
		var lines []string
		for i := range table {
			if s := &table[i]; s.changes == group.changes {
				lines = append(lines, "• `"+s.usage()+"` — "+s.summary+"\n")
			}
		}
		// A group whose commands are all unconfigured is left out, not shown empty.
		if len(lines) == 0 {
			continue
		}
		b.WriteString("\n")
		b.WriteString(group.title)
		b.WriteString("\n")
		b.WriteString(strings.Join(lines, ""))
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
			b.WriteString("\n• `")
			b.WriteString(f.usage())
			b.WriteString("` — ")
			b.WriteString(f.help)
		}
		b.WriteString("\nExample: `")
		b.WriteString(s.example)
		b.WriteString("`")
	}
	return b.String()
}
