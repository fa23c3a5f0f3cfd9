package devin_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient/devin"
)

// The other products' ACUs (100) would raise every unread user's bound past the
// second figure; once a's figure shows they are a's, the bound falls back to the
// sessions and two reads prove the top two. Without a product split in the user's
// answer, what a's sessions cannot account for is still known to be a's.
func TestV3TopUsersRemainderShrinksAsFiguresComeIn(t *testing.T) {
	for _, split := range []bool{true, false} {
		t.Run("user split "+strconv.FormatBool(split), func(t *testing.T) {
			f := newConsumptionFake(t, map[string]float64{"a": 50, "b": 40, "c": 30, "d": 20}, map[string]float64{"a": 100})
			if !split {
				f.on("GET", "/v3/enterprise/consumption/daily/users/a", reply(200, daily(150, nil)))
			}
			got, err := f.clientAt(t, reportNow).DailyConsumption(context.Background(), devin.ConsumptionQuery{Start: cycleStart, End: reportNow, TopUsers: 2})
			require.NoError(t, err)
			assert.Equal(t, map[string]float64{"a": 150, "b": 40}, got.ByUser)
			assert.Equal(t, 2, f.count("/v3/enterprise/consumption/daily/users/"))
			assert.Equal(t, 0, f.count("/v3/enterprise/members/users"))
			assert.Nil(t, got.ByUserApprox)
		})
	}
}

// Still exact: the remainder only shrinks by what a read user is known to hold, so
// a member holding the rest is read.
func TestV3TopUsersRemainderKeepsWhatOthersMayHold(t *testing.T) {
	f := newConsumptionFake(t, map[string]float64{"a": 50, "b": 40, "c": 30}, map[string]float64{"a": 10, "w": 60})
	got, err := f.clientAt(t, reportNow).DailyConsumption(context.Background(), devin.ConsumptionQuery{Start: cycleStart, End: reportNow, TopUsers: 2})
	require.NoError(t, err)
	assert.Equal(t, 60.0, got.ByUser["a"])
	assert.Equal(t, 60.0, got.ByUser["w"])
	assert.Nil(t, got.ByUserApprox)
}

// 200 users with sessions and 100 without, who hold 150 ACUs of other products
// between them: proving the top ten would read nearly everyone. The budget stops the
// reads, the rest rank by their sessions, and the answer says which are partial.
func TestV3TopUsersStopAtTheBudget(t *testing.T) {
	devinACUs, other := map[string]float64{}, map[string]float64{}
	for i := range 200 {
		devinACUs["u"+strconv.Itoa(i)] = 100
	}
	for i := range 100 {
		other["o"+strconv.Itoa(i)] = 1.5
	}
	f := newConsumptionFake(t, devinACUs, other)
	got, err := f.clientAt(t, reportNow).DailyConsumption(context.Background(), devin.ConsumptionQuery{Start: cycleStart, End: reportNow, TopUsers: 10})
	require.NoError(t, err)

	reads := f.count("/v3/enterprise/consumption/daily/users/")
	assert.Equal(t, 64, reads, "the budget")
	assert.Equal(t, 0, f.count("/v3/enterprise/members/users"))
	require.NotNil(t, got.ByUserApprox)
	read := map[string]bool{}
	for _, c := range f.Calls() {
		if id, ok := strings.CutPrefix(c.Path, "/v3/enterprise/consumption/daily/users/"); ok {
			id, _ = url.PathUnescape(id)
			read[id] = true
		}
	}
	// Unread sessions carry 101 (their lifetime exceeds the window by 1): they rank
	// first, and are the partial ones.
	require.Len(t, got.ByUserApprox.Partial, 10)
	for _, id := range got.ByUserApprox.Partial {
		assert.False(t, read[id], id)
		assert.Equal(t, 101.0, got.ByUser[id])
	}
	assert.Equal(t, 200-64, got.ByUserApprox.MoreCalls)
	assert.True(t, got.ByUserApprox.AtLeast, "members without sessions were not listed and could hold 150")
	assert.Len(t, got.ByUser, 64+10, "the exact figures read and the partial top ones")
}
