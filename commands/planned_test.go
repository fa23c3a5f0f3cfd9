package commands

import "testing"

func TestParsePlannedRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "planned command: grants", text: "grants",
			wantMsg: []string{"`/devin grants` is not available yet"}},
	})
}
