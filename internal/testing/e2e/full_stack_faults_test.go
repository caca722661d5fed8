package e2e

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// newFullStackWorld is examples/train-on-new-cluster against a simulator
// with faults, on short latencies.
func newFullStackWorld(t *testing.T, faults sim.Faults) *world {
	t.Helper()
	opts := sim.Options{
		PendingDelay: time.Hour, CancelLatency: time.Second,
		RequestPendingLatency: 100 * time.Millisecond, ClusterProvisionLatency: time.Second,
		ClusterReleaseLatency: time.Second, StorageLatency: 500 * time.Millisecond, RequestRetryAfter: time.Second,
		Faults: faults,
	}
	w := newExampleWorld(t, opts, fullStackExample)
	w.ws.Env = append(w.ws.Env, "TF_VAR_ssh_public_key="+demoPublicKey)
	return w
}

// TestFullStackExampleUnderFaults applies examples/train-on-new-cluster (an
// SSH key, a cluster, a volume attached to it, two jobs) against an engine
// that allows 2 requests a second, and against one that fails 30 % of the
// requests (503 with Retry-After: the engine did nothing), each in ONE
// apply, then destroys it under the same fault. After the apply every live
// object is in the state, with no duplicate; after the destroy nothing
// bills and no key is left.
func TestFullStackExampleUnderFaults(t *testing.T) {
	for name, faults := range map[string]sim.Faults{
		"2 requests per second": {RateLimit: 2, RateLimitRetryAfter: 1},
		"30 percent 503":        {FailRate: 0.3, FailStatus: 503},
	} {
		t.Run(name, func(t *testing.T) {
			w := newFullStackWorld(t, faults)
			engine := w.server.Engine

			w.mustRun("apply", "-auto-approve")
			clusters := slices.DeleteFunc(engine.Clusters(), func(c sim.ClusterSnapshot) bool { return c.Owner != owner })
			if len(clusters) != 1 || len(engine.Storage()) != 1 || len(engine.SSHKeys()) != 1 || len(engine.Attachments()) != 1 || len(engine.Jobs()) != 2 {
				t.Fatalf("the engine has %d clusters, %d volumes, %d keys, %d attachments, %d jobs; want one of each and two jobs",
					len(clusters), len(engine.Storage()), len(engine.SSHKeys()), len(engine.Attachments()), len(engine.Jobs()))
			}
			if err := engine.CheckNoOrphanedObjects(owner, w.stateIDsOf("tensorpool_cluster", "tensorpool_storage", "tensorpool_storage_attachment")); err != nil {
				t.Error(err)
			}
			w.checkNoOrphans()

			w.destroy("-auto-approve")
			if err := engine.CheckNothingBilling(owner); err != nil {
				t.Error(err)
			}
			if err := engine.CheckNoSSHKeys(owner); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestFullStackExampleUnderMixed5xx: at 30 % of requests failing 500 or 503
// at random, a create whose answer is a 500 cannot be settled (the engine's
// lists are message-only [UNK]), so the apply stops there, saying what may
// exist; every apply leaves every live object in the state and no
// duplicate, and re-running converges. The test logs how many applies it
// took.
func TestFullStackExampleUnderMixed5xx(t *testing.T) {
	w := newFullStackWorld(t, sim.Faults{FailRate: 0.3})
	engine := w.server.Engine
	const maxApplies = 6
	applies := 0
	for applies < maxApplies {
		applies++
		res := w.run("apply", "-auto-approve")
		// The simulator fails before doing anything, so no lost create
		// left an object: the state holds everything, with no duplicate.
		if err := engine.CheckNoOrphanedObjects(owner, w.stateIDsOf("tensorpool_cluster", "tensorpool_storage", "tensorpool_storage_attachment")); err != nil {
			t.Fatalf("apply %d: %v", applies, err)
		}
		w.checkNoOrphans()
		if res.ExitCode == 0 {
			break
		}
		if !says(res.Output(), "may exist") && !says(res.Output(), "may be under way") {
			t.Fatalf("apply %d failed for another reason than a lost answer:\n%s", applies, res.Output())
		}
	}
	t.Logf("converged in %d applies", applies)
	clusters := slices.DeleteFunc(engine.Clusters(), func(c sim.ClusterSnapshot) bool { return c.Owner != owner })
	if len(clusters) != 1 || len(engine.Storage()) != 1 || len(engine.SSHKeys()) != 1 || len(engine.Jobs()) != 2 {
		t.Fatalf("after %d applies the engine has %d clusters, %d volumes, %d keys, %d jobs", applies, len(clusters), len(engine.Storage()), len(engine.SSHKeys()), len(engine.Jobs()))
	}
	w.destroy("-auto-approve")
	if err := engine.CheckNothingBilling(owner); err != nil {
		t.Error(err)
	}
}

// TestFullStackExampleCtrlC interrupts (SIGINT) the full-stack example's
// apply and destroy right after the engine received each kind of change:
// after every interrupted command every live object of the engine is in
// the state, the next apply makes exactly one of each (no duplicate), and
// the next destroy leaves nothing billing and no key.
func TestFullStackExampleCtrlC(t *testing.T) {
	for _, moment := range []struct{ command, route string }{
		{"apply", "POST /user/ssh-key/add"},
		{"apply", "POST /cluster/create"},
		{"apply", "POST /storage/create"},
		{"apply", "POST /storage/attach"},
		{"destroy", "POST /storage/detach"},
		{"destroy", "DELETE /cluster"},
	} {
		t.Run(moment.command+" "+moment.route, func(t *testing.T) {
			w := newFullStackWorld(t, sim.Faults{})
			engine := w.server.Engine
			if moment.command == "destroy" {
				w.mustRun("apply", "-auto-approve")
			}
			w.interrupted(moment.route, func() bool { return engine.Stats()[moment.route] > 0 }, moment.command, "-auto-approve")
			if err := engine.CheckNoOrphanedObjects(owner, w.stateIDsOf("tensorpool_cluster", "tensorpool_storage", "tensorpool_storage_attachment")); err != nil {
				t.Errorf("after the interrupted %s: %v", moment.command, err)
			}
			w.checkNoOrphans()
			if moment.command == "apply" {
				// The next apply may replace what the interrupted one left
				// tainted: what counts is what is live.
				w.mustRun("apply", "-auto-approve")
				clusters := slices.DeleteFunc(engine.Clusters(), func(c sim.ClusterSnapshot) bool {
					return c.Owner != owner || c.Status == sim.ClusterDestroyed || c.Status == sim.ClusterFailed
				})
				volumes := slices.DeleteFunc(engine.Storage(), func(v sim.StorageSnapshot) bool {
					return v.Status == sim.StorageDestroyed || v.Status == sim.StorageFailed
				})
				if len(clusters) != 1 || len(volumes) != 1 || len(engine.SSHKeys()) != 1 {
					t.Errorf("after the interrupted apply and another, the engine has %d live clusters, %d live volumes, %d keys; want one of each",
						len(clusters), len(volumes), len(engine.SSHKeys()))
				}
			}
			w.destroy("-auto-approve")
			if err := errors.Join(engine.CheckNothingBilling(owner), engine.CheckNoSSHKeys(owner)); err != nil {
				t.Error(err)
			}
		})
	}
}
