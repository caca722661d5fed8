package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
)

// A destroy decides per error class: an engine that refuses connections is a
// configuration problem (wrong TENSORPOOL_ENGINE, engine down) and fails
// within seconds; an engine that answers 5xx is an outage, ridden out within
// timeouts.delete. Both are tested on the two destroys that send the cancel
// without a refresh first: `destroy -refresh=false` and the apply of a saved
// destroy plan.

// longDeleteTimeout makes a destroy that waits for its deadline obvious:
// minutes, against a bound of seconds.
const longDeleteTimeout = 10 * time.Minute

// failFastBound is how long an unreachable engine may take to fail a
// destroy: a few quick retries, with a generous margin for a loaded machine.
const failFastBound = 60 * time.Second

// destroyWithoutRefresh names a way to destroy that sends the cancel without
// refreshing first; prepare runs while the engine is up, destroy after the
// test has done what it wants to the engine.
type destroyWithoutRefresh struct {
	name    string
	prepare func(w *world)
	destroy func(w *world) tfharness.Result
}

var destroysWithoutRefresh = []destroyWithoutRefresh{
	{
		name:    "destroy -refresh=false",
		prepare: func(*world) {},
		destroy: func(w *world) tfharness.Result { return w.run("destroy", "-auto-approve", "-refresh=false") },
	},
	{
		name:    "saved destroy plan",
		prepare: func(w *world) { w.mustRun("plan", "-destroy", "-out=destroy.tfplan") },
		destroy: func(w *world) tfharness.Result { return w.run("apply", "destroy.tfplan") },
	},
}

func deleteTimeoutConfig() func(src string) string {
	return jobsConfigWith(1, "  timeouts {\n    delete = \""+longDeleteTimeout.String()+"\"\n  }")
}

// TestUnreachableEngineFailsDestroyFast: with TENSORPOOL_ENGINE pointing at
// a port that refuses connections, the destroy fails well within seconds,
// saying it could not reach the engine and why, and the job stays in the
// state (and running: nothing reached the engine).
func TestUnreachableEngineFailsDestroyFast(t *testing.T) {
	for _, d := range destroysWithoutRefresh {
		t.Run(d.name, func(t *testing.T) {
			w := newWorld(t, sim.Options{}, deleteTimeoutConfig())
			w.mustRun("apply", "-auto-approve")
			id := w.stateIDs()[0]
			d.prepare(w)
			w.server.Close() // the port now refuses connections

			started := time.Now()
			res := d.destroy(w)
			took := time.Since(started)
			t.Logf("%s against a closed port: exit %d after %.1fs", d.name, res.ExitCode, took.Seconds())
			if res.ExitCode == 0 {
				t.Fatalf("the destroy succeeded against an unreachable engine:\n%s", res.Output())
			}
			if took > failFastBound {
				t.Errorf("the destroy took %s to fail (timeouts.delete is %s); want under %s", took, longDeleteTimeout, failFastBound)
			}
			for _, want := range []string{"could not reach", "connection refused"} {
				if !says(res.Output(), want) {
					t.Errorf("the error does not say %q:\n%s", want, res.Output())
				}
			}
			if ids := w.stateIDs(); !slices.Contains(ids, id) {
				t.Errorf("the job left the state after a failed destroy: %v", ids)
			}
			if job, _ := w.server.Engine.Job(id); sim.IsTerminal(job.Status) || job.Status == sim.StatusCanceling {
				t.Errorf("the job is %s on an engine nothing could reach", job.Status)
			}
		})
	}
}

// TestEngineOutageDuringDestroyIsRiddenOut: the contrast to the test above.
// An engine that answers 503 (Retry-After: 1) to its next requests is an
// outage: the same destroys keep trying and succeed once it recovers.
func TestEngineOutageDuringDestroyIsRiddenOut(t *testing.T) {
	const failures = 3
	for _, d := range destroysWithoutRefresh {
		t.Run(d.name, func(t *testing.T) {
			w := newWorld(t, sim.Options{CancelLatency: 300 * time.Millisecond}, deleteTimeoutConfig())
			w.mustRun("apply", "-auto-approve")
			d.prepare(w)
			w.server.Engine.SetFaults(sim.Faults{FailNext: failures})

			started := time.Now()
			res := d.destroy(w)
			returned := w.clock.Now()
			t.Logf("%s through %d 503s: exit %d after %.1fs", d.name, failures, res.ExitCode, time.Since(started).Seconds())
			if res.ExitCode != 0 {
				t.Fatalf("the destroy did not ride out the outage:\n%s", res.Output())
			}
			if left := w.server.Engine.Faults().FailNext; left != 0 {
				t.Errorf("only %d of the %d failures were served: the test did not test an outage", failures-left, failures)
			}
			w.checkDestroyedBy(returned)
		})
	}
}
