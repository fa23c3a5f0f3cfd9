package store

import (
	"context"
	"fmt"
	"time"

	"devin-chatops/approvals"
	"devin-chatops/audit"
)

// The execution lease (migration 8): exec_owner is the process executing a request,
// lease_until (Unix milliseconds) when its hold lapses unless its heartbeat renews it.
// Only a request whose lease has lapsed may be taken over by another process, so a
// process that starts while another executes never runs the same request again.

// leaseChange adds to a Transition's SET list what the lease does on that edge: taken
// with approved -> executing, cleared when the request leaves executing.
func leaseChange(set []string, args []any, from, to approvals.State, l approvals.Lease) ([]string, []any) {
	switch {
	case to == approvals.StateExecuting && l.Owner != "":
		return append(set, "exec_owner = ?", "lease_until = ?"), append(args, l.Owner, l.Until.UnixMilli())
	case from == approvals.StateExecuting:
		return append(set, "exec_owner = ''", "lease_until = 0"), args
	}
	return set, args
}

// TakeOver: see approvals.Store. A lease released at now (ReleaseLease) is taken at once.
func (db *DB) TakeOver(ctx context.Context, id string, l approvals.Lease, now time.Time, events ...audit.Event) (bool, error) {
	if l.Owner == "" {
		return false, fmt.Errorf("take over %s: no owner", id)
	}
	taken := false
	err := db.inTx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE requests SET exec_owner = ?, lease_until = ?
			WHERE id = ? AND state = ? AND lease_until <= ?`,
			l.Owner, l.Until.UnixMilli(), id, string(approvals.StateExecuting), now.UnixMilli())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		taken = true
		return db.insertEvents(ctx, tx, id, events)
	})
	if err != nil {
		return false, fmt.Errorf("take over %s: %w", id, err)
	}
	return taken, nil
}

// RenewLease: see approvals.Store.
func (db *DB) RenewLease(ctx context.Context, id string, l approvals.Lease) (bool, error) {
	return db.leaseUpdate(ctx, "renew lease", id, l.Owner, l.Until)
}

// ReleaseLease: see approvals.Store.
func (db *DB) ReleaseLease(ctx context.Context, id, owner string, now time.Time) (bool, error) {
	return db.leaseUpdate(ctx, "release lease", id, owner, now)
}

func (db *DB) leaseUpdate(ctx context.Context, what, id, owner string, until time.Time) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE requests SET lease_until = ?
		WHERE id = ? AND state = ? AND exec_owner = ?`,
		until.UnixMilli(), id, string(approvals.StateExecuting), owner)
	if err != nil {
		return false, fmt.Errorf("%s %s: %w", what, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s %s: %w", what, id, err)
	}
	return n > 0, nil
}
