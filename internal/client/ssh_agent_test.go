package client

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh/agent"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/uploadtest"
)

// The agent serves the key, and only it, while the session lasts; nothing
// but its socket is on disk, and after the session not even that.
func TestSSHAgentSessionServesTheKeyAndLeavesNothing(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	private, public := uploadtest.NewSSHKey(t)
	r, err := NewSSHAgentRunner(private)
	if err != nil {
		t.Fatal(err)
	}
	runner, end, err := r.startSession(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_AUTH_SOCK", "/the/host/agent")
	code, stdout, stderr := runner.Run(context.Background(), t.TempDir(), `printf %s "$SSH_AUTH_SOCK"`)
	socket := stdout
	if code != 0 || socket == "/the/host/agent" || !strings.HasPrefix(socket, os.Getenv("TMPDIR")) {
		t.Fatalf("SSH_AUTH_SOCK %q (exit %d, %s), want the session's socket, not the host's agent", socket, code, stderr)
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(t.Context(), "unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := agent.NewClient(conn).List()
	if err != nil || len(keys) != 1 || keys[0].String() != public+" "+agentComment {
		t.Fatalf("agent lists %v (%v), want the one key %s", keys, err, public)
	}
	if err := agent.NewClient(conn).RemoveAll(); err == nil {
		t.Error("a command could remove the served key")
	}
	// The key is in no file: the agent's directory holds the socket alone.
	var files []string
	_ = filepath.WalkDir(os.Getenv("TMPDIR"), func(path string, d fs.DirEntry, err error) error { //nolint:gosec // the test's own temporary directory
		if err == nil && !d.IsDir() {
			files = append(files, path)
			if info, _ := d.Info(); info != nil && info.Mode()&fs.ModeSocket == 0 {
				t.Errorf("%s is a file during the session", path)
			}
		}
		return nil
	})
	if len(files) != 1 || files[0] != socket {
		t.Errorf("files during the session %v, want only the socket", files)
	}
	_ = conn.Close()

	end()
	if _, err := dialer.DialContext(t.Context(), "unix", socket); err == nil {
		t.Error("the agent still answers after the session")
	}
	if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// Through the simulator's identity check (ssh-add -L against the cluster's
// keys): the served key uploads; another key is refused, and the error
// names the key the agent served.
func TestSimPushWithTheAgentsKey(t *testing.T) {
	if _, err := exec.LookPath("ssh-add"); err != nil {
		t.Skip("ssh-add is not installed")
	}
	srv, c := startSim(t, sim.Options{Faults: sim.Faults{UploadNeedsSSHIdentity: true}})
	private, public := uploadtest.NewSSHKey(t)
	cluster, err := srv.Engine.AddCluster(testKey, sim.ClusterSpec{PublicKeys: []string{public + " laptop"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_AUTH_SOCK", "") // no agent of the machine's own
	push := func(privateKey string) (*PushResult, *SSHAgentRunner, error) {
		r, err := NewSSHAgentRunner(privateKey)
		if err != nil {
			t.Fatal(err)
		}
		c.runner = r
		res, err := c.PushJob(context.Background(), PushRequest{Config: `commands = ["python train.py"]`, ClusterID: cluster, Dir: t.TempDir()})
		return res, r, err
	}

	res, _, err := push(private)
	if err != nil || res.JobID == "" {
		t.Fatalf("push with the cluster's key: %v", err)
	}

	other, _ := uploadtest.NewSSHKey(t)
	_, r, err := push(other)
	var pushErr *PushError
	if !errors.As(err, &pushErr) || pushErr.Command == nil || pushErr.Command.Problem != IdentityRefused ||
		pushErr.Command.AgentKey != r.Fingerprint() || !strings.Contains(err.Error(), r.Fingerprint()) {
		t.Fatalf("push with another key: %v, want the refusal naming %s", err, r.Fingerprint())
	}
	if n := len(srv.Engine.Jobs()); n != 1 {
		t.Errorf("%d jobs, want the one accepted", n)
	}
}

func TestSSHAgentRunnerRefusesKeysItCannotServe(t *testing.T) {
	encrypted := uploadtest.NewEncryptedSSHKey(t, "secret")
	_, public := uploadtest.NewSSHKey(t)
	for name, tt := range map[string]struct{ key, want string }{
		"passphrase":          {encrypted, "protected by a passphrase"},
		"a public key":        {public, "cannot be read"},
		"garbage":             {"not a key at all", "cannot be read"},
		"cut off after BEGIN": {"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n", "cannot be read"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewSSHAgentRunner(tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			for _, line := range strings.Split(tt.key, "\n") {
				if len(line) > 8 && strings.Contains(err.Error(), line) {
					t.Errorf("error %q quotes the key's %q", err, line)
				}
			}
		})
	}
}
