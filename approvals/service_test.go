package approvals_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/store"
)

type nopMessenger struct{}

func (nopMessenger) ShowRequest(context.Context, approvals.Request, approvals.Progress) (approvals.CardRef, error) {
	return approvals.CardRef{}, nil
}
func (nopMessenger) UpdateRequest(context.Context, approvals.Request, approvals.Progress) error {
	return nil
}
func (nopMessenger) TellRequester(context.Context, approvals.Request) error { return nil }

type nopQueue struct{}

func (nopQueue) Enqueue(string) bool { return true }

func TestNewServiceValidates(t *testing.T) {
	_, err := approvals.NewService(approvals.Config{}, approvals.Deps{})
	require.Error(t, err)
	for _, want := range []string{"no approvers", "no store", "no messenger", "no execution queue"} {
		assert.Contains(t, err.Error(), want)
	}

	db, err := store.Open(context.Background(), "sqlite::memory:")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	deps := approvals.Deps{Store: db, Messenger: nopMessenger{}, Queue: nopQueue{}}
	_, err = approvals.NewService(approvals.Config{Approvers: []string{"SGROUP"}}, deps)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "user group")

	svc, err := approvals.NewService(approvals.Config{Approvers: []string{"UA"}}, deps)
	require.NoError(t, err)
	assert.Equal(t, 1, svc.Config().RequiredApprovals, "default quorum")
	assert.Equal(t, 24*time.Hour, svc.Config().TTL, "default TTL")
}
