package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// forgottenConfig makes one of each kind a query finds: a key, a cluster,
// a volume and a job (on the world's shared cluster).
func forgottenConfig(src string) string {
	return fmt.Sprintf(`
resource "tensorpool_ssh_key" "laptop" {
  public_key = %q
  name       = "laptop"
}

resource "tensorpool_cluster" "old" {
  instance_type = "1xH100"
  name          = "old-experiment"
  depends_on    = [tensorpool_ssh_key.laptop]
}

resource "tensorpool_storage" "old" {
  size = 100
  name = "old-data"
}

resource "tensorpool_job" "old" {
  cluster_id = %q
  source_dir = %q
  config     = "commands = [\"python train.py\"]"
}
`, demoPublicKey, cluster, src)
}

// findEverything is a query file listing all four kinds with their
// objects; the world's shared cluster (no owner: it bills nobody) is left
// out.
const findEverything = `
list "tensorpool_cluster" "found" {
  provider         = tensorpool
  include_resource = true
  config {
    exclude_ids = ["` + cluster + `"]
  }
}

list "tensorpool_storage" "found" {
  provider         = tensorpool
  include_resource = true
}

list "tensorpool_ssh_key" "found" {
  provider         = tensorpool
  include_resource = true
}

list "tensorpool_job" "found" {
  provider         = tensorpool
  include_resource = true
}
`

// simBilling is GET /_sim/billing: the simulator's own view of what bills.
func (w *world) simBilling() []sim.BillingEntry {
	w.t.Helper()
	req, err := http.NewRequestWithContext(w.ctx, http.MethodGet, w.server.URL+"/_sim/billing?owner="+owner, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var report struct {
		Billing []sim.BillingEntry `json:"billing"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&report); err != nil {
		w.t.Fatal(err)
	}
	return report.Billing
}

// TestQueryFindsWhatAnotherConfigurationForgot is the whole way from
// objects nobody remembers to objects Terraform manages: a key, a cluster, a
// volume and a job created by one configuration and forgotten by it (state
// rm), and a cluster created straight on the engine, are all found by
// `terraform query` in another workspace; the configuration
// `-generate-config-out` writes imports them (the job once its config and
// source_dir are filled in, which the engine does not report), plans
// clean after the apply, and its destroy leaves nothing billing in the
// simulator's own view (/_sim/billing) and no key saved.
func TestQueryFindsWhatAnotherConfigurationForgot(t *testing.T) {
	requireTerraform1x(t, 14)
	opts := sim.Options{
		PendingDelay: time.Hour, RequestPendingLatency: 100 * time.Millisecond, ClusterProvisionLatency: time.Second,
		ClusterReleaseLatency: time.Second, StorageLatency: time.Second, RequestRetryAfter: time.Second,
	}
	w := newWorld(t, opts, forgottenConfig)
	src := regexp.MustCompile(`source_dir = "([^"]+)"`).FindStringSubmatch(readFile(t, filepath.Join(w.ws.Dir, "main.tf")))[1]
	w.mustRun("apply", "-auto-approve")
	for _, address := range []string{"tensorpool_ssh_key.laptop", "tensorpool_cluster.old", "tensorpool_storage.old", "tensorpool_job.old"} {
		w.mustRun("state", "rm", address)
	}
	outside := w.claimOnTheEngine("by-hand", true)

	engine := w.server.Engine
	clusterIDs := []string{outside}
	for _, c := range w.ownClusters() {
		if c.ClusterID != outside {
			clusterIDs = append(clusterIDs, c.ClusterID)
		}
	}
	volumes, keys, jobs := engine.Storage(), engine.SSHKeys(), engine.Jobs()
	if len(clusterIDs) != 2 || len(volumes) != 1 || len(keys) != 1 || len(jobs) != 1 {
		t.Fatalf("the engine has clusters %v, %d volumes, %d keys, %d jobs; want two clusters and one of the rest", clusterIDs, len(volumes), len(keys), len(jobs))
	}

	finder, err := harness.Workspace(workspaceName(t)+"_finder", "provider \"tensorpool\" {}\n")
	if err != nil {
		t.Fatal(err)
	}
	w.use(finder)
	if err := os.WriteFile(filepath.Join(finder.Dir, "find.tfquery.hcl"), []byte(findEverything), 0o600); err != nil {
		t.Fatal(err)
	}
	res := w.mustRun("query", "-no-color")
	for _, id := range append(append(slices.Clone(clusterIDs), volumes[0].StorageID, keys[0].KeyID), jobs[0].JobID) {
		if !strings.Contains(res.Output(), id) {
			t.Errorf("terraform query does not show %s:\n%s", id, res.Output())
		}
	}
	if strings.Contains(res.Output(), cluster+" ") || strings.Contains(res.Output(), cluster+"\n") {
		t.Errorf("terraform query shows the excluded cluster %s:\n%s", cluster, res.Output())
	}
	if !says(res.Output(), "by-hand ("+outside+")") {
		t.Errorf("terraform query does not name the cluster created outside Terraform by its name:\n%s", res.Output())
	}

	w.mustRun("query", "-no-color", "-generate-config-out=found.tf")
	generatedPath := filepath.Join(finder.Dir, "found.tf")
	generated := readFile(t, generatedPath)
	for _, id := range append(append(slices.Clone(clusterIDs), volumes[0].StorageID, keys[0].KeyID), jobs[0].JobID) {
		if !strings.Contains(generated, `id = "`+id+`"`) {
			t.Errorf("found.tf has no import of %s:\n%s", id, generated)
		}
	}
	// What the engine does not report of the job: a person fills it in.
	filled, n := fillJobInputs(generated, src)
	if n != 2 {
		t.Fatalf("found.tf does not leave the job's config and source_dir null (%d of 2 found):\n%s", n, generated)
	}
	if err := os.WriteFile(generatedPath, []byte(filled), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("found.tf, the job's inputs filled in:\n%s", filled)
	w.mustRun("apply", "-auto-approve")
	if res := w.run("plan", "-detailed-exitcode"); res.ExitCode != 0 {
		t.Errorf("plan after importing the found objects: exit %d, want 0 (an empty plan):\n%s\nfound.tf:\n%s", res.ExitCode, res.Output(), filled)
	}
	managed := w.stateIDsOf("tensorpool_cluster", "tensorpool_storage", "tensorpool_ssh_key", "tensorpool_job")
	if len(managed) != 5 {
		t.Errorf("the finder's state holds %v, want the 5 found objects", managed)
	}

	w.mustRun("destroy", "-auto-approve")
	for _, entry := range w.simBilling() {
		if entry.Billing {
			t.Errorf("after destroy, the simulator still bills %s %s (%s)", entry.Kind, entry.ObjectID, entry.Status)
		}
	}
	if err := errors.Join(engine.CheckNothingBilling(owner), engine.CheckNoSSHKeys(owner)); err != nil {
		t.Error(err)
	}
	if job, _ := engine.Job(jobs[0].JobID); !sim.IsTerminal(job.Status) {
		t.Errorf("after destroy, job %s is %s", job.JobID, job.Status)
	}
}

// claimOnTheEngineRunning is claimOnTheEngine for a cluster that the test
// then moves to RUNNING on the engine clock (past any provisioning latency).
func (w *world) claimOnTheEngineRunning(name string) string {
	w.t.Helper()
	id := w.claimOnTheEngine(name, false)
	w.clock.Skip(2 * time.Hour)
	w.waitFor("cluster "+id+" to run", func() bool {
		c, ok := w.server.Engine.Cluster(id)
		return ok && c.Status == "RUNNING"
	})
	return id
}

// claimOnTheEngine creates a cluster straight on the simulator, as `tp
// cluster create` would, and with wait waits until the engine has it
// running.
func (w *world) claimOnTheEngine(name string, wait bool) string {
	w.t.Helper()
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.server.URL+"/cluster/create",
		strings.NewReader(`{"instance_type":"1xH100","tp_cluster_name":"`+name+`","deletion_protection":false}`))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var created struct {
		ClusterID string `json:"cluster_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != http.StatusAccepted {
		w.t.Fatalf("cluster create on the engine: %d %v", resp.StatusCode, err)
	}
	if wait {
		w.waitFor("the cluster created on the engine to run", func() bool {
			c, ok := w.server.Engine.Cluster(created.ClusterID)
			return ok && c.Status == "RUNNING"
		})
	}
	return created.ClusterID
}

// fillJobInputs sets the generated job's null config and source_dir, and
// says how many of the two it found.
func fillJobInputs(generated, src string) (string, int) {
	n := 0
	for attr, value := range map[string]string{"config": `"commands = [\"python train.py\"]"`, "source_dir": fmt.Sprintf("%q", src)} {
		re := regexp.MustCompile(`(?m)^(\s*` + attr + `\s*=\s*)null$`)
		if re.MatchString(generated) {
			n++
			generated = re.ReplaceAllString(generated, "${1}"+strings.ReplaceAll(value, "$", "$$"))
		}
	}
	return generated, n
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

const unmanagedClustersExample = "examples/list-resources/tensorpool_cluster"

// TestUnmanagedClustersExampleFindsOnlyRunningClustersNoStateKnows runs the
// cluster list example as shipped: of a running cluster a state knows
// (passed in managed_cluster_ids, with the world's shared cluster), a
// running cluster nobody manages and one still being claimed, the query
// shows the second only, and the configuration it generates imports it.
func TestUnmanagedClustersExampleFindsOnlyRunningClustersNoStateKnows(t *testing.T) {
	requireTerraform1x(t, 14)
	w := newExampleWorld(t, sim.Options{ClusterProvisionLatency: time.Hour, RequestRetryAfter: time.Second}, unmanagedClustersExample)
	known := w.claimOnTheEngineRunning("known")
	forgotten := w.claimOnTheEngineRunning("forgotten")
	claiming := w.claimOnTheEngine("claiming", false)

	managed := fmt.Sprintf(`managed_cluster_ids=[%q, %q]`, known, cluster)
	res := w.mustRun("query", "-no-color", "-var", managed, "-generate-config-out=found.tf")
	if !says(res.Output(), "forgotten ("+forgotten+"), RUNNING") {
		t.Errorf("the query does not show the running cluster no state knows, %s:\n%s", forgotten, res.Output())
	}
	for _, id := range []string{known, cluster, claiming} {
		if strings.Contains(res.Output(), id) {
			t.Errorf("the query shows %s, which is managed or not running:\n%s", id, res.Output())
		}
	}
	generated := readFile(t, filepath.Join(w.ws.Dir, "found.tf"))
	if n := strings.Count(generated, "import {"); n != 1 || !strings.Contains(generated, `id = "`+forgotten+`"`) {
		t.Errorf("found.tf has %d import blocks, want one of %s:\n%s", n, forgotten, generated)
	}
	w.mustRun("apply", "-auto-approve")
	if res := w.run("plan", "-detailed-exitcode"); res.ExitCode != 0 {
		t.Errorf("plan after importing the found cluster: exit %d, want 0:\n%s", res.ExitCode, res.Output())
	}
	w.mustRun("destroy", "-auto-approve")
	if c, _ := w.server.Engine.Cluster(forgotten); c.Billing {
		t.Errorf("the imported cluster %s still bills after destroy (%s)", forgotten, c.Status)
	}
}

// TestQueryOfAMessageOnlyKeyListSaysWhy: an engine that answers the key
// list with text only (as the official CLI reads it) gets no guessed key
// ids: the query fails saying why, with the engine's text.
func TestQueryOfAMessageOnlyKeyListSaysWhy(t *testing.T) {
	requireTerraform1x(t, 14)
	w := startSimulator(t, sim.Options{Faults: sim.Faults{SSHKeyMessageOnly: sim.SSHKeyMessageOnlyAll}})
	ws, err := harness.Workspace(workspaceName(t), "provider \"tensorpool\" {}\n")
	if err != nil {
		t.Fatal(err)
	}
	w.use(ws)
	if err := os.WriteFile(filepath.Join(ws.Dir, "keys.tfquery.hcl"), []byte("list \"tensorpool_ssh_key\" \"all\" {\n  provider = tensorpool\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := w.run("query", "-no-color")
	for _, want := range []string{"Could not list the TensorPool SSH keys", "answered the key list with text only", "No SSH keys saved"} {
		if res.ExitCode == 0 || !says(res.Output(), want) {
			t.Errorf("query of a message-only key list: exit %d, want a failure saying %q:\n%s", res.ExitCode, want, res.Output())
		}
	}
}
