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

// jobWith renders tensorpool_job.test with the given config text and
// source_dir expression.
func (e *accEnv) jobWith(configText, sourceDir string, extra ...string) string {
	return e.providerBlock() + fmt.Sprintf(`
resource "tensorpool_job" "test" {
  cluster_id = %q
  source_dir = %s
  config     = <<-EOT
%s
  EOT
%s
}
`, accCluster, sourceDir, configText, strings.Join(extra, "\n"))
}

// TestAccJob_cosmeticEditsDoNotReplaceTheJob: comments, layout, key order and
// a trailing slash plan no change at all; a change of content replaces the
// job. The engine is the judge: one job, never canceled, until the real edit.
func TestAccJob_cosmeticEditsDoNotReplaceTheJob(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: 100 * time.Millisecond})
	dir := fmt.Sprintf("%q", env.srcDir)
	original := `    commands = ["python train.py"]
    outputs  = ["checkpoints/"]`
	cosmetic := `    # Train the model.
    outputs = [ "checkpoints/" ]   # kept after the job

    commands = [
      "python train.py",
    ]`
	var id string
	stillTheSameJob := func(*terraform.State) error {
		jobs := env.engine().Jobs()
		if len(jobs) != 1 || jobs[0].JobID != id || jobs[0].Status != sim.StatusRunning {
			return fmt.Errorf("want job %s alone and running, the engine has %+v", id, jobs)
		}
		return nil
	}
	noChange := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: env.jobWith(original, dir), Check: captureID(&id)},
			{Config: env.jobWith(cosmetic, dir), ConfigPlanChecks: noChange, Check: stillTheSameJob},
			{Config: env.jobWith(cosmetic, fmt.Sprintf("%q", env.srcDir+"/")), ConfigPlanChecks: noChange, Check: stillTheSameJob},
			{Config: env.jobWith(cosmetic, fmt.Sprintf("%q", env.srcDir+"/./")), ConfigPlanChecks: noChange, Check: stillTheSameJob},
			{
				Config: env.jobWith(strings.Replace(cosmetic, "python train.py", "python train.py --epochs 2", 1), dir),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: func(*terraform.State) error {
					if old, _ := env.engine().Job(id); old.Status != sim.StatusCanceled {
						return fmt.Errorf("the replaced job is %s, want canceled", old.Status)
					}
					if n := len(env.engine().Jobs()); n != 2 {
						return fmt.Errorf("the engine has %d jobs, want the old and the new", n)
					}
					return nil
				},
			},
		},
	})
}

// TestAccJob_waitForRunning: create returns once the job runs, not before
// (still pending) and not after (it runs for an hour).
func TestAccJob_waitForRunning(t *testing.T) {
	env := newAccEnv(t, sim.Options{PendingDelay: 1500 * time.Millisecond, RunDuration: time.Hour, CancelLatency: 100 * time.Millisecond})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: env.jobConfig(`  wait_for = "running"`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("running")),
				statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("wait_for"), knownvalue.StringExact("running")),
			},
			Check: func(*terraform.State) error {
				if job := env.onlyJob(); job.Status != sim.StatusRunning {
					return fmt.Errorf("the engine says the job is %s, want running", job.Status)
				}
				return nil
			},
		}},
	})
}

// TestAccJob_waitForRunningOfAJobThatFailsFirst: a job that fails while
// still pending ends a wait_for = "running" apply with an error that says
// it ended before it was seen running (not that it "did not complete"); it
// stays in the state, tainted.
func TestAccJob_waitForRunningOfAJobThatFailsFirst(t *testing.T) {
	env := newAccEnv(t, sim.Options{PendingDelay: time.Hour})
	var failer sync.WaitGroup
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					failer.Add(1)
					go func() {
						defer failer.Done()
						forceFirstJob(env, sim.StatusFailed)
					}()
				},
				Config:      env.jobConfig(`  wait_for = "running"`),
				ExpectError: regexp.MustCompile(`(?s)TensorPool job ended before it was seen running.*ended: "Job failed due to an\s+infrastructure error.*before the wait for it to start running ever saw it\s+running`),
			},
			{
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check: func(s *terraform.State) error {
					if rs, ok := s.RootModule().Resources[jobAddr]; !ok || !rs.Primary.Tainted {
						return fmt.Errorf("the failed job must stay in the state, tainted (in state: %v)", ok)
					}
					return nil
				},
			},
		},
	})
	failer.Wait()
}

// TestAccJob_waitForCompletedAndTheDeprecatedFlag: wait_for = "completed"
// waits for the end; wait_for_completion still works, with a deprecation
// warning, and cannot be combined with wait_for.
func TestAccJob_waitForCompletedAndTheDeprecatedFlag(t *testing.T) {
	for _, setting := range []string{`  wait_for = "completed"`, `  wait_for_completion = true`} {
		t.Run(strings.Fields(setting)[0], func(t *testing.T) {
			env := newAccEnv(t, sim.Options{PendingDelay: 100 * time.Millisecond, RunDuration: 500 * time.Millisecond})
			env.run(t, resource.TestCase{
				Steps: []resource.TestStep{{
					Config: env.jobConfig(setting),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("completed")),
					},
				}},
			})
		})
	}
	env := newAccEnv(t, sim.Options{})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:      env.jobConfig(`  wait_for = "running"`, `  wait_for_completion = true`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination.*wait_for_completion`),
		}},
	})
}

// TestAccJob_failedJobErrorQuotesTheEndOfItsOutput: a job that fails while
// create waits for it ends the apply with the last lines of its own output
// (at most outputTailLines), clearly marked, and the job stays in the state.
func TestAccJob_failedJobErrorQuotesTheEndOfItsOutput(t *testing.T) {
	env := newAccEnv(t, sim.Options{PendingDelay: 100 * time.Millisecond, RunDuration: 300 * time.Millisecond, Outcome: "error"})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: env.jobConfig(`  wait_for = "completed"`),
				// The traceback the simulated job printed last, after the
				// line that says what this is; the job's first line ("$ python
				// train.py") is more than 50 lines back and must be cut.
				ExpectError: regexp.MustCompile(`(?s)ended with status "error" \(exit code 1\).*The job's own output ended with these 50\s+lines.*\| Traceback \(most recent call last\):.*\| RuntimeError: CUDA out of memory \(simulated\)`),
			},
			{
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // tainted: the next apply replaces it
			},
		},
	})
}

// TestAccJob_sourceChanges: an edit of a file the job uploads is shown as a
// new source_hash (recorded in place) or, with on_source_change =
// "replace", resubmits the job; an edit of an ignored file is no change; a
// new triggers_replace value resubmits it too. The engine is the judge.
func TestAccJob_sourceChanges(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: 100 * time.Millisecond})
	dir := fmt.Sprintf("%q", env.srcDir)
	configText := `    commands = ["python train.py"]
    ignore   = ["data/"]`
	write := func(name, content string) func() {
		return func() {
			p := filepath.Join(env.srcDir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	var id, firstHash string
	jobs := func(want int) func(*terraform.State) error {
		return func(*terraform.State) error {
			if n := len(env.engine().Jobs()); n != want {
				return fmt.Errorf("the engine has %d jobs, want %d", n, want)
			}
			return nil
		}
	}
	hashIs := func(check func(string) error) func(*terraform.State) error {
		return func(s *terraform.State) error {
			return check(s.RootModule().Resources[jobAddr].Primary.Attributes["source_hash"])
		}
	}
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: env.jobWith(configText, dir),
				Check: resource.ComposeTestCheckFunc(captureID(&id), hashIs(func(h string) error {
					firstHash = h
					if !strings.HasPrefix(h, "sha256:") {
						return fmt.Errorf("source_hash %q", h)
					}
					return nil
				})),
			},
			{
				// An ignored file changes: nothing to plan.
				PreConfig:        write("data/big.csv", "1,2,3"),
				Config:           env.jobWith(configText, dir),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// The code changes: shown and recorded, the job keeps running.
				PreConfig: write("train.py", "print('v2')\n"),
				Config:    env.jobWith(configText, dir),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(jobAddr, tfjsonpath.New("source_hash"), knownvalue.StringRegexp(regexp.MustCompile(`^sha256:`))),
				}},
				Check: resource.ComposeTestCheckFunc(jobs(1), hashIs(func(h string) error {
					if h == firstHash {
						return fmt.Errorf("source_hash did not change")
					}
					return nil
				})),
			},
			{
				// With on_source_change = "replace", the next code change resubmits.
				Config: env.jobWith(configText, dir, `  on_source_change = "replace"`),
				Check:  jobs(1),
			},
			{
				PreConfig: write("train.py", "print('v3')\n"),
				Config:    env.jobWith(configText, dir, `  on_source_change = "replace"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeTestCheckFunc(jobs(2), func(*terraform.State) error {
					if old, _ := env.engine().Job(id); old.Status != sim.StatusCanceled {
						return fmt.Errorf("the first job is %s, want canceled", old.Status)
					}
					return nil
				}),
			},
			{
				// A free trigger value resubmits too.
				Config: env.jobWith(configText, dir, `  on_source_change = "replace"`, `  triggers_replace = { dataset = "v2" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: jobs(3),
			},
		},
	})
}
