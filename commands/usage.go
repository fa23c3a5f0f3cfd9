package commands

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/slackui"
)

// Usage reports ACU consumption; Post puts the report in the channel for everyone.
type Usage struct{ Post bool }

func (Usage) Name() string  { return "usage" }
func (Usage) Changes() bool { return false }

func usageSpec() spec {
	return spec{
		name:    "usage",
		flags:   []flagSpec{{name: "post", help: "post the report in this channel instead of only to you"}},
		summary: "ACU consumption for the current billing cycle",
		example: "/devin usage --post",
		needs:   needsDevin,
		build:   buildUsage,
		run: answers(func(ctx context.Context, env *runEnv, cmd Usage) (slackui.Reply, error) {
			d := usageDeps{cycles: env.devin, consumption: env.devin, orgs: env.devin, members: env.devin}
			return runUsage(ctx, d, env.log, env.now, cmd)
		}),
	}
}

func buildUsage(in *input) (Command, error) {
	_, post := in.flags["post"]
	return Usage{Post: post}, in.noArgs()
}

// CycleLister lists the Devin billing cycles (*devin.Client).
type CycleLister interface {
	ListCycles(ctx context.Context) ([]devin.Cycle, error)
}

// ConsumptionReader reads ACU consumption per day, org and user (*devin.Client).
type ConsumptionReader interface {
	DailyConsumption(ctx context.Context, q devin.ConsumptionQuery) (*devin.Consumption, error)
}

// How much of the report's lists is shown.
const (
	maxUsageOrgs  = 25
	maxUsageUsers = 10
	usageBudget   = 2800 // characters of one list section, leaving room for its title
)

// usageDeps are the calls the usage report makes. Organizations and members only name
// what the consumption figures identify by ID: when they cannot be read the report still
// answers, with IDs and a note.
type usageDeps struct {
	cycles      CycleLister
	consumption ConsumptionReader
	orgs        OrgLister
	members     MemberLister
}

// runUsage answers /devin usage [--post]: the current billing cycle's window, total ACUs,
// ACUs per organization against its cycle limit, and the top users. --post shows it to
// the whole channel.
func runUsage(ctx context.Context, d usageDeps, log *slog.Logger, now time.Time, cmd Usage) (slackui.Reply, error) {
	cycles, err := d.cycles.ListCycles(ctx)
	if err != nil {
		return slackui.Reply{}, err
	}
	cycle, haveCycle := devin.CurrentCycle(cycles, now)
	var q devin.ConsumptionQuery // zero: the API's default, the current cycle up to today
	if haveCycle {
		q.Start, q.End = cycle.Start, now
		if !cycle.End.IsZero() && cycle.End.Before(now) {
			q.End = cycle.End
		}
	}
	cons, err := d.consumption.DailyConsumption(ctx, q)
	if err != nil {
		return slackui.Reply{}, err
	}
	if cons == nil {
		cons = &devin.Consumption{}
	}

	var notes []string
	var orgs []devin.Organization
	if d.orgs != nil {
		if orgs, err = d.orgs.ListOrganizations(ctx); err != nil {
			log.WarnContext(ctx, "usage: organizations not read", "err", err)
			notes = append(notes, "Organization names and limits could not be read: "+slackui.Escape(apiclient.UserMessage(err)))
		}
	}
	emails := map[string]string{}
	if d.members != nil && len(cons.ByUser) > 0 {
		members, err := d.members.ListMembers(ctx, devin.ListMembersOptions{})
		if err != nil {
			log.WarnContext(ctx, "usage: members not read", "err", err)
			notes = append(notes, "Member emails could not be read: "+slackui.Escape(apiclient.UserMessage(err)))
		}
		for _, m := range members {
			if m.Email != "" {
				emails[m.UserID] = m.Email
			}
		}
	}

	heading := "*Devin usage*"
	if haveCycle {
		heading += " — billing cycle " + cycleWindow(cycle, now)
	} else {
		heading += " — current billing cycle"
	}
	blocks := []slack.Block{
		slackui.Section(heading),
		slackui.Section("*Total:* " + slackui.Number(cons.TotalACUs) + " ACUs"),
	}
	if lines := orgUsageLines(cons.ByOrg, orgs); len(lines) > 0 {
		blocks = append(blocks, slackui.Section("*By organization*\n"+slackui.JoinLimited(lines, "\n", maxUsageOrgs, usageBudget)))
	}
	if lines := topUserLines(cons.ByUser, emails); len(lines) > 0 {
		blocks = append(blocks, slackui.Section(fmt.Sprintf("*Top %d users*\n", len(lines))+strings.Join(lines, "\n")))
	}
	if len(notes) > 0 {
		blocks = append(blocks, slackui.Section("_"+strings.Join(notes, "\n")+"_"))
	}
	text := heading + ": " + slackui.Number(cons.TotalACUs) + " ACUs"
	return slackui.Reply{
		Message:   slackui.Message{Text: slackui.Clip(text, slackui.MaxMessageText), Blocks: blocks},
		InChannel: cmd.Post,
	}, nil
}

// cycleWindow is "2024-05-01 – 2024-05-31 (day 12 of 31)": the billing days of the
// cycle. Billing days start at 08:00 UTC, so the last day is the one before End.
func cycleWindow(c devin.Cycle, now time.Time) string {
	first := devin.BillingDayStart(c.Start)
	if c.End.IsZero() {
		return "from " + date(first)
	}
	last := devin.BillingDayStart(c.End.Add(-time.Nanosecond))
	s := date(first) + " – " + date(last)
	if !now.Before(c.Start) && now.Before(c.End) {
		days := int(math.Round(float64(last.Sub(first))/float64(24*time.Hour))) + 1
		day := int(devin.BillingDayStart(now).Sub(first)/(24*time.Hour)) + 1
		s += fmt.Sprintf(" (day %d of %d)", min(day, days), days)
	}
	return s
}

// orgUsageLines lists the organizations that used ACUs or have a cycle limit, most used
// first: "• *Platform* — 500 ACUs of 1,000 (50%)".
func orgUsageLines(byOrg map[string]float64, orgs []devin.Organization) []string {
	type row struct {
		id, name string
		acus     float64
		limit    *int
		known    bool // listed by the API, so a nil limit means "no limit"
	}
	rows := map[string]*row{}
	for id, acus := range byOrg {
		rows[id] = &row{id: id, acus: acus}
	}
	for _, o := range orgs {
		r := rows[o.ID]
		if r == nil {
			if o.MaxCycleACULimit == nil {
				continue
			}
			r = &row{id: o.ID}
			rows[o.ID] = r
		}
		r.name, r.limit, r.known = o.Name, o.MaxCycleACULimit, true
	}
	sorted := make([]*row, 0, len(rows))
	for _, r := range rows {
		sorted = append(sorted, r)
	}
	slices.SortFunc(sorted, func(a, b *row) int {
		return cmp.Or(cmp.Compare(b.acus, a.acus), cmp.Compare(strings.ToLower(a.name), strings.ToLower(b.name)), cmp.Compare(a.id, b.id))
	})
	lines := make([]string, 0, len(sorted))
	for _, r := range sorted {
		name := code(r.id, maxIDRunes)
		if n := strings.ReplaceAll(strings.TrimSpace(r.name), "*", ""); n != "" {
			name = "*" + slackui.Inert(n, maxNameRunes) + "*"
		}
		line := "• " + name + " — " + slackui.Number(r.acus) + " ACUs"
		if r.known {
			line += limitUse(r.acus, r.limit)
		}
		lines = append(lines, line)
	}
	return lines
}

// limitUse is " of 1,000 (50%)", or " (no limit)".
func limitUse(acus float64, limit *int) string {
	switch {
	case limit == nil:
		return " (no limit)"
	case *limit <= 0:
		return " of a limit of 0 (usage blocked)"
	}
	pct := acus / float64(*limit) * 100
	s := " of " + slackui.Number(float64(*limit)) + " (" + percent(pct) + ")"
	if pct >= 100 {
		s += " :warning: over the limit"
	}
	return s
}

// percent is a whole percentage, "<1%" for a little above zero.
func percent(p float64) string {
	if p > 0 && p < 1 {
		return "<1%"
	}
	return fmt.Sprintf("%d%%", int(math.Floor(p)))
}

// topUserLines are the users who used the most ACUs, by email where known:
// "1. ada@example.com — 120.5 ACUs".
func topUserLines(byUser map[string]float64, emails map[string]string) []string {
	ids := make([]string, 0, len(byUser))
	for id, acus := range byUser {
		if acus > 0 {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(byUser[b], byUser[a]), cmp.Compare(a, b)) })
	ids = ids[:min(len(ids), maxUsageUsers)]
	lines := make([]string, 0, len(ids))
	for i, id := range ids {
		who := code(id, maxIDRunes)
		if e := emails[id]; e != "" {
			who = slackui.Inert(e, maxEmailRunes)
		}
		lines = append(lines, fmt.Sprintf("%d. %s — %s ACUs", i+1, who, slackui.Number(byUser[id])))
	}
	return lines
}
