package sim

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// toolbox is a directory for PATH holding links to the system's copies of
// tools and the given shell scripts (name → body), and nothing else: a
// machine that has exactly these programs.
func toolbox(t *testing.T, tools []string, scripts map[string]string) string {
	t.Helper()
	bin := t.TempDir()
	for _, tool := range tools {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s is not installed", tool)
		}
		if err := os.Symlink(path, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil { //nolint:gosec // G306: a test's own executable script
			t.Fatal(err)
		}
	}
	return bin
}

// runWithPath runs command with sh from bin, PATH=bin only, in dir, and
// returns its exit code and output.
func runWithPath(t *testing.T, bin, dir, command string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), filepath.Join(bin, "sh"), "-c", command) //nolint:gosec // G204: the command under test is the simulator's upload command
	cmd.Env = []string{"PATH=" + bin}
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// A real upload fails when one of its tools is missing; so does the
// simulator's, whichever tool it is: in `find … | sed …` a missing find
// went unnoticed (the pipe's status is sed's).
func TestUploadCommandFailsWhenAnyToolIsMissing(t *testing.T) {
	dir := makeTree(t)
	for _, missing := range []string{"find", "sed"} {
		t.Run("without "+missing, func(t *testing.T) {
			var tools []string
			for _, tool := range []string{"sh", "find", "sed"} {
				if tool != missing {
					tools = append(tools, tool)
				}
			}
			code, _, stderr := runWithPath(t, toolbox(t, tools, nil), dir, uploadCommand(nil))
			if code != 127 || !strings.Contains(stderr, missing+": not found") {
				t.Errorf("exit %d, stderr %q; want 127 and %q", code, stderr, missing+": not found")
			}
		})
	}
	t.Run("all there, empty directory", func(t *testing.T) {
		empty := t.TempDir()
		code, stdout, stderr := runWithPath(t, toolbox(t, []string{"sh", "find", "sed"}, nil), empty, uploadCommand(nil))
		if resolved, _ := filepath.EvalSymlinks(empty); code != 0 || stderr != "" ||
			(stdout != empty+"\n" && stdout != resolved+"\n") {
			t.Errorf("exit %d, stdout %q, stderr %q; want 0 and only the directory", code, stdout, stderr)
		}
	})
}

// A cluster accepts an upload only from a machine whose SSH agent holds one
// of its keys (Faults.UploadNeedsSSHIdentity). The agent is a stand-in
// ssh-add script; its comments differ from the cluster's on purpose.
func TestUploadIdentityCheck(t *testing.T) {
	const (
		authorized = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAuthorizedKeyBlob+/= laptop"
		other      = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherKeyBlob= other"
	)
	listAgent := func(line string) map[string]string {
		return map[string]string{"ssh-add": "[ \"$1\" = -L ] || exit 2; echo '" + line + "'"}
	}
	noIdentities := map[string]string{"ssh-add": "echo 'The agent has no identities.'; exit 1"}
	noAgent := map[string]string{"ssh-add": "echo 'Could not open a connection to your authentication agent.' >&2; exit 2"}
	tests := []struct {
		name     string
		cluster  []string
		scripts  map[string]string
		wantCode int
		wantErr  string
	}{
		{name: "the agent holds a cluster key", cluster: []string{other, authorized},
			scripts: listAgent("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAuthorizedKeyBlob+/= from-the-agent")},
		{name: "the agent holds another key", cluster: []string{authorized}, scripts: listAgent(other),
			wantCode: 255, wantErr: "Permission denied (publickey)."},
		{name: "the agent holds no key", cluster: []string{authorized}, scripts: noIdentities,
			wantCode: 255, wantErr: "Permission denied (publickey)."},
		{name: "no agent", cluster: []string{authorized}, scripts: noAgent,
			wantCode: 255, wantErr: "Permission denied (publickey)."},
		{name: "a cluster without keys", scripts: listAgent(authorized),
			wantCode: 255, wantErr: "Permission denied (publickey)."},
		{name: "no ssh-add", cluster: []string{authorized}, wantCode: 127, wantErr: "ssh-add: not found"},
	}
	dir := makeTree(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := toolbox(t, []string{"sh", "find", "sed"}, tt.scripts)
			code, stdout, stderr := runWithPath(t, bin, dir, identityCheck(tt.cluster)+uploadCommand(nil))
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
			if _, paths := listing(stdout); code == 0 && !slices.Equal(paths, treeWithout()) {
				t.Errorf("accepted, but listed %q", paths)
			}
			if code != 0 && stdout != "" {
				t.Errorf("refused, but listed %q", stdout)
			}
		})
	}
}

// With the switch on, /job/push sends the identity check with the keys of
// the cluster pushed to, and a refused identity fails the push like any
// failed upload command: no job.
func TestPushNeedsAnAuthorizedIdentityWhenSwitchedOn(t *testing.T) {
	const clusterKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIClusterKey= ci"
	srv, _ := start(t, func(o *Options) { o.UploadNeedsSSHIdentity = true })
	id, err := srv.Engine.AddCluster(key1, ClusterSpec{PublicKeys: []string{clusterKey}})
	if err != nil {
		t.Fatal(err)
	}
	bin := toolbox(t, []string{"sh", "find", "sed"}, map[string]string{"ssh-add": "echo 'The agent has no identities.'; exit 1"})
	dir := t.TempDir()
	c, ctx := dial(t, srv, "/job/push", keyMsg(key1))
	send(ctx, c, pushRequestMsg(goodConfig, "Linux", id))
	var sent string
	_, err = readAll(ctx, c, func(m map[string]any) {
		if cmd, _ := m["command"].(string); cmd != "" {
			sent = cmd
			code, stdout, stderr := runWithPath(t, bin, dir, cmd)
			send(context.WithoutCancel(ctx), c, map[string]any{"type": "command_result", "command": cmd, "exit_code": code,
				"command_stdout": stdout, "command_stderr": stderr})
		}
	})
	if want := identityCheck([]string{clusterKey}) + uploadCommand(nil); sent != want {
		t.Errorf("command %q, want %q", sent, want)
	}
	ce := closeOf(t, err)
	if ce.Code != websocket.StatusInternalError || !strings.Contains(ce.Reason, "exit code 255: Permission denied (publickey).") {
		t.Errorf("close %d %q, want 1011 with the refusal", ce.Code, ce.Reason)
	}
	if jobs := srv.Engine.Jobs(); len(jobs) != 0 {
		t.Errorf("a refused upload created jobs %v", jobs)
	}
}
