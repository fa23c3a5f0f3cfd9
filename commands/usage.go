package commands

import (
	"context"
	"errors"
	"strings"

	"devin-chatops/reports"
	"devin-chatops/slackui"
	"devin-chatops/usage"

	"github.com/slack-go/slack"
)

// Usage reports ACU consumption: Post puts the report and its chart in the channel for
// everyone; Previous is the last complete cycle; Org narrows it to one organization.
type Usage struct {
	Post     bool
	Previous bool
	Org      string
}

func (Usage) Name() string  { return "usage" }
func (Usage) Changes() bool { return false }

// UsageReports builds, posts and sends usage reports (*reports.Service).
type UsageReports interface {
	Report(ctx context.Context, q reports.Query) (usage.Report, error)
	Publish(ctx context.Context, channel string, r usage.Report) error
	SendChart(ctx context.Context, user string, r usage.Report) error
}

func usageSpec() spec {
	return spec{
		name: "usage",
		flags: []flagSpec{
			{name: "post", help: "post the report and its chart in this channel instead of only to you"},
			{name: "cycle", value: "current|previous", help: "the billing cycle (default: current)"},
			{name: "org", value: "ORG", help: "one organization, by name or ID: its users, trend and limit"},
		},
		summary: "ACU consumption: totals, organizations against their limits, top users, trend and projection",
		details: []string{
			"Billing days start at 08:00 UTC, as on Devin's dashboard. Without `--post`, the chart comes to you in a direct message.",
		},
		example: "/devin usage --org Platform --post",
		needs:   needsDevin | needsReports,
		build:   buildUsage,
		run:     runs(runUsage),
	}
}

func buildUsage(in *input) (Command, error) {
	_, post := in.flags["post"]
	u := Usage{Post: post}
	if w, ok := in.flags["cycle"]; ok {
		switch strings.ToLower(w.text()) {
		case "current":
		case "previous":
			u.Previous = true
		default:
			return nil, in.errorf("`--cycle` is `current` or `previous`, not `%s`.", slackui.Inert(w.text(), 40))
		}
	}
	if w, ok := in.flags["org"]; ok {
		u.Org = strings.TrimSpace(w.text())
		if u.Org == "" {
			return nil, in.errorf("`--org` needs an organization's name or ID.")
		}
	}
	return u, in.noArgs()
}

// runUsage answers /devin usage: the report, to the caller with the chart in a DM, or
// with --post in the channel, chart included. When the bot cannot post in the channel
// the report still answers there, through the command's response, without the chart.
func runUsage(ctx context.Context, env *runEnv, c call, cmd Usage) (slackui.Reply, string, error) {
	q := reports.Query{Org: cmd.Org}
	if cmd.Previous {
		q.Cycle = reports.PreviousCycle
	}
	r, err := env.usage.Report(ctx, q)
	if err != nil {
		return slackui.Reply{}, "", usageError(err)
	}
	msg := usage.Message(r)
	if cmd.Post {
		err := env.usage.Publish(ctx, c.channel, r)
		var chartErr *reports.ChartError
		switch {
		case err == nil:
			return slackui.Reply{Message: slackui.Text(":white_check_mark: Usage report posted.")}, "", nil
		case errors.As(err, &chartErr):
			env.log.WarnContext(ctx, "usage: report posted without its chart", "error", err)
			return slackui.Reply{Message: slackui.Text("Usage report posted; the chart could not be uploaded (" + slackui.Escape(chartReason(err)) + ").")}, "", nil
		}
		if !notInChannel(err) {
			return slackui.Reply{}, "", err
		}
		env.log.InfoContext(ctx, "usage: bot cannot post here; answering through the command", "error", err)
		msg = beforeContext(msg, "_Invite the bot to this channel to get the chart with the report._")
		return slackui.Reply{Message: msg, InChannel: true}, "", nil
	}
	if len(r.Days) > 0 {
		if err := env.usage.SendChart(ctx, c.user, r); err != nil {
			env.log.WarnContext(ctx, "usage: chart not sent", "error", err)
		} else {
			msg = beforeContext(msg, "_The chart is in your direct messages with the bot._")
		}
	}
	return slackui.Reply{Message: msg}, "", nil
}

// usageError turns the report's own refusals into answers; API errors pass through.
func usageError(err error) error {
	if u, ok := reports.IsUnknownOrg(err); ok {
		if len(u.Matches) > 1 {
			return refuse("Several organizations are called *" + slackui.Inert(u.Ref, maxNameRunes) + "*: use its ID (" + codeList(u.Matches) + ").")
		}
		msg := "No organization is called *" + slackui.Inert(u.Ref, maxNameRunes) + "*."
		if len(u.Closest) > 0 {
			names := make([]string, len(u.Closest))
			for i, n := range u.Closest {
				names[i] = "*" + slackui.Inert(strings.ReplaceAll(n, "*", ""), maxNameRunes) + "*"
			}
			msg += " Did you mean " + strings.Join(names, ", ") + "?"
		}
		return refuse(msg + " `/devin orgs` lists them.")
	}
	var nc *reports.NoCycleError
	if errors.As(err, &nc) {
		return refuse("Cannot build that report: " + nc.Error() + ".")
	}
	return err
}

func codeList(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = code(id, maxIDRunes)
	}
	return strings.Join(out, ", ")
}

// chartReason is the short reason a chart failed.
func chartReason(err error) string {
	var se *slackui.Error
	if errors.As(err, &se) && se.Code != "" {
		return "Slack answered " + se.Code
	}
	return "see the bot's log"
}

// beforeContext adds a note just above the report's closing context line.
func beforeContext(m slackui.Message, note string) slackui.Message {
	n := len(m.Blocks)
	if n == 0 {
		m.Blocks = []slack.Block{slackui.Section(note)}
		return m
	}
	m.Blocks = append(m.Blocks[:n-1:n-1], slackui.Section(note), m.Blocks[n-1])
	return m
}

// notInChannel reports whether Slack refused the post because the bot cannot post in
// the channel; only then does the report answer through the command instead.
func notInChannel(err error) bool {
	var se *slackui.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code {
	case "not_in_channel", "channel_not_found", "is_archived", "restricted_action":
		return true
	}
	return false
}
