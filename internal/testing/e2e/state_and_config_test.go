package e2e

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// stateSerial is the serial of the workspace's state, as the CLI reports it.
func (w *world) stateSerial() int {
	w.t.Helper()
	res := w.mustRun("state", "pull")
	var doc struct {
		Serial int `json:"serial"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &doc); err != nil {
		w.t.Fatalf("terraform state pull: %v\n%s", err, res.Stdout)
	}
	return doc.Serial
}

// TestNoOpApplyLeavesTheStateSerialAlone: a refresh that finds nothing new
// writes no new state version (every remote backend would keep one per run).
func TestNoOpApplyLeavesTheStateSerialAlone(t *testing.T) {
	// The job stays pending: nothing about it changes between the runs.
	w := newWorld(t, sim.Options{PendingDelay: time.Hour, CancelLatency: 100 * time.Millisecond}, jobsConfig(2))
	w.mustRun("apply", "-auto-approve", "-no-color")
	after := w.stateSerial()
	for range 3 {
		res := w.mustRun("apply", "-auto-approve", "-no-color")
		if !strings.Contains(res.Stdout, "No changes.") {
			t.Fatalf("a second apply of the same configuration was not a no-op:\n%s", res.Stdout)
		}
	}
	if serial := w.stateSerial(); serial != after {
		t.Errorf("three no-op applies moved the state serial from %d to %d", after, serial)
	}
	w.destroy("-auto-approve", "-no-color")
}

// TestBadEngineURLFromTheEnvironmentIsOneClearError: with no provider block
// (Terraform Cloud style), a bad TENSORPOOL_ENGINE is one error naming the
// variable, not Terraform's extra "requires explicit configuration" error.
func TestBadEngineURLFromTheEnvironmentIsOneClearError(t *testing.T) {
	w := newWorld(t, sim.Options{}, jobsConfig(1))
	w.ws.Env = []string{"TENSORPOOL_KEY=" + w.key, "TENSORPOOL_ENGINE=http://engine.example.com"}
	res := w.run("plan", "-no-color")
	if res.ExitCode == 0 {
		t.Fatalf("plan succeeded with a plain-http engine URL:\n%s", res.Output())
	}
	out := res.Output()
	if n := len(regexp.MustCompile(`(?m)^Error: `).FindAllString(out, -1)); n != 1 {
		t.Errorf("plan printed %d errors, want 1:\n%s", n, out)
	}
	if !regexp.MustCompile(`(?s)Invalid TensorPool engine URL.*TENSORPOOL_ENGINE`).MatchString(out) {
		t.Errorf("the error does not say that TENSORPOOL_ENGINE is invalid:\n%s", out)
	}
	if strings.Contains(out, "requires explicit configuration") {
		t.Errorf("plan printed Terraform's misleading explicit-configuration error:\n%s", out)
	}
	if stats := w.server.Engine.Stats(); len(stats) != 0 {
		t.Errorf("requests reached the engine: %v", stats)
	}
}
