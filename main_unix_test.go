//go:build unix

package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	devinsandbox "devin-chatops/internal/sandbox/devin"
)

// A console stopped by SIGHUP (its terminal closed) still removes its temporary
// database.
func TestConsoleStopsOnSIGHUPAndRemovesItsDatabase(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("DATABASE_URL", "")
	inR, inW := io.Pipe()
	defer inW.Close()
	out := &lockedBuffer{}
	code := make(chan int, 1)
	go func() { code <- run([]string{"console"}, inR, out, io.Discard) }()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "rita@#general> ") }, 10*time.Second, 10*time.Millisecond)
	dirs, err := filepath.Glob(filepath.Join(tmp, "devin-chatops-console-*"))
	require.NoError(t, err)
	require.Len(t, dirs, 1)

	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	select {
	case c := <-code:
		assert.Equal(t, 0, c)
	case <-time.After(10 * time.Second):
		t.Fatal("the console did not stop on SIGHUP")
	}
	assert.NoDirExists(t, dirs[0])
}

// SIGTERM (what Kubernetes sends) stops the bot through its shutdown steps, each
// logged, and the process exits 0 with its database closed.
func TestConsoleStopsOnSIGTERMThroughTheShutdownSteps(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("DATABASE_URL", "")
	t.Setenv("LOG_LEVEL", "info")
	inR, inW := io.Pipe()
	defer inW.Close()
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	code := make(chan int, 1)
	go func() { code <- run([]string{"console"}, inR, out, errOut) }()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "rita@#general> ") }, 10*time.Second, 10*time.Millisecond)

	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	select {
	case c := <-code:
		assert.Equal(t, 0, c)
	case <-time.After(30 * time.Second):
		t.Fatal("the console did not stop on SIGTERM")
	}
	log := errOut.String()
	steps := []string{
		"shutdown: socket closed and handlers done; taking no new work",
		"shutdown: waiting for executions in flight",
		"shutdown: executions in flight finished",
		"shutdown: audit lines echoed",
		"shutdown: execution leases released",
		"shutdown: database closed",
	}
	last := -1
	for _, step := range steps {
		i := strings.Index(log, step)
		require.GreaterOrEqual(t, i, 0, "step %q not logged:\n%s", step, log)
		assert.Greater(t, i, last, "step %q out of order", step)
		last = i
	}
	// The console's fake Devin speaks v3: the start-up line names the version, never the key.
	assert.Contains(t, log, `msg="devin api" version=v3`)
	assert.NotContains(t, log, devinsandbox.V3APIKey)
}
