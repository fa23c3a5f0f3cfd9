package slacksandbox

import (
	"context"
	"sort"
)

// Messages returns the current messages of channel ("" for every channel) in post
// order, deleted ones left out.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messageOrder {
		if !m.deleted && (channel == "" || m.channel == channel) {
			out = append(out, s.snapshotMessage(m))
		}
	}
	return out
}

// Message returns the current state of one message.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messages[channel+"/"+ts]
	if m == nil {
		return Message{}, false
	}
	return s.snapshotMessage(m), true
}

// WaitMessage waits for a channel message version matching pred. Every post and every
// update (chat.update, replace_original, delete_original) is a version, and versions
// are checked oldest first, so a state that was quickly overwritten is still seen.
// Make pred specific (channel, ts, text) when a test posts similar messages twice.
func (s *Server) WaitMessage(ctx context.Context, pred func(Message) bool) (Message, error) {
	var found Message
	err := s.waitFor(ctx, func() bool {
		for _, m := range s.msgHistory {
			if pred(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found, err
}

// Ephemerals returns the current ephemeral messages (chat.postEphemeral and ephemeral
// response_url replies), deleted ones left out.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	for _, e := range s.ephemerals {
		if !e.deleted {
			out = append(out, s.snapshotEphemeral(e))
		}
	}
	return out
}

// WaitEphemeral is WaitMessage for ephemeral messages.
func (s *Server) WaitEphemeral(ctx context.Context, pred func(Ephemeral) bool) (Ephemeral, error) {
	var found Ephemeral
	err := s.waitFor(ctx, func() bool {
		for _, e := range s.ephHistory {
			if pred(e) {
				found = e
				return true
			}
		}
		return false
	})
	return found, err
}

// Views returns every view opened so far, in opening order, closed ones included.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.viewOrder))
	for _, v := range s.viewOrder {
		out = append(out, s.snapshotView(v))
	}
	return out
}

// WaitView waits for a view (in its current state) matching pred.
func (s *Server) WaitView(ctx context.Context, pred func(View) bool) (View, error) {
	var found View
	err := s.waitFor(ctx, func() bool {
		for _, v := range s.viewOrder {
			if snap := s.snapshotView(v); pred(snap) {
				found = snap
				return true
			}
		}
		return false
	})
	return found, err
}

// Users lists the registered user ids, sorted.
func (s *Server) Users() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
