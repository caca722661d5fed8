package provider

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

const attachmentAddr = "tensorpool_storage_attachment.test"

// attachmentConfig is a volume attached to clusterID (a shared, running
// cluster of the simulator: the cluster resource is tested on its own).
func (e *accEnv) attachmentConfig(clusterID string) string {
	return e.storageConfig(`  size = 10`) + fmt.Sprintf(`
resource "tensorpool_storage_attachment" "test" {
  storage_id = tensorpool_storage.test.id
  cluster_id = %q
}
`, clusterID)
}

// restarts is how many times the engine restarted a cluster's nodes.
func (e *accEnv) restarts(clusterID string) int {
	e.t.Helper()
	cl, err := e.engineCluster(clusterID)
	if err != nil {
		e.t.Fatal(err)
	}
	return cl.Restarts
}

// engineAttachment is the simulator's view of one attachment.
func (e *accEnv) engineAttachment(id string) (sim.AttachmentSnapshot, bool) {
	for _, a := range e.engine().Attachments() {
		if a.ID == id {
			return a, true
		}
	}
	return sim.AttachmentSnapshot{}, false
}

func TestAccStorageAttachment_attachImportDetach(t *testing.T) {
	const second = "c-acc-2"
	env := newClusterEnv(t, sim.Options{Clusters: []string{accCluster, second}, StorageLatency: 300 * time.Millisecond})
	var storageID string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: env.attachmentConfig(accCluster),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(attachmentAddr, plancheck.ResourceActionCreate),
				}},
				Check: resource.ComposeTestCheckFunc(captureIDOf(storageAddr, &storageID), func(s *terraform.State) error {
					id := s.RootModule().Resources[attachmentAddr].Primary.ID
					if want := storageID + "/" + accCluster; id != want {
						return fmt.Errorf("attachment id %q, want %q", id, want)
					}
					a, ok := env.engineAttachment(id)
					if !ok || a.Status != sim.AttachmentAttached {
						return fmt.Errorf("the apply returned before the engine attached the volume: %+v", a)
					}
					if n := env.restarts(accCluster); n != 1 {
						return fmt.Errorf("the cluster restarted %d times, want 1", n)
					}
					return nil
				}),
			},
			{Config: env.attachmentConfig(accCluster), PlanOnly: true},
			{
				ResourceName:      attachmentAddr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				ResourceName:  attachmentAddr,
				ImportState:   true,
				ImportStateId: "no-slash-here",
				ExpectError:   wrapped("Invalid storage attachment id", "<storage_id>/<cluster_id>"),
			},
			{
				// Another cluster: detach from the first, attach to the second.
				Config: env.attachmentConfig(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(attachmentAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: func(*terraform.State) error {
					if a, _ := env.engineAttachment(sim.AttachmentID(storageID, accCluster)); a.Status != sim.AttachmentDetached {
						return fmt.Errorf("the first attachment is %s, want DETACHED", a.Status)
					}
					if a, _ := env.engineAttachment(sim.AttachmentID(storageID, second)); a.Status != sim.AttachmentAttached {
						return fmt.Errorf("the second attachment is %s, want ATTACHED", a.Status)
					}
					if n := env.restarts(accCluster); n != 1 {
						return fmt.Errorf("the first cluster restarted %d times, want 1 (imports restart nothing)", n)
					}
					if n := env.restarts(second); n != 1 {
						return fmt.Errorf("the second cluster restarted %d times, want 1", n)
					}
					return nil
				},
			},
		},
		CheckDestroy: func(*terraform.State) error {
			// The attachment was destroyed first, and waited for: the volume
			// could then be destroyed, which the engine refuses while attached.
			if a, _ := env.engineAttachment(sim.AttachmentID(storageID, second)); a.Status != sim.AttachmentDetached {
				return fmt.Errorf("after destroy the attachment is %s", a.Status)
			}
			if s, err := env.engineVolume(storageID); err != nil || s.Status != sim.StorageDestroyed {
				return fmt.Errorf("after destroy the volume is %+v (read error: %w)", s, err)
			}
			return nil
		},
	})
}

func TestAccStorageAttachment_detachedOutsideProposesAttach(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	var storageID string
	config := env.attachmentConfig(accCluster)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config, Check: captureIDOf(storageAddr, &storageID)},
			{
				PreConfig: func() {
					if err := env.engine().Detach(storageID, accCluster); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(attachmentAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionNoop),
				}},
				Check: func(*terraform.State) error {
					if n := env.restarts(accCluster); n != 2 {
						return fmt.Errorf("the cluster restarted %d times, want 2 (attached, then attached again)", n)
					}
					return nil
				},
			},
		},
	})
}

// With a message-only info, nothing says the attachment ended: it is kept,
// and the plan stays empty.
func TestAccStorageAttachment_messageOnlyInfoKeepsIt(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	config := env.attachmentConfig(accCluster)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() { env.engine().SetFaults(sim.Faults{InfoMessageOnly: true}) },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(attachmentAddr, tfjsonpath.New("cluster_id"), knownvalue.StringExact(accCluster)),
				},
			},
		},
	})
}

func TestAccStorageAttachment_toAClusterThatIsNotRunningFailsCleanly(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					if err := env.engine().SetClusterStatus(accCluster, "MAINTENANCE"); err != nil {
						t.Fatal(err)
					}
				},
				Config:      env.attachmentConfig(accCluster),
				ExpectError: regexp.MustCompile(`(?s)Could not attach the TensorPool storage volume.*RUNNING`),
			},
			{
				// Nothing attached, so nothing in the state; the volume is.
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check: func(s *terraform.State) error {
					if _, ok := s.RootModule().Resources[attachmentAddr]; ok {
						return fmt.Errorf("a refused attach is in the state")
					}
					return nil
				},
			},
		},
	})
}

// slowAttachmentOfAnOutsideVolume is an attachment to the shared cluster,
// with create and delete timeouts of 2 s, of a ready volume made outside
// (with an engine whose storage requests last an hour, a created one would
// not be ready for that long); the test removes the volume itself.
func (e *accEnv) slowAttachmentOfAnOutsideVolume(t *testing.T) (storageID, attachmentID, config string) {
	t.Helper()
	storageID, err := e.engine().AddStorage(accKey, sim.StorageSpec{SizeGB: 10})
	if err != nil {
		t.Fatal(err)
	}
	e.outside = append(e.outside, storageID)
	return storageID, sim.AttachmentID(storageID, accCluster), slowAttachmentConfig(e.providerBlock(), storageID)
}

// slowAttachmentConfig is the provider block and an attachment of the
// volume to the shared cluster, with create and delete timeouts of 2 s.
func slowAttachmentConfig(provider, storageID string) string {
	return provider + fmt.Sprintf(`
resource "tensorpool_storage_attachment" "test" {
  storage_id = %q
  cluster_id = %q
  timeouts {
    create = "2s"
    delete = "2s"
  }
}
`, storageID, accCluster)
}

// An attach whose create times out stays in the state, tainted; refreshes
// keep it while the engine still attaches (the volume does not list the
// cluster yet); a destroy waits for that attach to end before detaching,
// so no attach completes behind a destroy that reported success.
func TestAccStorageAttachment_createTimeoutKeepsItAndDestroyWaitsForTheAttach(t *testing.T) {
	env := newClusterEnv(t, sim.Options{StorageLatency: time.Hour})
	storageID, attachmentID, config := env.slowAttachmentOfAnOutsideVolume(t)
	env.run(t, resource.TestCase{
		CheckDestroy: func(*terraform.State) error { return env.engine().CheckNothingBilling(accOwner) },
		Steps: []resource.TestStep{
			{
				Config:      config,
				ExpectError: wrapped("Timed out attaching the TensorPool storage volume", "STORAGE_ATTACH", "timeouts.create = 2s", "kept in the Terraform state", "tainted"),
			},
			{
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // tainted: replaced at the next apply
				Check: func(s *terraform.State) error {
					rs, ok := s.RootModule().Resources[attachmentAddr]
					if !ok || rs.Primary.ID != attachmentID || !rs.Primary.Tainted {
						return fmt.Errorf("the attach under way is not in the state, tainted: %+v", rs)
					}
					return env.engine().CheckNoOrphanedObjects(accOwner, []string{attachmentID}, storageID)
				},
			},
			{
				Config:      config,
				Destroy:     true,
				ExpectError: wrapped("Timed out waiting for the storage attach to end before detaching", "nothing was detached", "stays in the Terraform state"),
			},
			{
				PreConfig: func() {
					if n := env.sentFor(storageID, "POST /storage/detach"); n != 0 {
						t.Errorf("%d detaches sent while the attach was under way, want 0", n)
					}
					env.clock.Skip(2 * time.Hour) // the attach completes
				},
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check: func(*terraform.State) error {
					if a, _ := env.engineAttachment(attachmentID); a.Status != sim.AttachmentAttached {
						return fmt.Errorf("the attachment is %s, want ATTACHED", a.Status)
					}
					// The volume was made outside, so it is removed outside; the
					// final destroy then finds nothing attached.
					if err := env.engine().Detach(storageID, accCluster); err != nil {
						return err
					}
					return env.engine().DestroyStorage(storageID)
				},
			},
		},
	})
}
