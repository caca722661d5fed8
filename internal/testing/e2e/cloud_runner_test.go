package e2e

import (
	"archive/zip"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/uploadtest"
)

// likeATerraformCloudRun gives the world's runs what a Terraform Cloud run
// gives the provider: configuration from the environment alone (newWorld's
// TENSORPOOL_KEY and TENSORPOOL_ENGINE), HOME an empty directory, no SSH
// agent, TF_IN_AUTOMATION=1 (the harness sets it for every run), and a
// TMPDIR of its own, so that the test sees every file the run leaves. It
// returns HOME and TMPDIR.
func (w *world) likeATerraformCloudRun() (home, tmp string) {
	w.t.Helper()
	home, tmp = w.t.TempDir(), w.t.TempDir()
	w.ws.Env = append(w.ws.Env, "HOME="+home, "TMPDIR="+tmp, "SSH_AUTH_SOCK=", "SSH_AGENT_PID=")
	return home, tmp
}

// TestUploadWithoutAToolSaysWhichAndThatNoJobWasCreated: on a runner whose
// PATH lacks a program the engine's upload command runs (here find, which
// the simulator's upload lists files with), the apply fails naming the
// program, saying that no job was created and how to provide it (for
// Terraform Cloud: an agent whose image has it); the engine has no job.
func TestUploadWithoutAToolSaysWhichAndThatNoJobWasCreated(t *testing.T) {
	w := newWorld(t, sim.Options{PendingDelay: time.Hour}, jobsConfig(1))
	w.likeATerraformCloudRun()
	w.ws.Env = append(w.ws.Env, "PATH="+uploadtest.PathWithOnly(t, "sh", "sed"))
	res := w.run("apply", "-auto-approve")
	out := res.Output()
	for _, want := range []string{
		"the upload command could not run find (exit code 127): it is not installed on the machine running the provider, or not on its PATH",
		"The engine created no job: nothing was submitted or bills.",
		"install find on that machine",
		"on a Terraform Cloud agent whose image has them",
	} {
		if !says(out, want) {
			t.Errorf("the apply does not say %q:\n%s", want, out)
		}
	}
	if res.ExitCode == 0 || len(w.server.Engine.Jobs()) != 0 || len(w.stateIDs()) != 0 {
		t.Errorf("exit %d, engine jobs %v, state %v: want a failed apply and no job anywhere", res.ExitCode, w.server.Engine.Jobs(), w.stateIDs())
	}
	w.checkNoOrphans()
}

// secretLines are the lines of a PEM private key that are key material.
func secretLines(private string) []string {
	var lines []string
	for _, line := range strings.Split(private, "\n") {
		if line != "" && !strings.HasPrefix(line, "-----") {
			lines = append(lines, line)
		}
	}
	return lines
}

// TestTerraformCloudRun runs examples/train-on-new-cluster as Terraform
// Cloud would (see likeATerraformCloudRun) against an engine whose uploads
// need an SSH identity the cluster accepts (the simulator's
// upload_needs_ssh_identity):
//
//   - a run canceled while the cluster is being claimed (SIGINT, as Terraform
//     Cloud sends it) stops with the cluster in the state;
//   - without TENSORPOOL_SSH_PRIVATE_KEY the jobs fail with the refused
//     identity, saying no job was created and how to provide one; with a
//     key the cluster lacks, the error names the key's fingerprint;
//   - with it, plan and apply submit both jobs, the key served by the
//     provider's own agent, and the key is in no file the run leaves: the
//     state, the saved plan, the TRACE log, HOME, TMPDIR;
//   - destroy leaves nothing live or billing.
//
// After every step, everything live in the engine is in the state.
func TestTerraformCloudRun(t *testing.T) {
	if _, err := exec.LookPath("ssh-add"); err != nil {
		t.Skip("ssh-add is not installed: the simulator's upload asks the runner's SSH agent for its identities with it")
	}
	opts := sim.Options{
		PendingDelay: time.Hour, CancelLatency: time.Second,
		RequestPendingLatency: 100 * time.Millisecond, ClusterProvisionLatency: 4 * time.Second,
		ClusterReleaseLatency: time.Second, StorageLatency: time.Second, RequestRetryAfter: time.Second,
		Faults: sim.Faults{UploadNeedsSSHIdentity: true},
	}
	w := newExampleWorld(t, opts, fullStackExample)
	home, tmp := w.likeATerraformCloudRun()
	private, public := uploadtest.NewSSHKey(t)
	w.ws.Env = append(w.ws.Env, "TF_VAR_ssh_public_key="+public)
	engine := w.server.Engine
	nothingOutsideTheState := func(step string) {
		t.Helper()
		ids := w.stateIDsOf("tensorpool_cluster", "tensorpool_storage", "tensorpool_storage_attachment")
		if err := engine.CheckNoOrphanedObjects(owner, ids); err != nil {
			t.Errorf("%s: %v", step, err)
		}
		if err := engine.CheckNoOrphans(owner, w.stateIDs()); err != nil {
			t.Errorf("%s: %v", step, err)
		}
	}

	out := w.interrupted("the cluster's claim, looked at once", func() bool {
		return len(w.ownClusters()) == 1 && engine.Stats()["GET /request/info"] > 0
	}, "apply", "-auto-approve")
	if ids := w.stateIDsOf("tensorpool_cluster"); len(ids) != 1 || len(engine.Jobs()) != 0 {
		t.Fatalf("after the canceled run: clusters in the state %v, engine jobs %v; want the claimed cluster and no job:\n%s", ids, engine.Jobs(), out)
	}
	nothingOutsideTheState("after the canceled run")

	res := w.run("apply", "-auto-approve")
	for _, want := range []string{
		"the machine running the provider offered no SSH key the cluster accepts",
		"The engine created no job: nothing was submitted or bills.",
		"set the TENSORPOOL_SSH_PRIVATE_KEY environment variable (in Terraform Cloud, a sensitive environment variable of the workspace)",
	} {
		if !says(res.Output(), want) {
			t.Errorf("the apply without a key does not say %q:\n%s", want, res.Output())
		}
	}
	if res.ExitCode == 0 || len(engine.Jobs()) != 0 {
		t.Fatalf("apply without a key: exit %d, engine jobs %v; want a failure and no job", res.ExitCode, engine.Jobs())
	}
	nothingOutsideTheState("after the apply without a key")

	// A key the cluster does not have: the error names its fingerprint.
	stranger, _ := uploadtest.NewSSHKey(t)
	signer, err := ssh.ParsePrivateKey([]byte(stranger))
	if err != nil {
		t.Fatal(err)
	}
	w.ws.Env = append(w.ws.Env, "TENSORPOOL_SSH_PRIVATE_KEY="+stranger)
	res = w.run("apply", "-auto-approve")
	if want := "fingerprint " + ssh.FingerprintSHA256(signer.PublicKey()); res.ExitCode == 0 || !says(res.Output(), want) || len(engine.Jobs()) != 0 {
		t.Fatalf("apply with a key the cluster lacks: exit %d, engine jobs %v; want a failure naming %q and no job:\n%s",
			res.ExitCode, engine.Jobs(), want, res.Output())
	}
	nothingOutsideTheState("after the apply with a key the cluster lacks")

	logPath := filepath.Join(t.TempDir(), "trace.log")
	w.ws.Env = append(w.ws.Env, "TENSORPOOL_SSH_PRIVATE_KEY="+private, "TF_LOG=TRACE", "TF_LOG_PATH="+logPath)
	planned := w.mustRun("plan", "-out=tfplan")
	applied := w.mustRun("apply", "tfplan")
	jobs := engine.Jobs()
	if len(jobs) != 2 {
		t.Fatalf("the engine has %d jobs after the apply with the key, want 2", len(jobs))
	}
	for _, j := range jobs {
		if paths := uploadedPaths(j.UploadListing); !slices.Contains(paths, "train.py") {
			t.Errorf("job %s uploaded %q, want the job folder", j.JobID, paths)
		}
	}
	nothingOutsideTheState("after the apply with the key")

	// The key is in no output and no file the runs left.
	texts := map[string]string{"plan output": planned.Output(), "apply output": applied.Output(), "first apply output": res.Output()}
	for _, name := range []string{"terraform.tfstate", "terraform.tfstate.backup", logPath} {
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(w.ws.Dir, name)
		}
		data, err := os.ReadFile(path) //nolint:gosec // G304: the test's own workspace files
		if err != nil && name != "terraform.tfstate.backup" {
			t.Fatal(err)
		}
		texts[name] = string(data)
	}
	for name, data := range planFileEntries(t, filepath.Join(w.ws.Dir, "tfplan")) {
		texts["tfplan/"+name] = data
	}
	if !strings.Contains(texts[logPath], "TensorPool job submitted") {
		t.Fatalf("the TRACE log does not hold the provider's lines; the check below would mean nothing")
	}
	for name, text := range texts {
		for _, line := range secretLines(private) {
			if strings.Contains(text, line) {
				t.Errorf("%s holds a line of the private key", name)
				break
			}
		}
	}
	for _, dir := range []string{home, tmp} {
		left, _ := os.ReadDir(dir)
		for _, entry := range left {
			// OpenTofu makes its own CLI folder in HOME; nothing else may be
			// left, and no file under it may hold the key.
			if entry.Name() != ".terraform.d" {
				t.Errorf("the runs left %s in %s", entry.Name(), dir)
			}
		}
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Error(err)
				return nil
			}
			if d.IsDir() {
				return nil
			}
			data, _ := os.ReadFile(path) //nolint:gosec // the test's own HOME and TMPDIR
			for _, line := range secretLines(private) {
				if strings.Contains(string(data), line) {
					t.Errorf("%s holds a line of the private key", path)
					break
				}
			}
			return nil
		})
	}

	w.destroy("-auto-approve")
}

// uploadedPaths is the paths of an upload listing (its first line is the
// directory).
func uploadedPaths(listing string) []string {
	return strings.Split(strings.TrimSuffix(listing, "\n"), "\n")[1:]
}

// planFileEntries is the text of every file in a saved plan (a zip archive,
// whose compressed entries a byte search would not see into).
func planFileEntries(t *testing.T, path string) map[string]string {
	t.Helper()
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	entries := map[string]string{}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		entries[f.Name] = string(data)
	}
	if len(entries) == 0 {
		t.Fatal("the saved plan has no entries")
	}
	return entries
}

// TestUnusableSSHKeyIsOneClearError: a private key the provider cannot serve
// (here protected by a passphrase, which nobody can type in a Terraform Cloud
// run) is one error naming where it came from, the environment variable or
// the ssh_private_key argument, without quoting the key; nothing reaches the
// engine.
func TestUnusableSSHKeyIsOneClearError(t *testing.T) {
	encrypted := uploadtest.NewEncryptedSSHKey(t, "typed by nobody")
	for _, from := range []string{"environment", "argument"} {
		t.Run(from, func(t *testing.T) {
			w := newWorld(t, sim.Options{}, func(src string) string {
				config := jobsConfig(1)(src)
				if from == "argument" {
					config = "variable \"key\" {\n  type      = string\n  sensitive = true\n}\n\n" +
						"provider \"tensorpool\" {\n  ssh_private_key = var.key\n}\n" + config
				}
				return config
			})
			if from == "argument" {
				w.ws.Env = append(w.ws.Env, "TF_VAR_key="+encrypted)
			} else {
				w.ws.Env = append(w.ws.Env, "TENSORPOOL_SSH_PRIVATE_KEY="+encrypted)
			}
			res := w.run("plan")
			out := res.Output()
			want := map[string]string{
				"environment": "Invalid SSH private key in TENSORPOOL_SSH_PRIVATE_KEY",
				"argument":    `ssh_private_key = var.key`,
			}[from]
			if res.ExitCode == 0 || strings.Count(out, "Error: ") != 1 || !says(out, want) ||
				!says(out, "protected by a passphrase, which nobody can type during an apply: give a key without a passphrase") {
				t.Errorf("plan: exit %d, want one error with %q and the passphrase:\n%s", res.ExitCode, want, out)
			}
			for _, line := range secretLines(encrypted) {
				if strings.Contains(out, line) {
					t.Errorf("the error quotes the key")
				}
			}
			if stats := w.server.Engine.Stats(); len(stats) != 0 {
				t.Errorf("requests reached the engine: %v", stats)
			}
		})
	}
}
