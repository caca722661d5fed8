package client

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// CommandProblem is what an engine command lacked on the machine that ran
// it, as far as its exit code and stderr tell: something the user of that
// machine can provide, unlike a failure on the engine's side.
type CommandProblem string

const (
	// ToolMissing: a program the command runs is not installed, or not on
	// the PATH the command got.
	ToolMissing CommandProblem = "tool missing"
	// IdentityRefused: ssh offered no identity (key) the remote side accepts.
	IdentityRefused CommandProblem = "identity refused"
	// HostKeyUnverified: ssh could not check the remote host's key against
	// a known_hosts file, and cannot ask anyone.
	HostKeyUnverified CommandProblem = "host key unverified"
)

// CommandFailure is an engine command (an upload of a job's files) that
// failed for want of something on the machine running it.
type CommandFailure struct {
	Problem CommandProblem
	// Tool is the program that could not run (ToolMissing only).
	Tool     string
	ExitCode int
	// AgentKey is the SHA256 fingerprint of the key that the client's own
	// SSH agent served to the command (SSHAgentRunner), "" when none.
	AgentKey string
}

func (f *CommandFailure) Error() string {
	switch f.Problem {
	case ToolMissing:
		return fmt.Sprintf("the upload command could not run %s (exit code %d): it is not installed on the machine running the provider, or not on its PATH", f.Tool, f.ExitCode)
	case IdentityRefused:
		if f.AgentKey != "" {
			return fmt.Sprintf("the upload command's ssh was refused (Permission denied (publickey), exit code %d): the cluster does not accept the SSH key the provider served (%s)", f.ExitCode, f.AgentKey)
		}
		return fmt.Sprintf("the upload command's ssh was refused (Permission denied (publickey), exit code %d): the machine running the provider offered no SSH key the cluster accepts", f.ExitCode)
	case HostKeyUnverified:
		return fmt.Sprintf("the upload command's ssh could not verify the cluster's host key (Host key verification failed, exit code %d): the machine running the provider has no known_hosts entry for it", f.ExitCode)
	}
	return fmt.Sprintf("the upload command failed with exit code %d", f.ExitCode)
}

// Where shells and tools say which program could not run, first match
// wins. Exit code 127 is a shell's "command not found"; 14 is rsync's
// "error in IPC code", its exit when it cannot start ssh.
var missingToolPatterns = []struct {
	exitCodes []int
	re        *regexp.Regexp
}{
	// Go's own exec, when even the shell is missing (ShellRunner.Run).
	{[]int{127}, regexp.MustCompile(`exec: "([^"]+)": executable file not found`)},
	// rsync: "rsync: [sender] Failed to exec ssh: No such file or directory (2)".
	{[]int{14, 127, 255}, regexp.MustCompile(`Failed to exec ([^\s:]+): No such file`)},
	// zsh: "zsh:1: command not found: rsync".
	{[]int{127}, regexp.MustCompile(`command not found: (\S+)`)},
	// dash, bash, busybox: "sh: 1: rsync: not found", "bash: line 1: rsync:
	// command not found", "sh: 1: exec: ssh-add: not found".
	{[]int{127}, regexp.MustCompile(`([^\s:'"]+): (?:command )?not found`)},
}

// diagnoseCommand reads a failed command's exit code and stderr for what
// the machine lacked; nil when it is not one of the known problems (the
// engine's own reason then tells what went wrong).
func diagnoseCommand(exitCode int, stderr string) *CommandFailure {
	if exitCode == 0 {
		return nil
	}
	for _, p := range missingToolPatterns {
		if !slices.Contains(p.exitCodes, exitCode) {
			continue
		}
		if m := p.re.FindStringSubmatch(stderr); m != nil {
			return &CommandFailure{Problem: ToolMissing, Tool: m[1], ExitCode: exitCode}
		}
	}
	switch {
	case strings.Contains(stderr, "Permission denied (publickey"):
		return &CommandFailure{Problem: IdentityRefused, ExitCode: exitCode}
	case strings.Contains(stderr, "Host key verification failed"):
		return &CommandFailure{Problem: HostKeyUnverified, ExitCode: exitCode}
	}
	return nil
}
