package provider

import (
	"fmt"
	"regexp"
	"slices"
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

const (
	clusterAddr = "tensorpool_cluster.test"
	// accPublicKey is a well-formed ed25519 public key line (not anyone's key).
	accPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUm acc@test"
)

// newClusterEnv is an accEnv whose async requests finish at once unless
// the test says otherwise, answered with Retry-After: 1 (the request
// tracker's shortest wait) while they run.
func newClusterEnv(t *testing.T, opts sim.Options) *accEnv {
	t.Helper()
	if opts.RequestRetryAfter == 0 {
		opts.RequestRetryAfter = time.Second
	}
	return newAccEnv(t, opts)
}

// clusterConfig renders the provider and tensorpool_cluster.test.
func (e *accEnv) clusterConfig(instanceType string, extra ...string) string {
	return e.providerBlock() + clusterBlock(instanceType, extra...)
}

func clusterBlock(instanceType string, extra ...string) string {
	return fmt.Sprintf("resource \"tensorpool_cluster\" \"test\" {\n  instance_type = %q\n%s\n}\n", instanceType, strings.Join(extra, "\n"))
}

// engineCluster is the simulator's view of a cluster.
func (e *accEnv) engineCluster(id string) (sim.ClusterSnapshot, error) {
	cl, ok := e.engine().Cluster(id)
	return snapshotOf(cl, ok, "cluster", id)
}

// usersClusters are the simulator's clusters of the test user.
func (e *accEnv) usersClusters() []sim.ClusterSnapshot {
	return ownedByTestUser(e.engine().Clusters(), func(cl sim.ClusterSnapshot) string { return cl.Owner })
}

// wrapped matches phrases in order in Terraform's output, which wraps long
// lines: the words of each phrase may be separated by any whitespace.
func wrapped(phrases ...string) *regexp.Regexp {
	parts := make([]string, len(phrases))
	for i, p := range phrases {
		words := strings.Fields(p)
		for j, w := range words {
			words[j] = regexp.QuoteMeta(w)
		}
		parts[i] = strings.Join(words, `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(parts, ".*"))
}

func TestAccCluster_lifecycle(t *testing.T) {
	// An edit shows in the engine only once its request completes: the
	// update must wait for it.
	env := newClusterEnv(t, sim.Options{ClusterEditLatency: time.Second})
	var id, replacedID string
	named := func(name string, extra ...string) string {
		return env.clusterConfig("1xH100", append([]string{fmt.Sprintf("  name = %q", name),
			fmt.Sprintf("  public_keys = [%q]", accPublicKey+"\n")}, extra...)...)
	}
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: named("alpha"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^c-`))),
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("status"), knownvalue.StringExact("RUNNING")),
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("num_nodes"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("deletion_protection"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("instance_ids"), knownvalue.ListSizeExact(1)),
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("cluster_info_json"), knownvalue.StringRegexp(regexp.MustCompile(`"status":"RUNNING"`))),
				},
				Check: resource.ComposeTestCheckFunc(captureIDOf(clusterAddr, &id), func(s *terraform.State) error {
					cl, err := env.engineCluster(id)
					if err != nil {
						return err
					}
					if cl.Status != sim.ClusterRunning || cl.InstanceType != "1xH100" || cl.Name != "alpha" || cl.NumNodes != 1 {
						return fmt.Errorf("the engine has %+v", cl)
					}
					// The key went without file()'s newline.
					if !slices.Contains(cl.PublicKeys, accPublicKey) {
						return fmt.Errorf("the cluster got the keys %q, not %q", cl.PublicKeys, accPublicKey)
					}
					if ids := s.RootModule().Resources[clusterAddr].Primary.Attributes["instance_ids.0"]; ids != cl.InstanceIDs[0] {
						return fmt.Errorf("instance_ids.0 is %q, the engine has %q", ids, cl.InstanceIDs)
					}
					return nil
				}),
			},
			{Config: named("alpha"), PlanOnly: true},
			{
				Config: named("beta"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(clusterAddr, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					cl, err := env.engineCluster(id)
					if err != nil {
						return err
					}
					if cl.Name != "beta" || env.engine().RequestsFor(id)["PATCH /cluster/edit"] != 1 {
						return fmt.Errorf("after the rename the engine has name %q and %d edits", cl.Name, env.engine().RequestsFor(id)["PATCH /cluster/edit"])
					}
					return nil
				},
			},
			{
				Config: named("beta", "  deletion_protection = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(clusterAddr, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					cl, err := env.engineCluster(id)
					if err != nil {
						return err
					}
					if !cl.DeletionProtection {
						return fmt.Errorf("deletion protection not switched on in the engine")
					}
					return nil
				},
			},
			{
				Config: named("beta", "  deletion_protection = false"),
				Check: func(*terraform.State) error {
					cl, err := env.engineCluster(id)
					if err != nil {
						return err
					}
					if cl.DeletionProtection {
						return fmt.Errorf("deletion protection not switched off in the engine")
					}
					return nil
				},
			},
			{
				ResourceName:      clusterAddr,
				ImportState:       true,
				ImportStateVerify: true,
				// The engine does not report a cluster's keys.
				ImportStateVerifyIgnore: []string{"public_keys"},
			},
			{
				ResourceName:       clusterAddr,
				ImportState:        true,
				ImportStateKind:    resource.ImportBlockWithID,
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					// public_keys are adopted in place, never by replacing the cluster.
					plancheck.ExpectResourceAction(clusterAddr, plancheck.ResourceActionUpdate),
				}},
			},
			{
				Config: env.clusterConfig("8xH100", `  name = "beta"`, fmt.Sprintf("  public_keys = [%q]", accPublicKey)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(clusterAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeTestCheckFunc(captureIDOf(clusterAddr, &replacedID), func(*terraform.State) error {
					old, err := env.engineCluster(id)
					if err != nil {
						return err
					}
					if old.Status != sim.ClusterDestroyed || old.Billing {
						return fmt.Errorf("the replaced cluster is %s, billing %t", old.Status, old.Billing)
					}
					cl, err := env.engineCluster(replacedID)
					if err != nil {
						return err
					}
					if replacedID == id || cl.InstanceType != "8xH100" || cl.Status != sim.ClusterRunning {
						return fmt.Errorf("the replacement is %+v", cl)
					}
					return nil
				}),
			},
		},
	})
	if n := len(env.usersClusters()); n != 2 {
		t.Errorf("%d clusters were claimed, want the first and its replacement", n)
	}
}

func TestAccCluster_driftOutsideTerraform(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	var id, newID string
	config := env.clusterConfig("1xH100", `  name = "alpha"`)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config, Check: captureIDOf(clusterAddr, &id)},
			{
				// Renamed with the CLI: the plan renames it back, in place.
				PreConfig: func() {
					name := "renamed"
					if err := env.engine().EditCluster(id, sim.Edit{Name: &name}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(clusterAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("name"), knownvalue.StringExact("alpha")),
				}},
				Check: func(*terraform.State) error {
					cl, err := env.engineCluster(id)
					if err != nil {
						return err
					}
					if cl.Name != "alpha" {
						return fmt.Errorf("the cluster was not renamed back: %+v", cl)
					}
					return nil
				},
			},
			{
				// Released with the CLI: the engine still answers, DESTROYED;
				// the plan claims a new cluster.
				PreConfig: func() {
					if err := env.engine().ReleaseCluster(id); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(clusterAddr, plancheck.ResourceActionCreate),
				}},
				Check: resource.ComposeTestCheckFunc(captureIDOf(clusterAddr, &newID), func(*terraform.State) error {
					if newID == id {
						return fmt.Errorf("no new cluster was claimed")
					}
					return nil
				}),
			},
			{
				// Forgotten by the engine (404): the same.
				PreConfig: func() {
					if err := env.engine().ReleaseCluster(newID); err != nil {
						t.Fatal(err)
					}
					if err := env.engine().RemoveCluster(newID); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(clusterAddr, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

func TestAccCluster_capacityRetryThenSuccess(t *testing.T) {
	env := newClusterEnv(t, sim.Options{Faults: sim.Faults{CapacityShortage: 2 * time.Second}})
	var id string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: env.clusterConfig("8xB200"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("status"), knownvalue.StringExact("RUNNING")),
			},
			Check: resource.ComposeTestCheckFunc(captureIDOf(clusterAddr, &id), func(*terraform.State) error {
				cl, err := env.engineCluster(id)
				if err != nil {
					return err
				}
				claim, ok := env.engine().Request(cl.ClaimRequestID)
				retried := slices.ContainsFunc(claim.History, func(s sim.RequestStep) bool { return s.Status == "RETRYING" })
				if !ok || claim.Status != "COMPLETED" || !retried {
					return fmt.Errorf("the claim is %+v", claim)
				}
				// The create waited through the retries rather than
				// returning at the first non-terminal answer.
				if n := env.engine().RequestsFor(cl.ClaimRequestID)["GET /request/info"]; n < 2 {
					return fmt.Errorf("the claim was read %d times", n)
				}
				return nil
			}),
		}},
	})
}

func TestAccCluster_capacityFailedLeavesNothing(t *testing.T) {
	env := newClusterEnv(t, sim.Options{Faults: sim.Faults{CapacityShortage: time.Second, CapacityOutcome: sim.CapacityFailed}})
	config := env.clusterConfig("8xB200")
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: config,
				// The request's status and the engine's own words.
				ExpectError: wrapped("The TensorPool cluster claim failed", "FAILED", "No 1 × 8xB200 capacity became available",
					"nothing runs or bills", "not in the Terraform state"),
			},
			{RefreshState: true, ExpectNonEmptyPlan: true},
			{
				// Nothing was kept: the next apply creates (not replaces).
				PreConfig: func() {
					failed := env.usersClusters()
					if len(failed) != 1 || failed[0].Status != sim.ClusterFailed || failed[0].BillingStartedAt != nil {
						t.Fatalf("after the failed claim the engine has %+v", failed)
					}
					env.engine().SetFaults(sim.Faults{})
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(clusterAddr, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

func TestAccCluster_failedClaimStillRunningIsKept(t *testing.T) {
	env := newClusterEnv(t, sim.Options{Faults: sim.Faults{CapacityOutcome: sim.CapacityFailedRunning}})
	var id string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: env.clusterConfig("1xH100"),
				ExpectError: wrapped("claim failed, but the cluster may still exist", "failed its health check",
					"marked tainted", "terraform destroy"),
			},
			{
				// Still running and billing, and in the state: the orphan check.
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check:              captureIDOf(clusterAddr, &id),
			},
			{
				// Tainted: the plan replaces it.
				PreConfig: func() { env.engine().SetFaults(sim.Faults{}) },
				Config:    env.clusterConfig("1xH100"),
				PlanOnly:  true, ExpectNonEmptyPlan: true,
			},
			{
				// Destroy releases it.
				Config: env.providerBlock(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(clusterAddr, plancheck.ResourceActionDestroy),
				}},
				Check: func(*terraform.State) error {
					cl, err := env.engineCluster(id)
					if err != nil {
						return err
					}
					if cl.Status != sim.ClusterDestroyed || cl.Billing || cl.BillingStartedAt == nil {
						return fmt.Errorf("the failed claim's cluster is %s, billing %t (from %v)", cl.Status, cl.Billing, cl.BillingStartedAt)
					}
					return nil
				},
			},
		},
	})
}

func TestAccCluster_createTimeoutKeepsTheCluster(t *testing.T) {
	env := newClusterEnv(t, sim.Options{ClusterProvisionLatency: time.Hour})
	var id string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      env.clusterConfig("1xH100", "  timeouts {\n    create = \"2s\"\n  }"),
				ExpectError: wrapped("Timed out waiting for the TensorPool cluster claim", "PROCESSING", "may still finish", "terraform destroy"),
			},
			{RefreshState: true, ExpectNonEmptyPlan: true, Check: captureIDOf(clusterAddr, &id)},
			{
				Config: env.providerBlock(),
				Check: func(*terraform.State) error {
					cl, err := env.engineCluster(id)
					if err != nil {
						return err
					}
					if cl.Status != sim.ClusterDestroyed || cl.Billing {
						return fmt.Errorf("after destroy the timed-out claim's cluster is %s, billing %t", cl.Status, cl.Billing)
					}
					return nil
				},
			},
		},
	})
}

func TestAccCluster_deletionProtection(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	var id string
	protected := env.clusterConfig("1xH100", "  deletion_protection = true")
	noRelease := func() {
		if n := env.engine().RequestsFor(id)["DELETE /cluster"]; n != 0 {
			t.Fatalf("%d release requests were sent for a protected cluster", n)
		}
	}
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: protected, Check: captureIDOf(clusterAddr, &id)},
			{
				Config:      env.providerBlock(),
				ExpectError: wrapped("The cluster is protected from deletion", "nothing was sent to the engine", "deletion_protection = false"),
			},
			{
				// A change that would replace it is refused at plan time.
				PreConfig:   noRelease,
				Config:      env.clusterConfig("8xH100", "  deletion_protection = true"),
				ExpectError: wrapped("The cluster is protected from deletion", "Changing instance_type replaces cluster"),
			},
			{
				PreConfig: noRelease,
				Config:    env.clusterConfig("1xH100", "  deletion_protection = false"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(clusterAddr, plancheck.ResourceActionUpdate),
				}},
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if n := env.engine().RequestsFor(id)["DELETE /cluster"]; n != 1 {
				return fmt.Errorf("%d release requests, want the final destroy's one", n)
			}
			return nil
		},
	})
}

func TestAccCluster_destroyTimeoutThenDestroyAgain(t *testing.T) {
	// The release lasts until the test skips the engine's clock past it, so
	// that no step depends on how fast this machine runs the CLI.
	env := newClusterEnv(t, sim.Options{ClusterReleaseLatency: time.Hour})
	var id string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: env.clusterConfig("1xH100", "  timeouts {\n    delete = \"1s\"\n  }"), Check: captureIDOf(clusterAddr, &id)},
			{
				Config:      env.providerBlock(),
				ExpectError: wrapped("Timed out waiting for the TensorPool cluster to be released", "stays in the Terraform state", "terraform destroy"),
			},
			// Being released, still billing, still in the state.
			{RefreshState: true, ExpectNonEmptyPlan: true},
			{
				// A longer timeout, then destroy again: it waits for the same
				// release request (kept in private state) without sending a
				// second DELETE.
				Config: env.clusterConfig("1xH100", "  timeouts {\n    delete = \"1m\"\n  }"),
			},
			{
				PreConfig: func() { env.clock.Skip(2 * time.Hour) },
				Config:    env.providerBlock(),
				Check: func(*terraform.State) error {
					cl, err := env.engineCluster(id)
					if err != nil {
						return err
					}
					releases := 0
					for _, r := range env.engine().RequestsOf(id) {
						if r.Type == "CLUSTER_RELEASE" {
							releases++
						}
					}
					sent := env.engine().RequestsFor(id)["DELETE /cluster"]
					if cl.Status != sim.ClusterDestroyed || cl.Billing || releases != 1 || sent != 1 {
						return fmt.Errorf("after the second destroy the cluster is %s, billing %t, with %d releases from %d DELETE requests, want one",
							cl.Status, cl.Billing, releases, sent)
					}
					return nil
				},
			},
		},
	})
}

func TestAccCluster_messageOnlyInfo(t *testing.T) {
	env := newClusterEnv(t, sim.Options{Faults: sim.Faults{InfoMessageOnly: true}})
	config := env.clusterConfig("1xH100", `  name = "alpha"`)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					// Not reported: null, never invented.
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("status"), knownvalue.Null()),
					// Configured, or from the create answer: kept.
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("name"), knownvalue.StringExact("alpha")),
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("instance_ids"), knownvalue.ListSizeExact(1)),
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("cluster_info_json"), knownvalue.StringRegexp(regexp.MustCompile(`"message"`))),
				},
			},
			{Config: config, PlanOnly: true},
			{
				// Values never reported (container) stay as they are: a
				// rename is still an update, not a replacement.
				Config: env.clusterConfig("1xH100", `  name = "beta"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(clusterAddr, plancheck.ResourceActionUpdate),
				}},
			},
		},
	})
}

func TestAccCluster_badInput(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: env.clusterConfig("1xH100", "  num_nodes = 0"), PlanOnly: true, ExpectError: wrapped("num_nodes", "at least 1")},
			{Config: env.clusterConfig("1x H100"), PlanOnly: true, ExpectError: wrapped("instance_type", "without spaces")},
			{Config: env.clusterConfig("1xH100", `  public_keys = ["not a key"]`), PlanOnly: true, ExpectError: wrapped("Invalid SSH public key in public_keys", "Each element of public_keys must be", "public_keys = [file(")},
			{Config: env.clusterConfig("1xH100", "  timeouts {\n    create = \"0s\"\n  }"), PlanOnly: true, ExpectError: wrapped("timeouts.create")},
		},
	})
	if n := len(env.usersClusters()); n != 0 {
		t.Errorf("bad input claimed %d clusters", n)
	}
}
