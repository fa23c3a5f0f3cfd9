// Package slacksandbox is an in-memory Slack for the console mode and end-to-end tests:
// a Web API, a Socket Mode WebSocket, response_url and trigger_id endpoints, file
// upload URLs, Block Kit limit checks and fault injection, all served on one loopback
// port and driven by the real slack-go client.
//
// Everything the bot writes is checked against Slack's limits and stored, so tests click
// the buttons the bot actually posted instead of ones they imagine it posted.
package slacksandbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"devin-chatops/internal/sandbox"
)

// ErrClosed is returned by waits that were still pending when the fake shut down.
var ErrClosed = errors.New("slacksandbox: server closed")

// Errorer is the part of testing.TB the fake needs to fail a test; *testing.T fits.
// It is declared here so the console binary does not have to link package testing.
type Errorer interface {
	Errorf(format string, args ...any)
}

// Options configures a fake. The zero value is usable.
type Options struct {
	BotToken string // default "xoxb-fake"
	AppToken string // default "xapp-fake"

	TeamID     string // default "T0FAKE"
	TeamDomain string // default "fake"
	AppID      string // default "A0FAKE"
	BotUserID  string // default "U0BOT"
	BotID      string // default "B0BOT"
	Command    string // slash command name, default "/devin"
	// VerificationToken is the deprecated per-app token Slack still puts in payloads.
	VerificationToken string // default "fake-verification-token"

	// PingInterval is how often the fake sends WebSocket PINGs; slack-go reconnects when
	// none arrives within its own OptionPingInterval (30 s by default).
	PingInterval time.Duration // default 2s
	// AckDeadline is how long an envelope may stay unacked. Real Slack uses 3 s.
	AckDeadline time.Duration // default 3s
	// EventRetryDelays are the waits before each events_api redelivery after a missed
	// ack; its length is the number of retries. Slack waits ~0, 1 min and 5 min; the
	// default {0, 1s, 5s} keeps that shape at test speed.
	EventRetryDelays []time.Duration
	// DisconnectGrace is how long a connection told to disconnect (for any reason but
	// "warning") stays open before the fake closes it, as Slack does. Default 1s.
	DisconnectGrace time.Duration

	// Now is the clock for trigger_id/response_url expiry and message timestamps.
	// Ack deadlines and pings use real time. Default time.Now.
	Now func() time.Time

	// T, when set, receives an Errorf for every Block Kit violation and every
	// oversized ack, so the test fails even if the bot swallows the API error.
	T Errorer

	// OnWrite, when set, is called (outside the fake's lock, possibly from several
	// goroutines at once) for every message, update, ephemeral, response_url reply,
	// view and visible ack payload the bot produces. The console mode prints from it.
	OnWrite func(Write)
}

func (o Options) withDefaults() Options {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.BotToken, "xoxb-fake")
	def(&o.AppToken, "xapp-fake")
	def(&o.TeamID, "T0FAKE")
	def(&o.TeamDomain, "fake")
	def(&o.AppID, "A0FAKE")
	def(&o.BotUserID, "U0BOT")
	def(&o.BotID, "B0BOT")
	def(&o.Command, "/devin")
	def(&o.VerificationToken, "fake-verification-token")
	if o.PingInterval <= 0 {
		o.PingInterval = 2 * time.Second
	}
	if o.AckDeadline <= 0 {
		o.AckDeadline = 3 * time.Second
	}
	if o.EventRetryDelays == nil {
		o.EventRetryDelays = []time.Duration{0, time.Second, 5 * time.Second}
	}
	if o.DisconnectGrace <= 0 {
		o.DisconnectGrace = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Server is the fake Slack. All mutable state is guarded by mu.
type Server struct {
	opts Options
	http *sandbox.Server
	done chan struct{} // closed by Close; wakes sleepers and waiters
	wg   sync.WaitGroup

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	closed  bool
	seq     uint64
	lastTS  int64 // microseconds of the last issued ts, to keep ts strictly increasing
	rng     *rand.Rand

	users        map[string]string // id -> name
	groups       map[string][]string
	channelNames map[string]string
	dms          map[string]string // comma-joined user ids -> D/G channel id

	messages     map[string]*storedMessage // channel + "/" + ts
	messageOrder []*storedMessage
	msgHistory   []Message // every version of every channel message, oldest first
	ephemerals   []*storedEphemeral
	ephHistory   []Ephemeral
	views        map[string]*storedView
	viewOrder    []*storedView
	uploads      map[string]*pendingUpload // file id -> upload not completed yet
	files        []UploadedFile            // completed uploads, oldest first
	triggers     map[string]*trigger
	responseURLs map[string]*responseURL

	calls      map[string]int
	rateLimits map[string]*rateLimit
	failures   map[string]*failure
	latency    map[string]time.Duration

	violations []string
	unacked    []string

	tickets     map[string]bool // ticket -> already used
	conns       []*conn         // open sockets, in connect order
	connSeq     int
	rr          int
	stopPinging bool
	pending     []*envelope // envelopes waiting for a socket
	envelopes   map[string]*envelope
	acks        []AckRecord
}

// New starts a fake Slack. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		opts:         opts.withDefaults(),
		done:         make(chan struct{}),
		changed:      make(chan struct{}),
		rng:          rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		users:        map[string]string{},
		groups:       map[string][]string{},
		channelNames: map[string]string{},
		dms:          map[string]string{},
		messages:     map[string]*storedMessage{},
		views:        map[string]*storedView{},
		uploads:      map[string]*pendingUpload{},
		triggers:     map[string]*trigger{},
		responseURLs: map[string]*responseURL{},
		calls:        map[string]int{},
		rateLimits:   map[string]*rateLimit{},
		failures:     map[string]*failure{},
		latency:      map[string]time.Duration{},
		tickets:      map[string]bool{},
		envelopes:    map[string]*envelope{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.handleAPI)
	mux.HandleFunc("/link/", s.handleLink)
	mux.HandleFunc("/response/", s.handleResponse)
	mux.HandleFunc("/upload/", s.handleUpload)
	s.http = sandbox.Start(mux)
	return s
}

// URL is the server root, e.g. http://127.0.0.1:1234.
func (s *Server) URL() string { return s.http.URL }

// APIURL is the value for slack.OptionAPIURL; methods arrive as /api/<method>.
func (s *Server) APIURL() string { return s.http.URL + "/api/" }

// Options returns the effective options, defaults filled in.
func (s *Server) Options() Options { return s.opts }

// Close drops every socket, stops the HTTP server and waits for the fake's goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	conns := append([]*conn(nil), s.conns...)
	for _, e := range s.envelopes {
		if e.timer != nil {
			e.timer.Stop()
		}
	}
	s.notifyLocked()
	s.mu.Unlock()

	for _, c := range conns {
		c.close()
	}
	s.http.Close()
	s.wg.Wait()
}

// notifyLocked wakes every waiter so it re-checks its condition.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor blocks until check (run under the lock) returns true.
func (s *Server) waitFor(ctx context.Context, check func() bool) error {
	for {
		s.mu.Lock()
		if check() {
			s.mu.Unlock()
			return nil
		}
		ch, closed := s.changed, s.closed
		s.mu.Unlock()
		if closed {
			return ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sleep waits d unless the fake or the request goes away first.
func (s *Server) sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-s.done:
	}
}

// nextTSLocked returns a Slack timestamp "<sec>.<6 digits>" that is strictly greater
// than every one issued before, even with a frozen clock.
func (s *Server) nextTSLocked() string {
	us := s.opts.Now().UnixMicro()
	if us <= s.lastTS {
		us = s.lastTS + 1
	}
	s.lastTS = us
	return fmt.Sprintf("%d.%06d", us/1_000_000, us%1_000_000)
}

func (s *Server) nextSeqLocked() uint64 {
	s.seq++
	return s.seq
}

// newIDLocked makes ids that look like Slack's: a prefix letter and upper-case base36.
func (s *Server) newIDLocked(prefix string) string {
	return prefix + strings.ToUpper(strconv.FormatUint(s.nextSeqLocked()+1_000_000_000, 36))
}

func (s *Server) hexLocked(nBytes int) string {
	b := make([]byte, nBytes)
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	return fmt.Sprintf("%x", b)
}

func (s *Server) envelopeIDLocked() string {
	n := s.nextSeqLocked()
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%s", uint32(n), uint16(n>>32), s.rng.UintN(0x1000), s.rng.UintN(0x1000), s.hexLocked(6))
}

// violate records Block Kit (or protocol) violations and fails the test if one is set.
// It must be called without holding the lock.
func (s *Server) violate(where string, problems []string) {
	if len(problems) == 0 {
		return
	}
	s.mu.Lock()
	for _, p := range problems {
		s.violations = append(s.violations, where+": "+p)
	}
	s.notifyLocked()
	s.mu.Unlock()
	if s.opts.T != nil {
		for _, p := range problems {
			s.opts.T.Errorf("slacksandbox: %s: %s", where, p)
		}
	}
}

// Violations lists every limit or protocol violation seen, oldest first.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// Unacked lists the user-visible failures caused by missed ack deadlines: slash
// commands and interactions the bot did not ack in time, and events whose retries ran out.
func (s *Server) Unacked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unacked...)
}

// Calls counts the HTTP calls made to a Web API method (including ones answered with
// an injected fault). Posts to response URLs count as "response_url", posts to upload
// URLs as UploadMethod.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Methods lists, sorted, the Web API methods the bot has called so far (injected
// faults and unknown methods included; posts to response and upload URLs are not Web
// API methods and are left out), so a test can check every one against the app's
// scopes.
func (s *Server) Methods() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.calls))
	for m, n := range s.calls {
		if n > 0 && m != "response_url" && m != UploadMethod {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// AddUser registers a workspace member for users.info and the driver.
func (s *Server) AddUser(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = name
}

// AddUserGroup registers a user group (S… id) and its members, registering unknown
// members with their id as name.
func (s *Server) AddUserGroup(groupID string, userIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[groupID] = append([]string(nil), userIDs...)
	for _, u := range userIDs {
		s.ensureUserLocked(u)
	}
}

// AddChannel names a channel; unnamed channels are called after their lower-cased id.
// chat.* methods accept any channel, but files.completeUploadExternal shares only into
// channels named here and DMs the fake opened, so a test can reach an unknown channel.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channelNames[id] = name
}

// ensureUserLocked makes a user the driver acts as exist: in real Slack anyone who can
// click is a member, so users.info must know them.
func (s *Server) ensureUserLocked(id string) string {
	if name, ok := s.users[id]; ok {
		return name
	}
	name := strings.ToLower(id)
	s.users[id] = name
	return name
}

func (s *Server) channelNameLocked(id string) string {
	if n, ok := s.channelNames[id]; ok {
		return n
	}
	if strings.HasPrefix(id, "D") {
		return "directmessage"
	}
	return strings.ToLower(id)
}

// RateLimit makes the next n calls to method fail with HTTP 429 and a Retry-After
// header of retryAfter rounded up to whole seconds.
func (s *Server) RateLimit(method string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimits[method] = &rateLimit{left: n, retryAfter: retryAfter}
}

// FailNext makes the next n calls to method answer {"ok":false,"error":errCode}. Upload
// URLs (UploadMethod) are not Web API methods and answer HTTP 500 with errCode instead,
// since a client only looks at their status.
func (s *Server) FailNext(method, errCode string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = &failure{code: errCode, left: n}
}

// SetLatency delays every call to method by d (0 removes the delay).
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency[method] = d
}

type rateLimit struct {
	left       int
	retryAfter time.Duration
}

type failure struct {
	code string
	left int
}

// emit reports a write to Options.OnWrite; call it without holding the lock.
func (s *Server) emit(w Write) {
	if s.opts.OnWrite != nil {
		s.opts.OnWrite(w)
	}
}
