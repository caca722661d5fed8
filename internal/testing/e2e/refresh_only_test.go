package e2e

import (
	"strings"
	"testing"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// TestRefreshOnlyPlanIsEmptyAfterARefreshOnlyApply: once `apply
// -refresh-only` has recorded a job that ended (completed and error jobs
// have an exit code, failed ones none), `plan -refresh-only
// -detailed-exitcode` (what a drift check in CI or Terraform Cloud reads)
// prints "No changes" and exits 0, twice in a row, on every CLI the suite
// runs. On Terraform 1.10 and 1.11 it exited 2 for jobs with an exit code
// while printing "No changes" (see provider.NewServer).
func TestRefreshOnlyPlanIsEmptyAfterARefreshOnlyApply(t *testing.T) {
	for _, outcome := range []string{sim.StatusCompleted, sim.StatusError, sim.StatusFailed} {
		t.Run(outcome, func(t *testing.T) {
			// triggers_replace, a dynamic attribute, is in the refreshed
			// state too.
			w := newWorld(t, sim.Options{}, jobsConfigWith(1, `  triggers_replace = { dataset = "v2", epochs = 3 }`))
			w.mustRun("apply", "-auto-approve")
			id := w.stateIDs()[0]
			if err := w.server.Engine.SetStatus(id, outcome); err != nil {
				t.Fatal(err)
			}
			w.mustRun("apply", "-refresh-only", "-auto-approve")
			if got := w.stateStatus("tensorpool_job.job[0]"); got != outcome {
				t.Fatalf("after apply -refresh-only the state says %q, want %q", got, outcome)
			}
			// The exit code is what made the difference: check that the
			// scenario has the number it is about.
			resources, err := w.ws.State(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			hasExitCode := resources[0].Values["exit_code"] != nil
			if want := outcome != sim.StatusFailed; hasExitCode != want {
				t.Fatalf("exit_code in the state = %v, want a number: %v", resources[0].Values["exit_code"], want)
			}
			for i := range 2 {
				plan := w.run("plan", "-refresh-only", "-detailed-exitcode")
				if plan.ExitCode != 0 || !strings.Contains(plan.Stdout, "No changes.") {
					t.Errorf("refresh-only plan %d after apply -refresh-only: exit %d, want 0 and \"No changes.\":\n%s", i+1, plan.ExitCode, plan.Output())
				}
			}
			if plan := w.run("plan", "-detailed-exitcode"); plan.ExitCode != 0 {
				t.Errorf("plain plan: exit %d, want 0:\n%s", plan.ExitCode, plan.Output())
			}
			if stats := w.server.Engine.Stats(); len(w.server.Engine.Jobs()) != 1 || stats["POST /job/cancel"] != 0 {
				t.Errorf("the refreshes acted on the engine: %d jobs, %d cancels", len(w.server.Engine.Jobs()), stats["POST /job/cancel"])
			}
			w.destroy("-auto-approve")
		})
	}
}

// TestRefreshOnlyPlanOfClustersAndVolumesIsEmpty: the same for the other
// objects with numbers in their state (a cluster's num_nodes, a volume's
// size): right after apply and after `apply -refresh-only`, a refresh-only
// plan exits 0.
func TestRefreshOnlyPlanOfClustersAndVolumesIsEmpty(t *testing.T) {
	w := newWorld(t, sim.Options{}, func(string) string {
		return `
resource "tensorpool_cluster" "train" {
  instance_type = "1xH100"
  num_nodes     = 1
}

resource "tensorpool_storage" "datasets" {
  size = 100
}
`
	})
	w.mustRun("apply", "-auto-approve")
	for _, step := range []string{"after apply", "after apply -refresh-only"} {
		if step != "after apply" {
			w.mustRun("apply", "-refresh-only", "-auto-approve")
		}
		if plan := w.run("plan", "-refresh-only", "-detailed-exitcode"); plan.ExitCode != 0 || !strings.Contains(plan.Stdout, "No changes.") {
			t.Errorf("refresh-only plan %s: exit %d, want 0 and \"No changes.\":\n%s", step, plan.ExitCode, plan.Output())
		}
	}
	w.destroy("-auto-approve")
}
