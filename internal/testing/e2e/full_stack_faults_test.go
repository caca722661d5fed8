package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
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

// lostCreates are the creates whose answers the mixed-fault tests lose
// after the engine made the object: each is settled by its kind's list.
const lostCreates = "POST /cluster/create,POST /storage/create,POST /user/ssh-key/add"

// TestFullStackExampleUnderMixed5xx applies examples/train-on-new-cluster
// in ONE apply against an engine that fails 30 % of the requests with a
// 500 or a 503 before doing anything, and loses the answer of 30 % of the
// creates it makes (a 500, or the connection dropped after the request was
// sent); and against one that loses the answer of every create. After the
// apply the engine's own view, read from its /_sim/ routes, holds exactly
// one cluster, one volume and one key, each in the state (no orphan, no
// duplicate); the destroy leaves nothing billing.
func TestFullStackExampleUnderMixed5xx(t *testing.T) {
	for name, faults := range map[string]sim.Faults{
		"30 percent":            {FailRate: 0.3, LostRate: 0.3, LostRoutes: lostCreates},
		"every create's answer": {LostRate: 1, LostRoutes: lostCreates},
	} {
		t.Run(name, func(t *testing.T) {
			w := newFullStackWorld(t, faults)
			w.mustRun("apply", "-auto-approve")
			view := w.simView()
			if len(view.clusters) != 1 || len(view.volumes) != 1 || len(view.keys) != 1 || len(view.attachments) != 1 {
				t.Fatalf("after one apply the engine has %d live clusters, %d live volumes, %d keys, %d attachments; want one of each",
					len(view.clusters), len(view.volumes), len(view.keys), len(view.attachments))
			}
			inState := w.stateIDsOf("tensorpool_cluster", "tensorpool_storage", "tensorpool_ssh_key")
			for _, id := range []string{view.clusters[0], view.volumes[0], view.keys[0]} {
				if !slices.Contains(inState, id) {
					t.Errorf("%s is live in the engine but not in the state %q", id, inState)
				}
			}
			if err := w.server.Engine.CheckNoOrphanedObjects(owner, w.stateIDsOf("tensorpool_cluster", "tensorpool_storage", "tensorpool_storage_attachment")); err != nil {
				t.Error(err)
			}
			w.checkNoOrphans()
			stats := w.simStats()
			t.Logf("creates sent: %d cluster, %d storage, %d key", stats["POST /cluster/create"], stats["POST /storage/create"], stats["POST /user/ssh-key/add"])
			if faults.FailRate == 0 {
				// Every answer lost, every create adopted: none sent twice.
				for _, route := range strings.Split(lostCreates, ",") {
					if stats[route] != 1 {
						t.Errorf("%s sent %d times, want once", route, stats[route])
					}
				}
			}
			w.server.Engine.SetFaults(sim.Faults{FailRate: faults.FailRate})
			w.destroy("-auto-approve")
			if err := w.server.Engine.CheckNothingBilling(owner); err != nil {
				t.Error(err)
			}
		})
	}
}

// simView is the live clusters (the test's own, not the shared one),
// volumes, keys and attachments of the test's user, as the simulator's
// /_sim/ routes show them.
type simView struct{ clusters, volumes, keys, attachments []string }

func (w *world) simView() simView {
	w.t.Helper()
	var clusters struct {
		Clusters []sim.ClusterSnapshot `json:"clusters"`
	}
	var volumes struct {
		Storage []sim.StorageSnapshot `json:"storage"`
	}
	var keys struct {
		Keys []sim.SSHKeySnapshot `json:"ssh_keys"`
	}
	var attachments struct {
		Attachments []sim.AttachmentSnapshot `json:"attachments"`
	}
	w.simGet("/_sim/clusters", &clusters)
	w.simGet("/_sim/storage", &volumes)
	w.simGet("/_sim/ssh-keys", &keys)
	w.simGet("/_sim/attachments", &attachments)
	var v simView
	for _, c := range clusters.Clusters {
		if c.Owner == owner && c.Status != sim.ClusterDestroyed && c.Status != sim.ClusterFailed {
			v.clusters = append(v.clusters, c.ClusterID)
		}
	}
	for _, s := range volumes.Storage {
		if s.Owner == owner && s.Status != sim.StorageDestroyed && s.Status != sim.StorageFailed {
			v.volumes = append(v.volumes, s.StorageID)
		}
	}
	for _, k := range keys.Keys {
		if k.Owner == owner {
			v.keys = append(v.keys, k.KeyID)
		}
	}
	for _, a := range attachments.Attachments {
		v.attachments = append(v.attachments, a.StorageID+"/"+a.ClusterID)
	}
	return v
}

// simStats is GET /_sim/stats: the requests the engine received, by route.
func (w *world) simStats() map[string]int {
	w.t.Helper()
	var stats struct {
		Requests map[string]int `json:"requests"`
	}
	w.simGet("/_sim/stats", &stats)
	return stats.Requests
}

func (w *world) simGet(path string, into any) {
	w.t.Helper()
	req, err := http.NewRequestWithContext(w.ctx, http.MethodGet, w.server.URL+path, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		w.t.Fatalf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		w.t.Fatalf("GET %s: %v", path, err)
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
