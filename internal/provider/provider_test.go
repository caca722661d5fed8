package provider

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

const (
	accKey     = "tp-acc-key-0123456789"
	accCluster = "c-acc"
	jobAddr    = "tensorpool_job.test"
)

// Test schedules: the same logic as production, on a millisecond scale.
var (
	testPollPolicy  = backoff.Policy{Initial: 50 * time.Millisecond, Max: 300 * time.Millisecond, Multiplier: 1.5, MaxHint: 300 * time.Millisecond}
	testRetryPolicy = backoff.Policy{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond, Multiplier: 2, MaxHint: 100 * time.Millisecond}
	testRequestPoll = client.RequestPollSchedule{First: 20 * time.Millisecond, Min: 20 * time.Millisecond, Default: 50 * time.Millisecond, Max: 200 * time.Millisecond}
)

// accEnv is one acceptance test's world: an in-process simulator whose clock
// the test can move forward, and provider factories pointing at it.
type accEnv struct {
	t      *testing.T
	server *sim.Server
	clock  *clocktest.Offset
	srcDir string
	// abandoned jobs may still run after a destroy; outside jobs were
	// created outside Terraform and need not be in the state.
	abandoned, outside []string
}

func newAccEnv(t *testing.T, opts sim.Options) *accEnv {
	t.Helper()
	offset := &clocktest.Offset{}
	if opts.Clock == nil {
		opts.Clock = offset
	}
	if len(opts.APIKeys) == 0 {
		opts.APIKeys = []string{accKey, "tp-other-user-key"}
	}
	if len(opts.Clusters) == 0 {
		opts.Clusters = []string{accCluster}
	}
	server, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Close)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "train.py"), []byte("print('hi')\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &accEnv{t: t, server: server, clock: offset, srcDir: src}
}

func (e *accEnv) engine() *sim.Engine { return e.server.Engine }

func (e *accEnv) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return e.factoriesWith(Options{})
}

// factoriesWith is factories with more knobs set in opts; the test
// schedules are filled in.
func (e *accEnv) factoriesWith(opts Options) map[string]func() (tfprotov6.ProviderServer, error) {
	opts.PollPolicy, opts.RetryPolicy, opts.RequestPoll = testPollPolicy, testRetryPolicy, testRequestPoll
	return map[string]func() (tfprotov6.ProviderServer, error){
		"tensorpool": NewServer("test", opts),
	}
}

// providerBlock configures the provider explicitly; envOnly tests leave it
// out and set the environment instead.
func (e *accEnv) providerBlock() string {
	return fmt.Sprintf("provider \"tensorpool\" {\n  engine_url = %q\n  api_key    = %q\n}\n", e.server.URL, accKey)
}

// jobConfig renders a tensorpool_job with extra attribute lines.
func (e *accEnv) jobConfig(extra ...string) string {
	return e.providerBlock() + e.jobResource(extra...)
}

// jobResource renders tensorpool_job.test (jobAddr).
func (e *accEnv) jobResource(extra ...string) string {
	return fmt.Sprintf(`
resource "tensorpool_job" "test" {
  cluster_id = %q
  source_dir = %q
  config     = <<-EOT
    commands = ["python train.py"]
    outputs  = ["checkpoints/"]
  EOT
%s
}
`, accCluster, e.srcDir, strings.Join(extra, "\n"))
}

// onlyJob returns the single job in the simulator.
func (e *accEnv) onlyJob() sim.JobSnapshot {
	e.t.Helper()
	jobs := e.engine().Jobs()
	if len(jobs) != 1 {
		e.t.Fatalf("the simulator has %d jobs, want 1", len(jobs))
	}
	return jobs[0]
}

// accOwner is the simulator's name for the user of accKey.
const accOwner = "user-1"

// run is how every acceptance test runs: it adds the provider's two
// promises, checked from the engine's side, to the test case. After each
// step that applied, every running job of the user is in the state (nothing
// orphaned); after the final destroy, none of them still runs. Steps that
// expect an error are followed, in the tests themselves, by a RefreshState
// step, whose check runs the orphan invariant on the failed apply's state.
func (e *accEnv) run(t *testing.T, tc resource.TestCase) {
	t.Helper()
	if tc.ProtoV6ProviderFactories == nil {
		tc.ProtoV6ProviderFactories = e.factories()
	}
	extra := tc.CheckDestroy
	tc.CheckDestroy = func(s *terraform.State) error {
		// Called once the final destroy has returned: no job may still run,
		// and none may have stopped only after that moment.
		if err := e.engine().CheckDestroyedBy(accOwner, e.clock.Now(), e.abandoned...); err != nil {
			return err
		}
		// Nothing the test created is left live or billing: clusters,
		// storage volumes, attachments and saved keys.
		allowed := append(slices.Clone(e.abandoned), e.outside...)
		if err := errors.Join(e.engine().CheckNothingBilling(accOwner, allowed...), e.engine().CheckNoSSHKeys(accOwner, allowed...)); err != nil {
			return err
		}
		if extra != nil {
			return extra(s)
		}
		return nil
	}
	for i := range tc.Steps {
		step := &tc.Steps[i]
		if step.ExpectError != nil || step.ImportState || step.PlanOnly || step.Destroy {
			continue
		}
		if step.Check == nil {
			step.Check = e.checkNoOrphans
		} else {
			step.Check = resource.ComposeTestCheckFunc(step.Check, e.checkNoOrphans)
		}
	}
	resource.Test(t, tc)
}

// checkNoOrphans: every running job of the user, and every live cluster,
// storage volume and attachment, is in the state.
func (e *accEnv) checkNoOrphans(s *terraform.State) error {
	var jobs, objects []string
	for _, rs := range s.RootModule().Resources {
		switch rs.Type {
		case "tensorpool_job":
			jobs = append(jobs, rs.Primary.ID)
		case "tensorpool_cluster", "tensorpool_storage", "tensorpool_storage_attachment":
			objects = append(objects, rs.Primary.ID)
		}
	}
	return errors.Join(e.engine().CheckNoOrphans(accOwner, jobs, e.outside...),
		e.engine().CheckNoOrphanedObjects(accOwner, objects, e.outside...))
}

// captureID stores the id of tensorpool_job.test during a step.
func captureID(into *string) func(*terraform.State) error { return captureIDOf(jobAddr, into) }

// statusChangedOutside is a step in which someone forces the job's status
// in the engine: the plan must change nothing (no replacement, no re-run)
// and the refreshed state must show the new status.
func (e *accEnv) statusChangedOutside(id *string, status string) resource.TestStep {
	return resource.TestStep{
		PreConfig: func() {
			if err := e.engine().SetStatus(*id, status); err != nil {
				e.t.Fatal(err)
			}
		},
		Config: e.jobConfig(),
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionNoop),
		}},
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact(status)),
		},
	}
}
