package commands

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/slackui"
)

// fakeDesk answers cancel and requests ID from its fields and records the calls.
type fakeDesk struct {
	mu sync.Mutex

	cancelReply string
	cancelDone  bool
	detail      slackui.Message
	found       bool
	err         error

	calls []string // "cancel U1 R7K3QX0", "detail U1 R7K3QX0"
}

func (f *fakeDesk) Cancel(_ context.Context, user, id string) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "cancel "+user+" "+id)
	return f.cancelReply, f.cancelDone, f.err
}

func (f *fakeDesk) Detail(_ context.Context, user, id string) (slackui.Message, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "detail "+user+" "+id)
	return f.detail, f.found, f.err
}

func TestParseCancel(t *testing.T) {
	assertParses(t, []parseCase{
		{"canonical", "cancel R7K3QX0", Cancel{ID: "R7K3QX0"}},
		{"any case", "cancel r7k3qx0", Cancel{ID: "R7K3QX0"}},
		{"O and I typed for digits", "CANCEL R7K3QXO", Cancel{ID: "R7K3QX0"}},
		{"in backticks, as copied from the card", "cancel `R7K3QX0`", Cancel{ID: "R7K3QX0"}},
	})
	assertRefuses(t, []refusalCase{
		{name: "no ID", text: "cancel", wantMsg: []string{"Which request?", "`R7K3QX0`"}, wantUsage: "/devin cancel ID"},
		{name: "two IDs", text: "cancel R7K3QX0 R7K3QX1", wantMsg: []string{"takes one request ID", "`R7K3QX1`"}},
		{name: "not an ID", text: "cancel everything", wantMsg: []string{"`everything` is not a request ID"}},
		{name: "a mention is no ID", text: "cancel <!channel>", wantMsg: []string{"is not a request ID"}, notInMsg: []string{"<!channel>"}},
		{name: "no flags", text: "cancel R7K3QX0 --force", wantMsg: []string{"Unknown flag `--force`", "It takes no flags."}},
	})
}

func TestParseRequestsWithID(t *testing.T) {
	assertParses(t, []parseCase{
		{"with an ID, any case", "requests r7k3qx0", Requests{ID: "R7K3QX0"}},
	})
	assertRefuses(t, []refusalCase{
		{name: "two IDs", text: "requests R7K3QX0 R7K3QX1", wantMsg: []string{"at most one request ID"}, wantUsage: "/devin requests [ID]"},
		{name: "not an ID", text: "requests pending", wantMsg: []string{"`pending` is not a request ID"}},
	})
}

func TestRunCancel(t *testing.T) {
	tests := []struct {
		name        string
		desk        *fakeDesk
		wantText    string
		wantOutcome string
		wantReqID   string
	}{
		{name: "cancelled", desk: &fakeDesk{cancelReply: "Request `R7K3QX0` (invite to Devin, 1 email) is cancelled.", cancelDone: true},
			wantText: "is cancelled", wantOutcome: outcomeOK, wantReqID: "R7K3QX0"},
		{name: "refused: shown as the domain words it, audited as refused",
			desk:     &fakeDesk{cancelReply: "Request R7K3QX0 was already approved by <@U7> at 10:05 UTC; it cannot be cancelled."},
			wantText: "it cannot be cancelled", wantOutcome: outcomeRefused},
		{name: "the store failed", desk: &fakeDesk{err: errors.New("database is locked")},
			wantText: "could not be cancelled just now, so nothing changed", wantOutcome: outcomeError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv()
			e.deps.Desk = tt.desk
			r := e.run(t, "cancel r7k3qx0")
			assert.Contains(t, textOf(r.Message), tt.wantText)
			assert.False(t, r.InChannel, "only the person who asked sees it")
			assert.Equal(t, []string{"cancel U1 R7K3QX0"}, tt.desk.calls)
			ev := e.audit.last(t)
			assert.Equal(t, "cancel", ev.Command)
			assert.Equal(t, tt.wantOutcome, ev.Outcome)
			assert.Equal(t, tt.wantReqID, ev.RequestID, "a cancel is tied to its request once done")
			assert.NotContains(t, textOf(r.Message), "database is locked")
		})
	}
	t.Run("not configured", func(t *testing.T) {
		e := newEnv()
		e.deps.Approvals = nil
		r := e.run(t, "cancel R7K3QX0")
		assert.Contains(t, textOf(r.Message), msgApprovalsNotConfigured)
	})
}

func TestRunRequestDetail(t *testing.T) {
	t.Run("found", func(t *testing.T) {
		e := newEnv()
		desk := &fakeDesk{found: true, detail: slackui.Text("*Request `R7K3QX0`* in full")}
		e.deps.Desk = desk
		r := e.run(t, "requests R7K3QX0")
		assert.Equal(t, "*Request `R7K3QX0`* in full", blocksText(r.Message))
		assert.False(t, r.InChannel)
		assert.Equal(t, []string{"detail U1 R7K3QX0"}, desk.calls)
		ev := e.audit.last(t)
		assert.Equal(t, outcomeOK, ev.Outcome)
		assert.Empty(t, ev.RequestID, "reading a request adds nothing to its history")
	})
	t.Run("unknown", func(t *testing.T) {
		e := newEnv()
		e.deps.Desk = &fakeDesk{detail: slackui.Text("Request R0NOPE0 does not exist.")}
		r := e.run(t, "requests R0NOPE0")
		assert.Contains(t, textOf(r.Message), "Request R0NOPE0 does not exist.")
		assert.Equal(t, outcomeRefused, e.audit.last(t).Outcome)
	})
	t.Run("read failure", func(t *testing.T) {
		e := newEnv()
		e.deps.Desk = &fakeDesk{err: errors.New("disk I/O error")}
		r := e.run(t, "requests R7K3QX0")
		assert.Contains(t, textOf(r.Message), "That request could not be read")
		assert.NotContains(t, textOf(r.Message), "disk I/O")
		assert.Equal(t, outcomeError, e.audit.last(t).Outcome)
	})
	t.Run("without an ID it still lists the pending ones", func(t *testing.T) {
		e := newEnv()
		desk := &fakeDesk{}
		e.deps.Desk = desk
		r := e.run(t, "requests")
		assert.Contains(t, blocksText(r.Message), "waiting for approval")
		assert.Empty(t, desk.calls)
	})
}

func TestHelpShowsCancelAndRequestsID(t *testing.T) {
	e := newEnv()
	e.deps.Desk = &fakeDesk{}
	all := textOf(e.run(t, "help").Message)
	assert.Contains(t, all, "/devin cancel ID")
	assert.Contains(t, all, "/devin requests [ID]")
	detail := textOf(e.run(t, "help cancel").Message)
	assert.Contains(t, detail, "its requester, or an approver")
	require.NotContains(t, detail, "not available yet")
}
