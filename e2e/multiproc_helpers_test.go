package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the tests' own reads of a PostgreSQL database
	"github.com/stretchr/testify/require"

	"devin-chatops/app"
	"devin-chatops/auditecho"
	"devin-chatops/bot"
	"devin-chatops/config"
	"devin-chatops/internal/harness"
	"devin-chatops/store"
)

// The multi-replica tests run each bot as a separate OS process: the test binary run
// again with -test.run=TestHelperReplicaProcess and mpOwnerEnv set. The parent serves
// the fakes and reads the shared database; the children get the same configuration
// as the harness's bot, through the environment as in production.

const (
	mpOwnerEnv     = "E2E_REPLICA_OWNER"      // the child's execution lease owner; its presence makes it a child
	mpLeaseEnv     = "E2E_REPLICA_LEASE"      // its execution lease
	mpReportsEnv   = "E2E_REPLICA_REPORTS"    // "1" runs the report scheduler
	mpEchoLeaseEnv = "E2E_REPLICA_ECHO_LEASE" // its claim lease on audit outbox events
	mpPGEnv        = "TEST_DATABASE_URL"      // a PostgreSQL server the tests may create schemas in
)

// TestHelperReplicaProcess is one bot replica when run as a child of the multi-replica
// tests; otherwise it skips. It runs until SIGTERM, or until its stdin closes (the
// parent stopped it, or died).
func TestHelperReplicaProcess(t *testing.T) {
	owner := os.Getenv(mpOwnerEnv)
	if owner == "" {
		t.Skip("runs only as a child process of the multi-replica tests")
	}
	cfg, err := config.Load(config.ModeRun)
	require.NoError(t, err)
	lease, err := time.ParseDuration(os.Getenv(mpLeaseEnv))
	require.NoError(t, err)
	echoLease, err := time.ParseDuration(os.Getenv(mpEchoLeaseEnv))
	require.NoError(t, err)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("replica", owner)
	a, err := app.New(ctx, cfg, logger, app.Options{
		APIHTTPClient:   &http.Client{Timeout: 30 * time.Second},
		SweepEvery:      100 * time.Millisecond,
		EchoPoll:        100 * time.Millisecond,
		EchoBackoffBase: 20 * time.Millisecond,
		EchoBackoffMax:  200 * time.Millisecond,
		PosterOptions:   []bot.PosterOption{bot.WithPacing(2*time.Millisecond, 50)},
		ReportsOff:      os.Getenv(mpReportsEnv) != "1",
		ExecOwner:       owner,
		ExecLease:       lease,
		EchoLease:       echoLease,
		// Executions in flight at SIGTERM get this long to finish before they are
		// handed back.
		ShutdownGrace: time.Second,
	})
	require.NoError(t, err)
	require.NoError(t, a.Run(ctx))
}

// mpBackend is a database engine the replicas share.
type mpBackend struct {
	name string
	// fresh returns the URL of a new, empty database, dropped when the test ends.
	fresh func(t *testing.T) string
}

var mpBackends = []mpBackend{
	{name: "sqlite", fresh: func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "replicas.db") }},
	{name: "postgres", fresh: mpFreshPostgres},
}

// mpFreshPostgres makes a schema of its own on the TEST_DATABASE_URL server, or skips
// loudly without one.
func mpFreshPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv(mpPGEnv)
	if base == "" {
		t.Skip("PostgreSQL variant SKIPPED: " + mpPGEnv + " is not set (.ci/run starts a server and sets it)")
	}
	admin, err := sql.Open("pgx", base)
	require.NoError(t, err)
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "e2e_" + hex.EncodeToString(b[:])
	_, err = admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema)
	require.NoError(t, err, "create a schema on %s", mpPGEnv)
	t.Cleanup(func() {
		_, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// mpSet is the fakes, the shared database as the parent reads it, and the replicas.
type mpSet struct {
	env   *harness.Env
	dbURL string
	db    *store.DB
	raw   *sql.DB
	lease time.Duration
	// echoLease is the replicas' claim lease on audit outbox events: short, so that
	// the echo does not wait long for a replica that was killed holding one.
	echoLease time.Duration

	mu    sync.Mutex
	procs map[string]*mpProc
}

type mpProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	log   string
	done  chan error
}

// mpStart brings up the fakes (no bot in this process) on a fresh database of b.
func mpStart(t *testing.T, b mpBackend, opts harness.Options) *mpSet {
	t.Helper()
	dbURL := b.fresh(t)
	opts.NoBot = true
	opts.DatabaseURL = dbURL
	env := start(t, opts)
	// The parent migrates first, so the children start on a ready schema.
	db, err := store.Open(t.Context(), dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	driver, dsn := "pgx", dbURL
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		driver, dsn = "sqlite", path+"?_pragma=busy_timeout(5000)"
	}
	raw, err := sql.Open(driver, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { raw.Close() })
	return &mpSet{env: env, dbURL: dbURL, db: db, raw: raw, lease: 3 * time.Second, echoLease: 3 * time.Second, procs: map[string]*mpProc{}}
}

// childEnv is the environment a replica reads its configuration from. It leaves
// DEVIN_API_VERSION out, as a deployment would: the replica picks the version from the
// key's prefix (cog_ -> v3), and the fake, serving only the harness's version, fails
// the test on any call of the other one.
func (s *mpSet) childEnv(owner string, reports bool) []string {
	c := s.env.Config
	env := []string{
		"SLACK_BOT_TOKEN=" + c.SlackBotToken.Reveal(), "SLACK_APP_TOKEN=" + c.SlackAppToken.Reveal(),
		"SLACK_API_URL=" + c.SlackAPIURL,
		"DEVIN_API_KEY=" + c.DevinAPIKey.Reveal(), "DEVIN_API_URL=" + c.DevinAPIURL,
		"DEVIN_GIT_CONNECTION_ID=" + c.DevinGitConnectionID,
		"GITHUB_TOKEN=" + c.GitHubToken.Reveal(), "GITHUB_API_URL=" + c.GitHubAPIURL, "GITHUB_ENTERPRISE=" + c.GitHubEnterprise,
		"APPROVAL_CHANNEL=" + c.ApprovalChannel, "AUDIT_CHANNEL=" + c.AuditChannel,
		"APPROVERS=" + strings.Join(c.Approvers, ","), "REQUIRED_APPROVALS=1", "REQUEST_TTL=24h",
		"USAGE_REPORT_CHANNEL=" + c.UsageReportChannel, "USAGE_REPORT_SCHEDULE=" + c.UsageReportSchedule,
		"DATABASE_URL=" + s.dbURL, "HTTP_ADDR=127.0.0.1:0", "LOG_LEVEL=info", "LOG_FORMAT=text",
		mpOwnerEnv + "=" + owner, mpLeaseEnv + "=" + s.lease.String(),
		mpEchoLeaseEnv + "=" + s.echoLease.String(),
	}
	if reports {
		env = append(env, mpReportsEnv+"=1")
	}
	return env
}

// spawn starts replica owner as a child process and waits until its socket is one of
// want connections to the fake Slack. It is stopped (stdin closed) at the end of the
// test, and its log shown if the test failed.
func (s *mpSet) spawn(t *testing.T, owner string, reports bool, want int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperReplicaProcess$", "-test.count=1")
	inherited := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "DEVIN_API_VERSION=")
	})
	cmd.Env = append(inherited, s.childEnv(owner, reports)...)
	logPath := filepath.Join(t.TempDir(), owner+".log")
	logf, err := os.Create(logPath)
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logf, logf
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &mpProc{cmd: cmd, stdin: stdin, log: logPath, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logf.Close() }()
	s.mu.Lock()
	s.procs[owner] = p
	s.mu.Unlock()
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-p.done
			t.Errorf("replica %s did not stop within 20s of its stdin closing", owner)
		}
		if t.Failed() {
			mpDumpLog(t, owner, logPath)
		}
	})
	require.NoError(t, s.env.Slack.WaitConnected(waitCtx(t, apWait), want), "replica %s did not connect", owner)
}

// kill ends replica owner with SIGKILL, as a crashed or evicted pod ends.
func (s *mpSet) kill(t *testing.T, owner string) {
	t.Helper()
	s.mu.Lock()
	p := s.procs[owner]
	s.mu.Unlock()
	require.NotNil(t, p, "no replica %s", owner)
	require.NoError(t, p.cmd.Process.Kill())
	p.done <- <-p.done // waited for; kept for the cleanup's wait
}

func mpDumpLog(t *testing.T, owner, path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > 80 {
		lines = lines[len(lines)-80:]
	}
	t.Logf("last lines of replica %s:\n%s", owner, strings.Join(lines, "\n"))
}

// count runs a COUNT query against the shared database.
func (s *mpSet) count(t *testing.T, query string) int {
	t.Helper()
	var n int
	require.NoError(t, s.raw.QueryRowContext(t.Context(), query).Scan(&n))
	return n
}

// exec runs a statement against the shared database.
func (s *mpSet) exec(t *testing.T, stmt string) {
	t.Helper()
	_, err := s.raw.ExecContext(t.Context(), stmt)
	require.NoError(t, err)
}

// waitEchoed waits until every stored event of request id is in the audit channel
// exactly once and nothing about it is still in the outbox.
func (s *mpSet) waitEchoed(t *testing.T, id string, settled func() bool) {
	t.Helper()
	var want, got []string
	deadline := time.Now().Add(apWait)
	for {
		evs, err := s.db.AuditEvents(t.Context(), id)
		require.NoError(t, err)
		want = want[:0]
		for _, e := range evs {
			want = append(want, auditecho.Format(e))
		}
		got = got[:0]
		for _, m := range apAuditLines(s.env, id) {
			got = append(got, m.Text)
		}
		due, err := s.db.Due(t.Context(), time.Now().Add(24*time.Hour), 1)
		require.NoError(t, err)
		if (settled == nil || settled()) && apSameLines(want, got) && len(due) == 0 {
			return
		}
		if time.Now().After(deadline) {
			require.ElementsMatch(t, want, got, "audit channel lines of %s vs its stored events", id)
			require.Fail(t, fmt.Sprintf("request %s never settled", id))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// state reads request id from the shared database.
func (s *mpSet) state(t *testing.T, id string) string {
	t.Helper()
	r, err := s.db.GetRequest(t.Context(), id)
	require.NoError(t, err)
	return string(r.State)
}

// stop stops replica owner as SIGTERM would (its stdin closes) and waits for it.
func (s *mpSet) stop(t *testing.T, owner string) {
	t.Helper()
	s.mu.Lock()
	p := s.procs[owner]
	delete(s.procs, owner)
	s.mu.Unlock()
	require.NotNil(t, p, "no replica %s", owner)
	_ = p.stdin.Close()
	select {
	case err := <-p.done:
		require.NoError(t, err, "replica %s stopped with an error", owner)
		p.done <- err // for the cleanup's wait
	case <-time.After(20 * time.Second):
		require.Fail(t, "replica "+owner+" did not stop")
	}
}

// stopAll stops every replica as SIGTERM would (their stdin closes) and waits for them.
func (s *mpSet) stopAll(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	procs := s.procs
	s.procs = map[string]*mpProc{}
	s.mu.Unlock()
	for owner, p := range procs {
		_ = p.stdin.Close()
		select {
		case err := <-p.done:
			require.NoError(t, err, "replica %s stopped with an error", owner)
			p.done <- err // for the cleanup's wait
		case <-time.After(20 * time.Second):
			require.Fail(t, "replica "+owner+" did not stop")
		}
	}
}
