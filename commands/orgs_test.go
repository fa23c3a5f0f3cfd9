package commands

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"devin-chatops/apiclient/devin"
)

func TestOrgs(t *testing.T) {
	tests := []struct {
		name    string
		orgs    []devin.Organization
		want    []string
		notWant []string
	}{
		{name: "sorted by name, with limits and members", orgs: []devin.Organization{
			{ID: "org_2", Name: "research", MaxCycleACULimit: nil, MemberCount: 1},
			{ID: "org_1", Name: "Platform", MaxCycleACULimit: intp(12000), MemberCount: 42},
		}, want: []string{"*2 organizations* in the Devin enterprise",
			"• *Platform* `org_1` — ACU limit 12,000 per cycle — 42 members",
			"• *research* `org_2` — no ACU limit — 1 member"}},
		{name: "a zero limit is a limit", orgs: []devin.Organization{{ID: "org_1", Name: "Frozen", MaxCycleACULimit: intp(0)}},
			want: []string{"ACU limit 0 per cycle — 0 members"}},
		{name: "v3 gives no member count: none is shown", orgs: []devin.Organization{{ID: "org_1", Name: "Lab", MemberCountUnknown: true}},
			want: []string{"• *Lab* `org_1` — no ACU limit"}, notWant: []string{"member"}},
		{name: "none", want: []string{"*0 organizations*", "The enterprise has no organizations."}},
		{name: "hostile names and ids are inert", orgs: []devin.Organization{{ID: "org`<!here>", Name: "<!channel>"}},
			want:    []string{"*&lt;!channel&gt;* `org'&lt;!here&gt;`"},
			notWant: []string{"<!channel>", "<!here>"}},
		{name: "an unnamed org", orgs: []devin.Organization{{ID: "org_1"}}, want: []string{"• _unnamed_ `org_1`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv()
			e.devin.orgs = tt.orgs
			r := e.run(t, "orgs")
			assertInOrder(t, blocksText(r.Message), tt.want)
			for _, nw := range tt.notWant {
				assert.NotContains(t, textOf(r.Message), nw)
			}
		})
	}
}

func TestOrgsBlockKitLimits(t *testing.T) {
	e := newEnv()
	for i := range 1000 {
		e.devin.orgs = append(e.devin.orgs, devin.Organization{ID: fmt.Sprintf("org_%04d", i), Name: fmt.Sprintf("Org %04d", i), MemberCount: i})
	}
	r := e.run(t, "orgs")
	assert.Contains(t, blocksText(r.Message), "…and 900 more")
}

func TestParseOrgsAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"verb in capitals", "ORGS", Orgs{}},
		{"orgs", "orgs", Orgs{}},
	})
}
