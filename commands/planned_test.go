package commands

import "testing"

func TestParsePlannedRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "planned command: offboard", text: "offboard a@x.io",
			wantMsg: []string{"`/devin offboard` is not available yet"}, wantUsage: inviteUsage},
		{name: "planned command: sessions", text: "sessions --limit 5",
			wantMsg: []string{"`/devin sessions` is not available yet"}},
		{name: "planned command: permission add", text: "permission add acme repo",
			wantMsg: []string{"`/devin permission` is not available yet"}},
	})
}
