package e2e

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// ephemeralConfig claims a cluster, enables object storage, and hands the
// SSH command of the cluster's first instance and the S3 secret key to a
// provisioner, which writes them to used.txt: what a configuration does
// with ephemeral values (a provider block, a provisioner), never stored.
const ephemeralConfig = `
resource "tensorpool_cluster" "train" {
  instance_type = "1xH100"
}

resource "tensorpool_object_storage" "this" {}

ephemeral "tensorpool_cluster_ssh" "train" {
  cluster_id = tensorpool_cluster.train.id
}

ephemeral "tensorpool_object_storage_credentials" "s3" {
  object_storage_id = tensorpool_object_storage.this.id
}

resource "terraform_data" "use" {
  input = tensorpool_cluster.train.id

  provisioner "local-exec" {
    command = "printf '%s\\n%s\\n' \"$SSH_COMMAND\" \"$S3_SECRET\" > used.txt"
    environment = {
      SSH_COMMAND = ephemeral.tensorpool_cluster_ssh.train.commands[tensorpool_cluster.train.instance_ids[0]]
      S3_SECRET   = ephemeral.tensorpool_object_storage_credentials.s3.secret_access_key
    }
  }
}
`

// requireEphemeralResources skips the test on a CLI without ephemeral
// resources: Terraform 1.10 and OpenTofu 1.11 brought them.
func requireEphemeralResources(t *testing.T) {
	t.Helper()
	v := cliVersion(t)
	minor := 10
	if v.OpenTofu {
		minor = 11
	}
	if v.Major == 1 && v.Minor < minor {
		t.Skipf("needs Terraform 1.10 or OpenTofu 1.11 or later; this CLI is %+v", v)
	}
}

// planFileText is every entry of a saved plan (a zip archive), uncompressed
// and joined.
func planFileText(t *testing.T, path string) string {
	t.Helper()
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("the plan file is not a zip archive: %v", err)
	}
	defer r.Close()
	var all bytes.Buffer
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		// A plan file written by the CLI under test, capped all the same.
		_, err = io.Copy(&all, io.LimitReader(rc, 64<<20))
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return all.String()
}

// TestEphemeralValuesInNoPlanOrState: through the real CLI (Terraform ≥
// 1.10), the SSH command and the S3 secret key reach the provisioner that
// uses them (used.txt holds both), while neither is in a saved plan (its
// files uncompressed, nor `terraform show -json` of it), the state file or
// `terraform show -json` of the state, the CLI's output, or a TF_LOG=trace
// log of a plan that opens them; destroy then
// releases the cluster and disables object storage.
func TestEphemeralValuesInNoPlanOrState(t *testing.T) {
	requireEphemeralResources(t)
	w := newWorld(t, sim.Options{RequestPendingLatency: 50 * time.Millisecond, ClusterProvisionLatency: 100 * time.Millisecond,
		ClusterReleaseLatency: 100 * time.Millisecond}, func(string) string { return ephemeralConfig })

	// The first plan cannot open the ephemeral resources (the cluster and
	// the storage do not exist yet); the apply of that plan does.
	var outputs []string
	outputs = append(outputs, w.mustRun("plan", "-out=first.tfplan", "-no-color").Output())
	outputs = append(outputs, w.mustRun("apply", "-no-color", "first.tfplan").Output())
	used, err := os.ReadFile(filepath.Join(w.ws.Dir, "used.txt"))
	if err != nil {
		t.Fatalf("the provisioner did not write used.txt: %v", err)
	}
	clusters := w.ownClusters()
	if len(clusters) != 1 || len(clusters[0].InstanceIDs) != 1 {
		t.Fatalf("the engine has clusters %+v, want one with one instance", clusters)
	}
	instance := clusters[0].InstanceIDs[0]
	secret := w.server.Engine.ObjectStorageSecret(w.key)
	lines := strings.Split(strings.TrimSpace(string(used)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ssh ") || !strings.Contains(lines[0], instance) || lines[1] != secret || secret == "" {
		t.Fatalf("used.txt does not hold the SSH command of %s and the engine's secret key: %q", instance, used)
	}
	sshCommand := lines[0]

	// A second plan opens both during the plan: it is saved too.
	w.mustRun("taint", "terraform_data.use")
	// It runs at TF_LOG=trace: the log must not hold them either.
	logPath := filepath.Join(t.TempDir(), "trace.log")
	env := w.ws.Env
	w.ws.Env = append(append([]string(nil), env...), "TF_LOG=trace", "TF_LOG_PATH="+logPath)
	before := w.server.Engine.Stats()
	outputs = append(outputs, w.mustRun("plan", "-out=second.tfplan", "-no-color").Output())
	after := w.server.Engine.Stats()
	w.ws.Env = env
	traceLog, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(traceLog), "/ssh/"+instance) {
		t.Fatal("the trace log does not show the provider's request for the SSH command: the search below would prove nothing")
	}
	for _, route := range []string{"GET /ssh", "GET /object-storage/credentials"} {
		if after[route] <= before[route] {
			t.Errorf("the second plan sent no %s: it did not open the ephemeral resource", route)
		}
	}

	places := map[string]string{"CLI output": strings.Join(outputs, "\n")}
	for _, plan := range []string{"first.tfplan", "second.tfplan"} {
		places[plan+" (its files)"] = planFileText(t, filepath.Join(w.ws.Dir, plan))
		places[plan+" (show -json)"] = w.mustRun("show", "-json", plan).Stdout
	}
	state, err := os.ReadFile(filepath.Join(w.ws.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	places["terraform.tfstate"] = string(state)
	places["TF_LOG=trace log of the second plan"] = string(traceLog)
	places["show -json"] = w.mustRun("show", "-json").Stdout
	if !strings.Contains(places["terraform.tfstate"], instance) {
		t.Fatalf("the state does not even name instance %s: the search below would prove nothing", instance)
	}
	for place, text := range places {
		if strings.Contains(text, sshCommand) || strings.Contains(text, "instances.sim.tensorpool.invalid") {
			t.Errorf("%s holds the SSH command", place)
		}
		if strings.Contains(text, secret) {
			t.Errorf("%s holds the S3 secret key", place)
		}
	}

	w.destroy("-auto-approve", "-no-color")
	if _, enabled := w.server.Engine.ObjectStorage(w.key); enabled {
		t.Error("object storage is still enabled after destroy")
	}
}
