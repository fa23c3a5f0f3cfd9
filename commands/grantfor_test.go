package commands

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
)

func TestParseFor(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		problem string
	}{
		{"1m", time.Minute, ""},
		{"90m", 90 * time.Minute, ""},
		{"12h", 12 * time.Hour, ""},
		{"7d", 7 * 24 * time.Hour, ""},
		{"2w", 14 * 24 * time.Hour, ""},
		{"1w2d", 9 * 24 * time.Hour, ""},
		{"30s", 0, "the shortest is 1 minute"},
		{"0m", 0, "it must be positive"},
		{"-1h", 0, "it must be positive"},
		{"soon", 0, "not a duration"},
		{"99999w", 0, "far too long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, problem := parseFor(tt.in)
			assert.Equal(t, tt.want, got)
			if tt.problem == "" {
				assert.Empty(t, problem)
			} else {
				assert.Contains(t, problem, tt.problem)
			}
		})
	}
}

func TestParseForFlag(t *testing.T) {
	assertParses(t, []parseCase{
		{"team add --for", "team add platform octocat --for 7d",
			TeamAdd{Team: "ent:platform", Logins: []string{"octocat"}, For: 7 * 24 * time.Hour}},
		{"invite --for", "invite a@x.io --for 90m",
			Invite{Emails: []string{"a@x.io"}, Role: "member", For: 90 * time.Minute}},
	})
	assertRefuses(t, []refusalCase{
		{name: "too short", text: "team add platform octocat --for 10s",
			wantMsg: []string{"`--for` `10s`: the shortest is 1 minute"}, wantUsage: teamAddUsage},
		{name: "not a duration", text: "invite a@x.io --for <!channel>",
			wantMsg: []string{"`--for`", "not a duration"}},
		{name: "team remove takes no --for", text: "team remove platform octocat --for 1h",
			wantMsg: []string{"Unknown flag `--for`"}},
	})
}

func TestGrantForSubmission(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		grantMax time.Duration
		param    string // the submitted grant_for; "" when refused
		say      string // in the reply
	}{
		{"team add for a week", "team add platform octocat --for 7d", 0, "168h0m0s", "for 1 week from the moment it is carried out"},
		{"invite for 90 minutes", "invite new@x.io --for 90m", 0, "1h30m0s", "for 90 minutes"},
		{"at GRANT_MAX exactly", "invite new@x.io --for 2d", 48 * time.Hour, "48h0m0s", "for 2 days"},
		{"beyond GRANT_MAX", "team add platform octocat --for 3d", 48 * time.Hour, "", "longer than the longest grant allowed here, 2 days (GRANT_MAX)"},
		{"beyond the default GRANT_MAX", "team add platform octocat --for 13w", 0, "", "`--for` 13 weeks is longer than the longest grant allowed here, 90 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := changeEnv()
			e.deps.GrantMax = tt.grantMax
			r := e.run(t, tt.text)
			if tt.param == "" {
				assert.Empty(t, e.approvals.submitted)
				assert.Contains(t, r.Text, tt.say)
				return
			}
			require.Len(t, e.approvals.submitted, 1)
			assert.Equal(t, tt.param, e.approvals.submitted[0].Params[approvals.ParamGrantFor])
			assert.Contains(t, blocksText(r.Message), tt.say)
		})
	}
}
