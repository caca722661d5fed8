//go:build windows

package client

import (
	"context"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// taskkillTimeout bounds the tree kill below.
const taskkillTimeout = 5 * time.Second

// shellCommand runs command with cmd in a process group of its own, so that
// canceling ctx ends cmd and every process it started, not cmd alone.
func shellCommand(ctx context.Context, command string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "cmd", "/C", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
	cmd.Cancel = func() error {
		// taskkill /T ends the whole tree started by cmd; if it cannot run,
		// at least cmd itself is killed (and WaitDelay bounds the rest).
		killCtx, cancel := context.WithTimeout(context.Background(), taskkillTimeout)
		defer cancel()
		tree := exec.CommandContext(killCtx, "taskkill", "/T", "/F", "/PID", strconv.Itoa(cmd.Process.Pid))
		if err := tree.Run(); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	return cmd
}
