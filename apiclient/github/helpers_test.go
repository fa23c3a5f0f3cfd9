package github

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/clock/clocktest"
	githubsandbox "devin-chatops/internal/sandbox/github"
)

// newFakeClock advances instantly when slept on, so rate-limit waits of minutes or
// hours are checked without waiting. It starts on a whole second because
// x-ratelimit-reset is in whole seconds.
func newFakeClock() *clocktest.Fake { return clocktest.NewAuto(time.Unix(1_760_000_000, 0)) }

// totalSlept is how long c was asked to sleep in all.
func totalSlept(c *clocktest.Fake) time.Duration {
	var total time.Duration
	for _, d := range c.Sleeps() {
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
	fake   *githubsandbox.Server
	client *Client
	clock  *clocktest.Fake
}

func newEnv(t *testing.T, b base, opts ...Option) *env {
	t.Helper()
	fake := githubsandbox.New("acme", githubsandbox.WithPathPrefix(b.prefix))
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
