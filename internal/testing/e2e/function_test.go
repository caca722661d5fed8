package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/tpconfig"
)

// The tp_config function and the job outputs data source, through the real
// CLI and the shipped examples.

const (
	functionExample        = "examples/functions/tp_config"
	outputsExample         = "examples/data-sources/tensorpool_job_outputs"
	functionExampleCluster = "c-abc123"
)

// console evaluates one expression with `terraform console` in the world's
// workspace.
func (w *world) console(expression string) (string, error) {
	w.t.Helper()
	cmd := w.ws.Command(w.ctx, "console")
	cmd.Stdin = strings.NewReader(expression + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestTPConfigFunctionInConsoleAndApply: on Terraform ≥ 1.8 and OpenTofu ≥
// 1.7 the shipped example submits the job with the rendered text and then
// plans no change; on Terraform the function also renders in `terraform
// console` and refuses a null command there (OpenTofu 1.8's console does not
// start function providers: "BUG: Uninitialized function provider").
func TestTPConfigFunctionInConsoleAndApply(t *testing.T) {
	requireProviderFunctions(t)
	w := newExampleWorld(t, sim.Options{PendingDelay: time.Hour, Clusters: []string{functionExampleCluster}}, functionExample)

	if !cliVersion(t).OpenTofu {
		w.checkTPConfigInConsole(t)
	}
	w.mustRun("apply", "-auto-approve")
	ids := w.stateIDs()
	if len(ids) != 1 {
		t.Fatalf("%d jobs in the state, want 1", len(ids))
	}
	job, _ := w.server.Engine.Job(ids[0])
	cfg, err := tpconfig.Parse(job.TPConfig)
	if err != nil {
		t.Fatalf("the engine received a config that does not parse: %v\n%s", err, job.TPConfig)
	}
	if want := []string{"pip install -r requirements.txt", "python train.py --epochs 3"}; !slices.Equal(cfg.Commands, want) {
		t.Errorf("the engine received commands %q, want the example's %q", cfg.Commands, want)
	}
	if want := []string{"checkpoints/", "metrics.json"}; !slices.Equal(cfg.Outputs, want) {
		t.Errorf("the engine received outputs %q, want the example's %q", cfg.Outputs, want)
	}
	if res := w.run("plan", "-detailed-exitcode"); res.ExitCode != 0 {
		t.Errorf("plan after apply: exit %d, want 0 (the same object renders the same text):\n%s", res.ExitCode, res.Output())
	}
	w.destroy("-auto-approve")
}

// TestJobOutputsExampleFeedsADownstreamResource: the shipped example, with
// its download replaced by writing the URL to a file, waits for the job,
// hands the model's URL to terraform_data once, keeps every URL out of the
// CLI's output, and plans no change later although each read signs the
// URLs afresh.
func TestJobOutputsExampleFeedsADownstreamResource(t *testing.T) {
	w := newExampleWorld(t, sim.Options{PendingDelay: 100 * time.Millisecond, RunDuration: 300 * time.Millisecond,
		Clusters: []string{functionExampleCluster}}, outputsExample)
	example := filepath.Join(w.ws.Dir, "data-source.tf")
	text, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	const download = `curl -fsSL -o model.pt \"$MODEL_URL\"`
	if !bytes.Contains(text, []byte(download)) {
		t.Fatalf("the example no longer downloads with %s; update this test", download)
	}
	text = bytes.Replace(text, []byte(download), []byte(`printf %s \"$MODEL_URL\" > model_url.txt`), 1)
	if err := os.WriteFile(example, text, 0o600); err != nil { //nolint:gosec // G703: the test's own copy of the example
		t.Fatal(err)
	}

	res := w.mustRun("apply", "-auto-approve")
	ids := w.stateIDs()
	if len(ids) != 1 {
		t.Fatalf("%d jobs in the state, want 1", len(ids))
	}
	got, err := os.ReadFile(filepath.Join(w.ws.Dir, "model_url.txt"))
	if err != nil {
		t.Fatalf("the downstream resource did not run: %v", err)
	}
	presigned := regexp.MustCompile(`^https://[^?]+/` + regexp.QuoteMeta(ids[0]) + `/model\.pt\?.*X-Amz-Signature=`)
	if !presigned.Match(got) {
		t.Errorf("the downstream resource got %q, want the presigned URL of the job's model.pt", got)
	}
	if strings.Contains(res.Output(), "X-Amz-Signature") || strings.Contains(res.Output(), string(got)) {
		t.Errorf("apply printed a download URL:\n%s", res.Output())
	}

	res = w.mustRun("output", "-json", "output_files")
	var files []string
	if err := json.Unmarshal([]byte(res.Stdout), &files); err != nil || !slices.Equal(files, []string{"metrics.json", "model.pt"}) {
		t.Errorf("output_files = %s (%v), want the job's two outputs, sorted", res.Stdout, err)
	}

	// A minute later every URL is signed anew; nothing is to be done.
	w.clock.Skip(time.Minute)
	if res := w.run("plan", "-detailed-exitcode"); res.ExitCode != 0 {
		t.Errorf("plan after apply: exit %d, want 0:\n%s", res.ExitCode, res.Output())
	} else if strings.Contains(res.Output(), "X-Amz-Signature") {
		t.Errorf("plan printed a download URL:\n%s", res.Output())
	}
	w.destroy("-auto-approve")
}

// checkTPConfigInConsole renders an object with the function in the CLI's
// console, and checks that a null command is refused there.
func (w *world) checkTPConfigInConsole(t *testing.T) {
	t.Helper()
	out, err := w.console(`provider::tensorpool::tp_config({ commands = ["python train.py"], retries = 2, env = { MODE = "fast" } })`)
	if err != nil {
		t.Fatalf("console: %v\n%s", err, out)
	}
	for _, want := range []string{"'python train.py'", "retries = 2", "[env]", "MODE = 'fast'"} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
	out, err = w.console(`provider::tensorpool::tp_config({ commands = ["python train.py", null] })`)
	if err == nil || !says(out, "config.commands[1] is null") {
		t.Errorf("a null command: err %v, output:\n%s", err, out)
	}
}
