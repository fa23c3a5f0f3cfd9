package slacksandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const (
	maxConnections = 10 // Slack's per-app limit; the 11th socket is told too_many_websockets
	writeTimeout   = 5 * time.Second
	// readLimit only protects the fake; the 20 KB ack rule is checked separately so the
	// fake can close with Slack's own 1009 reason and record the violation.
	readLimit = 1 << 20
)

// conn is one Socket Mode WebSocket. Its queue and draining flag are guarded by Server.mu;
// only its writer goroutine writes data frames.
type conn struct {
	id        int
	ws        *websocket.Conn
	queue     [][]byte
	draining  bool // told to disconnect: gets no new envelopes
	wake      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (c *conn) wakeup() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// close drops the TCP connection without a close frame, like a network failure.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

func (c *conn) closeWith(code int, reason string) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.close()
}

func (c *conn) isClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// envelope is one Socket Mode delivery. Retries of an event are new envelopes.
type envelope struct {
	id              string
	typ             string
	payload         json.RawMessage
	acceptsResponse bool
	retryAttempt    int
	retryReason     string
	label           string // how Unacked describes it

	// what the ack payload applies to
	responseID string
	viewID     string

	sentAt   time.Time
	timer    *time.Timer
	acked    bool
	timedOut bool
}

func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	used, known := s.tickets[ticket]
	if known && !used {
		s.tickets[ticket] = true
	}
	closed := s.closed
	s.mu.Unlock()
	if closed {
		http.Error(w, "server closed", http.StatusServiceUnavailable)
		return
	}
	if !known || used {
		// Tickets from apps.connections.open are single use.
		http.Error(w, "invalid or already used ticket", http.StatusUnauthorized)
		return
	}

	// slack-go dials with Origin https://api.slack.com, which gorilla's default origin
	// check rejects; without this the client loops on "bad handshake".
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(readLimit)
	c := &conn{ws: ws, wake: make(chan struct{}, 1), done: make(chan struct{})}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.connSeq++
	c.id = s.connSeq
	// Add under the lock while not closed, so it happens before Close's Wait.
	s.wg.Add(2)
	tooMany := s.liveCountLocked() >= maxConnections
	if tooMany {
		c.draining = true
		c.queue = append(c.queue, s.disconnectFrame(c, "too_many_websockets"))
	} else {
		c.queue = append(c.queue, s.helloFrameLocked(c))
	}
	s.conns = append(s.conns, c)
	if !tooMany {
		pending := s.pending
		s.pending = nil
		for _, env := range pending {
			s.deliverLocked(env)
		}
	}
	c.wakeup()
	s.notifyLocked()
	s.mu.Unlock()

	if tooMany {
		time.AfterFunc(s.opts.DisconnectGrace, func() { c.closeWith(websocket.CloseNormalClosure, "") })
	}
	go s.writeLoop(c)
	s.readLoop(c)
}

func (s *Server) helloFrameLocked(c *conn) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": s.liveCountLocked() + 1,
		"connection_info": map[string]any{"app_id": s.opts.AppID},
		"debug_info": map[string]any{
			"host":                        fmt.Sprintf("applink-fake-%d", c.id),
			"build_number":                1,
			"approximate_connection_time": 18060,
		},
	})
	return b
}

func (s *Server) disconnectFrame(c *conn, reason string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": fmt.Sprintf("applink-fake-%d", c.id)},
	})
	return b
}

func (s *Server) liveCountLocked() int {
	n := 0
	for _, c := range s.conns {
		if !c.draining && !c.isClosed() {
			n++
		}
	}
	return n
}

func (s *Server) writeLoop(c *conn) {
	defer s.wg.Done()
	ticker := time.NewTicker(s.opts.PingInterval)
	defer ticker.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-ticker.C:
			s.mu.Lock()
			stopped := s.stopPinging
			s.mu.Unlock()
			if stopped {
				continue
			}
			// slack-go never pings; it reconnects when our PINGs stop.
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
				c.close()
				return
			}
		case <-c.wake:
			s.mu.Lock()
			frames := c.queue
			c.queue = nil
			s.mu.Unlock()
			for _, f := range frames {
				_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
				if err := c.ws.WriteMessage(websocket.TextMessage, f); err != nil {
					c.close()
					return
				}
			}
		}
	}
}

func (s *Server) readLoop(c *conn) {
	defer s.wg.Done()
	defer func() {
		c.close()
		s.mu.Lock()
		for i, cc := range s.conns {
			if cc == c {
				s.conns = append(s.conns[:i], s.conns[i+1:]...)
				break
			}
		}
		s.notifyLocked()
		s.mu.Unlock()
	}()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if len(data) >= maxAckBytes {
			s.violate(fmt.Sprintf("socket %d", c.id), []string{
				fmt.Sprintf("ack frame is %d bytes; Slack closes the socket at %d", len(data), maxAckBytes),
			})
			c.closeWith(websocket.CloseMessageTooBig, "Max frame length of 20480 has been exceeded.")
			return
		}
		s.handleAck(data)
	}
}

func (s *Server) handleAck(data []byte) {
	var ack struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &ack); err != nil || ack.EnvelopeID == "" {
		s.violate("socket", []string{fmt.Sprintf("frame is not an ack: %.200s", data)})
		return
	}
	if string(ack.Payload) == "null" {
		ack.Payload = nil
	}
	now := time.Now()

	s.mu.Lock()
	env := s.envelopes[ack.EnvelopeID]
	rec := AckRecord{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload}
	if env != nil {
		rec.Type = env.typ
		rec.RetryAttempt = env.retryAttempt
		rec.Latency = now.Sub(env.sentAt)
		rec.Duplicate = env.acked
		rec.Late = env.timedOut
		if !env.acked {
			env.acked = true
			if env.timer != nil {
				env.timer.Stop()
			}
		}
	}
	s.acks = append(s.acks, rec)
	s.notifyLocked()
	s.mu.Unlock()

	switch {
	case env == nil:
		s.violate("socket", []string{"ack for unknown envelope " + ack.EnvelopeID})
	case rec.Duplicate || rec.Late:
		// Slack ignores duplicate and late acks.
	case env.viewID != "":
		s.applyViewSubmissionAck(env, ack.Payload)
	case env.typ == "slash_commands" && len(ack.Payload) > 0:
		s.applySlashAck(env, ack.Payload)
	}
}

// sendEnvelopeLocked registers env and delivers it, or queues it until a socket connects.
func (s *Server) sendEnvelopeLocked(env *envelope) {
	s.envelopes[env.id] = env
	s.deliverLocked(env)
}

func (s *Server) deliverLocked(env *envelope) {
	c := s.pickConnLocked()
	if c == nil {
		s.pending = append(s.pending, env)
		return
	}
	frame := map[string]any{
		"envelope_id":              env.id,
		"type":                     env.typ,
		"payload":                  env.payload,
		"accepts_response_payload": env.acceptsResponse,
	}
	if env.typ == "events_api" {
		frame["retry_attempt"] = env.retryAttempt
		frame["retry_reason"] = env.retryReason
	}
	b, _ := json.Marshal(frame)
	c.queue = append(c.queue, b)
	c.wakeup()
	env.sentAt = time.Now()
	env.timer = time.AfterFunc(s.opts.AckDeadline, func() { s.ackDeadlinePassed(env) })
}

// pickConnLocked spreads envelopes round robin, since Slack may use any open socket.
func (s *Server) pickConnLocked() *conn {
	var live []*conn
	for _, c := range s.conns {
		if !c.draining && !c.isClosed() {
			live = append(live, c)
		}
	}
	if len(live) == 0 {
		return nil
	}
	c := live[s.rr%len(live)]
	s.rr++
	return c
}

func (s *Server) ackDeadlinePassed(env *envelope) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || env.acked {
		return
	}
	env.timedOut = true
	defer s.notifyLocked()
	if env.typ != "events_api" {
		// Slack does not retry commands or interactions; the user sees an error.
		s.unacked = append(s.unacked, fmt.Sprintf("%s (envelope %s) not acked within %s", env.label, env.id, s.opts.AckDeadline))
		return
	}
	if env.retryAttempt >= len(s.opts.EventRetryDelays) {
		s.unacked = append(s.unacked, fmt.Sprintf("%s not acked after %d retries", env.label, env.retryAttempt))
		return
	}
	delay := s.opts.EventRetryDelays[env.retryAttempt]
	time.AfterFunc(delay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return
		}
		retry := *env
		retry.id = s.envelopeIDLocked()
		retry.retryAttempt = env.retryAttempt + 1
		retry.retryReason = "timeout"
		retry.timer, retry.acked, retry.timedOut = nil, false, false
		s.sendEnvelopeLocked(&retry)
	})
}

// Connections counts open sockets that still receive envelopes (not told to disconnect).
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.liveCountLocked()
}

// WaitConnected waits until at least n sockets receive envelopes.
func (s *Server) WaitConnected(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.liveCountLocked() >= n })
}

// Disconnect sends a disconnect frame with reason ("warning", "refresh_requested",
// "link_disabled", "too_many_websockets"…) to every socket. Except for "warning", the
// sockets get no more envelopes and are closed after Options.DisconnectGrace.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	var targets []*conn
	for _, c := range s.conns {
		if c.draining || c.isClosed() {
			continue
		}
		c.queue = append(c.queue, s.disconnectFrame(c, reason))
		c.wakeup()
		if reason != "warning" {
			c.draining = true
			targets = append(targets, c)
		}
	}
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range targets {
		time.AfterFunc(s.opts.DisconnectGrace, func() { c.closeWith(websocket.CloseNormalClosure, "") })
	}
}

// StopPinging stops (true) or resumes (false) the WebSocket PINGs, to simulate a
// half-open socket that slack-go must detect with its ping watchdog.
func (s *Server) StopPinging(stop bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopPinging = stop
}

// DropConnections closes every socket without a close frame, like a network failure.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := append([]*conn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// Acks lists every ack received, in order.
func (s *Server) Acks() []AckRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AckRecord(nil), s.acks...)
}

// WaitAck waits for the first ack of envelopeID.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (AckRecord, error) {
	var rec AckRecord
	err := s.waitFor(ctx, func() bool {
		for _, a := range s.acks {
			if a.EnvelopeID == envelopeID {
				rec = a
				return true
			}
		}
		return false
	})
	return rec, err
}
