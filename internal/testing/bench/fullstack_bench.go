package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
)

// The full-stack scenario (issue 21, point 3): examples/train-on-new-cluster
// as shipped (an SSH key, a cluster that receives it, a storage volume
// attached to the cluster, two jobs on it) is applied, then destroyed, by
// the real Terraform CLI against a simulator with known latencies. Each wall
// time is set against its critical-path floor: the longest chain of engine
// latencies along the example's dependency graph, computed from the
// simulator's settings alone (never from what was measured).

// FullStackExample is the example the scenario runs, from the module root.
const FullStackExample = "examples/train-on-new-cluster"

// fullStackPublicKey is a well-formed OpenSSH public key line; the simulator
// checks its shape, nothing more.
const fullStackPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHvw0v7Xl1V+Urum7x7xL5/KIbWzd3BhATWqqzEehuHd bench"

// FullStackLatencies are the simulator's settings in the full-stack runs.
type FullStackLatencies struct {
	// Pending is how long every async request stays PENDING
	// (sim.Options.RequestPendingLatency).
	Pending time.Duration
	// Provision and Release are how long a CLUSTER_CLAIM and a
	// CLUSTER_RELEASE stay PROCESSING.
	Provision time.Duration
	Release   time.Duration
	// Storage is how long STORAGE_CREATE, _ATTACH, _DETACH and _DESTROY stay
	// PROCESSING.
	Storage time.Duration
	// Cancel is how long a canceled job stays canceling (no jitter).
	Cancel time.Duration
	// RequestRetryAfter is the Retry-After of non-terminal GET /request/info
	// answers; 0 means none.
	RequestRetryAfter time.Duration
}

// simOptions are the simulator's options for these latencies: jobs run at
// once (no pending delay) and until canceled; GET /job/info carries
// infoRetryAfter as every bench simulator does.
func (l FullStackLatencies) simOptions(infoRetryAfter time.Duration) sim.Options {
	return sim.Options{
		APIKeys:                 []string{benchKey},
		Clusters:                []string{benchCluster},
		CancelLatency:           l.Cancel,
		InfoRetryAfter:          infoRetryAfter,
		RequestPendingLatency:   l.Pending,
		ClusterProvisionLatency: l.Provision,
		ClusterReleaseLatency:   l.Release,
		StorageLatency:          l.Storage,
		RequestRetryAfter:       l.RequestRetryAfter,
	}
}

// Step is one resource of a dependency graph: how long the engine takes to
// do what Terraform asks of it, and the steps that must end before it
// starts.
type Step struct {
	Name    string
	Latency time.Duration
	After   []string
}

// CriticalPath is the longest chain of latencies through steps (a DAG):
// its total, the floor no scheduler can beat, and the steps along it, first
// to last.
func CriticalPath(steps []Step) (time.Duration, []string, error) {
	byName := make(map[string]Step, len(steps))
	for _, s := range steps {
		if _, dup := byName[s.Name]; dup {
			return 0, nil, fmt.Errorf("step %q appears twice", s.Name)
		}
		byName[s.Name] = s
	}
	type done struct {
		end  time.Duration
		prev string
	}
	ends := map[string]done{}
	visiting := map[string]bool{}
	var visit func(name string) (time.Duration, error)
	visit = func(name string) (time.Duration, error) {
		if d, ok := ends[name]; ok {
			return d.end, nil
		}
		s, ok := byName[name]
		if !ok {
			return 0, fmt.Errorf("unknown step %q", name)
		}
		if visiting[name] {
			return 0, fmt.Errorf("the steps form a cycle through %q", name)
		}
		visiting[name] = true
		var start time.Duration
		var prev string
		for _, dep := range s.After {
			end, err := visit(dep)
			if err != nil {
				return 0, err
			}
			if end > start || prev == "" {
				start, prev = max(start, end), dep
			}
		}
		visiting[name] = false
		ends[name] = done{end: start + s.Latency, prev: prev}
		return start + s.Latency, nil
	}
	var floor time.Duration
	var last string
	for _, s := range steps {
		end, err := visit(s.Name)
		if err != nil {
			return 0, nil, err
		}
		if end > floor || last == "" {
			floor, last = max(floor, end), s.Name
		}
	}
	var path []string
	for n := last; n != ""; n = ends[n].prev {
		path = append(path, n)
	}
	slices.Reverse(path)
	return floor, path, nil
}

// Resources of the example, as Terraform names them.
const (
	fsKey        = "tensorpool_ssh_key.me"
	fsCluster    = "tensorpool_cluster.train"
	fsStorage    = "tensorpool_storage.data"
	fsAttachment = "tensorpool_storage_attachment.data"
	fsPrepare    = "tensorpool_job.prepare"
	fsTrain      = "tensorpool_job.train"
)

// FullStackApplyGraph is what `terraform apply` of the example waits for,
// from the simulator's settings: the key is saved at once; the cluster
// (which references the key) is claimed, PENDING then PROVISIONING, while
// the volume is created; the attachment waits for both and its own
// STORAGE_ATTACH; the jobs (which reference the attachment) are submitted,
// with no wait (no wait_for).
func FullStackApplyGraph(o sim.Options) []Step {
	p := o.RequestPendingLatency
	return []Step{
		{Name: fsKey},
		{Name: fsStorage, Latency: p + o.StorageLatency},
		{Name: fsCluster, Latency: p + o.ClusterProvisionLatency, After: []string{fsKey}},
		{Name: fsAttachment, Latency: p + o.StorageLatency, After: []string{fsCluster, fsStorage}},
		{Name: fsPrepare, After: []string{fsAttachment}},
		{Name: fsTrain, After: []string{fsAttachment}},
	}
}

// FullStackDestroyGraph is what `terraform destroy` waits for, the apply's
// graph reversed: each job is canceled and waited for until it stopped
// (the cancel latency; the jobs run from submission, no pending delay); the
// volume is detached (STORAGE_DETACH); then the cluster is released and the
// volume deleted, side by side; the key is removed once the cluster is gone.
func FullStackDestroyGraph(o sim.Options) []Step {
	p := o.RequestPendingLatency
	return []Step{
		{Name: fsPrepare, Latency: o.CancelLatency},
		{Name: fsTrain, Latency: o.CancelLatency},
		{Name: fsAttachment, Latency: p + o.StorageLatency, After: []string{fsPrepare, fsTrain}},
		{Name: fsCluster, Latency: p + o.ClusterReleaseLatency, After: []string{fsAttachment}},
		{Name: fsStorage, Latency: p + o.StorageLatency, After: []string{fsAttachment}},
		{Name: fsKey, After: []string{fsCluster}},
	}
}

// FullStackPhase is the apply or the destroy of one full-stack run.
type FullStackPhase struct {
	WallSeconds  float64 `json:"wall_s"`
	FloorSeconds float64 `json:"floor_s"`
	// Path is the critical path the floor follows, first to last.
	Path []string `json:"critical_path"`
	// Requests are the engine's requests during the command, by route.
	Requests map[string]int `json:"requests"`
}

// FullStackResult is one apply → destroy of the example.
type FullStackResult struct {
	Run                      int            `json:"run"`
	PendingSeconds           float64        `json:"request_pending_latency_s"`
	ProvisionSeconds         float64        `json:"cluster_provision_latency_s"`
	ReleaseSeconds           float64        `json:"cluster_release_latency_s"`
	StorageSeconds           float64        `json:"storage_latency_s"`
	CancelSeconds            float64        `json:"cancel_latency_s"`
	RequestRetryAfterSeconds float64        `json:"request_retry_after_s"`
	Apply                    FullStackPhase `json:"apply"`
	Destroy                  FullStackPhase `json:"destroy"`
	// LoadAverage is the 1-minute load average before the run.
	LoadAverage string `json:"load_average,omitempty"`
}

// validateFullStack reports full-stack settings the suite cannot run.
func validateFullStack(runs int, l FullStackLatencies) error {
	if runs < 0 {
		return fmt.Errorf("full stack: want ≥ 0 runs, got %d", runs)
	}
	for _, d := range []time.Duration{l.Pending, l.Provision, l.Release, l.Storage, l.Cancel, l.RequestRetryAfter} {
		if d < 0 {
			return fmt.Errorf("full-stack latencies %+v: each must be ≥ 0", l)
		}
	}
	return nil
}

// fullStackPhase runs FullStackRuns apply → destroy cycles of the example,
// each on a simulator of its own.
func (s *Suite) fullStackPhase(ctx context.Context) error {
	root, err := tfharness.ModuleRoot()
	if err != nil {
		return err
	}
	var errs []error
	for run := 1; run <= s.cfg.FullStackRuns && ctx.Err() == nil; run++ {
		if err := s.fullStackRun(ctx, filepath.Join(root, FullStackExample), run); err != nil {
			errs = append(errs, fmt.Errorf("run %d: %w", run, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Suite) fullStackRun(ctx context.Context, example string, run int) error {
	lat := s.cfg.FullStackLatency
	opts := lat.simOptions(s.cfg.InfoRetryAfter)
	applyFloor, applyPath, err := CriticalPath(FullStackApplyGraph(opts))
	if err != nil {
		return err
	}
	destroyFloor, destroyPath, err := CriticalPath(FullStackDestroyGraph(opts))
	if err != nil {
		return err
	}
	env, err := serveSim(opts)
	if err != nil {
		return err
	}
	defer env.Close()
	e := env.engine()
	w, err := s.h.WorkspaceFromDir(fmt.Sprintf("fullstack-%d", run), example)
	if err != nil {
		return err
	}
	w.Env = append(slices.Clone(s.cfg.Env), "TENSORPOOL_KEY="+benchKey, "TENSORPOOL_ENGINE="+env.url,
		"TF_VAR_ssh_public_key="+fullStackPublicKey)
	res := FullStackResult{
		Run: run, PendingSeconds: lat.Pending.Seconds(), ProvisionSeconds: lat.Provision.Seconds(),
		ReleaseSeconds: lat.Release.Seconds(), StorageSeconds: lat.Storage.Seconds(), CancelSeconds: lat.Cancel.Seconds(),
		RequestRetryAfterSeconds: lat.RequestRetryAfter.Seconds(), LoadAverage: loadAverage(),
	}
	name := fmt.Sprintf("full stack, run %d", run)

	s.logf("%s: applying %s (floor %.1fs along %s)", name, FullStackExample, applyFloor.Seconds(), strings.Join(applyPath, " → "))
	e.ResetStats()
	tr, err := s.run(ctx, w, false, []int{0}, s.flags("apply", "-auto-approve")...)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	res.Apply = FullStackPhase{WallSeconds: tr.wall.Seconds(), FloorSeconds: applyFloor.Seconds(), Path: applyPath, Requests: e.Stats()}
	if jobs := e.Jobs(); len(jobs) != 2 {
		return fmt.Errorf("after the apply the engine has %d jobs, want 2", len(jobs))
	}

	s.logf("%s: destroying (floor %.1fs along %s)", name, destroyFloor.Seconds(), strings.Join(destroyPath, " → "))
	e.ResetStats()
	tr, err = s.run(ctx, w, false, []int{0}, s.flags("destroy", "-auto-approve")...)
	if err != nil {
		return fmt.Errorf("destroy: %w", err)
	}
	res.Destroy = FullStackPhase{WallSeconds: tr.wall.Seconds(), FloorSeconds: destroyFloor.Seconds(), Path: destroyPath, Requests: e.Stats()}
	var ownClusters []string
	for _, c := range e.Clusters() {
		if c.ClusterID != benchCluster {
			ownClusters = append(ownClusters, c.ClusterID)
		}
	}
	if err := checkReleased(e, ownClusters); err != nil {
		return err
	}
	s.reportMu.Lock()
	s.report.FullStack = append(s.report.FullStack, res)
	s.reportMu.Unlock()
	for _, p := range []struct {
		op string
		FullStackPhase
	}{{"apply", res.Apply}, {"destroy", res.Destroy}} {
		s.logf("%s, %s: wall %.2fs, floor %.2fs (+%.2fs; target ≤ floor + %s), %d requests (%s)", name, p.op, p.WallSeconds,
			p.FloorSeconds, p.WallSeconds-p.FloorSeconds, fmtSeconds(s.cfg.FullStackExcessTarget), SumCounts(p.Requests), FormatCounts(p.Requests))
	}
	return nil
}
