package commands

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/slackui"
)

func TestBackendMissing(t *testing.T) {
	all := needsApprovals | needsDevin | needsGitHub
	tests := []struct {
		name  string
		needs backend
		have  backend
		want  string
	}{
		{"needs nothing", 0, 0, ""},
		{"has all it needs", needsDevin, needsDevin, ""},
		{"more than it needs", needsGitHub, all, ""},
		{"no Devin", needsDevin, needsGitHub, msgDevinNotConfigured},
		{"no GitHub", needsGitHub, needsDevin, msgGitHubNotConfigured},
		{"approvals are named first", needsApprovals | needsDevin, 0, msgApprovalsNotConfigured},
		{"then the API", needsApprovals | needsGitHub, needsApprovals, msgGitHubNotConfigured},
		{"the API before its git connection", needsDevin | needsGitConnection, 0, msgDevinNotConfigured},
		{"no git connection", needsDevin | needsGitConnection, needsDevin, msgGitConnectionMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.needs.missing(tt.have))
		})
	}
}

func TestRunsRefusesAMismatchedCommand(t *testing.T) {
	run := answers(func(context.Context, *runEnv, Orgs) (slackui.Reply, error) { return slackui.Reply{}, nil })
	_, _, err := run(context.Background(), &runEnv{}, call{}, Teams{})
	var fail *failure
	require.ErrorAs(t, err, &fail)
	assert.Equal(t, "That command is not wired up yet.", fail.msg)
}
