package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
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

func TestAccJob_lifecycleFromEnvironmentOnly(t *testing.T) {
	env := newAccEnv(t, sim.Options{PendingDelay: time.Hour, CancelLatency: 300 * time.Millisecond})
	// Terraform Cloud style: no provider block at all, only environment variables.
	t.Setenv(EnvAPIKey, accKey)
	t.Setenv(EnvEngineURL, env.server.URL)
	config := env.jobResource()
	var id string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("pending")),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("cluster_id"), knownvalue.StringExact(accCluster)),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("instance_type"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("exit_code"), knownvalue.Null()),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("on_destroy"), knownvalue.StringExact("cancel")),
				},
				Check: resource.ComposeTestCheckFunc(
					captureID(&id),
					func(*terraform.State) error {
						job := env.onlyJob()
						if job.JobID != id {
							return fmt.Errorf("state id %s, engine job %s", id, job.JobID)
						}
						// The engine's upload command ran in source_dir.
						if !strings.Contains(job.UploadListing, "train.py") {
							return fmt.Errorf("upload listing %q does not show source_dir's files", job.UploadListing)
						}
						return nil
					},
				),
			},
			{
				// A second plan with the same configuration changes nothing.
				Config:   config,
				PlanOnly: true,
			},
			{
				ResourceName:      jobAddr,
				ImportState:       true,
				ImportStateVerify: true,
				// The engine does not return the inputs (nor so the hash of the
				// uploaded files), and status moves on its own.
				ImportStateVerifyIgnore: []string{"config", "source_dir", "source_hash", "teardown_cluster", "status", "message", "updated_at", "job_info_json"},
			},
			{
				ResourceName:       jobAddr,
				ImportState:        true,
				ImportStateKind:    resource.ImportBlockWithID,
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					// The unknown inputs are adopted in place, never by replacing the job.
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionUpdate),
				}},
			},
		},
	})
	if n := len(env.engine().Jobs()); n != 1 {
		t.Errorf("%d jobs were submitted, want 1", n)
	}
}

func TestAccJob_importAdoptsConfiguration(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: 200 * time.Millisecond})
	id, err := env.engine().AddJob(accKey, accCluster)
	if err != nil {
		t.Fatal(err)
	}
	env.outside = append(env.outside, id)
	withImport := env.jobConfig() + fmt.Sprintf("\nimport {\n  to = %s\n  id = %q\n}\n", jobAddr, id)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: withImport,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("id"), knownvalue.StringExact(id)),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("config"), knownvalue.NotNull()),
					// The adopting apply records the files, so later changes show.
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("source_hash"), knownvalue.StringRegexp(regexp.MustCompile(`^sha256:[0-9a-f]{64}$`))),
				},
			},
			{
				// Adopted: the same configuration plans nothing.
				Config: env.jobConfig(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				// A change of the imported job's files is shown (an in-place
				// update of source_hash, the default on_source_change).
				PreConfig: func() {
					if err := os.WriteFile(filepath.Join(env.srcDir, "train.py"), []byte("print('v2')\n"), 0o600); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.jobConfig(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.NotNull()),
				}},
			},
			{
				// Once adopted, a changed input replaces the job as usual.
				Config: strings.Replace(env.jobConfig(), "python train.py", "python train2.py", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
			},
		},
	})
	if n := len(env.engine().Jobs()); n != 2 {
		t.Errorf("%d jobs, want the imported one and its replacement", n)
	}
}

// TestAccJob_importOfAnUnknownIDFails: a 404 keeps a job Terraform knows
// (as "deleted"), but an import of an id the engine does not know imports
// nothing: Terraform reports it, and nothing is submitted.
func TestAccJob_importOfAnUnknownIDFails(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:      env.jobConfig() + fmt.Sprintf("\nimport {\n  to = %s\n  id = %q\n}\n", jobAddr, "job-0000000000000000"),
			ExpectError: regexp.MustCompile(`Cannot import non-existent remote object`),
		}},
	})
	if n := len(env.engine().Jobs()); n != 0 {
		t.Errorf("%d jobs submitted, want none", n)
	}
}

func TestAccJob_destroyWaitsForCanceled(t *testing.T) {
	// The engine takes 2s to cancel; the destroy may only succeed after.
	env := newAccEnv(t, sim.Options{CancelLatency: 2 * time.Second, InfoRetryAfter: 0})
	env.run(t, resource.TestCase{
		CheckDestroy: func(s *terraform.State) error {
			job := env.onlyJob()
			if job.Status != "canceled" || job.ObservedTerminalAt == nil {
				return fmt.Errorf("destroy returned while the job was %q (observed terminal: %v)", job.Status, job.ObservedTerminalAt)
			}
			// The wait listened to the job's status stream (to wake up the
			// moment it stopped) rather than only polling.
			if n := env.engine().Stats()["WS /job/listen"]; n != 1 {
				return fmt.Errorf("%d status streams opened during the destroy, want 1", n)
			}
			return nil
		},
		Steps: []resource.TestStep{{Config: env.jobConfig()}},
	})
}

func TestAccJob_destroyTimeoutKeepsJobThenSecondDestroyFinishes(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: time.Hour})
	config := env.jobConfig(`  timeouts {
    delete = "2s"
  }`)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config},
			{
				Config:      config,
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)Timed out waiting.*"canceling".*timeouts.delete.*destroy.*again.*abandon`),
			},
			{
				// The job is still in the state, and still canceling.
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("canceling")),
				},
			},
			{
				// The engine finishes canceling; destroy again simply works.
				PreConfig: func() { env.clock.Skip(time.Hour) },
				Config:    config,
				Destroy:   true,
			},
		},
	})
	if n := len(env.engine().Jobs()); n != 1 {
		t.Errorf("%d jobs: the second destroy must not cancel or submit anything new", n)
	}
}

func TestAccJob_driftCanceledOutsideIsShownNotReplaced(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	var id string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: env.jobConfig(), Check: captureID(&id)},
			env.statusChangedOutside(&id, "canceled"),
			env.statusChangedOutside(&id, "completed"),
		},
	})
	if n := len(env.engine().Jobs()); n != 1 {
		t.Errorf("%d jobs: a finished job must not be run again", n)
	}
}

// TestAccJob_deletedOutsideIsKeptNotResubmitted: a finished job deleted
// outside Terraform (`tp job delete`) stays in the state as "deleted"; an
// unrelated apply changes a setting in place and submits nothing; a new
// triggers_replace value submits it again, as asked.
func TestAccJob_deletedOutsideIsKeptNotResubmitted(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	var id string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: env.jobConfig(`  triggers_replace = "v1"`), Check: captureID(&id)},
			{
				PreConfig: func() {
					if err := env.engine().SetStatus(id, sim.StatusCompleted); err != nil {
						t.Fatal(err)
					}
					if err := sim.DeleteJobAsTheCLI(env.server.URL, accKey, id); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.jobConfig(`  triggers_replace = "v1"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("deleted")),
				},
				Check: func(s *terraform.State) error {
					if got := s.RootModule().Resources[jobAddr].Primary.ID; got != id {
						return fmt.Errorf("the state holds job %q, want the deleted job %s kept", got, id)
					}
					return nil
				},
			},
			{
				// An unrelated change: an in-place update, nothing submitted.
				Config: env.jobConfig(`  triggers_replace = "v1"`, `  on_destroy = "abandon"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					if n := len(env.engine().Jobs()); n != 0 {
						return fmt.Errorf("the engine has %d jobs after an unrelated apply, want 0 (nothing resubmitted)", n)
					}
					if n := env.engine().RequestsFor(id)["POST /job/cancel"]; n != 0 {
						return fmt.Errorf("%d cancels sent for a deleted job", n)
					}
					return nil
				},
			},
			{
				// Asked for: a new triggers_replace value runs the job again.
				Config: env.jobConfig(`  triggers_replace = "v2"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: func(s *terraform.State) error {
					if job := env.onlyJob(); job.JobID != s.RootModule().Resources[jobAddr].Primary.ID || job.JobID == id {
						return fmt.Errorf("the engine's job %s is not the new one in the state", job.JobID)
					}
					return nil
				},
			},
		},
	})
}

func TestAccJob_waitForCompletion(t *testing.T) {
	cases := []struct {
		outcome string
		cancel  bool
		wantErr string
	}{
		{outcome: "completed"},
		{outcome: "error", wantErr: `ended with status "error" \(exit code 1\)`},
		// The engine's message names the status: said once.
		{outcome: "failed", wantErr: `ended: "Job failed due to an infrastructure error`},
		{outcome: "completed", cancel: true, wantErr: `ended: "Job was canceled"`},
	}
	for _, tc := range cases {
		name := tc.outcome
		if tc.cancel {
			name = "canceled"
		}
		t.Run(name, func(t *testing.T) {
			runDuration := 500 * time.Millisecond
			if tc.cancel {
				runDuration = time.Hour
			}
			env := newAccEnv(t, sim.Options{PendingDelay: 100 * time.Millisecond, RunDuration: runDuration, Outcome: tc.outcome})
			step := resource.TestStep{Config: env.jobConfig("  wait_for_completion = true")}
			var canceler sync.WaitGroup
			if tc.cancel {
				// Someone cancels the job from outside while Terraform waits.
				step.PreConfig = func() {
					canceler.Add(1)
					go func() {
						defer canceler.Done()
						forceFirstJob(env, sim.StatusCanceled)
					}()
				}
			}
			if tc.wantErr != "" {
				step.ExpectError = regexp.MustCompile(tc.wantErr)
			} else {
				step.ConfigStateChecks = []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("completed")),
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("exit_code"), knownvalue.Int64Exact(0)),
				}
			}
			steps := []resource.TestStep{step}
			if tc.wantErr != "" {
				// The failed job stays in the state, tainted: the next plan replaces it.
				steps = append(steps, resource.TestStep{
					RefreshState:       true,
					ExpectNonEmptyPlan: true,
					Check: func(s *terraform.State) error {
						rs, ok := s.RootModule().Resources[jobAddr]
						if !ok || !rs.Primary.Tainted {
							return fmt.Errorf("the failed job must stay in the state, tainted (in state: %v)", ok)
						}
						return nil
					},
				})
			}
			env.run(t, resource.TestCase{
				Steps: steps,
			})
			canceler.Wait()
		})
	}
}

// forceFirstJob waits until the engine has a job, then forces its status
// (canceled: as another user of the account would cancel it).
func forceFirstJob(env *accEnv, status string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if jobs := env.engine().Jobs(); len(jobs) > 0 {
			_ = env.engine().SetStatus(jobs[0].JobID, status)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAccJob_abandonLeavesJobRunning(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	env.run(t, resource.TestCase{
		CheckDestroy: func(*terraform.State) error {
			if job := env.onlyJob(); job.Status != "running" {
				return fmt.Errorf("abandoned job is %q, want it left running", job.Status)
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: env.jobConfig(`  on_destroy = "abandon"`),
			Check: func(*terraform.State) error {
				env.abandoned = append(env.abandoned, env.onlyJob().JobID)
				return nil
			},
		}},
	})
	if stats := env.engine().Stats(); stats["POST /job/cancel"] != 0 {
		t.Errorf("abandon sent %d cancel requests", stats["POST /job/cancel"])
	}
}

func TestAccJob_purgeOnDestroy(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: 300 * time.Millisecond})
	env.run(t, resource.TestCase{
		CheckDestroy: func(*terraform.State) error {
			if jobs := env.engine().Jobs(); len(jobs) != 0 {
				return fmt.Errorf("purge_on_destroy left %d jobs in the engine", len(jobs))
			}
			if env.engine().Stats()["DELETE /job/delete"] != 1 {
				return fmt.Errorf("want exactly one DELETE /job/delete, got %v", env.engine().Stats())
			}
			return nil
		},
		Steps: []resource.TestStep{
			{Config: env.jobConfig("  purge_on_destroy = true")},
			{
				// Switching a destroy-time setting does not resubmit the job.
				Config: env.jobConfig("  purge_on_destroy = true", `  on_destroy = "cancel"`, "  wait_for_completion = false"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionNoop),
				}},
			},
		},
	})
}

func TestAccJob_inPlaceSettingsDoNotReplace(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: env.jobConfig()},
			{
				Config: env.jobConfig(`  on_destroy = "cancel"`, "  purge_on_destroy = true", "  timeouts {\n    delete = \"5m\"\n  }"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionUpdate),
					// A settings update changes nothing the engine reports:
					// no "(known after apply)" for it.
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.NotNull()),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("message"), knownvalue.NotNull()),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("updated_at"), knownvalue.NotNull()),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("job_info_json"), knownvalue.NotNull()),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("exit_code"), knownvalue.Null()),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("source_hash"), knownvalue.NotNull()),
				}},
			},
			{
				Config: env.jobConfig("  teardown_cluster = true", "  purge_on_destroy = true", "  timeouts {\n    delete = \"5m\"\n  }"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
			},
		},
	})
	if n := env.engine().Stats()["WS /job/push"]; n != 2 {
		t.Errorf("%d submissions, want 2 (the first job and one replacement)", n)
	}
}

func TestAccJob_pushDroppedAfterJobIDKeepsTheJob(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	env.engine().SetFaults(sim.Faults{DropPushAfterJobID: true})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      env.jobConfig(),
				ExpectError: regexp.MustCompile(`(?s)did not finish cleanly.*connection\s+to\s+the\s+TensorPool\s+engine\s+was\s+lost.*saved\s+in\s+the\s+Terraform\s+state`),
			},
			{
				PreConfig:    func() { env.engine().SetFaults(sim.Faults{}) },
				RefreshState: true,
				// Tainted by the failed create: the next apply would replace it.
				ExpectNonEmptyPlan: true,
				Check: func(s *terraform.State) error {
					rs, ok := s.RootModule().Resources[jobAddr]
					if !ok {
						return fmt.Errorf("the job the engine created is not in the state")
					}
					if job := env.onlyJob(); rs.Primary.ID != job.JobID {
						return fmt.Errorf("state holds %s, engine has %s", rs.Primary.ID, job.JobID)
					}
					return nil
				},
			},
		},
	})
}

// The engine refusing the submission's connection (429 before the upgrade)
// is ridden out like a rate-limited read: the apply succeeds and the engine
// has the job once.
func TestAccJob_refusedSubmissionConnectionIsRetried(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	env.engine().SetFaults(sim.Faults{RefuseHandshakes: 2})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: env.jobConfig(),
			Check: func(s *terraform.State) error {
				rs, ok := s.RootModule().Resources[jobAddr]
				if !ok {
					return fmt.Errorf("no job in the state")
				}
				if job := env.onlyJob(); rs.Primary.ID != job.JobID {
					return fmt.Errorf("state holds %s, engine has %s", rs.Primary.ID, job.JobID)
				}
				if n := env.engine().Stats()["WS /job/push"]; n != 3 {
					return fmt.Errorf("%d submission handshakes, want 3 (two refused, one accepted)", n)
				}
				return nil
			},
		}},
	})
}
