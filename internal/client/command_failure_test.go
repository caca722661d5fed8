package client

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/uploadtest"
)

// What each shell and tool prints when something is missing, as they print
// it (dash, bash, busybox ash, zsh, rsync, OpenSSH, Go's exec).
func TestDiagnoseCommandNamesWhatIsMissing(t *testing.T) {
	tests := []struct {
		name    string
		code    int
		stderr  string
		problem CommandProblem
		tool    string
	}{
		{"dash", 127, "sh: 1: rsync: not found\n", ToolMissing, "rsync"},
		{"bash", 127, "bash: line 1: rsync: command not found\n", ToolMissing, "rsync"},
		{"busybox", 127, "sh: find: not found\n", ToolMissing, "find"},
		{"zsh", 127, "zsh:1: command not found: rsync\n", ToolMissing, "rsync"},
		{"exec builtin", 127, "sh: 1: exec: ssh-add: not found\n", ToolMissing, "ssh-add"},
		{"no shell at all", 127, `exec: "sh": executable file not found in $PATH`, ToolMissing, "sh"},
		{"rsync without ssh", 14, "rsync: [sender] Failed to exec ssh: No such file or directory (2)\n" +
			"rsync error: error in IPC code (code 14) at pipe.c(85) [sender=3.2.7]\n", ToolMissing, "ssh"},
		{"ssh refused", 255, "root@10.0.0.1: Permission denied (publickey).\n", IdentityRefused, ""},
		{"ssh refused through rsync", 255, "root@10.0.0.1: Permission denied (publickey,password).\r\n" +
			"rsync: connection unexpectedly closed (0 bytes received so far) [sender]\n", IdentityRefused, ""},
		{"host key", 255, "No ED25519 host key is known for 10.0.0.1 and you have requested strict checking.\n" +
			"Host key verification failed.\n", HostKeyUnverified, ""},
		{"an ordinary failure", 23, "rsync: change_dir \"/nope\" failed: No such file or directory (2)\n", "", ""},
		{"not found, but not a shell's 127", 1, "sh: 1: rsync: not found\n", "", ""},
		{"success", 0, "Permission denied (publickey).", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := diagnoseCommand(tt.code, tt.stderr)
			if tt.problem == "" {
				if f != nil {
					t.Fatalf("diagnosed %+v, want nothing", f)
				}
				return
			}
			if f == nil || f.Problem != tt.problem || f.Tool != tt.tool || f.ExitCode != tt.code {
				t.Fatalf("diagnosed %+v, want %s %q", f, tt.problem, tt.tool)
			}
		})
	}
}

// A machine without find cannot run the simulator's upload: the push fails,
// says which tool was missing, and no job exists.
func TestSimPushWithoutAToolSaysWhichOne(t *testing.T) {
	srv, c := startSim(t, sim.Options{})
	t.Setenv("PATH", uploadtest.PathWithOnly(t, "sh", "sed"))
	_, err := c.PushJob(context.Background(), PushRequest{Config: `commands = ["python train.py"]`, ClusterID: "c-local", Dir: t.TempDir()})
	var pushErr *PushError
	if !errors.As(err, &pushErr) || pushErr.Command == nil || pushErr.Command.Problem != ToolMissing ||
		pushErr.Command.Tool != "find" || pushErr.JobID != "" {
		t.Fatalf("err %v (%#v), want a PushError naming find", err, pushErr)
	}
	if !strings.Contains(err.Error(), "could not run find") {
		t.Errorf("error %q does not name find", err)
	}
	if jobs := srv.Engine.Jobs(); len(jobs) != 0 {
		t.Errorf("jobs %v exist after a failed upload", jobs)
	}
}
