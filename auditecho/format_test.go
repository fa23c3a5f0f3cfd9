package auditecho

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"devin-chatops/audit"
	"devin-chatops/slackui"
)

func TestFormat(t *testing.T) {
	requested := time.Date(2025, 3, 4, 10, 2, 0, 0, time.UTC)
	decided := requested.Add(3 * time.Minute)

	tests := []struct {
		name        string
		event       audit.Event
		want        string   // exact line, when set
		contains    []string // pieces that must appear
		notContains []string // pieces that must not appear
	}{
		{
			name: "done event, full line",
			event: audit.Event{
				RequestID: "R7K3QX0", Kind: audit.KindDone, Actor: "U123", Command: "invite",
				Items:   []string{"a@b.com", "c@d.com"},
				Outcome: "2 invited", At: decided,
				RequestedAt: requested, DecidedAt: decided, DoneAt: decided,
			},
			want: ":white_check_mark: `R7K3QX0` *done* · <@U123> · invite a@b.com, c@d.com · outcome: 2 invited · requested 10:02Z, decided 10:05Z, done 10:05Z",
		},
		{
			name: "approvers are mentioned",
			event: audit.Event{
				RequestID: "R7K3QX0", Kind: audit.KindApproved, Actor: "U0BOB", Command: "invite", Items: []string{"a@b.com"},
				Detail: audit.ApprovedByDetail([]string{"U0ALICE", "U0BOB"}), At: decided, RequestedAt: requested, DecidedAt: decided,
			},
			want: ":+1: `R7K3QX0` *approved* · <@U0BOB> · invite a@b.com · approved by <@U0ALICE>, <@U0BOB> · requested 10:02Z, decided 10:05Z",
		},
		{
			name:        "one approver",
			event:       audit.Event{Kind: audit.KindApproved, Actor: "U0ALICE", Detail: "approved by U0ALICE"},
			contains:    []string{"approved by <@U0ALICE>"},
			notContains: []string{"approved by U0ALICE"},
		},
		{
			name:        "an approver that is not a user ID stays text",
			event:       audit.Event{Kind: audit.KindApproved, Actor: "U0ALICE", Detail: "approved by U0ALICE,<!channel>,S0ADMINS"},
			contains:    []string{"approved by <@U0ALICE>, &lt;!channel&gt;, S0ADMINS"},
			notContains: []string{"<!channel>", "<!subteam"},
		},
		{
			name:        "only an approval's detail names approvers",
			event:       audit.Event{Kind: audit.KindDenied, Actor: "U0BOB", Detail: "approved by U0ALICE"},
			contains:    []string{"approved by U0ALICE"},
			notContains: []string{"<@U0ALICE>"},
		},
		{
			name:  "a usage alert belongs to no request and no person",
			event: audit.Event{Kind: audit.KindUsageAlert, Detail: "Platform has used 85% of its cycle ACU limit", At: decided},
			want:  ":chart_with_upwards_trend: `—` *usage_alert* · — · Platform has used 85% of its cycle ACU limit",
		},
		{
			name: "mentions and broadcasts in items and detail are escaped",
			event: audit.Event{
				RequestID: "R1", Kind: audit.KindRequest, Actor: "W0ABC", Command: "invite <!channel>",
				Items:  []string{"<@U1>", "<!here|here>", "a&b"},
				Detail: "ping <!channel> and <@U999|boss> <https://evil.example|click>",
			},
			contains: []string{
				"<@W0ABC>",
				"invite &lt;!channel&gt;",
				"&lt;@U1&gt;", "&lt;!here|here&gt;", "a&amp;b",
				"ping &lt;!channel&gt; and &lt;@U999|boss&gt; &lt;https://evil.example|click&gt;",
			},
			notContains: []string{"<!channel>", "<@U1>", "<!here", "<@U999", "<https://"},
		},
		{
			name:        "actor that is not a user ID is escaped text, not a mention",
			event:       audit.Event{Kind: audit.KindRefused, Actor: "<!channel>"},
			contains:    []string{"&lt;!channel&gt;"},
			notContains: []string{"<@", "<!channel>"},
		},
		{
			name:        "lower-case actor is not a user ID",
			event:       audit.Event{Kind: audit.KindVote, Actor: "u123"},
			contains:    []string{" · u123"},
			notContains: []string{"<@u123>"},
		},
		{
			name:     "no request ID shows a dash",
			event:    audit.Event{Kind: audit.KindCommand, Actor: "U1", Command: "members"},
			want:     ":speech_balloon: `—` *command* · <@U1> · members",
			contains: []string{"`—`"},
		},
		{
			name:        "forged request ID cannot break out of the code span",
			event:       audit.Event{RequestID: "R1` <!channel> `", Kind: audit.KindRefused, Actor: "U1"},
			contains:    []string{"`R1' &lt;!channel&gt; '`"},
			notContains: []string{"<!channel>"},
		},
		{
			name:        "line breaks in user text cannot fake a second line",
			event:       audit.Event{RequestID: "R1", Kind: audit.KindDenied, Actor: "U1", Detail: "no\n:white_check_mark: `R1` *done*"},
			notContains: []string{"\n"},
		},
		{
			name: "milestones on another day show the date",
			event: audit.Event{
				RequestID: "R1", Kind: audit.KindExpired, At: requested.Add(25 * time.Hour),
				RequestedAt: requested,
			},
			contains: []string{"requested 2025-03-04 10:02Z", ":hourglass:", "· — ·"},
		},
		{
			name: "many items are summarised",
			event: audit.Event{
				RequestID: "R1", Kind: audit.KindRequest, Actor: "U1", Command: "invite",
				Items: func() []string {
					var items []string
					for i := range 25 {
						items = append(items, fmt.Sprintf("user%d@example.com", i))
					}
					return items
				}(),
			},
			contains:    []string{"user0@example.com", "…and 15 more"},
			notContains: []string{"user24@example.com"},
		},
		{
			name:     "unknown kind still renders",
			event:    audit.Event{RequestID: "R1", Kind: "mystery"},
			contains: []string{":grey_question:", "*mystery*"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Format(tt.event)
			if tt.want != "" {
				assert.Equal(t, tt.want, got)
			}
			for _, s := range tt.contains {
				assert.Contains(t, got, s)
			}
			for _, s := range tt.notContains {
				assert.NotContains(t, got, s)
			}
			assert.NotContains(t, got, "\n")
			assert.LessOrEqual(t, utf8.RuneCountInString(got), slackui.MaxSectionText)
		})
	}
}

func TestFormatStaysUnderSectionLimit(t *testing.T) {
	huge := strings.Repeat("<&>", 5000)
	items := make([]string, 500)
	for i := range items {
		items[i] = huge
	}
	got := Format(audit.Event{
		RequestID: huge, Kind: audit.KindFailed, Actor: huge, Command: huge,
		Items: items, Detail: huge, Outcome: huge,
	})
	assert.LessOrEqual(t, utf8.RuneCountInString(got), slackui.MaxSectionText)
	assert.NotContains(t, got, "<&>")
	assert.Contains(t, got, "more")
}
