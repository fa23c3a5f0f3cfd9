package approvals_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/clock/clocktest"
	"devin-chatops/store"
)

// extendEnv is a service on an in-memory store with one active grant of ten days to
// UREQ: temp-dev in ent:platform, granted by request RGRANT1.
type extendEnv struct {
	db    *store.DB
	svc   *approvals.Service
	grant approvals.Grant
}

func newExtendEnv(t *testing.T) extendEnv {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite::memory:")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	start := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	clk := clocktest.New(start.Add(9 * 24 * time.Hour))
	svc, err := approvals.NewService(approvals.Config{Approvers: []string{"UAPP"}}, approvals.Deps{
		Store: db, Messenger: nopMessenger{}, Queue: nopQueue{}, Grants: db, Clock: clk,
	})
	require.NoError(t, err)

	d := 10 * 24 * time.Hour
	r := approvals.Request{ID: "RGRANT1", Action: approvals.ActionTeamAdd, Requester: "UREQ", Items: []string{"temp-dev"},
		Team: "ent:platform", State: approvals.StateExecuting, CreatedAt: start, ExpiresAt: start.Add(time.Hour),
		Params: map[string]string{approvals.ParamGrantFor: approvals.GrantForParam(d)}}
	require.NoError(t, db.CreateRequest(ctx, r))
	g := approvals.Grant{ID: "RGRANT1-1", RequestID: r.ID, Action: r.Action, Item: "temp-dev", Team: r.Team, Requester: "UREQ",
		Duration: d, StartedAt: start, EndsAt: start.Add(d), RemindAt: start.Add(9 * 24 * time.Hour), State: approvals.GrantActive}
	ok, err := db.Transition(ctx, r.ID, approvals.StateExecuting, approvals.StateDone, approvals.Change{DoneAt: start, Grants: []approvals.Grant{g}})
	require.NoError(t, err)
	require.True(t, ok)
	return extendEnv{db: db, svc: svc, grant: g}
}

// extensions lists the stored requests that extend the grant.
func (e extendEnv) extensions(t *testing.T) []approvals.Request {
	t.Helper()
	all, err := e.db.ListRequests(context.Background())
	require.NoError(t, err)
	var out []approvals.Request
	for _, r := range all {
		if r.Param(approvals.ParamExtends) == e.grant.ID {
			out = append(out, r)
		}
	}
	return out
}

func (e extendEnv) extensionID(t *testing.T) string {
	t.Helper()
	g, err := e.db.GetGrant(context.Background(), e.grant.ID)
	require.NoError(t, err)
	return g.ExtensionID
}

func refusal(t *testing.T, err error) approvals.ExtendReason {
	t.Helper()
	var ref *approvals.ExtendRefusal
	require.True(t, errors.As(err, &ref), "want an *ExtendRefusal, got %v", err)
	return ref.Reason
}

func TestExtendGrantFilesTheSameRequestAgain(t *testing.T) {
	e := newExtendEnv(t)
	r, err := e.svc.ExtendGrant(context.Background(), "UREQ", e.grant.ID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StatePending, r.State)
	assert.Equal(t, approvals.ActionTeamAdd, r.Action)
	assert.Equal(t, []string{"temp-dev"}, r.Items)
	assert.Equal(t, "ent:platform", r.Team)
	assert.Equal(t, "UREQ", r.Requester)
	assert.Equal(t, e.grant.ID, r.Param(approvals.ParamExtends))
	d, ok := r.GrantFor()
	require.True(t, ok)
	assert.Equal(t, 10*24*time.Hour, d)
	assert.Contains(t, r.Reason, "extend grant "+e.grant.ID)
	assert.Equal(t, r.ID, e.extensionID(t), "the grant records its extension")
}

func TestExtendGrantOnlyByItsRequester(t *testing.T) {
	e := newExtendEnv(t)
	_, err := e.svc.ExtendGrant(context.Background(), "UOTHER", e.grant.ID)
	assert.Equal(t, approvals.ExtendNotRequester, refusal(t, err))
	_, err = e.svc.ExtendGrant(context.Background(), "UAPP", e.grant.ID)
	assert.Equal(t, approvals.ExtendNotRequester, refusal(t, err), "not an approver either")
	assert.Empty(t, e.extensions(t))
	assert.Empty(t, e.extensionID(t))
}

func TestExtendGrantUnknown(t *testing.T) {
	e := newExtendEnv(t)
	_, err := e.svc.ExtendGrant(context.Background(), "UREQ", "RNOPE00-1")
	assert.Equal(t, approvals.ExtendUnknownGrant, refusal(t, err))
	assert.Empty(t, e.extensions(t))
}

func TestExtendGrantDoubleClickFilesOneRequest(t *testing.T) {
	e := newExtendEnv(t)
	first, err := e.svc.ExtendGrant(context.Background(), "UREQ", e.grant.ID)
	require.NoError(t, err)
	_, err = e.svc.ExtendGrant(context.Background(), "UREQ", e.grant.ID)
	assert.Equal(t, approvals.ExtendAlreadyRequested, refusal(t, err))
	var ref *approvals.ExtendRefusal
	require.ErrorAs(t, err, &ref)
	assert.Equal(t, first.ID, ref.ExtensionID, "the refusal names the request already filed")
	assert.Len(t, e.extensions(t), 1)
}

func TestExtendGrantConcurrentClicksFileOneRequest(t *testing.T) {
	e := newExtendEnv(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	filed, refused := 0, 0
	for range 8 {
		wg.Go(func() {
			_, err := e.svc.ExtendGrant(context.Background(), "UREQ", e.grant.ID)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				filed++
			} else if refusal(t, err) == approvals.ExtendAlreadyRequested {
				refused++
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, filed)
	assert.Equal(t, 7, refused)
	assert.Len(t, e.extensions(t), 1)
}

// A click that filed its request and crashed before recording it on the grant: the
// next click adopts that request instead of filing a second one.
func TestExtendGrantAdoptsARequestFiledBeforeACrash(t *testing.T) {
	e := newExtendEnv(t)
	orphan, err := e.svc.Submit(context.Background(), approvals.Submission{
		Requester: "UREQ", Action: approvals.ActionTeamAdd, Items: []string{"temp-dev"}, Team: "ent:platform",
		Params: map[string]string{approvals.ParamGrantFor: approvals.GrantForParam(e.grant.Duration), approvals.ParamExtends: e.grant.ID},
	})
	require.NoError(t, err)
	r, err := e.svc.ExtendGrant(context.Background(), "UREQ", e.grant.ID)
	require.NoError(t, err)
	assert.Equal(t, orphan.ID, r.ID)
	assert.Equal(t, orphan.ID, e.extensionID(t))
	assert.Len(t, e.extensions(t), 1)
}

// Once per reminder: a denied extension leaves the grant as it is, and the button does
// not file another.
func TestExtendGrantDeniedLeavesTheGrant(t *testing.T) {
	e := newExtendEnv(t)
	ctx := context.Background()
	r, err := e.svc.ExtendGrant(ctx, "UREQ", e.grant.ID)
	require.NoError(t, err)
	require.NoError(t, e.svc.Deny(ctx, "UAPP", r.ID, "no"))
	g, err := e.db.GetGrant(ctx, e.grant.ID)
	require.NoError(t, err)
	assert.Equal(t, e.grant.EndsAt, g.EndsAt)
	assert.Equal(t, approvals.GrantActive, g.State)
	_, err = e.svc.ExtendGrant(ctx, "UREQ", e.grant.ID)
	assert.Equal(t, approvals.ExtendAlreadyRequested, refusal(t, err))
}
