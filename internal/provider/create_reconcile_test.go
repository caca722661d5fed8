package provider

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// A cluster or volume create whose answer is lost is settled by the kind's
// list (the client's createChange): the one new object that matches what
// was asked is the create's, and it is in the state after the same apply.

// oneLiveObjectInState checks that the engine holds exactly one live
// object of the user besides the shared cluster, that the state holds it
// under addr, and that route was sent once.
func (e *accEnv) oneLiveObjectInState(addr, route string, live func() []string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ids := live()
		rs, ok := s.RootModule().Resources[addr]
		switch {
		case len(ids) != 1:
			return fmt.Errorf("the engine has %d live objects %q, want 1", len(ids), ids)
		case !ok || rs.Primary.ID != ids[0]:
			return fmt.Errorf("the state does not hold %s under %s", ids[0], addr)
		case rs.Primary.Tainted:
			return fmt.Errorf("%s is tainted: an adopted create is a create like any other", addr)
		case e.engine().Stats()[route] != 1:
			return fmt.Errorf("%s was sent %d times, want once", route, e.engine().Stats()[route])
		}
		return nil
	}
}

func (e *accEnv) liveClusterIDs() []string {
	var ids []string
	for _, cl := range e.usersClusters() {
		if cl.ClusterID != accCluster && cl.Status != sim.ClusterDestroyed && cl.Status != sim.ClusterFailed {
			ids = append(ids, cl.ClusterID)
		}
	}
	return ids
}

func (e *accEnv) liveVolumeIDs() []string {
	var ids []string
	for _, v := range e.usersVolumes() {
		if v.Status != sim.StorageDestroyed && v.Status != sim.StorageFailed {
			ids = append(ids, v.StorageID)
		}
	}
	return ids
}

// TestAccClusterCreateAnswerLostIsAdopted: the claim's answer is a 500
// after the engine made the cluster: the apply succeeds with that one
// cluster in the state, RUNNING (its claim waited for by reading), and
// the claim was sent once.
func TestAccClusterCreateAnswerLostIsAdopted(t *testing.T) {
	env := newClusterEnv(t, sim.Options{ClusterProvisionLatency: 2 * time.Second})
	config := env.clusterConfig("1xH100", `  name = "train"`)
	env.run(t, resource.TestCase{Steps: []resource.TestStep{{
		PreConfig: func() { env.engine().SetFaults(sim.Faults{FailAfterChange: 1}) },
		Config:    config,
		Check: resource.ComposeTestCheckFunc(
			env.oneLiveObjectInState(clusterAddr, "POST /cluster/create", env.liveClusterIDs),
			resource.TestCheckResourceAttr(clusterAddr, "status", "RUNNING"),
			resource.TestCheckResourceAttr(clusterAddr, "name", "train"),
		),
	}}})
}

// TestAccStorageCreateAnswerLostIsAdopted: the volume create's connection
// drops after the engine made the volume: the apply succeeds with that one
// volume in the state, AVAILABLE, and the create was sent once.
func TestAccStorageCreateAnswerLostIsAdopted(t *testing.T) {
	env := newAccEnv(t, sim.Options{StorageLatency: time.Second})
	env.run(t, resource.TestCase{Steps: []resource.TestStep{{
		PreConfig: func() { env.engine().SetFaults(sim.Faults{DropAfterChange: 1}) },
		Config:    env.storageConfig("  size = 10"),
		Check: resource.ComposeTestCheckFunc(
			env.oneLiveObjectInState(storageAddr, "POST /storage/create", env.liveVolumeIDs),
			resource.TestCheckResourceAttr(storageAddr, "status", "AVAILABLE"),
		),
	}}})
}

// TestAccClusterCreateRacedByAnotherCreateAdoptsNone: while the claim's
// answer is late (past the provider's request timeout), another create of
// the same account makes a second cluster: two new clusters are listed,
// so the apply fails naming both and the command that releases each, the
// state holds neither, and no third claim was sent.
func TestAccClusterCreateRacedByAnotherCreateAdoptsNone(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	config := env.clusterConfig("1xH100")
	var racer string
	env.run(t, resource.TestCase{
		ProtoV6ProviderFactories: env.factoriesWith(Options{RequestTimeout: matrixRequestTimeout}),
		Steps: []resource.TestStep{{
			PreConfig: func() {
				env.engine().SetFaults(sim.Faults{LateAnswers: 1, LateBy: 3 * matrixRequestTimeout, LateChanges: true})
				go func() {
					deadline := time.Now().Add(time.Minute)
					for env.engine().Stats()["POST /cluster/create"] == 0 && time.Now().Before(deadline) {
						time.Sleep(2 * time.Millisecond) // watching for the claim, whose answer is held
					}
					racer, _ = env.engine().AddCluster(accKey, sim.ClusterSpec{InstanceType: "1xH100"})
				}()
			},
			Config:      config,
			ExpectError: wrapped("Could not create the TensorPool cluster", "2 new clusters appeared", "none was taken", "tp cluster destroy c-", "tp cluster destroy c-", "tp cluster list"),
		}, {
			PreConfig:          func() { env.engine().SetFaults(sim.Faults{}) },
			RefreshState:       true,
			ExpectNonEmptyPlan: true, // nothing in the state: the next apply claims one
			Check: func(s *terraform.State) error {
				if _, ok := s.RootModule().Resources[clusterAddr]; ok {
					return fmt.Errorf("a cluster was put in the state although two were candidates")
				}
				live := env.liveClusterIDs()
				if len(live) != 2 || racer == "" || !slices.Contains(live, racer) {
					return fmt.Errorf("the engine has live clusters %q, want the claim's and the racer's %q", live, racer)
				}
				if n := env.engine().Stats()["POST /cluster/create"]; n != 1 {
					return fmt.Errorf("the claim was sent %d times, want once", n)
				}
				env.outside = append(env.outside, live...) // named by the error, released by hand
				return nil
			},
		}},
	})
}
