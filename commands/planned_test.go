package commands

import "testing"

func TestParsePlannedRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "planned command: org create", text: "org create research",
			wantMsg: []string{"`/devin org` is not available yet"}},
	})
}
