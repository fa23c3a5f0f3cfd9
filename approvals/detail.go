package approvals

import (
	"context"
	"errors"
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

// ErrNotAllowed is someone who is neither a request's requester nor an approver
// asking to see it in full.
var ErrNotAllowed = errors.New("only the requester and the approvers may see a request in full")

// Detail reads request id with its votes and its history, for user: its requester or
// an approver (else ErrNotAllowed). An unknown ID is an error wrapping ErrNotFound.
func (s *Service) Detail(ctx context.Context, user, id string) (Detail, error) {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	// Every item, vote, deny reason and refused attempt is for the people the request
	// concerns: its requester and those who decide it.
	if user == "" || user != r.Requester {
		isApprover, err := s.IsApprover(ctx, user)
		if err != nil {
			return Detail{}, fmt.Errorf("check approver: %w", err)
		}
		if !isApprover {
			return Detail{}, ErrNotAllowed
		}
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
