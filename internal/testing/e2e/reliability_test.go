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

// TestSecretsNeverLogged: at TF_LOG=TRACE, the API key appears nowhere in
// Terraform's output, its log file (which carries the provider's logs) or the
// state, through apply, plan, import, destroy and the error paths; the
// WebSocket's first message carries it but is never logged.
func TestSecretsNeverLogged(t *testing.T) {
	w := newWorld(t, sim.Options{CancelLatency: 300 * time.Millisecond}, func(src string) string {
		return jobsConfig(1)(src) + `
data "tensorpool_job" "read" {
  id = tensorpool_job.job[0].id
}
`
	})
	logPath := filepath.Join(t.TempDir(), "terraform.log")
	w.ws.Env = append(w.ws.Env, "TF_LOG=TRACE", "TF_LOG_PATH="+logPath)

	var outputs []string
	record := func(args ...string) string {
		res, err := w.ws.Run(w.ctx, args...)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, strings.Join(args, " ")+":\n"+res.Output())
		return res.Output()
	}
	record("apply", "-auto-approve")
	id := w.stateIDs()[0]
	record("plan")
	record("state", "rm", "tensorpool_job.job[0]")
	record("import", "tensorpool_job.job[0]", id)
	// Retry and error paths: a refresh that rides out 503s, one that fails
	// on an answer it cannot read, and a rejected push.
	w.server.Engine.SetFaults(sim.Faults{FailNext: 2})
	record("plan")
	if left := w.server.Engine.Faults().FailNext; left != 0 {
		t.Errorf("%d of the 503s were not served", left)
	}
	w.server.Engine.SetFaults(sim.Faults{Garble: sim.GarbleNotJSON})
	if out := record("plan"); !says(out, "could not understand the TensorPool engine's answer") {
		t.Errorf("the failing plan should say the answer was unreadable:\n%s", out)
	}
	w.server.Engine.SetFaults(sim.Faults{})
	if err := w.ws.WriteConfig(strings.Replace(jobsConfig(2)(t.TempDir()), cluster, "c-unknown", 1)); err != nil {
		t.Fatal(err)
	}
	if out := record("apply", "-auto-approve"); !says(out, `unknown cluster "c-unknown"`) {
		t.Errorf("the rejected push should say why:\n%s", out)
	}
	record("destroy", "-auto-approve")
	w.checkDestroyedBy(w.clock.Now())

	logData, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	stateData, _ := os.ReadFile(filepath.Join(w.ws.Dir, "terraform.tfstate"))
	backupData, _ := os.ReadFile(filepath.Join(w.ws.Dir, "terraform.tfstate.backup"))
	for name, text := range map[string]string{
		"terminal output": strings.Join(outputs, "\n"), "TF_LOG file": string(logData),
		"state": string(stateData), "state backup": string(backupData),
	} {
		if strings.Contains(text, w.key) {
			t.Errorf("the API key appears in the %s", name)
		}
		if strings.Contains(text, "Bearer ") {
			t.Errorf("an Authorization header appears in the %s", name)
		}
	}
	// The check above means something only if the provider's trace logs
	// (request lines, the WebSocket submission) are in the file.
	for _, want := range []string{"TensorPool engine request", "/job/info/" + id, "TensorPool job submitted", "/job/cancel/"} {
		if !strings.Contains(string(logData), want) {
			t.Errorf("the TF_LOG file lacks %q: the provider's logs did not reach it", want)
		}
	}
}

// TestInterruptDuringDestroyWait: SIGINT to terraform while destroy waits for
// a slow cancellation stops Terraform within seconds; the job stays in the
// state; a later destroy finishes it off.
func TestInterruptDuringDestroyWait(t *testing.T) {
	w := newWorld(t, sim.Options{CancelLatency: time.Hour}, jobsConfig(1))
	w.mustRun("apply", "-auto-approve")
	id := w.stateIDs()[0]

	// Interrupt once the engine is canceling the job and the provider is
	// waiting on its status stream.
	out := w.interrupted("the cancel and the status stream", func() bool {
		job, _ := w.server.Engine.Job(id)
		return job.Status == sim.StatusCanceling && w.server.Engine.Stats()["WS /job/listen"] > 0
	}, "destroy", "-auto-approve")
	if !says(out, "Destroy interrupted") || !says(out, "before the TensorPool job stopped") || !says(out, id) {
		t.Errorf("the provider's interruption message is missing:\n%s", out)
	}
	if ids := w.stateIDs(); !slices.Contains(ids, id) {
		t.Fatalf("the job left the state after an interrupted destroy: %v", ids)
	}
	w.checkNoOrphans()

	w.clock.Skip(time.Hour) // the engine finishes canceling
	w.destroy("-auto-approve")
	if n := w.server.Engine.Stats()["POST /job/cancel"]; n != 1 {
		t.Errorf("%d cancel requests: the second destroy must only wait", n)
	}
}

// TestParallelDestroyOfTwentyJobs: 20 jobs destroyed with -parallelism=20
// all end canceled.
func TestParallelDestroyOfTwentyJobs(t *testing.T) {
	w := newWorld(t, sim.Options{CancelLatency: time.Second}, jobsConfig(20))
	w.mustRun("apply", "-auto-approve", "-parallelism=20")
	w.checkNoOrphans()
	w.destroy("-auto-approve", "-parallelism=20")
	jobs := w.server.Engine.Jobs()
	if len(jobs) != 20 {
		t.Fatalf("%d jobs, want 20", len(jobs))
	}
	for _, j := range jobs {
		if j.Status != sim.StatusCanceled || j.ObservedTerminalAt == nil {
			t.Errorf("job %s ended %q (observed: %v), want canceled and seen so", j.JobID, j.Status, j.ObservedTerminalAt)
		}
	}
}

// TestRateLimitStormDuringApplyPlanAndDestroy: the engine allows 5
// requests/s per key and answers 429 (Retry-After: 1) beyond; with as many
// jobs as Terraform runs at once (30 and 50), apply, plan and destroy all
// succeed on the default retry settings, the plan refreshes every job, and
// nothing is left running.
func TestRateLimitStormDuringApplyPlanAndDestroy(t *testing.T) {
	for _, jobs := range []int{30, 50} {
		t.Run(fmt.Sprintf("%d jobs, -parallelism=%d", jobs, jobs), func(t *testing.T) {
			w := newWorld(t, sim.Options{CancelLatency: 500 * time.Millisecond}, jobsConfig(jobs))
			w.server.Engine.SetFaults(sim.Faults{RateLimit: 5, RateLimitRetryAfter: 1})
			parallelism := fmt.Sprintf("-parallelism=%d", jobs)
			timed := func(what string, run func()) {
				started := time.Now()
				w.server.Engine.ResetStats()
				run()
				stats := w.server.Engine.Stats()
				t.Logf("%s: %.1fs, %d GET /job/info, %d POST /job/cancel", what, time.Since(started).Seconds(),
					stats["GET /job/info"], stats["POST /job/cancel"])
			}

			timed("apply", func() { w.mustRun("apply", "-auto-approve", parallelism) })
			w.checkNoOrphans()
			timed("plan", func() {
				res := w.run("plan", "-detailed-exitcode", parallelism)
				if res.ExitCode != 0 {
					t.Fatalf("plan under a 429 storm: exit %d\n%s", res.ExitCode, res.Output())
				}
				if n := w.server.Engine.Stats()["GET /job/info"]; n < jobs {
					t.Errorf("plan refreshed with %d requests for %d jobs", n, jobs)
				}
			})
			timed("destroy", func() { w.destroy("-auto-approve", parallelism) })
		})
	}
}
