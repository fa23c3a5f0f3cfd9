package reports

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient/devin"
	"devin-chatops/clock/clocktest"
	"devin-chatops/usage"
)

func TestFetchSharesOneSetOfCalls(t *testing.T) {
	api := newFakeDevin()
	api.delay = 50 * time.Millisecond
	clk := clocktest.New(december.Start.Add(10 * 24 * time.Hour))
	f := NewFetcher(api, clk, nil, time.Minute)

	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := f.Fetch(context.Background(), Query{})
			assert.NoError(t, err)
			assert.Equal(t, 150.0, d.Consumption.Total)
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, api.Calls("cycles"), "thirty people, one fetch")
	assert.Equal(t, 1, api.Calls("members"))

	_, err := f.Fetch(context.Background(), Query{})
	require.NoError(t, err)
	assert.Equal(t, 1, api.Calls("cycles"), "kept for a while")

	clk.Advance(time.Minute)
	_, err = f.Fetch(context.Background(), Query{})
	require.NoError(t, err)
	assert.Equal(t, 2, api.Calls("cycles"), "read again once the minute is over")
	assert.Equal(t, 1, api.Calls("members"), "the members listing is kept longer")
}

func TestFetchErrorIsNotKept(t *testing.T) {
	api := newFakeDevin()
	api.failCons.Store(1)
	f := NewFetcher(api, clocktest.New(december.Start.Add(48*time.Hour)), nil, time.Minute)
	_, err := f.Fetch(context.Background(), Query{})
	require.ErrorContains(t, err, "read daily consumption")
	_, err = f.Fetch(context.Background(), Query{})
	require.NoError(t, err)
}

func TestFetchCyclesAndScope(t *testing.T) {
	api := newFakeDevin()
	now := december.Start.Add(48 * time.Hour)
	f := NewFetcher(api, clocktest.New(now), nil, time.Minute)

	d, err := f.Fetch(context.Background(), Query{})
	require.NoError(t, err)
	assert.Equal(t, december.Start, d.Cycle.Start)
	require.NotNil(t, d.Previous)
	assert.Equal(t, november.Start, d.Previous.Start)
	assert.True(t, d.OrgsKnown)
	assert.Contains(t, d.OrgDaily, "org-plat", "the limited org gets its trend")
	assert.NotContains(t, d.OrgDaily, "org-res")

	d, err = f.Fetch(context.Background(), Query{Cycle: PreviousCycle})
	require.NoError(t, err)
	assert.Equal(t, november.Start, d.Cycle.Start)
	assert.Nil(t, d.Previous, "nothing before November")

	d, err = f.Fetch(context.Background(), Query{Org: "PLATFORM"})
	require.NoError(t, err)
	require.NotNil(t, d.Scope)
	assert.Equal(t, "org-plat", d.Scope.ID)
	assert.Equal(t, 100.0, d.Consumption.Total, "the org's figures only")

	_, err = f.Fetch(context.Background(), Query{Org: "platfrom"})
	u, ok := IsUnknownOrg(err)
	require.True(t, ok)
	assert.Equal(t, []string{"Platform"}, u.Closest)

	api.cycles = api.cycles[:1]
	f = NewFetcher(api, clocktest.New(now), nil, time.Minute)
	_, err = f.Fetch(context.Background(), Query{Cycle: PreviousCycle})
	var nc *NoCycleError
	require.ErrorAs(t, err, &nc)
}

func TestFetchWaiterGivesUpAlone(t *testing.T) {
	api := newFakeDevin()
	api.delay = 100 * time.Millisecond
	f := NewFetcher(api, clocktest.New(december.Start.Add(48*time.Hour)), nil, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := f.Fetch(ctx, Query{}); done <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	d, err := f.Fetch(context.Background(), Query{})
	require.NoError(t, err, "the shared fetch was not cancelled with the first caller")
	assert.Equal(t, 150.0, d.Consumption.Total)
	assert.Equal(t, 1, api.Calls("cycles"))
}

// An approximate ranking from the client reaches the report's data, which says so.
func TestFetchCarriesAnApproximateRanking(t *testing.T) {
	api := newFakeDevin()
	api.approx = &devin.UserApprox{Partial: []string{"u1"}, MoreCalls: 12}
	now := december.Start.Add(48 * time.Hour)
	d, err := NewFetcher(api, clocktest.New(now), nil, time.Minute).Fetch(context.Background(), Query{})
	require.NoError(t, err)
	require.NotNil(t, d.Consumption.UsersApprox)
	assert.Equal(t, usage.UsersApprox{Partial: []string{"u1"}, MoreCalls: 12}, *d.Consumption.UsersApprox)
	r := usage.Build(d, now, usage.Options{})
	assert.Contains(t, r.Notes, "Top users are approximate: the figures of 1 user count only Devin sessions, not other products (Cascade, Terminal); reading every member who could still rank among them would take 12 calls to Devin's API.")
}
