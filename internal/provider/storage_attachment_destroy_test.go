package provider

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// A destroy whose wait for the detach times out keeps the attachment in the
// state; the next destroy waits for that same detach instead of sending a
// second one (which the engine refuses while the first is under way), and
// succeeds once the engine reports it completed.
func TestAccStorageAttachment_destroyAfterDetachTimeoutWaitsForTheSameDetach(t *testing.T) {
	env := newClusterEnv(t, sim.Options{StorageLatency: time.Hour})
	// A ready volume made outside: with this latency a created one would
	// not be ready for an hour.
	storageID, err := env.engine().AddStorage(accKey, sim.StorageSpec{SizeGB: 10})
	if err != nil {
		t.Fatal(err)
	}
	env.outside = append(env.outside, storageID) // made outside, removed outside at the end
	attachmentID := sim.AttachmentID(storageID, accCluster)

	// The request the provider waits for completes at the first look
	// after finishNextRead, and at no other moment.
	provider, finishOn := env.finishingProviderBlock()
	finishNextRead := finishOn("GET /request/info/")
	config := provider + fmt.Sprintf(`
resource "tensorpool_storage_attachment" "test" {
  storage_id = %q
  cluster_id = %q
  timeouts {
    delete = "2s"
  }
}
`, storageID, accCluster)
	detaches := func() int { return env.sentFor(storageID, "POST /storage/detach") }

	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				PreConfig: finishNextRead, // the attach completes at the first look
				Config:    config,
			},
			{
				Config:      config,
				Destroy:     true,
				ExpectError: wrapped("Timed out detaching the TensorPool storage volume", "timeouts.delete = 2s", "stays in the Terraform state", "waits for the same detach"),
			},
			{
				// A plan between the two destroys keeps the attachment (the
				// engine still reports the volume mounted while it detaches).
				RefreshState: true,
				Check: func(s *terraform.State) error {
					if rs, ok := s.RootModule().Resources[attachmentAddr]; !ok || rs.Primary.ID != attachmentID {
						return fmt.Errorf("the attachment being detached is not in the state: %+v", rs)
					}
					if a, _ := env.engineAttachment(attachmentID); a.Status != sim.AttachmentDetaching {
						return fmt.Errorf("the attachment is %s, want DETACHING", a.Status)
					}
					if n := detaches(); n != 1 {
						return fmt.Errorf("%d detaches sent by the destroy that timed out, want 1", n)
					}
					return nil
				},
			},
			{
				PreConfig: finishNextRead, // the detach under way completes at the next look
				Config:    config,
				Destroy:   true,
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if n := detaches(); n != 1 {
				return fmt.Errorf("%d detaches sent in all, want 1: the second destroy sent its own", n)
			}
			if a, _ := env.engineAttachment(attachmentID); a.Status != sim.AttachmentDetached {
				return fmt.Errorf("after destroy the attachment is %s, want DETACHED", a.Status)
			}
			// The volume was made outside, so it is removed outside; then
			// nothing of the user's may be live or billing.
			if err := env.engine().DestroyStorage(storageID); err != nil {
				return err
			}
			return env.engine().CheckNothingBilling(accOwner)
		},
	})
}

// TestAccStorageAttachment_withoutRequestIDsWaitsByReading: an engine that
// answers attach and detach without a request id (the official CLI allows
// it) is waited for by reading the volume's clusters: the attach's create
// and the detach's destroy both end by their timeouts while the engine is
// still at work, and keep the attachment in the state. A destroy whose
// detach the engine refuses (400) while the volume still lists the cluster
// fails and keeps the attachment: a 400 alone does not mean detached. Once
// the engine has finished, destroy succeeds.
func TestAccStorageAttachment_withoutRequestIDsWaitsByReading(t *testing.T) {
	env := newClusterEnv(t, sim.Options{StorageLatency: time.Hour})
	env.engine().SetFaults(sim.Faults{NoRequestIDs: true})
	storageID, attachmentID, config := env.slowAttachmentOfAnOutsideVolume(t)
	status := func(want string) error {
		if a, _ := env.engineAttachment(attachmentID); a.Status != want {
			return fmt.Errorf("the engine's attachment is %q, want %s", a.Status, want)
		}
		return nil
	}
	env.run(t, resource.TestCase{
		CheckDestroy: func(*terraform.State) error { return env.engine().DestroyStorage(storageID) },
		Steps: []resource.TestStep{
			{
				Config:      config,
				ExpectError: wrapped("Timed out attaching the TensorPool storage volume", "timeouts.create = 2s", "kept in the Terraform state"),
			},
			{
				PreConfig:          func() { env.clock.Skip(2 * time.Hour) }, // the attach completes
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // tainted
				Check:              func(*terraform.State) error { return status(sim.AttachmentAttached) },
			},
			{
				Config:      config,
				Destroy:     true,
				ExpectError: wrapped("Timed out detaching the TensorPool storage volume", "timeouts.delete = 2s", "stays in the Terraform state"),
			},
			{
				Config:      config,
				Destroy:     true,
				ExpectError: wrapped("The engine refused to detach the TensorPool storage volume", "stays in the Terraform state"),
			},
			{
				PreConfig: func() {
					if err := status(sim.AttachmentDetaching); err != nil {
						t.Error(err)
					}
					env.clock.Skip(2 * time.Hour) // the detach completes
				},
				Config:  config,
				Destroy: true,
				Check:   func(*terraform.State) error { return status(sim.AttachmentDetached) },
			},
		},
	})
}

// An attach whose answer is lost after the engine took it (the connection
// drops) leaves the attachment in the state, tainted, with its outcome
// unknown: the engine does not list an attach under way, so neither a
// refresh nor a destroy may take "not listed" for "not attached". The
// destroy waits for the volume to list the cluster, fails at
// timeouts.delete with the attachment kept and no detach sent, and once
// the attach has completed, detaches it. After every step the engine has
// nothing attached outside the state.
func TestAccStorageAttachment_lostAttachAnswerDestroyWaitsForTheVolumeToListTheCluster(t *testing.T) {
	env := newClusterEnv(t, sim.Options{StorageLatency: time.Hour})
	storageID, attachmentID, config := env.slowAttachmentOfAnOutsideVolume(t)
	detaches := func() int { return env.sentFor(storageID, "POST /storage/detach") }
	inStateAndEngine := func(want string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			rs, ok := s.RootModule().Resources[attachmentAddr]
			if !ok || rs.Primary.ID != attachmentID || !rs.Primary.Tainted {
				return fmt.Errorf("the attach whose answer was lost is not in the state, tainted: %+v", rs)
			}
			if a, _ := env.engineAttachment(attachmentID); a.Status != want {
				return fmt.Errorf("the engine's attachment is %q, want %s", a.Status, want)
			}
			if n := detaches(); n != 0 {
				return fmt.Errorf("%d detaches sent, want 0", n)
			}
			return env.engine().CheckNoOrphanedObjects(accOwner, []string{attachmentID}, storageID)
		}
	}
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				PreConfig: func() { env.engine().SetFaults(sim.Faults{DropAfterChange: 1}) },
				Config:    config,
				ExpectError: wrapped("The TensorPool storage attach may be under way", "kept in the Terraform state", "tainted",
					"waits for the volume to list the cluster", "tp storage info "+storageID),
			},
			{
				// The engine took the attach but does not list it yet: the
				// refresh keeps the attachment.
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check:              inStateAndEngine(sim.AttachmentAttaching),
			},
			{
				Config:  config,
				Destroy: true,
				ExpectError: wrapped("waiting for the storage attach of an interrupted apply to show", "timeouts.delete = 2s",
					"nothing was detached", "stays in the Terraform state", "tp storage info "+storageID),
			},
			{
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check:              inStateAndEngine(sim.AttachmentAttaching),
			},
			{
				// The attach completes: the destroy detaches, and its wait
				// for the hour-long detach times out.
				PreConfig:   func() { env.clock.Skip(2 * time.Hour) },
				Config:      config,
				Destroy:     true,
				ExpectError: wrapped("Timed out detaching the TensorPool storage volume", "waits for the same detach"),
			},
			{
				PreConfig: func() {
					if a, _ := env.engineAttachment(attachmentID); a.Status != sim.AttachmentDetaching {
						t.Errorf("the engine's attachment is %q, want DETACHING", a.Status)
					}
					env.clock.Skip(2 * time.Hour) // the detach completes
				},
				Config:  config,
				Destroy: true,
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if n := detaches(); n != 1 {
				return fmt.Errorf("%d detaches sent in all, want 1", n)
			}
			if a, _ := env.engineAttachment(attachmentID); a.Status != sim.AttachmentDetached {
				return fmt.Errorf("after destroy the attachment is %s, want DETACHED: attached outside the state", a.Status)
			}
			if err := env.engine().DestroyStorage(storageID); err != nil {
				return err
			}
			return env.engine().CheckNothingBilling(accOwner)
		},
	})
}

// A destroy of an attachment whose attach answer was lost does not wait
// for timeouts.delete when the volume is gone (destroyed outside): an
// attach does not outlive its volume, so nothing can attach any more; no
// detach is sent, and nothing is left attached or billing.
func TestAccStorageAttachment_lostAttachAnswerDestroyEndsWhenTheVolumeIsGone(t *testing.T) {
	env := newClusterEnv(t, sim.Options{StorageLatency: time.Hour})
	storageID, attachmentID, config := env.slowAttachmentOfAnOutsideVolume(t)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				PreConfig:   func() { env.engine().SetFaults(sim.Faults{DropAfterChange: 1}) },
				Config:      config,
				ExpectError: wrapped("The TensorPool storage attach may be under way", "tainted"),
			},
			{
				PreConfig: func() {
					if err := env.engine().DestroyStorage(storageID); err != nil {
						t.Fatal(err)
					}
				},
				Config:  config,
				Destroy: true, // timeouts.delete = 2s: waiting for it would fail the destroy
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if n := env.sentFor(storageID, "POST /storage/detach"); n != 0 {
				return fmt.Errorf("%d detaches sent to a destroyed volume, want 0", n)
			}
			if a, ok := env.engineAttachment(attachmentID); ok && a.Live {
				return fmt.Errorf("the engine's attachment is %s after destroy, want none live", a.Status)
			}
			return env.engine().CheckNothingBilling(accOwner)
		},
	})
}

// A create whose attach the engine refuses because the volume is already
// attached to the cluster (an interrupted apply's attach, or one made
// outside) adopts that attachment, with a warning, without sending a
// second attach: the apply converges, and destroy detaches the volume.
func TestAccStorageAttachment_createAdoptsAnAttachmentAlreadyThere(t *testing.T) {
	env := newClusterEnv(t, sim.Options{StorageLatency: 100 * time.Millisecond})
	storageID, attachmentID, config := env.slowAttachmentOfAnOutsideVolume(t)
	if err := env.engine().Attach(storageID, accCluster); err != nil {
		t.Fatal(err)
	}
	cl, err := env.engineCluster(accCluster)
	if err != nil {
		t.Fatal(err)
	}
	restarts := cl.Restarts
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: func(s *terraform.State) error {
					if rs, ok := s.RootModule().Resources[attachmentAddr]; !ok || rs.Primary.ID != attachmentID || rs.Primary.Tainted {
						return fmt.Errorf("the attachment already there is not adopted into the state: %+v", rs)
					}
					if n := env.sentFor(storageID, "POST /storage/attach"); n != 0 {
						return fmt.Errorf("%d attaches taken by the engine, want 0", n)
					}
					cl, err := env.engineCluster(accCluster)
					if err != nil {
						return err
					}
					if cl.Restarts != restarts {
						return fmt.Errorf("the cluster restarted %d times, want none: a second attach was sent", cl.Restarts-restarts)
					}
					return env.engine().CheckNoOrphanedObjects(accOwner, []string{attachmentID}, storageID)
				},
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if a, _ := env.engineAttachment(attachmentID); a.Status != sim.AttachmentDetached && a.Status != sim.AttachmentDetaching {
				return fmt.Errorf("after destroy the attachment is %s, want detached", a.Status)
			}
			return nil
		},
	})
}

// An apply after one whose attach answer was lost (the engine took it)
// converges: it replaces the tainted attachment, whose detach the engine
// refuses while the attach is under way; the new attach is refused as
// "already attached" once the first attach has completed, and the create
// adopts that attachment instead of failing. One attach was taken in all,
// the cluster restarted once, and the attachment is in the state: nothing
// is attached outside it. Destroy then detaches it.
func TestAccStorageAttachment_applyAfterLostAttachAnswerAdoptsTheAttach(t *testing.T) {
	env := newClusterEnv(t, sim.Options{StorageLatency: time.Hour})
	storageID, err := env.engine().AddStorage(accKey, sim.StorageSpec{SizeGB: 10})
	if err != nil {
		t.Fatal(err)
	}
	env.outside = append(env.outside, storageID)
	attachmentID := sim.AttachmentID(storageID, accCluster)
	cl, err := env.engineCluster(accCluster)
	if err != nil {
		t.Fatal(err)
	}
	restarts := cl.Restarts

	provider, arm := env.finishingProviderBlock()
	config := slowAttachmentConfig(provider, storageID)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				PreConfig:   func() { env.engine().SetFaults(sim.Faults{DropAfterChange: 1}) },
				Config:      config,
				ExpectError: wrapped("The TensorPool storage attach may be under way", "tainted"),
			},
			{
				PreConfig: arm("POST /storage/attach"), // the first attach completes as the second arrives
				Config:    config,
				Check: func(s *terraform.State) error {
					if rs, ok := s.RootModule().Resources[attachmentAddr]; !ok || rs.Primary.ID != attachmentID || rs.Primary.Tainted {
						return fmt.Errorf("the attachment is not in the state, untainted: %+v", rs)
					}
					if a, _ := env.engineAttachment(attachmentID); a.Status != sim.AttachmentAttached {
						return fmt.Errorf("the engine's attachment is %q, want ATTACHED", a.Status)
					}
					if n := env.sentFor(storageID, "POST /storage/attach"); n != 1 {
						return fmt.Errorf("%d attaches taken by the engine, want 1", n)
					}
					cl, err := env.engineCluster(accCluster)
					if err != nil {
						return err
					}
					if cl.Restarts != restarts+1 {
						return fmt.Errorf("the cluster restarted %d times, want once", cl.Restarts-restarts)
					}
					return env.engine().CheckNoOrphanedObjects(accOwner, []string{attachmentID}, storageID)
				},
			},
			{
				PreConfig: arm("GET /request/info/"), // the detach completes at the first look
				Config:    config,
				Destroy:   true,
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if a, _ := env.engineAttachment(attachmentID); a.Status != sim.AttachmentDetached {
				return fmt.Errorf("after destroy the attachment is %s, want DETACHED", a.Status)
			}
			if err := env.engine().DestroyStorage(storageID); err != nil {
				return err
			}
			return env.engine().CheckNothingBilling(accOwner)
		},
	})
}

// finishingProviderBlock is observedProviderBlock with a switch: after
// finishOn(route)() the next request whose "METHOD /path" starts with route
// moves the engine clock 2 h on as it arrives, before the engine handles
// it, so that what is under way (with a storage latency of an hour)
// completes then, and at no other moment.
func (e *accEnv) finishingProviderBlock() (provider string, finishOn func(route string) func()) {
	var (
		mu    sync.Mutex
		armed string
	)
	provider = e.observedProviderBlock(func(r *http.Request, _ []byte) {
		mu.Lock()
		defer mu.Unlock()
		if armed != "" && strings.HasPrefix(r.Method+" "+r.URL.Path, armed) {
			armed = ""
			e.clock.Skip(2 * time.Hour)
		}
	})
	return provider, func(route string) func() {
		return func() {
			mu.Lock()
			defer mu.Unlock()
			armed = route
		}
	}
}
