package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/sim"
)

// TestAccDeletionProtection_unfinishedCreateIsReleasedAsItsErrorSays: a
// protected cluster and volume whose creates time out are kept, tainted, and
// `terraform destroy` releases them as the create error says, although the
// state (and the engine) has deletion_protection = true: the provider turns
// the engine's protection off first. The engine ends with both released and
// nothing billing.
func TestAccDeletionProtection_unfinishedCreateIsReleasedAsItsErrorSays(t *testing.T) {
	// The claim lasts until the test ends; the volume's requests (its
	// create, the edit turning protection off, its release) last 4 s each
	// [the simulator has one latency for all of them], past the volume's
	// create timeout of 1 s.
	env := newClusterEnv(t, sim.Options{ClusterProvisionLatency: time.Hour, StorageLatency: 4 * time.Second})
	var clusterID, storageID string
	config := env.clusterConfig("1xH100", "  deletion_protection = true", "  timeouts {\n    create = \"2s\"\n  }") +
		storageBlock("  size = 10", "  deletion_protection = true", "  timeouts {\n    create = \"1s\"\n  }")
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      config,
				ExpectError: wrapped("Timed out waiting for the TensorPool", "may still complete", "terraform destroy` releases it"),
			},
			{
				RefreshState: true, ExpectNonEmptyPlan: true,
				Check: resource.ComposeTestCheckFunc(captureIDOf(clusterAddr, &clusterID), captureIDOf(storageAddr, &storageID),
					func(*terraform.State) error {
						cl, err := env.engineCluster(clusterID)
						if err != nil || !cl.DeletionProtection {
							return fmt.Errorf("the engine's cluster %+v (%v), want it protected as the create asked", cl, err)
						}
						return nil
					}),
			},
			{
				Config:  config,
				Destroy: true,
				Check: func(*terraform.State) error {
					cl, err := env.engineCluster(clusterID)
					if err != nil || cl.Status != sim.ClusterDestroyed || cl.Billing {
						return fmt.Errorf("after destroy the unfinished protected cluster is %+v (%v), want DESTROYED and not billing", cl, err)
					}
					s, err := env.engineVolume(storageID)
					if err != nil || s.Status != sim.StorageDestroyed || s.Billing {
						return fmt.Errorf("after destroy the unfinished protected volume is %+v (%v), want DESTROYED and not billing", s, err)
					}
					return nil
				},
			},
		},
	})
}

// TestAccObjects_releaseWithoutRequestIDWaitsByReading: an engine that
// answers a release without a request id (the official CLI allows it) is
// waited for by reading the cluster and the volume: a destroy whose
// timeout ends first fails and keeps both in the state; once the engine
// has released them, the next destroy succeeds.
func TestAccObjects_releaseWithoutRequestIDWaitsByReading(t *testing.T) {
	// The cluster's release lasts until the test skips the engine's clock;
	// the volume's requests take 3 s, past its delete timeout of 1 s.
	env := newClusterEnv(t, sim.Options{ClusterReleaseLatency: time.Hour, StorageLatency: 3 * time.Second})
	var clusterID, storageID string
	config := env.clusterConfig("1xH100", "  timeouts {\n    delete = \"1s\"\n  }") +
		storageBlock("  size = 10", "  timeouts {\n    delete = \"1s\"\n  }")
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeTestCheckFunc(captureIDOf(clusterAddr, &clusterID), captureIDOf(storageAddr, &storageID),
					func(*terraform.State) error { env.engine().SetFaults(sim.Faults{NoRequestIDs: true}); return nil }),
			},
			{
				Config:      config,
				Destroy:     true,
				ExpectError: wrapped("Timed out waiting for the TensorPool", "to be released", "stays in the Terraform state"),
			},
			{
				PreConfig: func() {
					cl, err := env.engineCluster(clusterID)
					if err != nil || cl.Status != sim.ClusterDestroying {
						t.Errorf("after the timed-out destroy the cluster is %+v (%v), want DESTROYING", cl, err)
					}
					env.clock.Skip(2 * time.Hour)
				},
				Config:  config,
				Destroy: true,
				Check: func(*terraform.State) error {
					cl, err := env.engineCluster(clusterID)
					if err != nil || cl.Status != sim.ClusterDestroyed || cl.Billing {
						return fmt.Errorf("after destroy the cluster is %+v (%v), want DESTROYED", cl, err)
					}
					return nil
				},
			},
		},
	})
}
