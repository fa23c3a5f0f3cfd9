package commands

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
)

func TestAuditLog(t *testing.T) {
	at := func(d time.Duration) time.Time { return testNow.Add(-d) }
	logs := []devin.AuditLogEntry{
		{ID: "a1", Action: "add_member", UserEmail: "ada@example.com", UserID: "u1", OrgID: "org_1", CreatedAt: at(2 * time.Hour)},
		{ID: "a2", Action: "create_session", UserID: "u2", CreatedAt: at(30 * time.Minute)},
		{ID: "a3", Action: "delete_org", UserEmail: "bob@example.com", OrgID: "org_gone", CreatedAt: at(3 * 24 * time.Hour)},
		{ID: "a4", Action: "", CreatedAt: at(time.Hour)},
		{ID: "a5", Action: "login", UserEmail: "cy@example.com"}, // no time: cannot be placed in the window
	}
	t.Run("the last 24 hours, newest first", func(t *testing.T) {
		e := newEnv()
		e.devin.logs = logs
		e.devin.orgs = []devin.Organization{{ID: "org_1", Name: "Platform"}}
		r := e.run(t, "audit")
		text := blocksText(r.Message)
		assertInOrder(t, text, []string{
			"*3 audit-log entries* in the last 24 hours",
			"— `create_session` — u2\n",
			"— `unknown action` — _unknown actor_\n",
			"— `add_member` — ada@example.com — org *Platform*",
		})
		assert.Contains(t, text, "<!date^"+fmt.Sprint(at(2*time.Hour).Unix())+"^{date_short} {time}|2024-05-12 13:00 UTC>")
		assert.NotContains(t, text, "delete_org")
		assert.NotContains(t, text, "login")
		require.Len(t, e.devin.auditQueries, 1)
		assert.Equal(t, devin.AuditLogsQuery{Limit: auditFetchLimit}, e.devin.auditQueries[0])
	})
	t.Run("--since widens the window; unknown orgs keep their id", func(t *testing.T) {
		e := newEnv()
		e.devin.logs = logs
		r := e.run(t, "audit --since 1w")
		text := blocksText(r.Message)
		assert.Contains(t, text, "*4 audit-log entries* in the last 7 days")
		assert.Contains(t, text, "— `delete_org` — bob@example.com — org `org_gone`")
	})
	t.Run("org names that cannot be read are a note", func(t *testing.T) {
		e := newEnv()
		e.devin.logs = logs
		e.devin.orgsErr = apiErr(devin.APIName, apiclient.KindForbidden, 403)
		r := e.run(t, "audit")
		text := blocksText(r.Message)
		assert.Contains(t, text, "org `org_1`")
		assert.Contains(t, text, "_Organization names could not be read: The Devin API key is not an Enterprise Admin key (403)")
	})
	t.Run("nothing in the window", func(t *testing.T) {
		e := newEnv()
		r := e.run(t, "audit --since 90m")
		assert.Contains(t, blocksText(r.Message), "*0 audit-log entries* in the last 90 minutes")
		assert.Contains(t, blocksText(r.Message), "Nothing happened in the Devin enterprise in this window.")
	})
	t.Run("a full page inside the window says older entries are missing", func(t *testing.T) {
		e := newEnv()
		for i := range auditFetchLimit {
			e.devin.logs = append(e.devin.logs, devin.AuditLogEntry{ID: fmt.Sprint(i), Action: "create_session", UserEmail: "<!channel>", CreatedAt: at(time.Duration(i) * time.Minute)})
		}
		r := e.run(t, "audit")
		text := blocksText(r.Message)
		assert.Contains(t, text, "Only the newest 200 entries were read")
		assert.Contains(t, text, "…and 100 more (narrow it with `--since`)")
		assert.NotContains(t, textOf(r.Message), "<!channel>")
	})
}

func TestWindow(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour:                "24 hours",
		36 * time.Hour:                "36 hours",
		48 * time.Hour:                "2 days",
		time.Hour:                     "1 hour",
		90 * time.Minute:              "90 minutes",
		90 * time.Second:              "1m30s",
		90 * 24 * time.Hour:           "90 days",
		24*time.Hour + 30*time.Minute: "1,470 minutes",
	} {
		assert.Equal(t, want, window(d), d.String())
	}
}

func TestParseAuditAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"audit defaults to a day", "audit", Audit{Since: 24 * time.Hour}},
		{"audit go duration", "audit --since 12h", Audit{Since: 12 * time.Hour}},
		{"audit compound go duration", "audit --since 1h30m", Audit{Since: 90 * time.Minute}},
		{"audit days", "audit --since=7d", Audit{Since: 7 * 24 * time.Hour}},
		{"audit weeks", "audit --since 2w", Audit{Since: 14 * 24 * time.Hour}},
		{"audit weeks and days", "audit --since 1w2d12h", Audit{Since: (9*24 + 12) * time.Hour}},
		{"audit fraction of a day", "audit --since 1.5d", Audit{Since: 36 * time.Hour}},
		{"audit upper-case unit", "audit --since 36H", Audit{Since: 36 * time.Hour}},
		{"audit exactly 90 days", "audit --since 90d", Audit{Since: 90 * 24 * time.Hour}},
		{"audit 2160h is 90 days", "audit --since 2160h", Audit{Since: 90 * 24 * time.Hour}},
	})
}
