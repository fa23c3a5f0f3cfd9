package reports

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/clock"
	"devin-chatops/clock/clocktest"
	"devin-chatops/config"
	"devin-chatops/slackui"
	"devin-chatops/usage"
)

// monday9 is a Monday 09:00 UTC slot of "0 9 * * 1" inside December's cycle.
var monday9 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

type schedStack struct {
	api    *fakeDevin
	poster *fakePoster
	sched  *Scheduler
}

func newSched(t *testing.T, db PostStore, clk clock.Clock, owner string) *schedStack {
	t.Helper()
	spec, err := config.ParseSchedule("0 9 * * 1")
	require.NoError(t, err)
	api := newFakeDevin()
	poster := &fakePoster{}
	svc := NewService(NewFetcher(api, clk, nil, time.Millisecond), usage.Options{}, nil, NewPublisher(poster, fakeChart), clk, nil)
	s := NewScheduler(SchedulerConfig{
		Schedule: spec, Channel: "CREPORTS", Reports: svc, Publisher: NewPublisher(poster, fakeChart),
		Poster: poster, Store: db, Owner: owner, Clock: clk,
	})
	return &schedStack{api: api, poster: poster, sched: s}
}

func TestScheduleFiresAtTheSlot(t *testing.T) {
	db := openStore(t)
	clk := clocktest.New(monday9.Add(-26 * time.Hour)) // Sunday 07:00
	st := newSched(t, db, clk, "A")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); st.sched.Run(ctx) }()

	waitFor(t, func() bool { return clk.Waiters() == 1 })
	assert.Empty(t, st.poster.Posts(), "nothing before the slot (no earlier slot was recorded)")
	// Hourly alert checks come first; step through them to the slot.
	for clk.Now().Before(monday9) {
		clk.Advance(time.Hour)
		waitFor(t, func() bool { return clk.Waiters() == 1 })
	}
	posts := st.poster.Posts()
	require.Len(t, posts, 1)
	assert.Equal(t, "CREPORTS", posts[0].channel)
	assert.True(t, strings.HasPrefix(posts[0].text, "Devin usage · Dec 1 – Dec 31"), posts[0].text)
	require.Len(t, st.poster.Uploads(), 1)
	assert.Equal(t, "CREPORTS", st.poster.Uploads()[0].channel)
	assert.Equal(t, "devin-usage-2026-12-01.png", st.poster.Uploads()[0].file.Name)
	p, found, err := db.GetPost(context.Background(), slotKey(monday9))
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, "posted", p.State)
	cancel()
	wg.Wait()
}

func TestSlotPostedOnceAcrossRestartsAndReplicas(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	at := fixedClock(monday9)
	a := newSched(t, db, at, "A")
	a.sched.runSlot(ctx, monday9)
	require.Len(t, a.poster.Posts(), 1)

	// A second process, or the same one restarted right after posting.
	b := newSched(t, db, at, "B")
	b.sched.runSlot(ctx, monday9)
	b.sched.catchUp(ctx)
	assert.Empty(t, b.poster.Posts(), "the slot is posted once")
}

func TestCrashWhilePostingIsNotPostedAgain(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	now := monday9
	ok, err := db.ClaimPost(ctx, slotKey(monday9), KindReport, "", monday9, "A", now, now.Add(claimLease))
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = db.MarkPosting(ctx, slotKey(monday9), "A", now)
	require.NoError(t, err)
	require.True(t, ok)
	// A dies between the post and recording it. B starts later.
	b := newSched(t, db, fixedClock(now.Add(time.Hour)), "B")
	b.sched.catchUp(ctx)
	b.sched.retryOpen(ctx)
	assert.Empty(t, b.poster.Posts())
}

func TestCrashBeforePostingIsTakenOver(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	ok, err := db.ClaimPost(ctx, slotKey(monday9), KindReport, "", monday9, "A", monday9, monday9.Add(claimLease))
	require.NoError(t, err)
	require.True(t, ok)
	// A dies while building the report; its claim lapses.
	b := newSched(t, db, fixedClock(monday9.Add(claimLease+time.Second)), "B")
	b.sched.catchUp(ctx)
	assert.Len(t, b.poster.Posts(), 1, "B posts the slot A never posted")
}

func TestMissedSlotsArePostedOnceAtStartUp(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	a := newSched(t, db, fixedClock(monday9), "A")
	a.sched.runSlot(ctx, monday9)
	require.Len(t, a.poster.Posts(), 1)

	// Down for three weeks: three Monday slots missed.
	later := monday9.Add(3*7*24*time.Hour + 2*time.Hour)
	b := newSched(t, db, fixedClock(later), "B")
	b.sched.catchUp(ctx)
	require.Len(t, b.poster.Posts(), 1, "one post, not one per missed slot")
	p, found, err := db.LatestPost(ctx, KindReport)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, slotKey(monday9.Add(3*7*24*time.Hour)), p.Key, "the latest missed slot")

	c := newSched(t, db, fixedClock(later.Add(time.Minute)), "C")
	c.sched.catchUp(ctx)
	assert.Empty(t, c.poster.Posts())
}

func TestFirstStartDoesNotPostAnOldSlot(t *testing.T) {
	db := openStore(t)
	a := newSched(t, db, fixedClock(monday9.Add(time.Hour)), "A")
	a.sched.catchUp(context.Background())
	assert.Empty(t, a.poster.Posts())
}

func TestFailedReportIsSaidAndRetried(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	clk := fixedClock(monday9)
	st := newSched(t, db, clk, "A")
	st.api.failCons.Store(1)
	st.sched.runSlot(ctx, monday9)
	posts := st.poster.Posts()
	require.Len(t, posts, 1)
	assert.Equal(t, ":warning: The scheduled Devin usage report for Dec 7 09:00 UTC could not be built: Devin API is having trouble (503). Trying again at 09:01 UTC.", posts[0].text)

	st.sched.retryOpen(ctx)
	assert.Len(t, st.poster.Posts(), 1, "not before the retry is due")
	clk.t = clk.t.Add(time.Minute)
	st.sched.retryOpen(ctx)
	posts = st.poster.Posts()
	require.Len(t, posts, 2)
	assert.True(t, strings.HasPrefix(posts[1].text, "Devin usage"), posts[1].text)
	st.sched.retryOpen(ctx)
	assert.Len(t, st.poster.Posts(), 2)
}

func TestRefusedPostIsRetriedButUncertainOneIsNot(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	clk := fixedClock(monday9)
	st := newSched(t, db, clk, "A")
	st.poster.failPost = []error{&slackui.Error{Kind: slackui.Permanent, Method: "chat.postMessage", Code: "not_in_channel"}}
	st.sched.runSlot(ctx, monday9)
	posts := st.poster.Posts()
	require.Len(t, posts, 1, "the failure is said (the bot may be able to post that)")
	assert.Contains(t, posts[0].text, "could not be posted: Slack answered not_in_channel")
	clk.t = clk.t.Add(time.Minute)
	st.sched.retryOpen(ctx)
	assert.Len(t, st.poster.Posts(), 2)

	// A timeout may have posted it: never again.
	next := monday9.Add(7 * 24 * time.Hour)
	clk.t = next
	st.poster.failPost = []error{errors.New("context deadline exceeded")}
	st.sched.runSlot(ctx, next)
	clk.t = clk.t.Add(time.Hour)
	st.sched.retryOpen(ctx)
	assert.Len(t, st.poster.Posts(), 2)
}

func TestBackoff(t *testing.T) {
	assert.Equal(t, time.Minute, backoff(1))
	assert.Equal(t, 2*time.Minute, backoff(2))
	assert.Equal(t, 30*time.Minute, backoff(10))
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, time.Millisecond)
}

// slowReporter takes a minute of the fake clock on its first report.
type slowReporter struct {
	Reporter
	clk  *clocktest.Fake
	once sync.Once
}

func (s *slowReporter) Report(ctx context.Context, q Query) (usage.Report, error) {
	s.once.Do(func() { s.clk.Advance(time.Minute) })
	return s.Reporter.Report(ctx, q)
}

func TestSlotFallingDuringStartUpIsPosted(t *testing.T) {
	db := openStore(t)
	clk := clocktest.NewAuto(monday9.Add(-30 * time.Second))
	st := newSched(t, db, clk, "A")
	st.sched.reports = &slowReporter{Reporter: st.sched.reports, clk: clk}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); st.sched.Run(ctx) }()
	// Posted, then recorded as posted: stopping the scheduler in between would leave
	// the slot "posting", as a crash would.
	waitFor(t, func() bool {
		p, found, err := db.GetPost(context.Background(), slotKey(monday9))
		return err == nil && found && p.State == "posted"
	})
	cancel()
	<-done
	assert.Len(t, st.poster.Posts(), 1, "the 09:00 slot, which fell during the first alert check, is posted")
}

func TestNoSpinWhileAnotherProcessHoldsTheSlot(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	ok, err := db.ClaimPost(ctx, slotKey(monday9), KindReport, "", monday9, "B", monday9, monday9.Add(claimLease))
	require.NoError(t, err)
	require.True(t, ok)
	st := newSched(t, db, fixedClock(monday9.Add(time.Second)), "A")
	next, found := st.sched.nextRetry(ctx, monday9.Add(time.Second))
	require.True(t, found)
	assert.Equal(t, monday9.Add(claimLease).UnixMilli(), next.UnixMilli(), "A waits for B's lease, not for a retry time long past")
}

func TestLostSlotFailureSaysNothing(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	clk := fixedClock(monday9)
	a := newSched(t, db, clk, "A")
	ok, err := db.ClaimPost(ctx, slotKey(monday9), KindReport, "", monday9, "A", monday9, monday9.Add(claimLease))
	require.NoError(t, err)
	require.True(t, ok)
	// A's lease lapses while it builds; B takes the slot and is posting it.
	later := monday9.Add(claimLease + time.Second)
	ok, err = db.ClaimPost(ctx, slotKey(monday9), KindReport, "", monday9, "B", later, later.Add(claimLease))
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = db.MarkPosting(ctx, slotKey(monday9), "B", later)
	require.NoError(t, err)
	require.True(t, ok)
	clk.t = later
	a.sched.failed(ctx, slotKey(monday9), monday9, 0, "could not be built: slow", errors.New("slow"))
	assert.Empty(t, a.poster.Posts(), "A no longer speaks for the slot")
	p, _, err := db.GetPost(ctx, slotKey(monday9))
	require.NoError(t, err)
	assert.Equal(t, "posting", p.State, "B's post is left alone")
}

func TestCertainlyNotPosted(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&slackui.Error{Kind: slackui.Permanent, Code: "not_in_channel"}, true},
		{&slackui.Error{Kind: slackui.RateLimited}, true},
		{&slackui.Error{Kind: slackui.Transient, Err: slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}}, true},
		{&slackui.Error{Kind: slackui.Transient, Err: &net.OpError{Op: "dial", Err: errors.New("refused")}}, true},
		{&slackui.Error{Kind: slackui.Transient, Err: &net.DNSError{Name: "slack.test"}}, true},
		{&slackui.Error{Kind: slackui.Transient, Err: context.DeadlineExceeded}, false},
		{errors.New("read: connection reset"), false},
	} {
		assert.Equal(t, tc.want, certainlyNotPosted(tc.err), "%v", tc.err)
	}
}
