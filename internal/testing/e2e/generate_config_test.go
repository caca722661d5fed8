package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// TestGenerateConfigOutLeavesConfigNull is what the import docs say of
// `plan -generate-config-out`: the engine does not return a job's config or
// upload directory, so the generated block has them null and the plan stops
// until they are filled in.
func TestGenerateConfigOutLeavesConfigNull(t *testing.T) {
	w := startSimulator(t, sim.Options{})
	id, err := w.server.Engine.AddJob(w.key, cluster)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := harness.Workspace(workspaceName(t), fmt.Sprintf("import {\n  to = tensorpool_job.imported\n  id = %q\n}\n", id))
	if err != nil {
		t.Fatal(err)
	}
	w.use(ws)
	res := w.run("plan", "-generate-config-out=generated.tf", "-no-color")
	if res.ExitCode == 0 || !says(res.Output(), "Missing Configuration for Required Attribute") {
		t.Errorf("the plan did not stop on the missing config (exit %d):\n%s", res.ExitCode, res.Output())
	}
	generated, err := os.ReadFile(filepath.Join(ws.Dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, attr := range []string{"config", "source_dir"} {
		if !regexp.MustCompile(`(?m)^\s*` + attr + `\s*= null$`).Match(generated) {
			t.Errorf("generated.tf does not set %s = null:\n%s", attr, generated)
		}
	}
	if !regexp.MustCompile(`(?m)^\s*cluster_id\s*= "` + cluster + `"$`).Match(generated) {
		t.Errorf("generated.tf does not take cluster_id from the engine:\n%s", generated)
	}
}
