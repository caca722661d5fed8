package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// The shipped examples are what users copy, into CI drift checks among other
// places: applied as they are against the simulator, they must stay stable.

type shippedExample struct {
	name, dir, cluster string
	without            []string
}

var shippedExamples = []shippedExample{
	{name: "quickstart", dir: "examples/quickstart", cluster: "c-local"},
	{name: "resource", dir: resourceExample, cluster: resourceExampleCluster, without: resourceExampleWithout},
}

// TestShippedExamplesPlanEmptyAfterApply: each example uploads its own job/
// folder, and `terraform plan -detailed-exitcode` exits 0 right after
// applying it, and still does after the job moves from pending to running
// and then completes by itself.
func TestShippedExamplesPlanEmptyAfterApply(t *testing.T) {
	for _, ex := range shippedExamples {
		t.Run(ex.name, func(t *testing.T) {
			opts := sim.Options{PendingDelay: time.Hour, RunDuration: time.Hour, Clusters: []string{ex.cluster}}
			w := newExampleWorld(t, opts, ex.dir, ex.without...)
			w.mustRun("apply", "-auto-approve")
			ids := w.stateIDs()
			if len(ids) != 1 {
				t.Fatalf("the example created %d jobs, want 1", len(ids))
			}
			// The upload ran in the example's own job/ folder, not in the
			// working directory that holds the state.
			job, _ := w.server.Engine.Job(ids[0])
			if dir, _, _ := strings.Cut(job.UploadListing, "\n"); dir != filepath.Join(w.ws.Dir, "job") {
				t.Errorf("the upload ran in %q, want the example's job/ folder", dir)
			}
			for _, moment := range []struct {
				after  time.Duration
				status string
			}{{0, sim.StatusPending}, {time.Hour, sim.StatusRunning}, {time.Hour, sim.StatusCompleted}} {
				w.clock.Skip(moment.after)
				if job, _ := w.server.Engine.Job(ids[0]); job.Status != moment.status {
					t.Fatalf("the engine says the job is %q, want %q", job.Status, moment.status)
				}
				if res := w.run("plan", "-detailed-exitcode"); res.ExitCode != 0 {
					t.Errorf("plan while the job is %s: exit %d, want 0 (an empty plan):\n%s", moment.status, res.ExitCode, res.Output())
				}
			}
			w.destroy("-auto-approve")
		})
	}
}

// terraformFiles are files and folders Terraform keeps in its working
// directory; none may leave the machine with a job.
var terraformFiles = []string{
	"terraform.tfstate", "terraform.tfstate.backup", ".terraform", ".terraform.lock.hcl",
	".terraform.tfstate.lock.info", "first.tfplan", "archive/terraform.tfstate",
}

// TestTerraformFilesAreNeverUploaded: with source_dir = path.module (the
// working directory, holding Terraform's state, lock info, a saved plan and
// .terraform/), the upload the engine asks for lists the job's own files but
// none of Terraform's, and the config's own ignore patterns still apply.
func TestTerraformFilesAreNeverUploaded(t *testing.T) {
	config := func(jobs ...string) func(string) string {
		return func(string) string {
			var b strings.Builder
			for _, name := range jobs {
				fmt.Fprintf(&b, `
resource "tensorpool_job" %q {
  cluster_id = %q
  source_dir = path.module
  config     = "commands = [\"python train.py\"]\nignore = [\"*.log\"]"
}
`, name, cluster)
			}
			return b.String()
		}
	}
	w := newWorld(t, sim.Options{}, config("first"))
	// The working directory as `terraform init` and earlier runs leave it
	// (init itself would need the registry), plus the job's own files.
	for name, content := range map[string]string{
		"train.py": "print(1)\n", "run.log": "a log the config ignores\n",
		".terraform/providers/registry.terraform.io/tensorpool/tensorpool/terraform-provider-tensorpool": "binary",
		".terraform.lock.hcl": "# lock\n", "archive/terraform.tfstate": `{"secret":"old state"}`,
	} {
		path := filepath.Join(w.ws.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The first job is pushed from a saved plan while the state is locked
	// (.terraform.tfstate.lock.info exists); the second once the state and
	// its backup exist too.
	w.mustRun("plan", "-out=first.tfplan")
	w.mustRun("apply", "first.tfplan")
	if err := w.ws.WriteConfig(config("first", "second")("")); err != nil {
		t.Fatal(err)
	}
	w.mustRun("apply", "-auto-approve")
	for _, name := range []string{"terraform.tfstate", ".terraform", "first.tfplan", "archive/terraform.tfstate"} {
		if _, err := os.Stat(filepath.Join(w.ws.Dir, filepath.FromSlash(name))); err != nil {
			t.Fatalf("the test means nothing without %s in the working directory: %v", name, err)
		}
	}

	dir, err := filepath.EvalSymlinks(w.ws.Dir)
	if err != nil {
		t.Fatal(err)
	}
	jobs := w.server.Engine.Jobs()
	if len(jobs) != 2 {
		t.Fatalf("%d jobs, want 2", len(jobs))
	}
	for _, job := range jobs {
		lines := strings.Split(strings.TrimSpace(job.UploadListing), "\n")
		if got, err := filepath.EvalSymlinks(lines[0]); err != nil || got != dir {
			t.Errorf("job %s: the upload ran in %q, want the working directory %q", job.JobID, lines[0], dir)
		}
		uploaded := lines[1:]
		if !slices.Contains(uploaded, "train.py") {
			t.Errorf("job %s: train.py is not uploaded:\n%s", job.JobID, job.UploadListing)
		}
		for _, path := range uploaded {
			if isUnder(path, "run.log") {
				t.Errorf("job %s: %s is uploaded despite the config's ignore", job.JobID, path)
			}
			for _, tf := range terraformFiles {
				if isUnder(path, tf) {
					t.Errorf("job %s: Terraform's %s is uploaded (%s)", job.JobID, tf, path)
				}
			}
		}
	}
	w.destroy("-auto-approve")
}

// isUnder reports whether the relative path p is name or lies inside it.
func isUnder(p, name string) bool { return p == name || strings.HasPrefix(p, name+"/") }

// TestStatusOutputMakesThePlanNonEmpty is why the examples output no status:
// an output of a job's status, read from the resource or through the data
// source, changes by itself once the job starts, and the next plan is not
// empty (exit 2, "Changes to Outputs").
func TestStatusOutputMakesThePlanNonEmpty(t *testing.T) {
	for name, value := range map[string]string{
		"resource":    "tensorpool_job.job[0].status",
		"data source": "data.tensorpool_job.job.status",
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, sim.Options{PendingDelay: time.Hour}, func(src string) string {
				return jobsConfig(1)(src) + `
data "tensorpool_job" "job" {
  id = tensorpool_job.job[0].id
}

output "status" {
  value = ` + value + `
}
`
			})
			w.mustRun("apply", "-auto-approve")
			if res := w.run("plan", "-detailed-exitcode"); res.ExitCode != 0 {
				t.Fatalf("plan while the job is still pending: exit %d, want 0:\n%s", res.ExitCode, res.Output())
			}
			w.clock.Skip(time.Hour) // the job starts
			res := w.run("plan", "-detailed-exitcode")
			if res.ExitCode != 2 || !strings.Contains(res.Stdout, "Changes to Outputs") {
				t.Errorf("plan after the job started: exit %d, want 2 with a change to outputs:\n%s", res.ExitCode, res.Output())
			}
			w.destroy("-auto-approve")
		})
	}
}
