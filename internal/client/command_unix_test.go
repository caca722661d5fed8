//go:build unix

package client

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// processGone reports whether pid has exited: no such process, or (on
// Linux) a zombie that only waits for its parent, which may be an init that
// does not reap.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	if runtime.GOOS != "linux" {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat") //nolint:gosec // a /proc path made of a number
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name.
	_, rest, ok := strings.Cut(string(stat), ") ")
	return ok && strings.HasPrefix(rest, "Z")
}

func echoedPID(t *testing.T, stdout string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(stdout, "\n", 2)[0]))
	if err != nil || pid <= 0 {
		t.Fatalf("the command did not print a pid: %q", stdout)
	}
	return pid
}

// TestShellRunnerKillsTheWholeProcessGroupOnCancel is issue 9's Ctrl-C: a
// background child holding the output pipe used to keep Run waiting for it
// (30 s here) after sh alone was killed.
func TestShellRunnerKillsTheWholeProcessGroupOnCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	code, stdout, _ := ShellRunner{}.Run(ctx, t.TempDir(), "sleep 30 & echo $!; sleep 30; wait")
	took := time.Since(start)
	pid := echoedPID(t, stdout)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if took > 1500*time.Millisecond {
		t.Errorf("Run returned %s after the start, %s after the cancel: want about at once", took, took-300*time.Millisecond)
	}
	if code == 0 {
		t.Error("a killed command reported success")
	}
	if !goneWithin(pid, 2*time.Second) {
		t.Errorf("the background child %d survived the cancel", pid)
	}
}

// goneWithin reports whether pid is gone by the deadline. SIGKILL to a
// process group is delivered asynchronously: Run can return (sh has been
// reaped) a moment before the kernel has finished the background child. A
// child that was never sent the signal sleeps for 30 s, far past this.
func goneWithin(pid int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// TestShellRunnerBoundsTheWaitForOutput: a process that left the group (a
// new session) and keeps the output open cannot hold Run beyond
// commandWaitDelay after the command itself exited.
func TestShellRunnerBoundsTheWaitForOutput(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("needs setsid")
	}
	start := time.Now()
	code, stdout, stderr := ShellRunner{}.Run(context.Background(), t.TempDir(), `setsid sh -c 'echo $$; exec sleep 30' &`)
	took := time.Since(start)
	pid := echoedPID(t, stdout)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if code != 0 {
		t.Errorf("exit code %d (%s): the command itself succeeded", code, stderr)
	}
	if took > commandWaitDelay+3*time.Second {
		t.Errorf("Run took %s, want about %s", took, commandWaitDelay)
	}
}
