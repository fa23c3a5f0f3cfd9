package commands

import "testing"

func TestParsePlannedRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "planned command: cancel", text: "cancel R123ABC",
			wantMsg: []string{"`/devin cancel` is not available yet"}},
		{name: "planned command: grants", text: "grants",
			wantMsg: []string{"`/devin grants` is not available yet"}},
	})
}
