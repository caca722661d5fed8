package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/tfharness"
)

const (
	owner   = "user-1"
	cluster = "c-e2e"
)

// world is one scenario: a simulator and a workspace whose environment
// points the provider at it.
type world struct {
	t      *testing.T
	server *sim.Server
	clock  *clock.Offset
	ws     *tfharness.Workspace
	key    string
	ctx    context.Context
}

func newWorld(t *testing.T, opts sim.Options, config func(src string) string) *world {
	t.Helper()
	if harness == nil {
		t.Skip("TF_ACC is not set")
	}
	key := fmt.Sprintf("tp-e2e-%d-secret-%s", time.Now().UnixNano(), strings.ReplaceAll(t.Name(), "/", "-"))
	offset := &clock.Offset{}
	opts.Clock = offset
	opts.APIKeys = []string{key}
	opts.Clusters = []string{cluster}
	server, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Close)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "train.py"), []byte("print(1)\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ws, err := harness.Workspace(strings.ReplaceAll(t.Name(), "/", "_"), config(src))
	if err != nil {
		t.Fatal(err)
	}
	ws.Env = []string{"TENSORPOOL_KEY=" + key, "TENSORPOOL_ENGINE=" + server.URL}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return &world{t: t, server: server, clock: offset, ws: ws, key: key, ctx: ctx}
}

func jobsConfig(count int) func(src string) string {
	return func(src string) string {
		return fmt.Sprintf(`
resource "tensorpool_job" "job" {
  count      = %d
  cluster_id = %q
  source_dir = %q
  config     = "commands = [\"python train.py\"]"
}
`, count, cluster, src)
	}
}

func (w *world) mustRun(args ...string) tfharness.Result {
	w.t.Helper()
	res, err := w.ws.MustSucceed(w.ctx, args...)
	if err != nil {
		w.t.Fatal(err)
	}
	return res
}

func (w *world) stateIDs() []string {
	w.t.Helper()
	ids, err := w.ws.StateIDs(w.ctx, "tensorpool_job")
	if err != nil {
		w.t.Fatal(err)
	}
	return ids
}

// checkNoOrphans and checkDestroyed are the provider's two promises,
// checked from the engine's side (see sim.CheckNoOrphans, CheckDestroyed).
func (w *world) checkNoOrphans() {
	w.t.Helper()
	if err := w.server.Engine.CheckNoOrphans(owner, w.stateIDs()); err != nil {
		w.t.Error(err)
	}
}

func (w *world) checkDestroyed() {
	w.t.Helper()
	if err := w.server.Engine.CheckDestroyed(owner); err != nil {
		w.t.Error(err)
	}
	if ids := w.stateIDs(); len(ids) != 0 {
		w.t.Errorf("jobs left in the state after destroy: %v", ids)
	}
}

// waitFor polls the simulator's state until cond holds: the condition is on
// the engine, so nothing here guesses how long the provider takes.
func (w *world) waitFor(what string, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
