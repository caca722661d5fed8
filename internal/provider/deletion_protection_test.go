package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
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
	env.run(t, tfresource.TestCase{
		Steps: []tfresource.TestStep{
			{
				Config:      config,
				ExpectError: wrapped("Timed out waiting for the TensorPool", "may still finish", "terraform destroy` releases it"),
			},
			{
				RefreshState: true, ExpectNonEmptyPlan: true,
				Check: tfresource.ComposeTestCheckFunc(captureIDOf(clusterAddr, &clusterID), captureIDOf(storageAddr, &storageID),
					func(*terraform.State) error {
						cl, err := env.engineCluster(clusterID)
						if err != nil || !cl.DeletionProtection {
							return fmt.Errorf("the engine's cluster %+v (%w), want it protected as the create asked", cl, err)
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
						return fmt.Errorf("after destroy the unfinished protected cluster is %+v (%w), want DESTROYED and not billing", cl, err)
					}
					s, err := env.engineVolume(storageID)
					if err != nil || s.Status != sim.StorageDestroyed || s.Billing {
						return fmt.Errorf("after destroy the unfinished protected volume is %+v (%w), want DESTROYED and not billing", s, err)
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
	env.run(t, tfresource.TestCase{
		Steps: []tfresource.TestStep{
			{
				Config: config,
				Check: tfresource.ComposeTestCheckFunc(captureIDOf(clusterAddr, &clusterID), captureIDOf(storageAddr, &storageID),
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
						return fmt.Errorf("after destroy the cluster is %+v (%w), want DESTROYED", cl, err)
					}
					return nil
				},
			},
		},
	})
}

// TestDeleteRefusesAProtectedObjectWithNothingSent: the apply-time half of
// deletion_protection, for a plan made without the plan-time check (a
// state changed since the plan, another tool): Delete of a protected
// cluster or volume sends nothing to the engine and says why. (One whose
// create never finished is released:
// TestAccDeletionProtection_unfinishedCreateIsReleasedAsItsErrorSays.)
func TestDeleteRefusesAProtectedObjectWithNothingSent(t *testing.T) {
	server := newAccEnv(t, sim.Options{}).server
	api, err := client.New(client.Config{BaseURL: server.URL, APIKey: accKey})
	if err != nil {
		t.Fatal(err)
	}
	data := &providerData{client: api, apiKey: accKey}
	clusterID, err := server.Engine.AddCluster(accKey, sim.ClusterSpec{InstanceType: "1xH100", DeletionProtection: true})
	if err != nil {
		t.Fatal(err)
	}
	storageID, err := server.Engine.AddStorage(accKey, sim.StorageSpec{SizeGB: 10, DeletionProtection: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind string
		r    resource.Resource
		id   string
	}{
		{"cluster", &clusterResource{data: data}, clusterID},
		{"storage volume", &storageResource{data: data}, storageID},
	} {
		req := resource.DeleteRequest{State: resourceObject(t, tc.r, map[string]any{"id": tc.id, "deletion_protection": true})}
		var resp resource.DeleteResponse
		tc.r.Delete(context.Background(), req, &resp)
		if got := resp.Diagnostics.Errors(); len(got) != 1 || got[0].Summary() != "The "+tc.kind+" is protected from deletion" {
			t.Errorf("Delete of a protected %s: %v, want the one protection error", tc.kind, got)
		}
		if sent := server.Engine.RequestsFor(tc.id); len(sent) != 0 {
			t.Errorf("Delete of a protected %s sent %v, want nothing", tc.kind, sent)
		}
	}
}

// TestAccDeletionProtection_destroyStopsAtPlanTimeBeforeTheAttachment: a
// destroy of a protected cluster and volume fails at plan time, so the
// attachment between them, which Terraform would destroy first, is not
// detached, and nothing but reads reaches the engine. (The acceptance-level
// twin of the e2e TestProtectedClusterStopsTheDestroyBeforeAnythingIsDestroyed.)
func TestAccDeletionProtection_destroyStopsAtPlanTimeBeforeTheAttachment(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	var attachmentID string
	config := func(protected bool) string {
		p := fmt.Sprintf("  deletion_protection = %t", protected)
		return env.clusterConfig("1xH100", p) + storageBlock("  size = 10", p) + `
resource "tensorpool_storage_attachment" "test" {
  storage_id = tensorpool_storage.test.id
  cluster_id = tensorpool_cluster.test.id
}
`
	}
	env.run(t, tfresource.TestCase{
		Steps: []tfresource.TestStep{
			{Config: config(true), Check: captureIDOf(attachmentAddr, &attachmentID)},
			{
				Config:      config(true),
				Destroy:     true,
				ExpectError: wrapped("is protected from deletion", "nothing was sent to the engine"),
			},
			{
				PreConfig: func() {
					a, _ := env.engineAttachment(attachmentID)
					if n := env.engine().Stats()["POST /storage/detach"]; n != 0 || !a.Live || a.DetachedAt != nil {
						t.Errorf("the refused destroy sent %d detaches and left the attachment %+v, want it attached", n, a)
					}
				},
				Config: config(false),
			},
		},
	})
}
