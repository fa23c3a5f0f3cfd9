package commands

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/slackui"
)

// Audit lists Devin audit-log entries from the last Since.
type Audit struct{ Since time.Duration }

func (Audit) Name() string  { return "audit" }
func (Audit) Changes() bool { return false }

func auditSpec() spec {
	return spec{
		name:    "audit",
		flags:   []flagSpec{{name: "since", value: "DURATION", help: "how far back to look, e.g. `12h`, `7d`, `2w` (default 24h, at most 90d)"}},
		summary: "recent entries of the Devin audit log",
		example: "/devin audit --since 7d",
		needs:   needsDevin,
		build:   buildAudit,
		run: answers(func(ctx context.Context, env *runEnv, cmd Audit) (slackui.Reply, error) {
			return runAudit(ctx, env.devin, env.devin, env.log, env.now, cmd)
		}),
	}
}

func buildAudit(in *input) (Command, error) {
	if err := in.noArgs(); err != nil {
		return nil, err
	}
	w, ok := in.flags["since"]
	if !ok {
		return Audit{Since: 24 * time.Hour}, nil
	}
	since, problem := parseSince(w.text())
	if problem != "" {
		return nil, in.errorf("`--since` %s: %s. Use a duration like `12h`, `7d` or `2w`.", quote(w.display()), problem)
	}
	return Audit{Since: since}, nil
}

// AuditLogReader reads the Devin enterprise audit log (*devin.Client).
type AuditLogReader interface {
	AuditLogs(ctx context.Context, q devin.AuditLogsQuery) ([]devin.AuditLogEntry, error)
}

// auditFetchLimit is how many entries one /devin audit reads. The API's before/after
// parameters are documented both as cursors and as dates, so the window is applied
// here, to the newest entries, rather than trusted to either reading.
const auditFetchLimit = 200

// runAudit answers /devin audit [--since DURATION]: the Devin audit-log entries of the
// window, newest first, each with its time, action, actor and organization.
func runAudit(ctx context.Context, api AuditLogReader, orgs OrgLister, log *slog.Logger, now time.Time, cmd Audit) (slackui.Reply, error) {
	since := cmd.Since
	if since <= 0 {
		since = 24 * time.Hour
	}
	entries, err := api.AuditLogs(ctx, devin.AuditLogsQuery{Limit: auditFetchLimit})
	if err != nil {
		return slackui.Reply{}, err
	}
	fetched := len(entries)
	cutoff := now.Add(-since)
	oldestInWindow := fetched > 0
	entries = slices.DeleteFunc(entries, func(e devin.AuditLogEntry) bool {
		return e.CreatedAt.IsZero() || e.CreatedAt.Before(cutoff)
	})
	if len(entries) < fetched {
		oldestInWindow = false
	}
	slices.SortStableFunc(entries, func(a, b devin.AuditLogEntry) int { return b.CreatedAt.Compare(a.CreatedAt) })

	var note string
	names := map[string]string{}
	if orgs != nil && slices.ContainsFunc(entries, func(e devin.AuditLogEntry) bool { return e.OrgID != "" }) {
		list, err := orgs.ListOrganizations(ctx)
		if err != nil {
			log.WarnContext(ctx, "audit: organizations not read", "err", err)
			note = "_Organization names could not be read: " + slackui.Escape(apiclient.UserMessage(err)) + "_"
		}
		for _, o := range list {
			names[o.ID] = o.Name
		}
	}
	if fetched >= auditFetchLimit && oldestInWindow {
		note = strings.TrimSpace(note + "\n_Only the newest " + fmt.Sprint(auditFetchLimit) + " entries were read; older ones in this window are not shown._")
	}

	lines := make([]string, 0, len(entries))
	for _, e := range entries {
		lines = append(lines, auditLine(e, names))
	}
	return slackui.Reply{Message: list{
		heading: "*" + plural(len(entries), "audit-log entry", "audit-log entries") + "* in the last " + window(since),
		lines:   lines,
		empty:   "_Nothing happened in the Devin enterprise in this window._",
		more:    "narrow it with `--since`",
		note:    note,
	}.message()}, nil
}

// auditLine is "• <time> — `add_member` — ada@example.com — org *Platform*".
func auditLine(e devin.AuditLogEntry, orgNames map[string]string) string {
	actor := cmp.Or(strings.TrimSpace(e.UserEmail), strings.TrimSpace(e.UserID))
	if actor == "" {
		actor = "_unknown actor_"
	} else {
		actor = slackui.Inert(actor, maxEmailRunes)
	}
	line := "• " + slackTime(e.CreatedAt) + " — " + code(cmp.Or(e.Action, "unknown action"), maxNameRunes) + " — " + actor
	if e.OrgID != "" {
		org := code(e.OrgID, maxIDRunes)
		if n := strings.ReplaceAll(strings.TrimSpace(orgNames[e.OrgID]), "*", ""); n != "" {
			org = "*" + slackui.Inert(n, maxNameRunes) + "*"
		}
		line += " — org " + org
	}
	return line
}

// window says a duration the way --since takes it: "24 hours", "7 days", "90 minutes".
func window(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d > 24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day", "days")
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour", "hours")
	case d%time.Minute == 0:
		return plural(int(d/time.Minute), "minute", "minutes")
	}
	return d.Round(time.Second).String()
}
