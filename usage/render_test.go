package usage

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/slackui"
)

// texts are the mrkdwn and plain texts of a message's blocks, in order.
func texts(t *testing.T, m slackui.Message) []string {
	t.Helper()
	var out []string
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			out = append(out, b.Text.Text)
		case *slack.SectionBlock:
			out = append(out, b.Text.Text)
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if to, ok := e.(*slack.TextBlockObject); ok {
					out = append(out, to.Text)
				}
			}
		}
	}
	return out
}

func TestMessageReadsWell(t *testing.T) {
	d := Data{
		Cycle: december,
		Consumption: Consumption{
			Total:  12345.67,
			ByDate: daily(1000, 2000, 0, 3000, 2000, 1500, 1345.67, 1500),
			ByOrg:  map[string]float64{"o-plat": 9000, "o-res": 1000, "o-idle": 45},
			ByUser: map[string]float64{"u1": 5000.04, "gone": 1200},
		},
		Recent:   &Consumption{ByOrg: map[string]float64{"o-plat": 7000, "o-idle": 40}},
		Previous: &Cycle{Start: december.Start.AddDate(0, -1, 0), End: december.Start},
		PreviousConsumption: &Consumption{ByDate: map[string]float64{
			dayKey(december.Start.AddDate(0, -1, 0)): 10000,
		}},
		Orgs:         []Org{{ID: "o-plat", Name: "Platform", Limit: lim(10000)}, {ID: "o-res", Name: "Research"}, {ID: "o-idle", Name: "Idle", Limit: lim(50)}},
		OrgsKnown:    true,
		Members:      map[string]Member{"u1": {ID: "u1", Name: "Ada Lovelace", Email: "ada@example.com"}},
		MembersKnown: true,
	}
	m := Message(Build(d, dayN(8).Add(3*time.Hour), Options{}))
	all := strings.Join(texts(t, m), "\n")
	for _, want := range []string{
		"Devin usage · Dec 1 – Dec 31",
		"*12,345.7 ACUs* · day 8 of 31",
		"Burn rate: *",
		"Projected at cycle end: *",
		"vs. day 8 of the previous cycle: :arrow_up_small: +23% (+2,345.7 ACUs)",
		"`▃▆▁█▆▅▄▅`",
		"Busiest day: Dec 4, 3,000 ACUs",
		"• *Platform* — 9,000 of 10,000 (90%) :large_orange_circle:",
		"• *Research* — 1,000 (no limit)",
		"• *Idle* — 45 of 50 (90%) :large_orange_circle: — passes its limit ~Dec",
		"• _Not in any organization_ (Cascade, Terminal) — 2,300.7",
		"*Top 2 users*\n1. Ada Lovelace · ada@example.com — 5,000",
		"2. `gone` — 1,200 _(no longer a member)_",
		"Billing cycle Dec 1, 2026 – Dec 31, 2026 (days start 08:00 UTC) · data through Dec 8 11:00 UTC · as of Dec 8 11:00 UTC",
	} {
		assert.Contains(t, all, want)
	}
	assert.Equal(t, "Devin usage · Dec 1 – Dec 31: 12,345.7 ACUs, projected "+slackui.Number(Build(d, dayN(8).Add(3*time.Hour), Options{}).Projected)+" at cycle end", m.Text)
}

func TestMessageEscapesAPIText(t *testing.T) {
	d := Data{
		Cycle:        december,
		Consumption:  Consumption{Total: 10, ByDate: daily(10), ByOrg: map[string]float64{"o1": 10}, ByUser: map[string]float64{"u1": 10}},
		Orgs:         []Org{{ID: "o1", Name: "<!channel> *bold* & co"}},
		OrgsKnown:    true,
		Members:      map[string]Member{"u1": {ID: "u1", Name: "<@U123> evil", Email: "<mailto:x|y>"}},
		MembersKnown: true,
	}
	all := strings.Join(texts(t, Message(Build(d, dayN(1).Add(time.Hour), Options{}))), "\n")
	assert.NotContains(t, all, "<!channel>")
	assert.NotContains(t, all, "<@U123>")
	assert.NotContains(t, all, "<mailto:")
	assert.Contains(t, all, "*Top 1 user*\n1. ", "not \"Top 1 users\"")
	assert.Contains(t, all, "&lt;!channel&gt; bold &amp; co")
}

func TestMessageEmptyAndFirstDay(t *testing.T) {
	empty := strings.Join(texts(t, Message(Build(Data{Cycle: december}, dayN(3), Options{}))), "\n")
	assert.Contains(t, empty, "*0 ACUs* · day 3 of 31")
	assert.Contains(t, empty, "no usage recorded yet")
	assert.NotContains(t, empty, "Daily ACUs")

	first := strings.Join(texts(t, Message(Build(Data{Cycle: december, Consumption: Consumption{Total: 5, ByDate: daily(5)}}, dayN(1).Add(time.Hour), Options{}))), "\n")
	assert.Contains(t, first, "Projection: too early in the cycle")
}

func TestMessageStaysWithinBlockKitLimits(t *testing.T) {
	d, now := bigData()
	// Long names everywhere.
	for i := range d.Orgs {
		d.Orgs[i].Name = strings.Repeat("Ω", 200)
	}
	m := Message(Build(d, now, Options{}))
	require.LessOrEqual(t, len(m.Blocks), slackui.MaxBlocks)
	assert.LessOrEqual(t, utf8.RuneCountInString(m.Text), slackui.MaxMessageText)
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			assert.LessOrEqual(t, utf8.RuneCountInString(b.Text.Text), slackui.MaxHeaderText)
		case *slack.SectionBlock:
			assert.LessOrEqual(t, len(b.Text.Text), slackui.MaxSectionText)
		}
	}
	all := strings.Join(texts(t, m), "\n")
	assert.Equal(t, 40, strings.Count(all, "\n• *"), "every org is listed")
	_, err := json.Marshal(m.Blocks)
	require.NoError(t, err)
}

func TestSparkline(t *testing.T) {
	assert.Equal(t, "▁▅█", Sparkline([]DayPoint{{ACUs: 0}, {ACUs: 5}, {ACUs: 10}}))
	assert.Equal(t, "▁▁", Sparkline([]DayPoint{{}, {}}))
	assert.Equal(t, "", Sparkline(nil))
}

func TestMessageSaysWhenTopUsersAreApproximate(t *testing.T) {
	byUser := map[string]float64{"u1": 50, "u2": 40, "u3": 30, "u4": 5}
	base := Data{Cycle: december, Consumption: Consumption{Total: 125, ByDate: daily(125), ByUser: byUser}, Notes: []string{"The previous cycle could not be read: timeout."}}
	tests := []struct {
		name   string
		approx *UsersApprox
		want   string // "" for no note
	}{
		{"exact", nil, ""},
		{"partial figures shown", &UsersApprox{Partial: []string{"u2", "u3", "u9"}, MoreCalls: 136},
			"_Top users are approximate: the figures of 2 users count only Devin sessions, not other products (Cascade, Terminal); reading every member who could still rank among them would take 136 calls to Devin's API._"},
		{"none partial, members unread", &UsersApprox{MoreCalls: 1, AtLeast: true},
			"_Top users are approximate: reading every member who could still rank among them would take at least 1 call to Devin's API._"},
		{"partial, nothing left to read", &UsersApprox{Partial: []string{"u1"}},
			"_Top users are approximate: the figures of 1 user count only Devin sessions, not other products (Cascade, Terminal)._"},
		{"partial ones not shown, nothing left to read", &UsersApprox{Partial: []string{"u4"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := base
			d.Consumption.UsersApprox = tt.approx
			r := Build(d, dayN(2), Options{TopUsers: 3})
			all := strings.Join(texts(t, Message(r)), "\n")
			assert.Contains(t, all, "_The previous cycle could not be read: timeout._")
			if tt.want == "" {
				assert.NotContains(t, all, "approximate")
				assert.Len(t, r.Notes, 1)
				return
			}
			assert.Contains(t, all, tt.want)
			assert.Equal(t, []string{"The previous cycle could not be read: timeout."}, base.Notes, "the data's notes are not changed")
		})
	}
}
