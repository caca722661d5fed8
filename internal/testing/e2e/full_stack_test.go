package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

const fullStackExample = "examples/train-on-new-cluster"

// demoPublicKey is a well-formed OpenSSH public key line; the simulator
// checks its shape, nothing more.
const demoPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHvw0v7Xl1V+Urum7x7xL5/KIbWzd3BhATWqqzEehuHd e2e"

// TestFullStackExample applies examples/train-on-new-cluster as shipped (an
// SSH key, a cluster that receives it, a storage volume attached to the
// cluster, two jobs on it) from environment variables alone, plans empty,
// and destroys in dependency order, leaving nothing live or billing. Every
// claim is checked from the engine's side.
func TestFullStackExample(t *testing.T) {
	opts := sim.Options{
		PendingDelay: time.Hour, CancelLatency: 2 * time.Second,
		RequestPendingLatency: 100 * time.Millisecond, ClusterProvisionLatency: 2 * time.Second,
		ClusterReleaseLatency: 2 * time.Second, StorageLatency: time.Second, RequestRetryAfter: time.Second,
	}
	w := newExampleWorld(t, opts, fullStackExample)
	w.ws.Env = append(w.ws.Env, "TF_VAR_ssh_public_key="+demoPublicKey)
	engine := w.server.Engine

	plan := w.mustRun("plan")
	if !says(plan.Output(), "Warning: Attaching storage restarts every node of the cluster") || !says(plan.Output(), "harmless for a cluster created in this apply") {
		t.Errorf("the plan does not warn that attaching the volume restarts the cluster's nodes:\n%s", plan.Output())
	}
	w.mustRun("apply", "-auto-approve")

	// The world's shared cluster (no owner) is not the example's.
	clusters := slices.DeleteFunc(engine.Clusters(), func(c sim.ClusterSnapshot) bool { return c.Owner != owner })
	volumes, keys := engine.Storage(), engine.SSHKeys()
	if len(clusters) != 1 || len(volumes) != 1 || len(keys) != 1 {
		t.Fatalf("the engine has %d clusters, %d volumes, %d keys; want one of each", len(clusters), len(volumes), len(keys))
	}
	cl := clusters[0]
	if cl.Status != "RUNNING" || !slices.Contains(cl.PublicKeys, demoPublicKey) {
		t.Errorf("cluster %s is %s with keys %q; want RUNNING with the configured key", cl.ClusterID, cl.Status, cl.PublicKeys)
	}
	if !slices.Equal(volumes[0].ClusterIDs, []string{cl.ClusterID}) {
		t.Errorf("volume %s is attached to %v, want [%s]", volumes[0].StorageID, volumes[0].ClusterIDs, cl.ClusterID)
	}
	if cl.Restarts != 1 {
		t.Errorf("the cluster restarted %d times, want once (the attachment)", cl.Restarts)
	}
	jobs := engine.Jobs()
	if len(jobs) != 2 {
		t.Fatalf("the engine has %d jobs, want 2", len(jobs))
	}
	attached := engine.Attachments()[0].AttachedAt
	for _, j := range jobs {
		if j.ClusterID != cl.ClusterID {
			t.Errorf("job %s runs on %s, want the new cluster %s", j.JobID, j.ClusterID, cl.ClusterID)
		}
		// The jobs refer to the attachment, so they start after the
		// restart it causes, never during it.
		if attached == nil || j.CreatedAt.Before(*attached) {
			t.Errorf("job %s was submitted at %s, before the volume was attached (%v)", j.JobID, j.CreatedAt, attached)
		}
	}
	ids := w.stateIDsOf("tensorpool_cluster", "tensorpool_storage", "tensorpool_storage_attachment")
	if err := engine.CheckNoOrphanedObjects(owner, ids); err != nil {
		t.Error(err)
	}
	w.checkNoOrphans()

	if res := w.run("plan", "-detailed-exitcode"); res.ExitCode != 0 {
		t.Errorf("plan after apply: exit %d, want 0 (an empty plan):\n%s", res.ExitCode, res.Output())
	}

	w.destroy("-auto-approve")
	if err := engine.CheckNothingBilling(owner); err != nil {
		t.Error(err)
	}
	if err := engine.CheckNoSSHKeys(owner); err != nil {
		t.Error(err)
	}
	// The order: jobs stopped before the volume was detached, the volume
	// detached before the cluster was released.
	cl, _ = engine.Cluster(cl.ClusterID)
	if len(cl.JobsRunningAtRelease) != 0 {
		t.Errorf("jobs still running when the cluster was released: %v", cl.JobsRunningAtRelease)
	}
	detached := engine.Attachments()[0].DetachedAt
	if detached == nil || cl.DestroyRequestedAt == nil || cl.DestroyRequestedAt.Before(*detached) {
		t.Errorf("the cluster's release was requested at %v, before the volume was detached (%v)", cl.DestroyRequestedAt, detached)
	}
	for _, j := range engine.Jobs() {
		if j.TerminalAt == nil || detached == nil || j.TerminalAt.After(*detached) {
			t.Errorf("job %s stopped at %v, after the volume was detached (%v)", j.JobID, j.TerminalAt, detached)
		}
	}
}
