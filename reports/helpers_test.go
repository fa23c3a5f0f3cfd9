package reports

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/slackui"
	"devin-chatops/store"
	"devin-chatops/usage"
)

// december is a billing cycle; november the one before it.
var (
	november = devin.Cycle{Start: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
	december = devin.Cycle{Start: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), End: time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC)}
)

func limit(n int) *int { return &n }

// fakeDevin serves consumption from fixed figures and counts the calls.
type fakeDevin struct {
	mu       sync.Mutex
	cycles   []devin.Cycle
	orgs     []devin.Organization
	members  []devin.Member
	byOrg    map[string]float64 // current cycle, per org
	perDay   float64            // per billing day, every day
	calls    map[string]int
	queries  []devin.ConsumptionQuery
	delay    time.Duration
	failCons atomic.Int32 // the next n consumption calls fail
	approx   *devin.UserApprox
}

func newFakeDevin() *fakeDevin {
	return &fakeDevin{
		cycles: []devin.Cycle{december, november},
		orgs: []devin.Organization{
			{ID: "org-plat", Name: "Platform", MaxCycleACULimit: limit(1000)},
			{ID: "org-res", Name: "Research"},
		},
		members: []devin.Member{{UserID: "u1", Name: "Ada", Email: "ada@example.com"}},
		byOrg:   map[string]float64{"org-plat": 100, "org-res": 50},
		perDay:  150,
		calls:   map[string]int{},
	}
}

func (f *fakeDevin) count(name string) {
	f.mu.Lock()
	f.calls[name]++
	d := f.delay
	f.mu.Unlock()
	time.Sleep(d)
}

func (f *fakeDevin) Calls(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeDevin) ListCycles(context.Context) ([]devin.Cycle, error) {
	f.count("cycles")
	return f.cycles, nil
}

func (f *fakeDevin) DailyConsumption(_ context.Context, q devin.ConsumptionQuery) (*devin.Consumption, error) {
	f.count("daily")
	if f.failCons.Load() > 0 {
		f.failCons.Add(-1)
		return nil, &apiclient.Error{API: "Devin API", Kind: apiclient.KindServer, Status: 503, Method: "GET", Path: "/consumption/daily"}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	c := &devin.Consumption{ByDate: map[string]float64{}, ByOrg: map[string]float64{}, ByUser: map[string]float64{}}
	for id, v := range f.byOrg {
		if len(q.OrgIDs) == 0 || q.OrgIDs[0] == id {
			c.ByOrg[id] = v
			c.TotalACUs += v
		}
	}
	c.ByUser["u1"] = c.TotalACUs
	if q.Detail == devin.DetailAll {
		c.ByUserApprox = f.approx
	}
	if !q.Start.IsZero() && !q.Start.Before(december.Start) {
		c.ByDate[usage.DayStart(q.Start).Format(time.DateOnly)] = c.TotalACUs
	}
	return c, nil
}

func (f *fakeDevin) ListOrganizations(context.Context) ([]devin.Organization, error) {
	f.count("orgs")
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]devin.Organization(nil), f.orgs...), nil
}

func (f *fakeDevin) ListMembers(context.Context, devin.ListMembersOptions) ([]devin.Member, error) {
	f.count("members")
	return f.members, nil
}

// fakePoster records posts and uploads; failPost makes the next posts fail with it.
type fakePoster struct {
	mu       sync.Mutex
	posts    []posted
	uploads  []posted
	failPost []error
}

type posted struct {
	channel string
	text    string
	file    slackui.File
}

func (p *fakePoster) Post(_ context.Context, channel string, m slackui.Message) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.failPost) > 0 {
		err := p.failPost[0]
		p.failPost = p.failPost[1:]
		return "", err
	}
	p.posts = append(p.posts, posted{channel: channel, text: m.Text})
	return fmt.Sprintf("%d.000", len(p.posts)), nil
}

func (p *fakePoster) Upload(_ context.Context, channel string, f slackui.File) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.uploads = append(p.uploads, posted{channel: channel, file: f})
	return "F1", nil
}

func (p *fakePoster) UploadDM(ctx context.Context, user string, f slackui.File) (string, error) {
	return p.Upload(ctx, "DM:"+user, f)
}

func (p *fakePoster) Posts() []posted {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]posted(nil), p.posts...)
}

func (p *fakePoster) Uploads() []posted {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]posted(nil), p.uploads...)
}

// fakeChart stands in for the PNG: the chart itself is tested in package usage.
func fakeChart(usage.Report) ([]byte, error) { return []byte("\x89PNG fake"), nil }

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite::memory:")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

type kicks struct{ n atomic.Int32 }

func (k *kicks) Kick() { k.n.Add(1) }

// fixedClock never moves.
func fixedClock(t time.Time) *movable { return &movable{t: t} }

// movable is a clock the test moves by hand; Sleep is not used by the code under test.
type movable struct{ t time.Time }

func (m *movable) Now() time.Time { return m.t }
func (m *movable) Sleep(ctx context.Context, d time.Duration) error {
	m.t = m.t.Add(d)
	return ctx.Err()
}
