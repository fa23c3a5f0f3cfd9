package approvalslack_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
)

// The permission and offboard cards carry a plan and parameters from the API: at their
// worst they still fit Slack's limits.
func TestCardPermissionAndOffboardWorstCase(t *testing.T) {
	amp := strings.Repeat("&", 2000)
	items := make([]string, 200)
	plan := make([]string, 300)
	outs := make([]approvals.ItemOutcome, len(items))
	for i := range items {
		items[i] = strings.Repeat("<", 255)
		outs[i] = approvals.ItemOutcome{Item: items[i], Status: approvals.OutcomeNotMember, Reason: amp}
	}
	for i := range plan {
		plan[i] = amp
	}
	plan[0] = "warning: " + amp
	params := map[string]string{"org_name": amp, "connection_id": amp, "github_login": amp, "email": amp, "devin_user_id": amp}
	for _, action := range []approvals.Action{approvals.ActionPermissionAdd, approvals.ActionOffboard} {
		for _, state := range []approvals.State{approvals.StatePending, approvals.StateDone} {
			r := approvals.Request{ID: "R7K3QX0", Action: action, Requester: "UREQ", Org: amp, Items: items,
				Params: params, Plan: plan, State: state, Outcomes: outs}
			assertBlockKitLimits(t, approvalslack.Card(r, approvals.Progress{}))
		}
	}
}

func TestCardOffboardTitleNamesThePerson(t *testing.T) {
	r := approvals.Request{ID: "R1", Action: approvals.ActionOffboard, Requester: "U1", State: approvals.StatePending,
		Items: []string{"ent:platform"}, Params: map[string]string{"email": "gone@example.com", "github_login": "mona"}}
	assert.True(t, strings.HasPrefix(approvalslack.Card(r, approvals.Progress{}).Text, "Approval needed: offboard gone@example.com"),
		"without a Devin step, the first item is a team: the title still names the person")
}
