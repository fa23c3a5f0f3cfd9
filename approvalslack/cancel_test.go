package approvalslack_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/audit"
)

func TestCancel(t *testing.T) {
	tests := []struct {
		name  string
		by    string
		reply []string
		// toldDM is what the requester's DM says; empty: no DM (they cancelled it).
		toldDM string
		detail string
	}{
		{name: "by the requester", by: requester,
			reply:  []string{"is cancelled; its card no longer offers Approve and Deny"},
			detail: "cancelled by the requester"},
		{name: "by an approver", by: "UB",
			reply:  []string{"from <@UREQ> is cancelled", "they are told"},
			toldDM: "was cancelled by <@UB>", detail: "cancelled by an approver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.submit(inviteSub())
			e.clock.Advance(2 * time.Minute)

			reply, done, err := e.svc.handler.Cancel(context.Background(), tt.by, r.ID)
			require.NoError(t, err)
			assert.True(t, done)
			assert.Contains(t, reply, "Request `"+r.ID+"` (invite to Devin, 2 emails)")
			for _, want := range tt.reply {
				assert.Contains(t, reply, want)
			}

			got := e.get(r.ID)
			assert.Equal(t, approvals.StateCancelled, got.State)
			assert.Equal(t, tt.by, got.DecidedBy)
			assert.Equal(t, t0.Add(2*time.Minute), got.DecidedAt)
			assert.Equal(t, approvals.StateCancelled, got.CardState, "the card shows it")
			assert.Equal(t, approvals.StateCancelled, got.NotifiedState, "the requester knows")

			card := e.poster.card(r.CardTS)
			assertBlockKitLimits(t, card)
			assert.Nil(t, actionsBlock(t, card), "a cancelled card has no buttons")
			all := texts(t, card)
			assert.Contains(t, all, "Cancelled: invite to Devin")
			assert.Contains(t, all, "*Cancelled by* <@"+tt.by+">")

			dms := e.poster.dmsTo(requester)
			if tt.toldDM == "" {
				assert.Empty(t, dms, "the requester's own command told them")
			} else {
				require.Len(t, dms, 1)
				assert.Contains(t, dms[0].Text, r.ID)
				assert.Contains(t, dms[0].Text, tt.toldDM)
			}

			evs := e.events(r.ID)
			assert.Equal(t, []audit.Kind{audit.KindRequest, audit.KindCancelled}, kinds(evs))
			assert.Equal(t, tt.by, evs[1].Actor)
			assert.Equal(t, tt.detail, evs[1].Detail)
			assert.Equal(t, r.Items, evs[1].Items)
			assert.Equal(t, t0, evs[1].RequestedAt)
			assert.Equal(t, t0.Add(2*time.Minute), evs[1].DecidedAt)

			// Final: the sweeper has nothing to do, and a day later expiry does not touch it.
			e.clock.Advance(25 * time.Hour)
			require.NoError(t, e.svc.Sweep(context.Background()))
			require.NoError(t, e.svc.Sweep(context.Background()))
			assert.Equal(t, approvals.StateCancelled, e.get(r.ID).State)
			assert.Len(t, e.poster.dmsTo(requester), len(dms), "nobody is told twice")
			assert.Len(t, e.events(r.ID), 2)
			assert.Zero(t, e.exec.callsFor(r.ID))
		})
	}
}

func TestCancelRefusals(t *testing.T) {
	tests := []struct {
		name string
		// setup brings the request where the cancel finds it.
		setup func(e *env, id string)
		by    string
		id    string // default: the request's
		want  string
	}{
		{name: "neither requester nor approver", by: "UX",
			want: "Only the requester of a request or an approver can cancel it; you are neither."},
		{name: "unknown request", by: requester, id: "R0NOPE0", want: "Request R0NOPE0 does not exist."},
		{name: "already approved", by: requester,
			setup: func(e *env, id string) { e.click("UA", id, true) },
			want:  "was already approved by <@UA> at 10:02 UTC; it cannot be cancelled."},
		{name: "already denied", by: "UB",
			setup: func(e *env, id string) {
				require.NoError(t, e.svc.Deny(context.Background(), "UA", id, ""))
			},
			want: "was already denied by <@UA> at 10:02 UTC; it cannot be cancelled."},
		{name: "expired, even before the sweeper saw it", by: requester,
			setup: func(e *env, _ string) { e.clock.Advance(25 * time.Hour) },
			want:  "expired at 10:02 UTC; it cannot be cancelled."},
		{name: "cancelled already", by: "UA",
			setup: func(e *env, id string) {
				_, err := e.svc.Cancel(context.Background(), requester, id)
				require.NoError(t, err)
			},
			want: "was cancelled by <@UREQ> at 10:02 UTC."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.submit(inviteSub())
			if tt.setup != nil {
				tt.setup(e, r.ID)
			}
			before := e.get(r.ID)
			id := r.ID
			if tt.id != "" {
				id = tt.id
			}
			reply, done, err := e.svc.handler.Cancel(context.Background(), tt.by, id)
			require.NoError(t, err)
			assert.False(t, done)
			assert.Contains(t, reply, tt.want)
			after := e.get(r.ID)
			assert.Equal(t, before.DecidedBy, after.DecidedBy, "nothing changed")
			if before.State != approvals.StatePending {
				assert.Equal(t, before.State, after.State)
			}

			// The refusal is audited, as a refused click is.
			var refused []audit.Event
			for _, ev := range e.events(id) {
				if ev.Kind == audit.KindRefused && ev.Command == string(approvals.VerbCancel) {
					refused = append(refused, ev)
				}
			}
			require.Len(t, refused, 1)
			assert.Equal(t, tt.by, refused[0].Actor)
		})
	}
}

func TestCancelRefusedWhenApproverGroupCannotBeRead(t *testing.T) {
	e := newEnv(t, func(c *approvals.Config) { c.Approvers = append(c.Approvers, "SADMINS") })
	r := e.submit(inviteSub())
	e.groups.set(errors.New("ratelimited"))
	reply, done, err := e.svc.handler.Cancel(context.Background(), "UX", r.ID)
	require.NoError(t, err)
	assert.False(t, done)
	assert.Contains(t, reply, "could not check the approver groups with Slack just now, so the request was not cancelled")

	reply, done, err = e.svc.handler.Cancel(context.Background(), requester, r.ID)
	require.NoError(t, err)
	assert.True(t, done, "the requester needs no group lookup: %s", reply)
}

func TestClickOnCancelledCardIsRefused(t *testing.T) {
	e := newEnv(t)
	r := e.submit(inviteSub())
	_, err := e.svc.Cancel(context.Background(), requester, r.ID)
	require.NoError(t, err)
	for _, approve := range []bool{true, false} {
		e.click("UA", r.ID, approve)
	}
	got := e.poster.ephemeralsTo("UA")
	require.Len(t, got, 2)
	for _, msg := range got {
		assert.Contains(t, msg, "Request "+r.ID+" was cancelled by <@UREQ> at 10:02 UTC.")
	}
	assert.Equal(t, approvals.StateCancelled, e.get(r.ID).State)
	assert.Zero(t, e.exec.callsFor(r.ID))
	assert.Empty(t, e.poster.views, "no deny modal for a cancelled request")
}

// TestCancelRacesApprove: a requester's cancel and an approver's click at once, on two
// replicas of one database. Exactly one wins; an approved request runs once, a
// cancelled one never; the loser is told why.
func TestCancelRacesApprove(t *testing.T) {
	e := newEnv(t)
	other := e.newService(e.open(), e.exec)
	for round := range 8 {
		r := e.submit(inviteSub())
		var (
			wg                  sync.WaitGroup
			approveErr          error
			cancelReply         string
			cancelled, approved bool
		)
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			res, err := e.svc.Approve(context.Background(), "UA", r.ID)
			approveErr, approved = err, err == nil && res.Decided
		}()
		go func() {
			defer wg.Done()
			<-start
			var err error
			cancelReply, cancelled, err = other.handler.Cancel(context.Background(), requester, r.ID)
			assert.NoError(t, err)
		}()
		close(start)
		wg.Wait()
		e.settle()

		require.NotEqual(t, approved, cancelled, "round %d: exactly one wins (approve err %v, cancel %q)", round, approveErr, cancelReply)
		got := e.get(r.ID)
		decided := []audit.Kind{}
		for _, ev := range e.events(r.ID) {
			if ev.Kind == audit.KindApproved || ev.Kind == audit.KindCancelled {
				decided = append(decided, ev.Kind)
			}
		}
		if cancelled {
			assert.Equal(t, approvals.StateCancelled, got.State)
			assert.Zero(t, e.exec.callsFor(r.ID))
			assert.Equal(t, []audit.Kind{audit.KindCancelled}, decided)
			var ref *approvals.Refusal
			require.ErrorAs(t, approveErr, &ref)
			assert.Equal(t, approvals.RefusedCancelled, ref.Reason)
		} else {
			assert.Equal(t, approvals.StateDone, got.State)
			assert.Equal(t, 1, e.exec.callsFor(r.ID))
			assert.Equal(t, []audit.Kind{audit.KindApproved}, decided)
			assert.Contains(t, cancelReply, "was already approved by <@UA>")
			assert.Contains(t, cancelReply, "it cannot be cancelled")
		}
	}
}
