package app

import (
	"context"
	"sync"
	"time"

	"devin-chatops/executor"
)

// DefaultShutdownGrace is how long, from SIGTERM, executions in flight get to finish:
// below Kubernetes' default terminationGracePeriodSeconds of 30 s, so the process ends
// on its own before it is killed.
const DefaultShutdownGrace = 25 * time.Second

// minStepTime is the least a shutdown step that saves work (the last audit echo,
// handing back leases) gets, even when the grace period is spent.
const minStepTime = 2 * time.Second

// LeaseReleaser hands back the execution leases this process holds, so that another
// replica resumes those executions at once instead of when the leases lapse.
type LeaseReleaser interface {
	ReleaseLeases(ctx context.Context) error
}

var _ LeaseReleaser = (*executor.Runner)(nil)

// workers are the goroutines Run starts, grouped by the shutdown step that stops them.
type workers struct {
	health sync.WaitGroup // the health listener, stopped last but one
	echo   sync.WaitGroup // the audit echo, stopped once executions are through
	takers sync.WaitGroup // expiry, sweeper, revoker, scheduler, recovery: stop at once
	exec   sync.WaitGroup // the execution pool: drains within the grace period
}

// shutdown runs after the bot has closed the Socket Mode connection (so Slack routes
// new envelopes to the other replicas) and let its handlers finish. Each step is
// logged:
//
//  1. take no new work: expiry, sweeps, revocations, scheduled reports, recovery and
//     the execution queue stop; a revocation cut short keeps its claim, which lapses
//     for another process;
//  2. executions in flight finish, until started+ShutdownGrace; then their API calls
//     are cancelled, nothing is recorded for them and they stay executing, resumed by
//     the next start (or, with leases, by another replica);
//  3. the audit lines recorded meanwhile are echoed (what is left stays in the outbox;
//     a line whose post had sent nothing to Slack hands its claim back, so another
//     replica echoes it at once);
//  4. execution leases are handed back (Leases: the Runner's ReleaseLeases; the
//     executions cut short in step 2 have handed theirs back already), so another
//     replica takes those executions over at once;
//  5. the health listener stops, then the database is closed.
func (a *App) shutdown(started time.Time, w *workers, echoCtxStop, stopTaking, abortExec context.CancelFunc) {
	log := a.log.With("component", "shutdown")
	deadline := started.Add(a.opts.ShutdownGrace)
	log.Info("shutdown: socket closed and handlers done; taking no new work",
		"grace", a.opts.ShutdownGrace, "left", time.Until(deadline).Round(time.Millisecond))
	stopTaking()
	w.takers.Wait()

	log.Info("shutdown: waiting for executions in flight", "left", time.Until(deadline).Round(time.Millisecond))
	if waitUntil(&w.exec, deadline) {
		log.Info("shutdown: executions in flight finished")
	} else {
		log.Warn("shutdown: grace period over; cancelling the executions still running, which stay executing and are resumed by the next start")
		abortExec()
		w.exec.Wait()
		log.Info("shutdown: executions stopped")
	}

	echoCtxStop()
	w.echo.Wait()
	flushCtx, cancel := context.WithDeadline(context.Background(), later(deadline, time.Now().Add(minStepTime)))
	n, err := a.Echoer.Flush(flushCtx)
	cancel()
	log.Info("shutdown: audit lines echoed; any left wait in the outbox", "echoed", n, "error", err)

	if a.Leases != nil {
		ctx, cancel := context.WithTimeout(context.Background(), minStepTime)
		if err := a.Leases.ReleaseLeases(ctx); err != nil {
			log.Error("shutdown: execution leases not released; they lapse on their own", "error", err)
		} else {
			log.Info("shutdown: execution leases released")
		}
		cancel()
	} else {
		log.Info("shutdown: no execution leases to release")
	}

	ctx, cancel := context.WithTimeout(context.Background(), minStepTime)
	_ = a.health.Shutdown(ctx)
	cancel()
	w.health.Wait()
	if err := a.DB.Close(); err != nil {
		log.Error("shutdown: closing the database failed", "error", err)
		return
	}
	log.Info("shutdown: database closed")
}

// waitUntil waits for wg until deadline and reports whether it finished.
func waitUntil(wg *sync.WaitGroup, deadline time.Time) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
