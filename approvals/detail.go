package approvals

import (
	"context"
	"fmt"

	"devin-chatops/audit"
)

// Detail is everything recorded about one request, to show it in full.
type Detail struct {
	Request Request
	// Progress is a pending request's quorum progress (no approvers once it has left
	// pending).
	Progress Progress
	// Votes are in the order they were cast; History is the request's audit events in
	// the order they were written (its request, votes, refusals, decision, execution).
	Votes   []Vote
	History []audit.Event
}

// Detail reads request id with its votes and its history. An unknown ID is an error
// wrapping ErrNotFound.
func (s *Service) Detail(ctx context.Context, id string) (Detail, error) {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	votes, err := s.store.Votes(ctx, id)
	if err != nil {
		return Detail{}, fmt.Errorf("read votes: %w", err)
	}
	history, err := s.store.AuditEvents(ctx, id)
	if err != nil {
		return Detail{}, fmt.Errorf("read history: %w", err)
	}
	return Detail{Request: r, Progress: s.progress(ctx, r), Votes: votes, History: history}, nil
}
