package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// ownClusters is the engine's clusters of the test's user (not the world's
// shared cluster).
func (w *world) ownClusters() []sim.ClusterSnapshot {
	return slices.DeleteFunc(w.server.Engine.Clusters(), func(c sim.ClusterSnapshot) bool { return c.Owner != owner })
}

// TestPlanWarnsAboutTeardownOfAManagedCluster: a job with teardown_cluster =
// true on a tensorpool_cluster of the same configuration gets a warning in
// the CLI's plan, both before the cluster exists (its id unknown) and once
// it does.
func TestPlanWarnsAboutTeardownOfAManagedCluster(t *testing.T) {
	w := newWorld(t, sim.Options{PendingDelay: time.Hour}, func(src string) string {
		return fmt.Sprintf(`
resource "tensorpool_cluster" "train" {
  instance_type = "1xH100"
}

resource "tensorpool_job" "train" {
  cluster_id       = tensorpool_cluster.train.id
  source_dir       = %q
  config           = "commands = [\"python train.py\"]"
  teardown_cluster = true
}
`, src)
	})
	const warning = "teardown_cluster on a cluster Terraform manages"
	for _, moment := range []string{"before the cluster exists", "once it exists"} {
		res := w.mustRun("plan")
		if !says(res.Output(), "Warning: "+warning) || !says(res.Output(), "creates it again") {
			t.Errorf("plan %s: no teardown_cluster warning:\n%s", moment, res.Output())
		}
		if moment == "before the cluster exists" {
			w.mustRun("apply", "-auto-approve")
		}
	}
	w.destroy("-auto-approve")
}

// TestInterruptDuringClusterClaimKeepsTheCluster: SIGINT while apply waits
// for a slow cluster claim stops Terraform within seconds, with the cluster
// in the state (tainted), since the engine may still bring it up and bill
// it; the next destroy releases it and nothing bills afterwards.
func TestInterruptDuringClusterClaimKeepsTheCluster(t *testing.T) {
	w := newWorld(t, sim.Options{ClusterProvisionLatency: time.Hour, RequestRetryAfter: time.Second}, func(string) string {
		return `
resource "tensorpool_cluster" "train" {
  instance_type = "8xB200"
}
`
	})
	// Interrupt once the provider is waiting on the claim.
	out := w.interrupted("the claim and a look at it", func() bool {
		return len(w.ownClusters()) == 1 && w.server.Engine.Stats()["GET /request/info"] > 0
	}, "apply", "-auto-approve")
	claimed := w.ownClusters()[0]
	if ids := w.stateIDsOf("tensorpool_cluster"); !slices.Equal(ids, []string{claimed.ClusterID}) {
		t.Fatalf("after the interrupted apply the state holds clusters %v, want the claimed %s:\n%s", ids, claimed.ClusterID, out)
	}
	if !says(out, "interrupted") {
		t.Errorf("the apply does not say it was interrupted:\n%s", out)
	}
	if res := w.run("plan", "-detailed-exitcode"); res.ExitCode != 2 || !says(res.Output(), "tensorpool_cluster.train is tainted") {
		t.Errorf("plan after the interrupted claim: exit %d, want 2 with the cluster tainted:\n%s", res.ExitCode, res.Output())
	}
	w.destroy("-auto-approve")
	if cl, _ := w.server.Engine.Cluster(claimed.ClusterID); cl.Billing {
		t.Errorf("cluster %s still bills after the destroy (%s)", cl.ClusterID, cl.Status)
	}
}

// TestCapacityRetryIsLoggedAndWaitedFor: while the engine retries a claim
// for lack of GPU capacity, the apply waits and says why in the provider's
// INFO log (the request's status and external_message), then succeeds.
func TestCapacityRetryIsLoggedAndWaitedFor(t *testing.T) {
	w := newWorld(t, sim.Options{
		RequestRetryAfter: time.Second,
		Faults:            sim.Faults{CapacityShortage: 4 * time.Second, CapacityOutcome: "completed"},
	}, func(string) string {
		return `
resource "tensorpool_cluster" "train" {
  instance_type = "8xB200"
}
`
	})
	logPath := filepath.Join(t.TempDir(), "tf.log")
	w.ws.Env = append(w.ws.Env, "TF_LOG_PROVIDER=INFO", "TF_LOG_PATH="+logPath)
	w.mustRun("apply", "-auto-approve")
	cl := w.ownClusters()
	if len(cl) != 1 || cl[0].Status != "RUNNING" {
		t.Fatalf("after the apply the engine has clusters %+v, want one RUNNING", cl)
	}
	claim, _ := w.server.Engine.Request(cl[0].ClaimRequestID)
	var retrying string
	for _, step := range claim.History {
		if step.Status == "RETRYING" {
			retrying = step.ExternalMessage
		}
	}
	if retrying == "" {
		t.Fatalf("the claim never retried for capacity (history %+v): the test means nothing", claim.History)
	}
	logData, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logData), "RETRYING") || !strings.Contains(string(logData), "capacity in") {
		t.Errorf("the provider's INFO log does not show the claim retrying for capacity (%q):\n%s", retrying, logData)
	}
	w.destroy("-auto-approve")
}

// TestProtectedClusterStopsTheDestroyBeforeAnythingIsDestroyed: a destroy of
// a configuration whose cluster has deletion_protection = true fails at plan
// time, before its jobs are canceled or anything is sent; once protection is
// turned off by an apply, the destroy goes through.
func TestProtectedClusterStopsTheDestroyBeforeAnythingIsDestroyed(t *testing.T) {
	var source string // the job's folder, made by newWorld
	config := func(protected bool) func(string) string {
		return func(src string) string {
			source = src
			return fmt.Sprintf(`
resource "tensorpool_cluster" "train" {
  instance_type       = "1xH100"
  deletion_protection = %t
}

resource "tensorpool_job" "train" {
  cluster_id = tensorpool_cluster.train.id
  source_dir = %q
  config     = "commands = [\"python train.py\"]"
}
`, protected, src)
		}
	}
	w := newWorld(t, sim.Options{}, config(true))
	w.mustRun("apply", "-auto-approve")
	jobID := w.stateIDs()[0]
	res := w.run("destroy", "-auto-approve")
	if res.ExitCode == 0 || !says(res.Output(), "The cluster is protected from deletion") {
		t.Fatalf("destroy of a protected cluster: exit %d, want an error saying it is protected:\n%s", res.ExitCode, res.Output())
	}
	if job, _ := w.server.Engine.Job(jobID); job.Status != sim.StatusRunning {
		t.Errorf("the job on the protected cluster is %s after the refused destroy, want running: nothing may be destroyed", job.Status)
	}
	stats := w.server.Engine.Stats()
	if stats["POST /job/cancel"] != 0 || stats["DELETE /cluster"] != 0 {
		t.Errorf("the refused destroy sent %d cancels and %d releases, want none", stats["POST /job/cancel"], stats["DELETE /cluster"])
	}
	if err := w.ws.WriteConfig(config(false)(source)); err != nil {
		t.Fatal(err)
	}
	w.mustRun("apply", "-auto-approve")
	w.destroy("-auto-approve")
}

// protectedStackConfig is a protected cluster and volume, the volume
// attached to the cluster, and a job on the cluster that starts after the
// attach.
func protectedStackConfig(protected bool, source *string, clusterLines ...string) func(string) string {
	return func(src string) string {
		*source = src
		return fmt.Sprintf(`
resource "tensorpool_cluster" "train" {
  instance_type       = "1xH100"
  deletion_protection = %[1]t
%[3]s
}

resource "tensorpool_storage" "data" {
  size                = 10
  deletion_protection = %[1]t
}

resource "tensorpool_storage_attachment" "data" {
  storage_id = tensorpool_storage.data.id
  cluster_id = tensorpool_cluster.train.id
}

resource "tensorpool_job" "train" {
  cluster_id = tensorpool_storage_attachment.data.cluster_id
  source_dir = %[2]q
  config     = "commands = [\"python train.py\"]"
}
`, protected, src, strings.Join(clusterLines, "\n"))
	}
}

// TestReplaceOfAProtectedClusterOrVolumeCancelsAndDetachesNothing:
// `terraform apply -replace` of a protected cluster or volume fails at plan
// time: the job on the cluster keeps running, the volume stays attached,
// and nothing is sent to the engine but reads. Terraform gives the provider
// no sign of -replace in the plan of the object itself; the refusal comes
// from the plan of the replacement's create half (checkDeletionProtection).
// A tainted object is planned as a plain create, which the provider cannot
// tell from a new one: the documented `lifecycle { prevent_destroy = true }`
// recipe stops that plan just as early.
func TestReplaceOfAProtectedClusterOrVolumeCancelsAndDetachesNothing(t *testing.T) {
	var source string
	w := newWorld(t, sim.Options{}, protectedStackConfig(true, &source))
	w.mustRun("apply", "-auto-approve")
	jobID := w.stateIDs()[0]
	before := w.server.Engine.Stats()
	var checkUntouched func(what string)
	refused := func(what, kind string, args ...string) {
		t.Helper()
		res := w.run(args...)
		if res.ExitCode == 0 || !says(res.Output(), "The "+kind+" is protected from deletion") || !says(res.Output(), "This plan replaces the "+kind) {
			t.Fatalf("%s of a protected %s: exit %d, want a plan-time error saying it is protected:\n%s", what, kind, res.ExitCode, res.Output())
		}
		checkUntouched(what)
	}
	checkUntouched = func(what string) {
		t.Helper()
		if job, _ := w.server.Engine.Job(jobID); job.Status != sim.StatusRunning {
			t.Errorf("after %s the job on the protected cluster is %s, want running", what, job.Status)
		}
		live := 0
		for _, a := range w.server.Engine.Attachments() {
			if a.Live && a.DetachedAt == nil {
				live++
			}
		}
		if live != 1 {
			t.Errorf("after %s %d attachments are live, want the one: nothing may be detached", what, live)
		}
		stats := w.server.Engine.Stats()
		for _, route := range []string{"POST /job/cancel", "POST /storage/detach", "DELETE /cluster", "DELETE /storage", "PATCH /cluster/edit", "PATCH /storage/edit"} {
			if n := stats[route] - before[route]; n != 0 {
				t.Errorf("%s sent %d %s, want none", what, n, route)
			}
		}
	}
	refused("apply -replace of the cluster", "cluster", "apply", "-auto-approve", "-replace=tensorpool_cluster.train")
	refused("apply -replace of the volume", "storage volume", "apply", "-auto-approve", "-replace=tensorpool_storage.data")

	if err := w.ws.WriteConfig(protectedStackConfig(true, &source, "  lifecycle {\n    prevent_destroy = true\n  }")(source)); err != nil {
		t.Fatal(err)
	}
	w.mustRun("apply", "-auto-approve")
	w.mustRun("taint", "tensorpool_cluster.train")
	res := w.run("apply", "-auto-approve")
	if res.ExitCode == 0 || !says(res.Output(), "Instance cannot be destroyed") {
		t.Fatalf("apply of a tainted cluster with prevent_destroy: exit %d, want Terraform's refusal:\n%s", res.ExitCode, res.Output())
	}
	checkUntouched("apply of the tainted cluster with prevent_destroy")
	w.mustRun("untaint", "tensorpool_cluster.train")

	if err := w.ws.WriteConfig(protectedStackConfig(false, &source)(source)); err != nil {
		t.Fatal(err)
	}
	w.mustRun("apply", "-auto-approve")
	w.destroy("-auto-approve")
}

// TestInterruptDuringReleaseThenDestroyAgainSendsNoSecondRelease: Ctrl-C
// while a destroy waits for a cluster's and a volume's releases keeps both
// in the state; the next destroy waits for the same release requests (kept
// in Terraform's private state) and sends no second DELETE, and afterwards
// nothing bills.
func TestInterruptDuringReleaseThenDestroyAgainSendsNoSecondRelease(t *testing.T) {
	w := newWorld(t, sim.Options{ClusterReleaseLatency: time.Hour, RequestRetryAfter: time.Second}, func(string) string {
		return `
resource "tensorpool_cluster" "train" {
  instance_type = "1xH100"
}

resource "tensorpool_storage" "data" {
  size = 10
}
`
	})
	w.mustRun("apply", "-auto-approve")
	clusterID := w.stateIDsOf("tensorpool_cluster")[0]
	storageID := w.stateIDsOf("tensorpool_storage")[0]
	out := w.interrupted("the releases and a look at the cluster's", func() bool {
		stats := w.server.Engine.Stats()
		return stats["DELETE /cluster"] == 1 && stats["DELETE /storage"] == 1 && stats["GET /request/info"] > 0
	}, "destroy", "-auto-approve")
	if ids := w.stateIDsOf("tensorpool_cluster"); !slices.Equal(ids, []string{clusterID}) {
		t.Fatalf("after the interrupted destroy the state holds clusters %v, want %s:\n%s", ids, clusterID, out)
	}
	w.clock.Skip(2 * time.Hour) // the releases complete
	w.destroy("-auto-approve")
	for id, route := range map[string]string{clusterID: "DELETE /cluster", storageID: "DELETE /storage"} {
		if n := w.server.Engine.RequestsFor(id)[route]; n != 1 {
			t.Errorf("%d %s requests for %s across both destroys, want the first destroy's one", n, route, id)
		}
	}
	if cl, _ := w.server.Engine.Cluster(clusterID); cl.Billing || cl.Status != sim.ClusterDestroyed {
		t.Errorf("cluster %s is %s, billing %t, after the second destroy", clusterID, cl.Status, cl.Billing)
	}
}

// TestUntaintedUnfinishedProtectedClusterIsProtectedAfterAnUpdate: a
// protected cluster whose claim timed out is kept with `terraform untaint`;
// from its next in-place update on, deletion_protection protects it again:
// destroy is refused and nothing is sent.
func TestUntaintedUnfinishedProtectedClusterIsProtectedAfterAnUpdate(t *testing.T) {
	config := func(name string, protected bool) string {
		return fmt.Sprintf(`
resource "tensorpool_cluster" "train" {
  instance_type       = "1xH100"
  name                = %q
  deletion_protection = %t
  timeouts {
    create = "1s"
  }
}
`, name, protected)
	}
	w := newWorld(t, sim.Options{ClusterProvisionLatency: time.Hour, RequestRetryAfter: time.Second}, func(string) string { return config("first", true) })
	if res := w.run("apply", "-auto-approve"); res.ExitCode == 0 || !says(res.Output(), "Timed out waiting for the TensorPool cluster claim") {
		t.Fatalf("apply with a claim longer than timeouts.create: exit %d, want the timeout:\n%s", res.ExitCode, res.Output())
	}
	w.clock.Skip(2 * time.Hour) // the claim completes after all
	w.mustRun("untaint", "tensorpool_cluster.train")
	if err := w.ws.WriteConfig(config("renamed", true)); err != nil {
		t.Fatal(err)
	}
	w.mustRun("apply", "-auto-approve")
	id := w.stateIDsOf("tensorpool_cluster")[0]
	if res := w.run("destroy", "-auto-approve"); res.ExitCode == 0 || !says(res.Output(), "The cluster is protected from deletion") {
		t.Fatalf("destroy of the kept, updated, protected cluster: exit %d, want it refused:\n%s", res.ExitCode, res.Output())
	}
	if cl, _ := w.server.Engine.Cluster(id); cl.Status != sim.ClusterRunning || w.server.Engine.RequestsFor(id)["DELETE /cluster"] != 0 {
		t.Errorf("after the refused destroy the cluster is %s with %d releases sent, want RUNNING and none", cl.Status, w.server.Engine.RequestsFor(id)["DELETE /cluster"])
	}
	if err := w.ws.WriteConfig(config("renamed", false)); err != nil {
		t.Fatal(err)
	}
	w.mustRun("apply", "-auto-approve")
	w.destroy("-auto-approve")
}
