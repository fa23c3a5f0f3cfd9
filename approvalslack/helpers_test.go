package approvalslack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/approvals"
	"devin-chatops/approvalslack"
	"devin-chatops/audit"
	"devin-chatops/clock/clocktest"
	"devin-chatops/executor"
	"devin-chatops/slackui"
	"devin-chatops/store"
)

// t0 is millisecond-aligned: the store keeps times to the millisecond.
var t0 = time.Date(2025, 3, 4, 10, 2, 0, 0, time.UTC)

const (
	approvalChannel = "CAPPROVALS"
	requester       = "UREQ"
)

// sent is one message the fake poster accepted.
type sent struct {
	Channel, User, TS string
	Msg               slackui.Message
}

// fakePoster records everything the service sends to Slack.
type fakePoster struct {
	mu         sync.Mutex
	n          int
	posts      []sent
	cards      map[string]slackui.Message // ts -> current content
	updates    []sent
	ephemerals []sent
	dms        []sent
	views      []slack.ModalViewRequest
	files      []sentFile
	uploadErr  error
	postErr    error
	viewErr    error
	updateErr  error
	dmErr      error
	ephErr     error
	// updateErrFor fails the updates of one card (by ts) only.
	updateErrFor map[string]error
	// onCall, when set, runs at the start of every Update ("update") and DM ("dm"),
	// outside the lock: a hook to make something happen while the service waits for
	// Slack.
	onCall func(method string)
}

func newFakePoster() *fakePoster { return &fakePoster{cards: map[string]slackui.Message{}} }

func (p *fakePoster) Post(_ context.Context, channel string, m slackui.Message) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.postErr != nil {
		return "", p.postErr
	}
	p.n++
	ts := fmt.Sprintf("1700000000.%06d", p.n)
	p.posts = append(p.posts, sent{Channel: channel, TS: ts, Msg: m})
	p.cards[ts] = m
	return ts, nil
}

func (p *fakePoster) Update(_ context.Context, channel, ts string, m slackui.Message) error {
	p.hook("update")
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.updateErr != nil {
		return p.updateErr
	}
	if err := p.updateErrFor[ts]; err != nil {
		return err
	}
	if _, ok := p.cards[ts]; !ok {
		return errors.New("message_not_found")
	}
	p.updates = append(p.updates, sent{Channel: channel, TS: ts, Msg: m})
	p.cards[ts] = m
	return nil
}

func (p *fakePoster) Ephemeral(_ context.Context, channel, user string, m slackui.Message) error {
	p.hook("ephemeral")
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ephErr != nil {
		return p.ephErr
	}
	p.ephemerals = append(p.ephemerals, sent{Channel: channel, User: user, Msg: m})
	return nil
}

func (p *fakePoster) DM(_ context.Context, user string, m slackui.Message) error {
	p.hook("dm")
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dmErr != nil {
		return p.dmErr
	}
	p.dms = append(p.dms, sent{User: user, Msg: m})
	return nil
}

func (p *fakePoster) OpenView(_ context.Context, _ string, v slack.ModalViewRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.viewErr != nil {
		return p.viewErr
	}
	p.views = append(p.views, v)
	return nil
}

// sentFile is one file the fake poster shared in a DM.
type sentFile struct {
	User string
	File slackui.File
}

func (p *fakePoster) UploadDM(_ context.Context, user string, f slackui.File) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.uploadErr != nil {
		return "", p.uploadErr
	}
	p.files = append(p.files, sentFile{User: user, File: f})
	return fmt.Sprintf("F%04d", len(p.files)), nil
}

func (p *fakePoster) filesTo(user string) []slackui.File {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []slackui.File
	for _, f := range p.files {
		if f.User == user {
			out = append(out, f.File)
		}
	}
	return out
}

func (p *fakePoster) card(ts string) slackui.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cards[ts]
}

func (p *fakePoster) ephemeralsTo(user string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.ephemerals {
		if e.User == user {
			out = append(out, e.Msg.Text)
		}
	}
	return out
}

func (p *fakePoster) dmsTo(user string) []slackui.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []slackui.Message
	for _, d := range p.dms {
		if d.User == user {
			out = append(out, d.Msg)
		}
	}
	return out
}

func (p *fakePoster) setPostErr(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.postErr = err
}

// setFailures makes Update and DM fail with these errors (nil: they work again).
func (p *fakePoster) setFailures(updateErr, dmErr error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.updateErr, p.dmErr = updateErr, dmErr
}

func (p *fakePoster) setOnCall(f func(method string)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onCall = f
}

func (p *fakePoster) hook(method string) {
	p.mu.Lock()
	f := p.onCall
	p.mu.Unlock()
	if f != nil {
		f(method)
	}
}

func (p *fakePoster) numUpdates() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.updates)
}

func (p *fakePoster) numPosts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.posts)
}

// fakeExecutor counts executions per request and answers with outcomes from fn (all
// items succeed with `ok` by default).
type fakeExecutor struct {
	mu    sync.Mutex
	calls map[string]int
	total atomic.Int32
	delay time.Duration
	fn    func(r approvals.Request) ([]approvals.ItemOutcome, error)
}

func newFakeExecutor() *fakeExecutor { return &fakeExecutor{calls: map[string]int{}} }

func (e *fakeExecutor) Execute(_ context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	e.mu.Lock()
	e.calls[r.ID]++
	fn := e.fn
	e.mu.Unlock()
	e.total.Add(1)
	if e.delay > 0 {
		time.Sleep(e.delay)
	}
	if fn != nil {
		return fn(r)
	}
	status := map[approvals.Action]string{
		approvals.ActionInvite:     approvals.OutcomeInvited,
		approvals.ActionTeamAdd:    approvals.OutcomeAdded,
		approvals.ActionTeamRemove: approvals.OutcomeRemoved,
	}[r.Action]
	out := make([]approvals.ItemOutcome, len(r.Items))
	for i, it := range r.Items {
		out[i] = approvals.ItemOutcome{Item: it, Status: status}
	}
	return out, nil
}

func (e *fakeExecutor) callsFor(id string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[id]
}

// fakeGroups serves user-group members and counts lookups.
type fakeGroups struct {
	mu      sync.Mutex
	members map[string][]string
	err     error
	calls   int
}

func (g *fakeGroups) Members(_ context.Context, id string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	if g.err != nil {
		return nil, g.err
	}
	return g.members[id], nil
}

func (g *fakeGroups) set(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.err = err
}

type countKicker struct{ n atomic.Int32 }

func (k *countKicker) Kick() { k.n.Add(1) }

// env is a Service on a real SQLite file with fake Slack, executor and groups.
type env struct {
	t      *testing.T
	path   string
	db     *store.DB
	svc    *stack
	cfg    approvals.Config
	poster *fakePoster
	exec   *fakeExecutor
	groups *fakeGroups
	kicker *countKicker
	clock  *clocktest.Fake
	logs   *recLog

	mu       sync.Mutex
	services []*stack // every stack built by newService, to settle
}

func defaultConfig() approvals.Config {
	return approvals.Config{
		Approvers:         []string{"UA", "UB", "UC"},
		RequiredApprovals: 1,
		TTL:               24 * time.Hour,
	}
}

func newEnv(t *testing.T, tweak ...func(*approvals.Config)) *env {
	t.Helper()
	cfg := defaultConfig()
	for _, f := range tweak {
		f(&cfg)
	}
	e := &env{
		t: t, path: filepath.Join(t.TempDir(), "db"), cfg: cfg,
		poster: newFakePoster(), exec: newFakeExecutor(), groups: &fakeGroups{members: map[string][]string{}},
		kicker: &countKicker{}, clock: clocktest.New(t0), logs: &recLog{},
	}
	e.db = e.open()
	e.svc = e.newService(e.db, e.exec)
	return e
}

func (e *env) open() *store.DB {
	db, err := store.Open(context.Background(), "sqlite:"+e.path, store.WithClock(e.clock))
	require.NoError(e.t, err)
	e.t.Cleanup(func() { db.Close() })
	return db
}

// stack is the approval flow as the app wires it: the domain, its Slack messenger and
// click handler, the execution queue and runner, and the sweeper.
type stack struct {
	*approvals.Service
	handler *approvalslack.Handler
	queue   *executor.Queue
	runner  *executor.Runner
	sweeper *executor.Sweeper
}

func (s *stack) HandleClick(ctx context.Context, c approvalslack.Click) {
	s.handler.HandleClick(ctx, c)
}
func (s *stack) HandleDenySubmission(ctx context.Context, user, id, reason string) {
	s.handler.HandleDenySubmission(ctx, user, id, reason)
}
func (s *stack) HandleInteraction(ctx context.Context, cb slack.InteractionCallback) bool {
	return s.handler.HandleInteraction(ctx, cb)
}
func (s *stack) Recover(ctx context.Context) error               { return s.sweeper.Recover(ctx) }
func (s *stack) Sweep(ctx context.Context) error                 { return s.sweeper.Sweep(ctx) }
func (s *stack) Reconcile(ctx context.Context) error             { return s.sweeper.Reconcile(ctx) }
func (s *stack) RunSweeper(ctx context.Context, d time.Duration) { s.sweeper.Run(ctx, d) }
func (s *stack) RunExecutor(ctx context.Context)                 { s.runner.Run(ctx) }
func (s *stack) WaitIdle()                                       { s.queue.WaitIdle() }

// bareService is a stack whose execution pool the test runs itself.
// flowStore is what the stack needs of the database: *store.DB, or a wrapper of it
// that injects failures.
type flowStore interface {
	approvals.ServiceStore
	executor.Store
}

func (e *env) bareService(db flowStore, exec executor.Action) *stack {
	e.t.Helper()
	q := executor.NewQueue()
	msg, err := approvalslack.NewMessenger(e.poster, approvalChannel, slog.New(e.logs), approvalslack.WithApprovers(e.cfg.Approvers))
	require.NoError(e.t, err)
	svc, err := approvals.NewService(e.cfg, approvals.Deps{
		Store: db, Messenger: msg, Queue: q, Groups: e.groups, Kicker: e.kicker,
		Clock: e.clock, Logger: slog.New(e.logs),
	})
	require.NoError(e.t, err)
	all := executor.Actions{approvals.ActionInvite: exec, approvals.ActionTeamAdd: exec, approvals.ActionTeamRemove: exec}
	runner := executor.NewRunner(svc, all, q, 0, slog.New(e.logs), executor.WithLease("", 0, e.clock))
	return &stack{
		Service: svc,
		handler: approvalslack.NewHandler(svc, e.poster, slog.New(e.logs)),
		queue:   q,
		runner:  runner,
		sweeper: executor.NewSweeper(svc, db, runner, e.clock, 0, slog.New(e.logs)),
	}
}

// newService builds a stack on db and starts its execution pool, stopped at the end
// of the test.
func (e *env) newService(db flowStore, exec executor.Action) *stack {
	svc := e.bareService(db, exec)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.RunExecutor(ctx) }()
	e.t.Cleanup(func() { cancel(); <-done })
	e.mu.Lock()
	e.services = append(e.services, svc)
	e.mu.Unlock()
	return svc
}

// settle waits until every stack of the test has carried out what it queued.
func (e *env) settle() {
	e.mu.Lock()
	svcs := append([]*stack(nil), e.services...)
	e.mu.Unlock()
	for _, s := range svcs {
		s.WaitIdle()
	}
}

func inviteSub(items ...string) approvals.Submission {
	if len(items) == 0 {
		items = []string{"a@example.com", "b@example.com"}
	}
	return approvals.Submission{
		Requester: requester, OriginChannel: "CORIGIN", Action: approvals.ActionInvite,
		Items: items, Role: "member", Org: "eng", Reason: "new hires",
	}
}

func (e *env) submit(sub approvals.Submission) approvals.Request {
	e.t.Helper()
	r, err := e.svc.Submit(context.Background(), sub)
	require.NoError(e.t, err)
	return r
}

// click clicks and waits for what the click set going (an execution) to be through.
func (e *env) click(user, id string, approve bool) {
	e.svc.HandleClick(context.Background(), approvalslack.Click{
		User: user, RequestID: id, Approve: approve, TriggerID: "trig-" + user, Channel: approvalChannel, MessageTS: "x",
	})
	e.settle()
}

func (e *env) get(id string) approvals.Request {
	e.t.Helper()
	r, err := e.db.GetRequest(context.Background(), id)
	require.NoError(e.t, err)
	return r
}

func (e *env) events(id string) []audit.Event {
	e.t.Helper()
	evs, err := e.db.AuditEvents(context.Background(), id)
	require.NoError(e.t, err)
	return evs
}

func kinds(evs []audit.Event) []audit.Kind {
	out := make([]audit.Kind, len(evs))
	for i, ev := range evs {
		out[i] = ev.Kind
	}
	return out
}

// texts collects every piece of text a user could see in m: the fallback and every
// "text" string in the blocks, as Slack would receive them (after JSON decoding).
func texts(t *testing.T, m slackui.Message) string {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(raw, &v))
	var b strings.Builder
	b.WriteString(m.Text)
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, val := range x {
				if s, ok := val.(string); ok && k == "text" {
					b.WriteString("\n" + s)
					continue
				}
				walk(val)
			}
		case []any:
			for _, val := range x {
				walk(val)
			}
		}
	}
	walk(v)
	return b.String()
}

// blockMaps decodes m's blocks as Slack would see them.
func blockMaps(t *testing.T, blocks []slack.Block) []map[string]any {
	t.Helper()
	raw, err := json.Marshal(blocks)
	require.NoError(t, err)
	var out []map[string]any
	require.NoError(t, json.Unmarshal(raw, &out))
	// The blocks must also decode with slack-go, as Slack's own parser would accept them.
	var decoded slack.Blocks
	require.NoError(t, json.Unmarshal(raw, &decoded))
	return out
}

// actionsBlock returns the card's actions block, or nil.
func actionsBlock(t *testing.T, m slackui.Message) map[string]any {
	for _, b := range blockMaps(t, m.Blocks) {
		if b["type"] == "actions" {
			return b
		}
	}
	return nil
}

// assertBlockKitLimits checks what Slack enforces on a message.
func assertBlockKitLimits(t *testing.T, m slackui.Message) {
	t.Helper()
	assert.LessOrEqual(t, utf8.RuneCountInString(m.Text), slackui.MaxMessageText, "fallback text")
	blocks := blockMaps(t, m.Blocks)
	assert.LessOrEqual(t, len(blocks), slackui.MaxBlocks, "blocks")
	textOf := func(o any) string {
		if mm, ok := o.(map[string]any); ok {
			s, _ := mm["text"].(string)
			return s
		}
		return ""
	}
	for i, b := range blocks {
		switch b["type"] {
		case "section":
			s := textOf(b["text"])
			assert.NotEmpty(t, s, "block %d", i)
			assert.LessOrEqual(t, utf8.RuneCountInString(s), slackui.MaxSectionText, "section %d", i)
		case "header":
			s := textOf(b["text"])
			assert.NotEmpty(t, s)
			assert.LessOrEqual(t, utf8.RuneCountInString(s), slackui.MaxHeaderText, "header")
		case "context":
			els, _ := b["elements"].([]any)
			assert.NotEmpty(t, els)
			assert.LessOrEqual(t, len(els), slackui.MaxContextElems)
			for _, el := range els {
				assert.LessOrEqual(t, utf8.RuneCountInString(textOf(el)), slackui.MaxSectionText)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			for _, el := range els {
				v, _ := el.(map[string]any)["value"].(string)
				assert.LessOrEqual(t, utf8.RuneCountInString(v), slackui.MaxButtonValue)
			}
		}
	}
}

// recLog is a slog handler that keeps the service's records (level and message).
type recLog struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *recLog) Enabled(context.Context, slog.Level) bool { return true }

func (l *recLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

func (l *recLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *recLog) WithGroup(string) slog.Handler      { return l }

// count is how many records at level with message msg were logged.
func (l *recLog) count(level slog.Level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if r.Level == level && r.Message == msg {
			n++
		}
	}
	return n
}

// atLeast lists the messages logged at level or above.
func (l *recLog) atLeast(level slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		if r.Level >= level {
			out = append(out, r.Message)
		}
	}
	return out
}

// outcomes builds item outcomes from item, status pairs.
func outcomes(pairs ...string) []approvals.ItemOutcome {
	var out []approvals.ItemOutcome
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, approvals.ItemOutcome{Item: pairs[i], Status: pairs[i+1]})
	}
	return out
}
