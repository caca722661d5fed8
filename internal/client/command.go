package client

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// CommandRunner runs an upload command sent by the engine.
type CommandRunner interface {
	Run(ctx context.Context, dir, command string) (exitCode int, stdout, stderr string)
}

// ShellRunner runs commands with the system shell (sh -c, or cmd /C on
// Windows), as the official CLI does, with three differences that keep the
// provider safe: each command runs in its own process group, killed as a
// whole when the context ends (Ctrl-C, a timeout); the wait for its output
// is bounded by commandWaitDelay once it has exited or been killed; and it
// sees only the environment variables named by CommandEnvironment.
type ShellRunner struct {
	// env is added to the allowed environment, replacing what it names
	// (SSH_AUTH_SOCK of SSHAgentRunner's agent).
	env []string
}

const maxCommandOutput = 1 << 20

// commandWaitDelay bounds how long Run waits for a command's output after
// the command exited or was killed: a background process that inherited the
// output pipes (for example an ssh master) must not hold the provider.
const commandWaitDelay = 2 * time.Second

// Run executes command in dir. A command that cannot start reports exit code
// 127 and the reason on stderr, like a shell would.
func (r ShellRunner) Run(ctx context.Context, dir, command string) (int, string, string) {
	cmd := shellCommand(ctx, command)
	cmd.Dir = dir
	// exec keeps the last of duplicate names: r.env wins.
	cmd.Env = append(commandEnv(os.Environ()), r.env...)
	cmd.WaitDelay = commandWaitDelay
	var stdout, stderr limitedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), stdout.String(), stderr.String()
	case errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil:
		// The command exited; something it left behind kept the output
		// open and was cut off. The exit code still stands.
		return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
	default:
		return 127, stdout.String(), err.Error()
	}
}

// commonCommandEnvironment is what CommandEnvironment allows on every system.
var commonCommandEnvironment = []string{
	"PATH", "HOME", "USER", "LOGNAME", "SHELL",
	"SSH_AUTH_SOCK", "SSH_AGENT_PID",
	"LANG", "LANGUAGE", "LC_*",
	"TMPDIR", "TMP", "TEMP", "TERM", "TZ",
}

// windowsCommandEnvironment is what Windows programs need on top.
var windowsCommandEnvironment = []string{
	"SYSTEMROOT", "COMSPEC", "PATHEXT", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "WINDIR",
}

// CommandEnvironment returns the names of the environment variables that
// an upload command sent by the engine receives from the provider's own
// environment; a name ending in `*` stands for every variable with that
// prefix. All others — TENSORPOOL_KEY, cloud credentials such as AWS_*,
// Terraform's TF_* — are withheld. The list is PATH, HOME, USER, LOGNAME,
// SHELL, SSH_AUTH_SOCK, SSH_AGENT_PID, LANG, LANGUAGE, LC_*, TMPDIR, TMP,
// TEMP, TERM and TZ, and on Windows also SYSTEMROOT, COMSPEC, PATHEXT,
// USERPROFILE, APPDATA, LOCALAPPDATA and WINDIR (compared ignoring case, as
// Windows does).
func CommandEnvironment() []string {
	names := append([]string(nil), commonCommandEnvironment...)
	if runtime.GOOS == "windows" {
		names = append(names, windowsCommandEnvironment...)
	}
	return names
}

// commandEnv keeps the entries of environ ("NAME=value") that
// CommandEnvironment allows.
func commandEnv(environ []string) []string {
	allowed := CommandEnvironment()
	kept := make([]string, 0, len(allowed))
	for _, entry := range environ {
		name, _, ok := strings.Cut(entry, "=")
		if !ok || name == "" {
			continue
		}
		for _, pattern := range allowed {
			if envNameMatches(pattern, name) {
				kept = append(kept, entry)
				break
			}
		}
	}
	return kept
}

func envNameMatches(pattern, name string) bool {
	if runtime.GOOS == "windows" {
		pattern, name = strings.ToUpper(pattern), strings.ToUpper(name)
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(name, prefix)
	}
	return name == pattern
}

type limitedBuffer struct{ bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxCommandOutput - l.Len(); room > 0 {
		if len(p) > room {
			l.Buffer.Write(p[:room])
		} else {
			l.Buffer.Write(p)
		}
	}
	return len(p), nil
}
