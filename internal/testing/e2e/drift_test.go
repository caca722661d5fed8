package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// Drift as the CLI prints it. A job that stops outside Terraform keeps its
// place in the state; these tests pin down what each command shows of it,
// which is what the "Jobs that change outside Terraform" section of the
// resource docs promises.

// stoppedOutside are the ways a job ends without Terraform.
var stoppedOutside = []string{sim.StatusCanceled, sim.StatusFailed, sim.StatusCompleted}

// statusChangeLine matches the line a refresh-only plan prints for a status
// attribute that moved from `from` to `to`, at any indentation.
func statusChangeLine(from, to string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^\s*~ status\s+= ` + regexp.QuoteMeta(fmt.Sprintf("%q -> %q", from, to)) + `$`)
}

// replacementWords are what a plan says when it would act on a job.
var replacementWords = []string{"must be replaced", "will be created", "will be destroyed", "forces replacement", "to add"}

// TestDriftOutsideTerraformAsTheCLIPrintsIt: after a job is canceled, fails
// or completes outside Terraform, a plain `terraform plan` says "No changes"
// (exit 0: Terraform renders only drift that the plan depends on, and
// nothing depends on status); `plan -refresh-only` shows the status change
// and exits 2; `apply -refresh-only` records it, after which a refresh-only
// plan is empty. No command re-runs or cancels the job.
func TestDriftOutsideTerraformAsTheCLIPrintsIt(t *testing.T) {
	for _, outside := range stoppedOutside {
		t.Run(outside, func(t *testing.T) {
			w := newWorld(t, sim.Options{}, jobsConfig(1))
			w.mustRun("apply", "-auto-approve")
			id := w.stateIDs()[0]
			before := w.stateStatus("tensorpool_job.job[0]")
			if before == outside {
				t.Fatalf("the job is already %q before anything happened outside Terraform", before)
			}
			if err := w.server.Engine.SetStatus(id, outside); err != nil {
				t.Fatal(err)
			}

			plan := w.run("plan", "-detailed-exitcode")
			if plan.ExitCode != 0 || !strings.Contains(plan.Stdout, "No changes.") {
				t.Errorf("plain plan: exit %d, want 0 and \"No changes.\":\n%s", plan.ExitCode, plan.Output())
			}
			if statusChangeLine(before, outside).MatchString(plan.Stdout) {
				t.Errorf("plain plan printed the status change; the docs say only refresh-only plans do:\n%s", plan.Stdout)
			}
			for _, word := range replacementWords {
				if strings.Contains(plan.Stdout, word) {
					t.Errorf("plain plan says %q:\n%s", word, plan.Stdout)
				}
			}

			refreshOnly := w.run("plan", "-refresh-only", "-detailed-exitcode")
			if refreshOnly.ExitCode != 2 {
				t.Errorf("plan -refresh-only: exit %d, want 2 (changes outside Terraform):\n%s", refreshOnly.ExitCode, refreshOnly.Output())
			}
			// OpenTofu says "outside of OpenTofu".
			if !regexp.MustCompile(`Objects have changed outside of (Terraform|OpenTofu)`).MatchString(refreshOnly.Stdout) ||
				!statusChangeLine(before, outside).MatchString(refreshOnly.Stdout) {
				t.Errorf("plan -refresh-only does not show status %q -> %q:\n%s", before, outside, refreshOnly.Stdout)
			}
			if got := w.stateStatus("tensorpool_job.job[0]"); got != before {
				t.Errorf("a plan changed the state's status to %q", got)
			}

			w.mustRun("apply", "-refresh-only", "-auto-approve")
			if got := w.stateStatus("tensorpool_job.job[0]"); got != outside {
				t.Errorf("after apply -refresh-only the state says %q, want %q", got, outside)
			}
			if again := w.run("plan", "-refresh-only", "-detailed-exitcode"); again.ExitCode != 0 {
				t.Errorf("refresh-only plan after recording the drift: exit %d, want 0:\n%s", again.ExitCode, again.Output())
			}

			stats := w.server.Engine.Stats()
			if jobs := w.server.Engine.Jobs(); len(jobs) != 1 || stats["POST /job/cancel"] != 0 {
				t.Errorf("the plans and refreshes acted on the engine: %d jobs, %d cancels", len(jobs), stats["POST /job/cancel"])
			}
			w.destroy("-auto-approve")
		})
	}
}

// TestCheckBlockShowsAJobStoppedOutsideTerraform: the check block shipped in
// the resource example stays silent while the job is pending or running
// (and after it completes), and once the job is canceled, fails or errors
// outside Terraform, every plain `terraform plan` prints its warning with
// the job's id and status, and still exits 0.
func TestCheckBlockShowsAJobStoppedOutsideTerraform(t *testing.T) {
	for _, outside := range []string{sim.StatusCanceled, sim.StatusFailed, sim.StatusError, sim.StatusCompleted} {
		t.Run(outside, func(t *testing.T) {
			w := newExampleWorld(t, sim.Options{Clusters: []string{resourceExampleCluster}}, resourceExample, resourceExampleWithout...)
			w.mustRun("apply", "-auto-approve")
			id := w.stateIDs()[0]
			healthy := w.run("plan", "-detailed-exitcode")
			if healthy.ExitCode != 0 || strings.Contains(healthy.Output(), checkFailed) {
				t.Fatalf("plan while the job runs: exit %d, want 0 and no check warning:\n%s", healthy.ExitCode, healthy.Output())
			}
			if err := w.server.Engine.SetStatus(id, outside); err != nil {
				t.Fatal(err)
			}
			for range 2 { // every plan, not only the first after the change
				plan := w.run("plan", "-detailed-exitcode")
				if plan.ExitCode != 0 {
					t.Errorf("plan: exit %d, want 0 (a check warns, it does not fail the plan):\n%s", plan.ExitCode, plan.Output())
				}
				warned := strings.Contains(plan.Output(), checkFailed) &&
					says(plan.Output(), fmt.Sprintf("TensorPool job %s is %s.", id, outside))
				if wantWarning := outside != sim.StatusCompleted; warned != wantWarning {
					t.Errorf("job %s outside Terraform: check warning printed = %v, want %v:\n%s", outside, warned, wantWarning, plan.Output())
				}
			}
			w.destroy("-auto-approve")
		})
	}
}

// checkFailed is how Terraform titles a failed check assertion.
const checkFailed = "Warning: Check block assertion failed"

// The resource example runs against the simulator once its cluster exists
// there; its import block names a job that exists only in the docs.
const (
	resourceExample        = "examples/resources/tensorpool_job"
	resourceExampleCluster = "c-abc123"
)

var resourceExampleWithout = []string{"import-block.tf"}

// TestDeletedOutsideTerraformIsShownAndNeverBoughtAgain: a finished job
// deleted with `tp job delete` (DELETE /job/delete) is drift, not a job to
// submit again. A plain plan says "No changes" (with a warning naming the
// job), `plan -refresh-only` prints `~ status = "completed" -> "deleted"`, an
// apply submits nothing; `apply -replace` does run it again, as asked; and
// the destroy of a deleted job succeeds quietly, canceling nothing.
func TestDeletedOutsideTerraformIsShownAndNeverBoughtAgain(t *testing.T) {
	w := newWorld(t, sim.Options{}, jobsConfig(1))
	w.mustRun("apply", "-auto-approve")
	const addr = "tensorpool_job.job[0]"
	deleteOutside := func() string {
		id := w.stateIDs()[0]
		if err := w.server.Engine.SetStatus(id, sim.StatusCompleted); err != nil {
			t.Fatal(err)
		}
		w.mustRun("apply", "-refresh-only", "-auto-approve")
		if err := sim.DeleteJobAsTheCLI(w.server.URL, w.key, id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	first := deleteOutside()

	plan := w.run("plan", "-detailed-exitcode")
	if plan.ExitCode != 0 || !strings.Contains(plan.Stdout, "No changes.") {
		t.Errorf("plain plan: exit %d, want 0 and \"No changes.\":\n%s", plan.ExitCode, plan.Output())
	}
	if !says(plan.Output(), "TensorPool job deleted outside Terraform") || !says(plan.Output(), "Job "+first+" is no longer known") {
		t.Errorf("plain plan does not warn about the deleted job %s:\n%s", first, plan.Output())
	}
	for _, word := range replacementWords {
		if strings.Contains(plan.Stdout, word) {
			t.Errorf("plain plan says %q:\n%s", word, plan.Stdout)
		}
	}
	refreshOnly := w.run("plan", "-refresh-only", "-detailed-exitcode")
	if refreshOnly.ExitCode != 2 || !statusChangeLine(sim.StatusCompleted, "deleted").MatchString(refreshOnly.Stdout) {
		t.Errorf("plan -refresh-only: exit %d, want 2 and status \"completed\" -> \"deleted\":\n%s", refreshOnly.ExitCode, refreshOnly.Output())
	}

	apply := w.mustRun("apply", "-auto-approve")
	if n := len(w.server.Engine.Jobs()); n != 0 || !strings.Contains(apply.Stdout, "0 added, 0 changed, 0 destroyed") {
		t.Fatalf("an unrelated apply acted on the deleted job (%d jobs in the engine):\n%s", n, apply.Output())
	}
	if got := w.stateStatus(addr); got != "deleted" {
		t.Errorf("state status %q, want \"deleted\"", got)
	}
	// Once recorded, a deleted job costs plans no request: the engine never
	// brings it back.
	reads := w.server.Engine.RequestsFor(first)["GET /job/info"]
	if plan := w.run("plan", "-detailed-exitcode"); plan.ExitCode != 0 || says(plan.Output(), "TensorPool job deleted outside Terraform") {
		t.Errorf("plan after recording the deletion: exit %d, want 0 and no warning:\n%s", plan.ExitCode, plan.Output())
	}
	if n := w.server.Engine.RequestsFor(first)["GET /job/info"]; n != reads {
		t.Errorf("a plan read the deleted job %d times, want 0", n-reads)
	}

	w.mustRun("apply", "-auto-approve", "-replace="+addr)
	jobs := w.server.Engine.Jobs()
	if len(jobs) != 1 || jobs[0].JobID == first || w.stateIDs()[0] != jobs[0].JobID {
		t.Fatalf("apply -replace: the engine has %v, want one new job in the state", jobs)
	}
	w.checkNoOrphans()

	second := deleteOutside()
	w.mustRun("apply", "-refresh-only", "-auto-approve")
	destroy := w.mustRun("destroy", "-auto-approve")
	w.checkDestroyedBy(w.clock.Now())
	if says(destroy.Output(), "TensorPool job") || strings.Contains(destroy.Output(), "Error") {
		t.Errorf("the destroy of deleted job %s was not quiet:\n%s", second, destroy.Output())
	}
	if n := w.server.Engine.Stats()["POST /job/cancel"]; n != 0 {
		t.Errorf("%d cancels sent, want none: every job had finished", n)
	}
}
