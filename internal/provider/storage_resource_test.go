package provider

import (
	"fmt"
	"regexp"
	"strings"
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

const storageAddr = "tensorpool_storage.test"

// storageConfig renders the provider and tensorpool_storage.test with the
// given attribute lines.
func (e *accEnv) storageConfig(lines ...string) string {
	return e.providerBlock() + storageBlock(lines...)
}

func storageBlock(lines ...string) string {
	return fmt.Sprintf("resource \"tensorpool_storage\" \"test\" {\n%s\n}\n", strings.Join(lines, "\n"))
}

// engineVolume is the simulator's view of a volume.
func (e *accEnv) engineVolume(id string) (sim.StorageSnapshot, error) {
	s, ok := e.engine().StorageVolume(id)
	return snapshotOf(s, ok, "storage volume", id)
}

// usersVolumes are the simulator's volumes of the test user.
func (e *accEnv) usersVolumes() []sim.StorageSnapshot {
	return ownedByTestUser(e.engine().Storage(), func(s sim.StorageSnapshot) string { return s.Owner })
}

// sentFor counts the requests of one route that named id.
func (e *accEnv) sentFor(id, route string) int { return e.engine().RequestsFor(id)[route] }

func TestAccStorage_createGrowRenameProtectImport(t *testing.T) {
	// Requests take a moment, so that an apply that did not wait would see
	// the volume still PENDING or the old size.
	env := newClusterEnv(t, sim.Options{StorageLatency: 300 * time.Millisecond})
	var id string
	grown := env.storageConfig(`  size = 20`, `  name = "data2"`, `  deletion_protection = true`)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: env.storageConfig(`  size = 10`, `  name = "data"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("status"), knownvalue.StringExact(sim.StorageAvailable)),
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("deletion_protection"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("storage_info_json"), knownvalue.StringRegexp(regexp.MustCompile(`"size_gb":\s*10`))),
				},
				Check: resource.ComposeTestCheckFunc(captureIDOf(storageAddr, &id), func(*terraform.State) error {
					s, err := env.engineVolume(id)
					if err != nil {
						return err
					}
					if s.Status != sim.StorageAvailable || s.SizeGB != 10 || s.Name != "data" || s.DeletionProtection {
						return fmt.Errorf("engine volume after create: %+v", s)
					}
					return nil
				}),
			},
			{
				// Grow, rename and protect: one edit, in place.
				Config: grown,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					s, err := env.engineVolume(id)
					if err != nil {
						return err
					}
					if s.SizeGB != 20 || s.Name != "data2" || !s.DeletionProtection {
						return fmt.Errorf("the apply returned before the engine applied the edit: %+v", s)
					}
					if n := env.sentFor(id, "PATCH /storage/edit"); n != 1 {
						return fmt.Errorf("%d edits sent, want 1", n)
					}
					if n := len(env.usersVolumes()); n != 1 {
						return fmt.Errorf("%d volumes: a grow must never replace the volume", n)
					}
					return nil
				},
			},
			{Config: grown, PlanOnly: true},
			{
				ResourceName:            storageAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"storage_info_json", "status"},
			},
			{
				// Protection off, so that the test's final destroy can run.
				Config: env.storageConfig(`  size = 20`, `  name = "data2"`),
			},
		},
		CheckDestroy: func(*terraform.State) error {
			s, err := env.engineVolume(id)
			if err != nil {
				return err
			}
			if s.Status != sim.StorageDestroyed || s.Billing {
				return fmt.Errorf("destroy returned while the volume was %s (billing %v)", s.Status, s.Billing)
			}
			return nil
		},
	})
}

func TestAccStorage_importBlockPlansNothing(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	id, err := env.engine().AddStorage(accKey, sim.StorageSpec{SizeGB: 50, Name: "imported", DeletionProtection: true})
	if err != nil {
		t.Fatal(err)
	}
	config := env.storageConfig(`  size = 50`, `  name = "imported"`, `  deletion_protection = true`)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: config + fmt.Sprintf("\nimport {\n  to = %s\n  id = %q\n}\n", storageAddr, id),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionNoop),
				}},
			},
			{Config: env.storageConfig(`  size = 50`, `  name = "imported"`)},
		},
	})
	if n := env.sentFor(id, "PATCH /storage/edit"); n != 1 {
		t.Errorf("%d edits: the import must send none, turning protection off one", n)
	}
}

func TestAccStorage_shrinkRefusedAtPlanWithNothingSent(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	var id string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: env.storageConfig(`  size = 100`), Check: captureIDOf(storageAddr, &id)},
			{
				Config:      env.storageConfig(`  size = 50`),
				ExpectError: wrapped("A storage volume cannot shrink", "100 GB", "size = 50", "cannot shrink it", "at least 100", "create a new tensorpool_storage", "move the data"),
			},
			{
				Config: env.storageConfig(`  size = 100`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				Check: func(*terraform.State) error {
					if n := env.sentFor(id, "PATCH /storage/edit") + env.sentFor(id, "DELETE /storage"); n != 0 {
						return fmt.Errorf("%d edits or deletes sent for a refused shrink, want 0", n)
					}
					if s, err := env.engineVolume(id); err != nil || s.SizeGB != 100 || s.Status != sim.StorageAvailable {
						return fmt.Errorf("the volume changed: %+v (read error: %w)", s, err)
					}
					if n := len(env.usersVolumes()); n != 1 {
						return fmt.Errorf("%d volumes: a shrink must never create a replacement", n)
					}
					return nil
				},
			},
		},
	})
}

func TestAccStorage_driftGrownOutside(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	var id string
	grow := func(gb int64) func() {
		return func() {
			if err := env.engine().EditStorage(id, sim.Edit{SizeGB: &gb}); err != nil {
				t.Fatal(err)
			}
		}
	}
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: env.storageConfig(`  size = 100`), Check: captureIDOf(storageAddr, &id)},
			{
				// Grown outside beyond the configuration: the plan says to
				// raise size to at least the engine's size.
				PreConfig:   grow(150),
				Config:      env.storageConfig(`  size = 100`),
				ExpectError: wrapped("cannot shrink", "is 150 GB", "size = 100", "at least 150"),
			},
			{
				// Raised to match: nothing to do.
				Config: env.storageConfig(`  size = 150`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				// Grown outside, but less than the configuration: the plan
				// grows it to the configured size.
				PreConfig: grow(160),
				Config:    env.storageConfig(`  size = 200`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(storageAddr, tfjsonpath.New("size"), knownvalue.Int64Exact(200)),
				}},
				Check: func(*terraform.State) error {
					if s, err := env.engineVolume(id); err != nil || s.SizeGB != 200 {
						return fmt.Errorf("engine volume %+v (read error: %w), want 200 GB", s, err)
					}
					return nil
				},
			},
		},
	})
}

func TestAccStorage_driftRenamedOutsideIsShown(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	var id string
	config := env.storageConfig(`  size = 10`, `  name = "data"`)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config, Check: captureIDOf(storageAddr, &id)},
			{
				PreConfig: func() {
					name := "renamed"
					if err := env.engine().EditStorage(id, sim.Edit{Name: &name}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(storageAddr, tfjsonpath.New("name"), knownvalue.StringExact("data")),
				}},
				Check: func(*terraform.State) error {
					if s, err := env.engineVolume(id); err != nil || s.Name != "data" {
						return fmt.Errorf("engine volume %+v (read error: %w), want it renamed back to data", s, err)
					}
					return nil
				},
			},
		},
	})
}

func TestAccStorage_driftDestroyedOutsideProposesCreate(t *testing.T) {
	for name, destroyOutside := range map[string]func(e *sim.Engine, id string) error{
		"released":  (*sim.Engine).DestroyStorage, // info answers 200 DESTROYED
		"forgotten": (*sim.Engine).RemoveStorage,  // info answers 404
	} {
		t.Run(name, func(t *testing.T) {
			env := newClusterEnv(t, sim.Options{})
			var first, second string
			config := env.storageConfig(`  size = 10`)
			env.run(t, resource.TestCase{
				Steps: []resource.TestStep{
					{Config: config, Check: captureIDOf(storageAddr, &first)},
					{
						PreConfig: func() {
							if err := destroyOutside(env.engine(), first); err != nil {
								t.Fatal(err)
							}
						},
						Config: config,
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionCreate),
						}},
						Check: resource.ComposeTestCheckFunc(captureIDOf(storageAddr, &second), func(*terraform.State) error {
							if second == first {
								return fmt.Errorf("the state still has the destroyed volume %s", first)
							}
							return nil
						}),
					},
				},
			})
			if n := env.sentFor(first, "DELETE /storage"); n != 0 {
				t.Errorf("%d deletes sent for the volume destroyed outside, want 0", n)
			}
		})
	}
}

func TestAccStorage_deletionProtectionStopsDestroyWithNothingSent(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	var id string
	protected := env.storageConfig(`  size = 10`, `  deletion_protection = true`)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: protected, Check: captureIDOf(storageAddr, &id)},
			{
				Config:      protected,
				Destroy:     true,
				ExpectError: wrapped("protected from deletion", "deletion_protection = true", "nothing was sent", "set deletion_protection = false", "terraform apply"),
			},
			{
				RefreshState: true,
				Check: func(*terraform.State) error {
					if n := env.sentFor(id, "DELETE /storage"); n != 0 {
						return fmt.Errorf("%d deletes sent for a protected volume, want 0", n)
					}
					if s, err := env.engineVolume(id); err != nil || s.Status != sim.StorageAvailable {
						return fmt.Errorf("engine volume %+v (read error: %w), want it untouched", s, err)
					}
					return nil
				},
			},
			{
				// As the error says: protection off, apply, then destroy.
				Config: env.storageConfig(`  size = 10`, `  deletion_protection = false`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionUpdate),
				}},
			},
		},
	})
}

// A create that times out keeps the volume in the state; so does a destroy
// that times out; a second destroy waits for the same release request (kept
// in private state) without sending a second DELETE, and once the engine has
// released the volume, the last destroy succeeds.
func TestAccStorage_timeoutsKeepTheVolumeInTheState(t *testing.T) {
	env := newClusterEnv(t, sim.Options{StorageLatency: time.Hour})
	var id string
	config := env.storageConfig(`  size = 10`, `  timeouts {
    create = "2s"
    delete = "2s"
  }`)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      config,
				ExpectError: wrapped("Timed out waiting for the TensorPool storage volume creation", "STORAGE_CREATE", "PROCESSING", "timeouts.create = 2s", "kept in the Terraform state", "terraform destroy"),
			},
			{
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // tainted: replaced at the next apply
				Check: resource.ComposeTestCheckFunc(captureIDOf(storageAddr, &id), func(s *terraform.State) error {
					if !s.RootModule().Resources[storageAddr].Primary.Tainted {
						return fmt.Errorf("the volume whose create timed out is not tainted")
					}
					return nil
				}),
			},
			{
				Config:      config,
				Destroy:     true,
				ExpectError: wrapped("Timed out waiting for the TensorPool storage volume to be released", "STORAGE_DESTROY", "timeouts.delete = 2s", "stays in the Terraform state"),
			},
			{
				Config:      config,
				Destroy:     true,
				ExpectError: wrapped("Timed out waiting for the TensorPool storage volume to be released", "stays in the Terraform state"),
			},
			{
				PreConfig: func() {
					if n := env.sentFor(id, "DELETE /storage"); n != 1 {
						t.Errorf("%d deletes sent before the engine finished, want the first destroy's one", n)
					}
					env.clock.Skip(2 * time.Hour)
				},
				Config:  config,
				Destroy: true,
			},
		},
	})
	if s, err := env.engineVolume(id); err != nil || s.Status != sim.StorageDestroyed {
		t.Errorf("engine volume %+v %v, want DESTROYED", s, err)
	}
	if n := len(env.usersVolumes()); n != 1 {
		t.Errorf("%d volumes created, want 1", n)
	}
}

func TestAccStorage_badInputRefusedAtPlan(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      env.storageConfig(`  size = 0`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)size.*at least 1`),
			},
			{
				Config: env.storageConfig(`  size = 1`, `  timeouts {
    update = "0s"
  }`),
				PlanOnly:    true,
				ExpectError: wrapped("timeouts.update", "positive"),
			},
		},
	})
	if n := env.engine().Stats()["POST /storage/create"]; n != 0 {
		t.Errorf("%d creates sent for refused input, want 0", n)
	}
}

// With the engine answering only a message, the configured values are kept
// (no false drift) and the engine's own fields are null, not invented.
func TestAccStorage_messageOnlyInfoKeepsConfiguredValues(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	config := env.storageConfig(`  size = 10`, `  name = "data"`)
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
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("size"), knownvalue.Int64Exact(10)),
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("name"), knownvalue.StringExact("data")),
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("status"), knownvalue.Null()),
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("storage_info_json"), knownvalue.StringRegexp(regexp.MustCompile(`^\{"message":`))),
				},
			},
		},
	})
}
