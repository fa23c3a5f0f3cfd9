package github

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/internal/githubfake"
)

// fakeClock advances instantly when slept on, so rate-limit waits of minutes or hours
// are checked without waiting. It starts on a whole second because
// x-ratelimit-reset is in whole seconds.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
	// onSleep, when set, runs before each sleep (e.g. to cancel the caller's context).
	onSleep func()
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_760_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if c.onSleep != nil {
		c.onSleep()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

func (c *fakeClock) TotalSlept() time.Duration {
	var total time.Duration
	for _, d := range c.Slept() {
		total += d
	}
	return total
}

// base is one URL shape the client must handle.
type base struct {
	name     string
	prefix   string
	trailing bool
}

// bases are api.github.com-style (the API at the root) and GHES-style (under
// /api/v3), each with and without a trailing slash.
func bases() []base {
	return []base{
		{name: "github.com", prefix: ""},
		{name: "github.com/", prefix: "", trailing: true},
		{name: "ghes", prefix: "/api/v3"},
		{name: "ghes/", prefix: "/api/v3", trailing: true},
	}
}

// env is a fake server and a client pointed at it, with an instant clock.
type env struct {
	fake   *githubfake.Server
	client *Client
	clock  *fakeClock
}

func newEnv(t *testing.T, b base, opts ...Option) *env {
	t.Helper()
	fake := githubfake.New("acme", githubfake.WithPathPrefix(b.prefix))
	t.Cleanup(fake.Close)
	clock := newFakeClock()
	url := fake.URL()
	if b.trailing {
		url += "/"
	}
	all := append([]Option{
		WithClock(clock),
		WithJitter(func() float64 { return 0 }),
		WithRetryPolicy(apiclient.RetryPolicy{RequestTimeout: 10 * time.Second}),
	}, opts...)
	c, err := New(url, "acme", fake.Token(), all...)
	require.NoError(t, err)
	return &env{fake: fake, client: c, clock: clock}
}

func logins(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	return out
}

func loginsOf(users []User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.Login
	}
	return out
}

// newScriptedServer serves handler, for behaviour the fake does not model (odd
// statuses, hostile Link headers).
func newScriptedServer(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}
