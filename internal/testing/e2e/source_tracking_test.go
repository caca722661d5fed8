package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// readmeLayout is the layout the README and the examples use: the config
// file sits in the folder the job uploads. sourceDir is the expression of
// source_dir, onSourceChange the value of on_source_change.
func readmeLayout(sourceDir, onSourceChange string) string {
	return fmt.Sprintf(`
resource "tensorpool_job" "train" {
  cluster_id       = %q
  source_dir       = %s
  config           = file("${path.module}/job/train.tp.toml")
  on_source_change = %q
}
`, cluster, sourceDir, onSourceChange)
}

// TestSourceTrackingWithTheConfigFileInSourceDir: with the README's layout
// and on_source_change = "replace", a comment in the config file and
// abspath() of the same folder plan "No changes" (the running job is not
// canceled and resubmitted); a change of the training code, with "show",
// plans an in-place update whose only change is source_hash, with no
// "(known after apply)"; the engine keeps one job, never canceled.
func TestSourceTrackingWithTheConfigFileInSourceDir(t *testing.T) {
	w := newWorld(t, sim.Options{}, func(string) string { return readmeLayout(`"${path.module}/job"`, "replace") })
	job := filepath.Join(w.ws.Dir, "job")
	write := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(job, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(job, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("train.py", "print(1)\n")
	write("train.tp.toml", "commands = [\"python train.py\"]\n")
	w.mustRun("apply", "-auto-approve")
	id := w.stateIDs()[0]
	noChanges := func(what string) {
		t.Helper()
		plan := w.run("plan", "-detailed-exitcode")
		if plan.ExitCode != 0 || !strings.Contains(plan.Stdout, "No changes.") {
			t.Errorf("%s: plan exit %d, want 0 and \"No changes.\":\n%s", what, plan.ExitCode, plan.Output())
		}
	}

	write("train.tp.toml", "# Train the model.\ncommands = [ \"python train.py\" ]   # one step\n")
	noChanges("a comment in the config file")
	if err := w.ws.WriteConfig(readmeLayout(`abspath("${path.module}/job")`, "replace")); err != nil {
		t.Fatal(err)
	}
	noChanges("source_dir = abspath() of the same folder")

	if err := w.ws.WriteConfig(readmeLayout(`abspath("${path.module}/job")`, "show")); err != nil {
		t.Fatal(err)
	}
	w.mustRun("apply", "-auto-approve")
	write("train.py", "print(2)\n")
	plan := w.run("plan", "-detailed-exitcode")
	changed := regexp.MustCompile(`(?m)^\s*~ source_hash\s+= "sha256:[0-9a-f]{64}" -> "sha256:[0-9a-f]{64}"$`)
	if plan.ExitCode != 2 || !strings.Contains(plan.Stdout, "1 to change") || !changed.MatchString(plan.Stdout) {
		t.Errorf("a code change: plan exit %d, want 2 with source_hash updated in place:\n%s", plan.ExitCode, plan.Output())
	}
	if strings.Contains(plan.Stdout, "known after apply") || strings.Contains(plan.Stdout, "must be replaced") {
		t.Errorf("a source_hash-only update plans more than source_hash:\n%s", plan.Stdout)
	}
	w.mustRun("apply", "-auto-approve")
	noChanges("after recording the new source_hash")

	jobs := w.server.Engine.Jobs()
	if len(jobs) != 1 || jobs[0].JobID != id || w.server.Engine.Stats()["POST /job/cancel"] != 0 {
		t.Errorf("the engine has %+v and %d cancels, want job %s alone and never canceled", jobs, w.server.Engine.Stats()["POST /job/cancel"], id)
	}
	w.destroy("-auto-approve")
}
