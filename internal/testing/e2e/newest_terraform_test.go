package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
)

// cliVersion is the version of the CLI under test; the test is skipped
// without TF_ACC.
func cliVersion(t *testing.T) tfharness.CLIVersion {
	t.Helper()
	if harness == nil {
		t.Skip("TF_ACC is not set")
	}
	v, err := harness.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// requireTerraform1x skips a test of a feature that only Terraform 1.minor
// and later have (OpenTofu has neither actions nor resource identity).
func requireTerraform1x(t *testing.T, minor int) {
	t.Helper()
	if v := cliVersion(t); !v.AtLeastTerraform(1, minor) {
		t.Skipf("needs Terraform 1.%d or later; this CLI is %+v", minor, v)
	}
}

// requireProviderFunctions skips the test on a CLI without provider-defined
// functions.
func requireProviderFunctions(t *testing.T) {
	t.Helper()
	if v := cliVersion(t); !v.HasProviderFunctions() {
		t.Skipf("needs Terraform 1.8 or OpenTofu 1.7 or later; this CLI is %+v", v)
	}
}

func cancelActionConfig(jobID, timeout string) func(string) string {
	return func(string) string {
		return fmt.Sprintf(`
action "tensorpool_job_cancel" "stop" {
  config {
    job_id  = %q
    timeout = %q
  }
}
`, jobID, timeout)
	}
}

// TestCancelActionStopsAJobTerraformDoesNotManage: the action cancels a job
// submitted elsewhere and returns only once the engine says it stopped.
func TestCancelActionStopsAJobTerraformDoesNotManage(t *testing.T) {
	requireTerraform1x(t, 14)
	const latency = 3 * time.Second
	w := startSimulator(t, sim.Options{CancelLatency: latency})
	id, err := w.server.Engine.AddJob(w.key, cluster)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := harness.Workspace(workspaceName(t), cancelActionConfig(id, "2m")(""))
	if err != nil {
		t.Fatal(err)
	}
	w.use(ws)

	res := w.mustRun("apply", "-invoke=action.tensorpool_job_cancel.stop", "-auto-approve", "-no-color")
	returned := w.clock.Now()
	job, ok := w.server.Engine.Job(id)
	switch {
	case !ok:
		t.Fatalf("job %s vanished from the engine", id)
	case job.Status != sim.StatusCanceled:
		t.Errorf("the action returned while the engine says the job is %s", job.Status)
	case job.TerminalAt == nil || job.TerminalAt.After(returned):
		t.Errorf("the action returned at %s, before the job stopped at %v", returned, job.TerminalAt)
	}
	for _, want := range []string{"Canceling job " + id, "Job " + id + " has stopped: canceled", "Actions: 1 invoked"} {
		if !says(res.Stdout, want) {
			t.Errorf("the output does not say %q:\n%s", want, res.Stdout)
		}
	}

	// Again, on the stopped job: reported, not an error, and no second cancel.
	res = w.mustRun("apply", "-invoke=action.tensorpool_job_cancel.stop", "-auto-approve", "-no-color")
	if !says(res.Stdout, "Job "+id+" had already stopped: canceled") || says(res.Stdout, "Canceling job") {
		t.Errorf("a second invoke does not report the stopped job, or says it cancels it:\n%s", res.Stdout)
	}
	if n := w.server.Engine.RequestsFor(id)["POST /job/cancel"]; n != 1 {
		t.Errorf("the engine saw %d cancels, want 1", n)
	}
}

// TestCancelActionTimesOutAndSaysSo: a job that does not stop within the
// action's timeout fails the run, naming the timeout; the job is canceling.
func TestCancelActionTimesOutAndSaysSo(t *testing.T) {
	requireTerraform1x(t, 14)
	w := startSimulator(t, sim.Options{CancelLatency: time.Hour})
	id, err := w.server.Engine.AddJob(w.key, cluster)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := harness.Workspace(workspaceName(t), cancelActionConfig(id, "3s")(""))
	if err != nil {
		t.Fatal(err)
	}
	w.use(ws)
	res := w.run("apply", "-invoke=action.tensorpool_job_cancel.stop", "-auto-approve", "-no-color")
	if res.ExitCode == 0 {
		t.Fatalf("the action succeeded although the job is still canceling:\n%s", res.Output())
	}
	if !says(res.Output(), "Timed out waiting for the TensorPool job to stop") || !says(res.Output(), "timeout = 3s") {
		t.Errorf("the error does not say the wait timed out:\n%s", res.Output())
	}
	// While it waits, the action reports what it saw (the docs quote this line).
	if !says(res.Stdout, "Job "+id+" is canceling; waiting for it to stop") {
		t.Errorf("the action sent no progress while it waited:\n%s", res.Stdout)
	}
	if job, _ := w.server.Engine.Job(id); job.Status != sim.StatusCanceling {
		t.Errorf("the job is %s, want canceling", job.Status)
	}
	// The simulator's clock skips the rest of the cancel: the job can stop.
	w.clock.Skip(time.Hour)
}

// TestCancelActionFromALifecycleTrigger: the action runs from an
// action_trigger, as pipelines wire it.
func TestCancelActionFromALifecycleTrigger(t *testing.T) {
	requireTerraform1x(t, 14)
	w := startSimulator(t, sim.Options{CancelLatency: time.Second})
	id, err := w.server.Engine.AddJob(w.key, cluster)
	if err != nil {
		t.Fatal(err)
	}
	config := cancelActionConfig(id, "1m")("") + `
resource "terraform_data" "pipeline_step" {
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.tensorpool_job_cancel.stop]
    }
  }
}
`
	ws, err := harness.Workspace(workspaceName(t), config)
	if err != nil {
		t.Fatal(err)
	}
	w.use(ws)
	res := w.mustRun("apply", "-auto-approve", "-no-color")
	returned := w.clock.Now()
	if job, _ := w.server.Engine.Job(id); job.Status != sim.StatusCanceled || job.TerminalAt == nil || job.TerminalAt.After(returned) {
		t.Errorf("after the triggered action the job is %s (stopped at %v, apply returned at %s)", job.Status, job.TerminalAt, returned)
	}
	if !says(res.Stdout, "Job "+id+" has stopped: canceled") {
		t.Errorf("the output does not show the action's result:\n%s", res.Stdout)
	}
}

// TestImportByIdentity: an import block naming the job by its identity
// (Terraform ≥ 1.12) imports it, and the identity is in the state.
func TestImportByIdentity(t *testing.T) {
	requireTerraform1x(t, 12)
	w := newWorld(t, sim.Options{CancelLatency: 100 * time.Millisecond}, jobsConfig(0))
	id, err := w.server.Engine.AddJob(w.key, cluster)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.TrimSpace(jobsConfig(1)(w.ws.Dir))
	config := strings.Replace(src, "count      = 1\n", "", 1) + fmt.Sprintf(`

import {
  to       = tensorpool_job.job
  identity = { id = %q }
}
`, id)
	if err := w.ws.WriteConfig(config); err != nil {
		t.Fatal(err)
	}
	res := w.mustRun("apply", "-auto-approve", "-no-color")
	if !says(res.Stdout, "1 imported") {
		t.Errorf("the apply did not import the job:\n%s", res.Stdout)
	}
	if ids := w.stateIDs(); len(ids) != 1 || ids[0] != id {
		t.Errorf("state ids %v, want [%s]", ids, id)
	}
	shown := w.mustRun("show", "-json")
	if !strings.Contains(shown.Stdout, `"identity":{"id":"`+id+`"}`) {
		t.Errorf("terraform show -json has no identity {id: %s}:\n%s", id, shown.Stdout)
	}
	if n := len(w.server.Engine.Jobs()); n != 1 {
		t.Errorf("the engine has %d jobs, want only the imported one", n)
	}
	w.destroy("-auto-approve", "-no-color")
}
