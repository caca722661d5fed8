package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
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
	clock  *clocktest.Offset
	ws     *tfharness.Workspace
	key    string
	ctx    context.Context
}

func newWorld(t *testing.T, opts sim.Options, config func(src string) string) *world {
	t.Helper()
	w := startSimulator(t, opts)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "train.py"), []byte("print(1)\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ws, err := harness.Workspace(workspaceName(t), config(src))
	if err != nil {
		t.Fatal(err)
	}
	w.use(ws)
	return w
}

// newExampleWorld is a world whose workspace is a copy of one of the
// repository's examples (a folder under examples/), minus the files named
// in without (those that need more than a simulator, such as an import
// block of a documentation-only job id).
func newExampleWorld(t *testing.T, opts sim.Options, example string, without ...string) *world {
	t.Helper()
	w := startSimulator(t, opts)
	root, err := tfharness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ws, err := harness.WorkspaceFromDir(workspaceName(t), filepath.Join(root, filepath.FromSlash(example)))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range without {
		if err := os.Remove(filepath.Join(ws.Dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	w.use(ws)
	return w
}

// startSimulator starts a simulator that knows the test's key and cluster
// (and any clusters in opts); the world has no workspace yet.
func startSimulator(t *testing.T, opts sim.Options) *world {
	t.Helper()
	if harness == nil {
		t.Skip("TF_ACC is not set")
	}
	key := fmt.Sprintf("tp-e2e-%d-secret-%s", time.Now().UnixNano(), strings.ReplaceAll(t.Name(), "/", "-"))
	offset := &clocktest.Offset{}
	opts.Clock = offset
	opts.APIKeys = []string{key}
	opts.Clusters = append([]string{cluster}, opts.Clusters...)
	server, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return &world{t: t, server: server, clock: offset, key: key, ctx: ctx}
}

// use makes ws the world's workspace, its environment pointing the
// provider at the world's simulator.
func (w *world) use(ws *tfharness.Workspace) {
	ws.Env = []string{"TENSORPOOL_KEY=" + w.key, "TENSORPOOL_ENGINE=" + w.server.URL}
	w.ws = ws
}

func workspaceName(t *testing.T) string { return strings.ReplaceAll(t.Name(), "/", "_") }

func jobsConfig(count int) func(src string) string { return jobsConfigWith(count, "") }

// jobsConfigWith is jobsConfig with more arguments or blocks (such as a
// timeouts block) inside the resource.
func jobsConfigWith(count int, more string) func(src string) string {
	return func(src string) string {
		return fmt.Sprintf(`
resource "tensorpool_job" "job" {
  count      = %d
  cluster_id = %q
  source_dir = %q
  config     = "commands = [\"python train.py\"]"
%s
}
`, count, cluster, src, more)
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

// run runs a command whose exit code the test checks itself.
func (w *world) run(args ...string) tfharness.Result {
	w.t.Helper()
	res, err := w.ws.Run(w.ctx, args...)
	if err != nil {
		w.t.Fatal(err)
	}
	return res
}

// stateStatus is the status attribute of one resource in the state.
func (w *world) stateStatus(address string) string { //nolint:unparam // any resource's status; the tests so far read the first job
	w.t.Helper()
	resources, err := w.ws.State(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, r := range resources {
		if r.Address == address {
			status, _ := r.Values["status"].(string)
			return status
		}
	}
	w.t.Fatalf("%s is not in the state", address)
	return ""
}

func (w *world) stateIDs() []string {
	w.t.Helper()
	ids, err := w.ws.StateIDs(w.ctx, "tensorpool_job")
	if err != nil {
		w.t.Fatal(err)
	}
	return ids
}

// stateIDsOf is the ids in the state of every resource of the given types.
func (w *world) stateIDsOf(types ...string) []string {
	w.t.Helper()
	var all []string
	for _, typ := range types {
		ids, err := w.ws.StateIDs(w.ctx, typ)
		if err != nil {
			w.t.Fatal(err)
		}
		all = append(all, ids...)
	}
	return all
}

// checkNoOrphans and checkDestroyedBy are the provider's two promises,
// checked from the engine's side (see sim.CheckNoOrphans, CheckDestroyedBy).
func (w *world) checkNoOrphans() {
	w.t.Helper()
	if err := w.server.Engine.CheckNoOrphans(owner, w.stateIDs()); err != nil {
		w.t.Error(err)
	}
}

// destroy runs `terraform destroy` with args, which must succeed, and checks
// that it kept its promise.
func (w *world) destroy(args ...string) {
	w.t.Helper()
	w.mustRun(append([]string{"destroy"}, args...)...)
	w.checkDestroyedBy(w.clock.Now())
}

// checkDestroyedBy checks a destroy that reported success at returned (the
// engine clock's reading right after the command returned): no job is left
// running, none stopped only after the destroy returned, and the state is
// empty.
func (w *world) checkDestroyedBy(returned time.Time) {
	w.t.Helper()
	if err := w.server.Engine.CheckDestroyedBy(owner, returned); err != nil {
		w.t.Error(err)
	}
	if err := errors.Join(w.server.Engine.CheckNothingBilling(owner), w.server.Engine.CheckNoSSHKeys(owner)); err != nil {
		w.t.Error(err)
	}
	if ids := w.stateIDs(); len(ids) != 0 {
		w.t.Errorf("jobs left in the state after destroy: %v", ids)
	}
}

// says reports whether Terraform's output says text: Terraform wraps its
// diagnostics at 78 columns, so a phrase may span lines; any run of spaces
// and line breaks matches any other.
func says(output, text string) bool {
	return strings.Contains(strings.Join(strings.Fields(output), " "), strings.Join(strings.Fields(text), " "))
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

// interrupted runs terraform with args, sends it SIGINT once ready (what
// names the moment) holds, and returns its output, failing the test unless
// Terraform stopped with an error.
func (w *world) interrupted(what string, ready func() bool, args ...string) string {
	w.t.Helper()
	cmd := w.ws.Command(w.ctx, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.waitFor(what, ready)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		w.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exitErr *exec.ExitError
		if err == nil || !errors.As(err, &exitErr) {
			w.t.Fatalf("an interrupted %s must fail, got %v:\n%s", args[0], err, out.String())
		}
	case <-time.After(2 * time.Minute): // a bound against a hang, not a speed check
		_ = cmd.Process.Kill()
		w.t.Fatalf("terraform did not stop after SIGINT:\n%s", out.String())
	}
	w.t.Logf("terraform stopped %.1fs after SIGINT", time.Since(sent).Seconds())
	return out.String()
}
