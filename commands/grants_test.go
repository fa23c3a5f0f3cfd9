package commands

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"devin-chatops/approvals"
)

type fakeGrants struct {
	grants []approvals.Grant
	err    error
}

func (f fakeGrants) ActiveGrants(context.Context) ([]approvals.Grant, error) { return f.grants, f.err }

func TestParseGrants(t *testing.T) {
	assertParses(t, []parseCase{{"grants", "grants", Grants{}}})
	assertRefuses(t, []refusalCase{{name: "grants takes no arguments", text: "grants all",
		wantMsg: []string{"`/devin grants` takes no arguments"}}})
}

func TestGrants(t *testing.T) {
	week := 7 * 24 * time.Hour
	tests := []struct {
		name   string
		grants fakeGrants
		want   []string
		not    []string
	}{
		{"none", fakeGrants{}, []string{"No time-boxed access is active"}, nil},
		{"one team grant and one invite", fakeGrants{grants: []approvals.Grant{
			{ID: "R7K3QX0-1", RequestID: "R7K3QX0", Action: approvals.ActionTeamAdd, Team: "ent:platform", Item: "octocat",
				Requester: "U1", Duration: week, EndsAt: testNow.Add(week), State: approvals.GrantActive},
			{ID: "R7K3QX1-1", RequestID: "R7K3QX1", Action: approvals.ActionInvite, Item: "a@x.io",
				Requester: "U2", Duration: time.Hour, EndsAt: testNow.Add(-time.Minute), State: approvals.GrantActive},
		}}, []string{"2 grants", "`octocat` in `ent:platform` — granted by `R7K3QX0` for <@U1> (1 week) — ends <!date^",
			"`a@x.io` in `the Devin enterprise`", "being taken back"}, nil},
		{"user text is escaped", fakeGrants{grants: []approvals.Grant{
			{ID: "R7K3QX0-1", RequestID: "R7K3QX0", Action: approvals.ActionTeamAdd, Team: "ent:<!channel>", Item: "x",
				Requester: "U1", Duration: time.Hour, EndsAt: testNow.Add(time.Hour), State: approvals.GrantActive},
		}}, []string{"1 grant"}, []string{"<!channel>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv()
			e.deps.Grants = tt.grants
			r := e.run(t, "grants")
			text := blocksText(r.Message) + r.Text
			for _, w := range tt.want {
				assert.Contains(t, text, w)
			}
			for _, n := range tt.not {
				assert.NotContains(t, text, n)
			}
		})
	}
	t.Run("a store error is reported, not shown", func(t *testing.T) {
		e := newEnv()
		e.deps.Grants = fakeGrants{err: errors.New("disk I/O error")}
		r := e.run(t, "grants")
		assert.Contains(t, r.Text, "could not be read")
		assert.NotContains(t, r.Text, "disk")
	})
}
