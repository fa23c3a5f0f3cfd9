package commands

import "testing"

func TestParsePlannedRefuses(t *testing.T) {
	assertRefuses(t, []refusalCase{
		{name: "planned command: offboard", text: "offboard a@x.io",
			wantMsg: []string{"`/devin offboard` is not available yet"}, wantUsage: inviteUsage},
		{name: "planned command: org create", text: "org create research",
			wantMsg: []string{"`/devin org` is not available yet"}},
		{name: "planned command: permission add", text: "permission add acme repo",
			wantMsg: []string{"`/devin permission` is not available yet"}},
	})
}
