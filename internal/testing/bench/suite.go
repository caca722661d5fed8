package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
)

const (
	benchKey     = "tp-bench-key"
	benchCluster = "c-bench"
	// memInterval is how often the provider's memory is sampled.
	memInterval = 50 * time.Millisecond
)

// Route names in the engine's stats.
const (
	routeInfo   = "GET /job/info"
	routeCancel = "POST /job/cancel"
)

// DestroyResult is one timed `terraform destroy`.
type DestroyResult struct {
	Name string `json:"name"`
	// StreamUnavailable is set when the engine's /job/listen answered 404.
	StreamUnavailable bool    `json:"stream_unavailable"`
	LatencySeconds    float64 `json:"cancel_latency_s"`
	Jobs              int     `json:"jobs"`
	WallSeconds       float64 `json:"wall_s"`
	FloorSeconds      float64 `json:"floor_s"`
	// JitterSeconds is the simulator's cancel-latency jitter: each cancel
	// took LatencySeconds plus a delay uniform in [0, JitterSeconds).
	JitterSeconds float64 `json:"cancel_latency_jitter_s,omitempty"`
	// Lag is observed_terminal_at − terminal_at over the jobs.
	Lag Summary `json:"lag"`
	// Unobserved counts jobs no GET /job/info ever saw terminal.
	Unobserved int `json:"unobserved"`
	// Requests are the provider's requests by route (the reference
	// poller's, which ran at the same time, subtracted).
	Requests       map[string]int `json:"requests"`
	RequestsPerJob float64        `json:"requests_per_job"`
	// RequestsPerJobNoRefresh leaves out one GET /job/info per job, the
	// refresh Terraform does before any destroy (the refresh scenarios
	// check that it costs exactly that).
	RequestsPerJobNoRefresh float64    `json:"requests_per_job_without_refresh"`
	Reference               *RefResult `json:"reference,omitempty"`
}

// RefreshResult is one timed `terraform plan` over jobs, next to a plan over
// as many terraform_data resources.
type RefreshResult struct {
	Jobs int `json:"jobs"`
	// WallSeconds are the plan times, one per repetition; Median counts.
	WallSeconds       []float64 `json:"wall_s"`
	MedianSeconds     float64   `json:"median_s"`
	TFDataWallSeconds []float64 `json:"terraform_data_wall_s"`
	TFDataMedian      float64   `json:"terraform_data_median_s"`
	// Requests are the engine's requests over all repetitions, by route.
	Requests       map[string]int `json:"requests"`
	RequestsPerJob float64        `json:"requests_per_job"`
	OnlyInfo       bool           `json:"only_job_info"`
	// PlanExitCode is from -detailed-exitcode: 0 no changes, 2 changes.
	PlanExitCode int     `json:"plan_exit_code"`
	PeakRSSMiB   float64 `json:"peak_rss_mib,omitempty"`
	Processes    int     `json:"provider_processes,omitempty"`
	// NoRefreshMedian and TFDataNoRefreshMedian are the same plans with
	// -refresh=false (measured at the largest N only): Terraform and the
	// plugin protocol without a single engine request.
	NoRefreshMedian       float64 `json:"no_refresh_median_s,omitempty"`
	TFDataNoRefreshMedian float64 `json:"terraform_data_no_refresh_median_s,omitempty"`
}

// ApplyResult is one timed `terraform apply` creating jobs.
type ApplyResult struct {
	Jobs          int     `json:"jobs"`
	WallSeconds   float64 `json:"wall_s"`
	JobsPerSecond float64 `json:"jobs_per_s"`
	PeakRSSMiB    float64 `json:"peak_rss_mib,omitempty"`
	Processes     int     `json:"provider_processes,omitempty"`
}

// Suite runs the scenarios of a Config.
type Suite struct {
	cfg       Config
	h         *tfharness.Harness
	root      string
	sourceDir string
	start     time.Time
	report    *Report
	logMu     sync.Mutex
	reportMu  sync.Mutex // guards report's slices: lag destroys run concurrently
}

// Run builds the provider, runs every scenario and returns the report. A
// failing scenario is recorded in Report.Errors and the others still run;
// the error is for failures that stop everything (no CLI, no build).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Suite{cfg: cfg, start: time.Now()}
	loadStart := loadAverage() // before our own build adds to it
	s.report = &Report{Mode: cfg.Mode, StartedAt: s.start, Parallelism: cfg.Parallelism, Only: cfg.Only, Env: cfg.Env}
	root, err := os.MkdirTemp("", "tensorpool-bench-")
	if err != nil {
		return nil, err
	}
	s.root = root
	if cfg.Keep {
		s.logf("scratch directory: %s (kept)", root)
	} else {
		defer os.RemoveAll(root)
	}

	s.logf("building the provider")
	if s.h, err = tfharness.New(ctx, cfg.Terraform, root); err != nil {
		return nil, err
	}
	s.report.Machine, err = s.machine(ctx)
	if err != nil {
		return nil, err
	}
	s.report.Machine.LoadStart = loadStart
	s.sourceDir = filepath.Join(root, "source")
	if err := os.MkdirAll(s.sourceDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(s.sourceDir, "train.py"), []byte("print('training')\n"), 0o600); err != nil {
		return nil, err
	}

	for _, lc := range cfg.LagCases {
		if !cfg.runs(PhaseLag) || ctx.Err() != nil {
			break
		}
		if err := s.lagCase(ctx, lc); err != nil {
			s.report.Fail(fmt.Sprintf("destroy lag at L = %s", lc.Latency), err)
		}
	}
	if cfg.runs(PhaseWaitFor) && len(cfg.WaitForCases) > 0 && ctx.Err() == nil {
		if err := s.waitForPhase(ctx); err != nil {
			s.report.Fail("wait_for notice lag", err)
		}
	}
	if cfg.runs(PhaseWall) && ctx.Err() == nil {
		if err := s.wallPhase(ctx); err != nil {
			s.report.Fail("destroy wall time", err)
		}
	}
	if cfg.runs(PhaseRefresh) && ctx.Err() == nil {
		if err := s.refreshPhase(ctx); err != nil {
			s.report.Fail("refresh", err)
		}
	}
	if cfg.runs(PhaseClusters) && len(cfg.ClusterCases) > 0 && ctx.Err() == nil {
		if err := s.clusterPhase(ctx); err != nil {
			s.report.Fail("cluster create → destroy", err)
		}
	}
	if cfg.runs(PhaseFullStack) && cfg.FullStackRuns > 0 && ctx.Err() == nil {
		if err := s.fullStackPhase(ctx); err != nil {
			s.report.Fail("full stack", err)
		}
	}
	if cfg.runs(PhaseFloor) && len(cfg.FloorJobs) > 0 && ctx.Err() == nil {
		if err := s.floorPhase(ctx); err != nil {
			s.report.Fail("plugin floor", err)
		}
	}
	if ctx.Err() != nil {
		s.report.Fail("run", ctx.Err())
	}
	s.buildMetrics()
	s.report.Machine.LoadEnd = loadAverage()
	s.report.ElapsedSeconds = time.Since(s.start).Seconds()
	s.logf("done")
	return s.report, nil
}

func (s *Suite) logf(format string, args ...any) {
	if s.cfg.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.cfg.Log, "[%6.1fs] %s\n", time.Since(s.start).Seconds(), fmt.Sprintf(format, args...))
}

// machine describes the host and the CLI.
func (s *Suite) machine(ctx context.Context) (Machine, error) {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version(), CPUModel: cpuModel()}
	w, err := s.h.Workspace("version", "")
	if err != nil {
		return m, err
	}
	res, err := w.MustSucceed(ctx, "version", "-json")
	if err != nil {
		return m, err
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &v); err != nil || v.Version == "" {
		return m, fmt.Errorf("terraform version -json: unexpected output %q", res.Stdout)
	}
	m.TerraformVersion = v.Version
	return m, nil
}

// loadAverage is the 1-minute load average, "" where unknown.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(data)); len(f) > 0 {
		return f[0]
	}
	return ""
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// ----- simulator and workspaces -------------------------------------------------

// JobsConfig is the configuration of n jobs, all alike.
func JobsConfig(n int, cluster, sourceDir string) string {
	return jobsConfigOf("tensorpool", "tensorpool/tensorpool", n, cluster, sourceDir)
}

// jobsConfigOf is n resources of type <provider>_job from the provider at
// source, configured as jobs: ours, or the bare provider's job-shaped one.
func jobsConfigOf(provider, source string, n int, cluster, sourceDir string) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    %s = {
      source = %q
    }
  }
}

resource "%s_job" "bench" {
  count      = %d
  cluster_id = %q
  config     = "commands = [\"python train.py\"]"
  source_dir = %q

  timeouts {
    delete = "15m"
  }
}
`, provider, source, provider, n, cluster, sourceDir)
}

// TerraformDataConfig is n terraform_data resources: what a plan costs in
// Terraform alone, with no provider to start and no engine to ask.
func TerraformDataConfig(n int) string {
	return fmt.Sprintf(`resource "terraform_data" "bench" {
  count = %d
  input = count.index
}
`, n)
}

func (s *Suite) jobsWorkspace(name string, n int, env *simEnv) (*tfharness.Workspace, error) {
	w, err := s.h.Workspace(name, JobsConfig(n, benchCluster, s.sourceDir))
	if err != nil {
		return nil, err
	}
	w.Env = append(slices.Clone(s.cfg.Env), "TENSORPOOL_KEY="+benchKey, "TENSORPOOL_ENGINE="+env.url)
	return w, nil
}

func (s *Suite) flags(args ...string) []string {
	return append(args, "-input=false", "-lock=false", "-no-color", fmt.Sprintf("-parallelism=%d", s.cfg.Parallelism))
}

// timed runs a CLI command, optionally sampling the provider's memory.
type timedRun struct {
	res  tfharness.Result
	wall time.Duration
	// cpu is the user + system time of terraform and of every process it
	// waited for (the provider plugins): the kernel's rusage at exit.
	cpu time.Duration
	// providerCPU is the provider processes' share of cpu, as last sampled
	// (only when sampling).
	providerCPU float64
	peakRSS     int64
	procs       int
	exitCode    int
}

func (s *Suite) run(ctx context.Context, w *tfharness.Workspace, sampleMem bool, okCodes []int, args ...string) (*timedRun, error) {
	cmd := w.Command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var sampler *MemSampler
	if sampleMem {
		sampler = StartMemSampler(cmd.Process.Pid, ProviderBinary, memInterval)
	}
	err := cmd.Wait()
	tr := &timedRun{wall: time.Since(start)}
	if ps := cmd.ProcessState; ps != nil {
		tr.cpu = ps.UserTime() + ps.SystemTime()
	}
	if sampler != nil {
		tr.peakRSS, tr.procs = sampler.Stop()
		tr.providerCPU = sampler.CPUSeconds()
	}
	tr.res = tfharness.Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		tr.exitCode = exitErr.ExitCode()
	case err != nil:
		return nil, err
	}
	tr.res.ExitCode = tr.exitCode
	if !slices.Contains(okCodes, tr.exitCode) {
		return tr, fmt.Errorf("terraform %s exited %d:\n%s", strings.Join(args, " "), tr.exitCode, lastLines(tr.res.Output(), 30))
	}
	return tr, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// apply creates the workspace's jobs and returns their ids.
func (s *Suite) apply(ctx context.Context, w *tfharness.Workspace, n int, sampleMem bool) (*ApplyResult, []string, error) {
	tr, err := s.run(ctx, w, sampleMem, []int{0}, s.flags("apply", "-auto-approve")...)
	if err != nil {
		return nil, nil, err
	}
	ids, err := w.StateIDs(ctx, "tensorpool_job")
	if err != nil {
		return nil, nil, err
	}
	if len(ids) != n {
		return nil, nil, fmt.Errorf("apply left %d jobs in the state, want %d", len(ids), n)
	}
	ar := &ApplyResult{Jobs: n, WallSeconds: tr.wall.Seconds(), JobsPerSecond: float64(n) / tr.wall.Seconds()}
	if sampleMem {
		ar.PeakRSSMiB, ar.Processes = mib(tr.peakRSS), tr.procs
	}
	return ar, ids, nil
}

func (s *Suite) addApply(a ApplyResult) {
	s.reportMu.Lock()
	defer s.reportMu.Unlock()
	s.report.Applies = append(s.report.Applies, a)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// lags reads observed_terminal_at − terminal_at for the given jobs.
func lags(e *sim.Engine, ids []string) (ds []time.Duration, unobserved int, err error) {
	byID := map[string]sim.JobSnapshot{}
	for _, j := range e.Jobs() {
		byID[j.JobID] = j
	}
	var notTerminal []string
	for _, id := range ids {
		j, ok := byID[id]
		switch {
		case !ok:
			// A job that left the engine was not waited for by a GET.
			unobserved++
		case j.TerminalAt == nil:
			notTerminal = append(notTerminal, id+" ("+j.Status+")")
		case j.ObservedTerminalAt == nil:
			unobserved++
		default:
			ds = append(ds, j.ObservedTerminalAt.Sub(*j.TerminalAt))
		}
	}
	if len(notTerminal) > 0 {
		return ds, unobserved, fmt.Errorf("%d jobs are not terminal after the destroy: %s", len(notTerminal), strings.Join(notTerminal, ", "))
	}
	return ds, unobserved, nil
}

// ----- destroy ---------------------------------------------------------------------

// destroy times `terraform destroy` of ids in w while, when refN > 0, the
// reference poller cancels refN other jobs of the same engine.
func (s *Suite) destroy(ctx context.Context, name string, env *simEnv, w *tfharness.Workspace, ids []string, latency time.Duration,
	refN int, streamUnavailable bool,
) (*DestroyResult, error) {
	e := env.engine()
	var refIDs []string
	for range refN {
		id, err := e.AddJob(benchKey, benchCluster)
		if err != nil {
			return nil, err
		}
		refIDs = append(refIDs, id)
	}
	if streamUnavailable {
		e.SetFaults(sim.Faults{ListenUnavailable: true})
		defer e.SetFaults(sim.Faults{})
	}
	e.ResetStats()

	var ref *RefResult
	var wg sync.WaitGroup
	if refN > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &RefPoller{BaseURL: env.url, APIKey: benchKey}
			ref = p.Cancel(ctx, refIDs)
		}()
	}
	tr, err := s.run(ctx, w, false, []int{0}, s.flags("destroy", "-auto-approve")...)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	total := e.Stats()
	d := &DestroyResult{
		Name: name, StreamUnavailable: streamUnavailable, LatencySeconds: latency.Seconds(), Jobs: len(ids),
		WallSeconds:   tr.wall.Seconds(),
		FloorSeconds:  DestroyFloor(len(ids), s.cfg.Parallelism, latency).Seconds(),
		JitterSeconds: env.jitter.Seconds(),
		Requests:      total,
	}
	if ref != nil {
		d.Requests = SubCounts(total, ref.Requests)
		refLags, refUnobserved, err := lags(e, refIDs)
		if err != nil {
			return nil, fmt.Errorf("reference poller: %w", err)
		}
		if refUnobserved > 0 {
			ref.Errors = append(ref.Errors, fmt.Sprintf("%d jobs never seen terminal", refUnobserved))
		}
		ref.Lag = Summarize(refLags)
		d.Reference = ref
		if len(ref.Errors) > 0 {
			return nil, fmt.Errorf("reference poller: %s", strings.Join(ref.Errors, "; "))
		}
	}
	d.RequestsPerJob = PerJob(SumCounts(d.Requests), len(ids))
	d.RequestsPerJobNoRefresh = PerJob(SumCounts(d.Requests)-len(ids), len(ids))
	ourLags, unobserved, err := lags(e, ids)
	if err != nil {
		return nil, err
	}
	d.Lag, d.Unobserved = Summarize(ourLags), unobserved
	s.reportMu.Lock()
	s.report.Destroys = append(s.report.Destroys, *d)
	s.reportMu.Unlock()
	s.logf("%s: wall %.1fs (floor %.0fs), lag p50 %.3fs p95 %.3fs, %.2f req/job%s", name, d.WallSeconds, d.FloorSeconds,
		d.Lag.P50, d.Lag.P95, d.RequestsPerJob, refSummary(d.Reference))
	return d, nil
}

func refSummary(r *RefResult) string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf("; reference lag p50 %.3fs p95 %.3fs, %.2f req/job", r.Lag.P50, r.Lag.P95, r.RequestsPerJob)
}

// lagCase applies two job sets on two simulators with the same latency and
// jitter, then destroys both at once, one of them with /job/listen
// unavailable, each next to the reference poller on its own simulator.
func (s *Suite) lagCase(ctx context.Context, lc LagCase) error {
	tag := "L = " + fmtDur(lc.Latency)
	type variant struct {
		name        string
		unavailable bool
		env         *simEnv
		w           *tfharness.Workspace
		ids         []string
		res         *DestroyResult
		err         error
	}
	vs := []*variant{
		{name: fmt.Sprintf("lag, %s, N = %d", tag, lc.Jobs)},
		{name: fmt.Sprintf("lag, %s, N = %d, stream unavailable", tag, lc.Jobs), unavailable: true},
	}
	for i, v := range vs {
		env, err := s.startSim(lc.Latency, s.cfg.LagJitter)
		if err != nil {
			return err
		}
		defer env.Close()
		v.env = env
		if v.w, err = s.jobsWorkspace(fmt.Sprintf("lag-%s-%d", lc.Latency, i), lc.Jobs, env); err != nil {
			return err
		}
		s.logf("%s: applying %d jobs", v.name, lc.Jobs)
		if _, v.ids, err = s.apply(ctx, v.w, lc.Jobs, false); err != nil {
			return fmt.Errorf("%s: apply: %w", v.name, err)
		}
	}
	s.logf("%s: destroying both job sets (reference poller alongside each)", tag)
	var wg sync.WaitGroup
	for _, v := range vs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.res, v.err = s.destroy(ctx, v.name, v.env, v.w, v.ids, lc.Latency, lc.Jobs, v.unavailable)
		}()
	}
	wg.Wait()
	return errors.Join(vs[0].err, vs[1].err)
}

// ----- wall time and refresh ---------------------------------------------------------

// wallPhase applies each WallJobs count on one simulator, measures the
// refreshes that reuse those workspaces, then times each destroy alone.
func (s *Suite) wallPhase(ctx context.Context) error {
	env, err := s.startSim(s.cfg.WallLatency, 0)
	if err != nil {
		return err
	}
	defer env.Close()
	type ws struct {
		n   int
		w   *tfharness.Workspace
		ids []string
	}
	var sets []ws
	var errs []error
	for _, n := range s.cfg.WallJobs {
		w, err := s.jobsWorkspace(fmt.Sprintf("wall-%d", n), n, env)
		if err != nil {
			return err
		}
		s.logf("wall N=%d: applying %d jobs", n, n)
		ar, ids, err := s.apply(ctx, w, n, false)
		if err != nil {
			errs = append(errs, fmt.Errorf("apply N=%d: %w", n, err))
			continue
		}
		s.addApply(*ar)
		s.logf("apply N=%d: %.1fs, %.1f jobs/s", n, ar.WallSeconds, ar.JobsPerSecond)
		if slices.Contains(s.cfg.RefreshJobs, n) {
			if err := s.refresh(ctx, env, w, n, false); err != nil {
				errs = append(errs, fmt.Errorf("refresh N=%d: %w", n, err))
			}
		}
		sets = append(sets, ws{n, w, ids})
	}
	for _, set := range sets {
		name := fmt.Sprintf("wall time, L = %s, N = %d", fmtDur(s.cfg.WallLatency), set.n)
		s.logf("%s: destroying", name)
		if _, err := s.destroy(ctx, name, env, set.w, set.ids, s.cfg.WallLatency, 0, false); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// refreshPhase measures the refresh counts that no wall-time run applied,
// on a simulator of their own; their jobs are left running.
func (s *Suite) refreshPhase(ctx context.Context) error {
	var errs []error
	for _, n := range s.cfg.RefreshJobs {
		if slices.Contains(s.cfg.WallJobs, n) {
			continue
		}
		if err := s.refreshAlone(ctx, n); err != nil {
			errs = append(errs, fmt.Errorf("refresh of %d jobs: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Suite) refreshAlone(ctx context.Context, n int) error {
	env, err := s.startSim(s.cfg.WallLatency, 0)
	if err != nil {
		return err
	}
	defer env.Close()
	w, err := s.jobsWorkspace(fmt.Sprintf("refresh-%d", n), n, env)
	if err != nil {
		return err
	}
	mem := n == s.cfg.MemJobs
	s.logf("refresh N=%d: applying %d jobs", n, n)
	ar, _, err := s.apply(ctx, w, n, mem)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	s.addApply(*ar)
	s.logf("apply N=%d: %.1fs, %.1f jobs/s, provider peak RSS %.1f MiB", n, ar.WallSeconds, ar.JobsPerSecond, ar.PeakRSSMiB)
	return s.refresh(ctx, env, w, n, mem)
}

// refresh times `terraform plan` over the workspace's n jobs, PlanReps
// times, then as many plans over n terraform_data resources.
func (s *Suite) refresh(ctx context.Context, env *simEnv, w *tfharness.Workspace, n int, mem bool) error {
	e := env.engine()
	rr := RefreshResult{Jobs: n, Requests: map[string]int{}}
	var peak int64
	for rep := range s.cfg.PlanReps {
		e.ResetStats()
		tr, err := s.run(ctx, w, mem, []int{0, 2}, s.flags("plan", "-refresh=true", "-detailed-exitcode")...)
		if err != nil {
			return err
		}
		for k, v := range e.Stats() {
			rr.Requests[k] += v
		}
		rr.WallSeconds = append(rr.WallSeconds, tr.wall.Seconds())
		if rep == 0 || tr.exitCode != 0 {
			rr.PlanExitCode = tr.exitCode
		}
		peak = max(peak, tr.peakRSS)
		rr.Processes += tr.procs
	}
	total := SumCounts(rr.Requests)
	rr.RequestsPerJob = PerJob(total, n*s.cfg.PlanReps)
	rr.OnlyInfo = len(rr.Requests) == 1 && rr.Requests[routeInfo] == total
	rr.MedianSeconds = Percentile(rr.WallSeconds, 50)
	if mem {
		rr.PeakRSSMiB = mib(peak)
	}

	tw, err := s.h.Workspace(fmt.Sprintf("tfdata-%d", n), TerraformDataConfig(n))
	if err != nil {
		return err
	}
	tw.Env = slices.Clone(s.cfg.Env)
	if _, err := s.run(ctx, tw, false, []int{0}, s.flags("apply", "-auto-approve")...); err != nil {
		return fmt.Errorf("terraform_data apply: %w", err)
	}
	for range s.cfg.PlanReps {
		tr, err := s.run(ctx, tw, false, []int{0, 2}, s.flags("plan", "-refresh=true", "-detailed-exitcode")...)
		if err != nil {
			return fmt.Errorf("terraform_data plan: %w", err)
		}
		rr.TFDataWallSeconds = append(rr.TFDataWallSeconds, tr.wall.Seconds())
	}
	rr.TFDataMedian = Percentile(rr.TFDataWallSeconds, 50)

	if n == slices.Max(s.cfg.RefreshJobs) {
		e.ResetStats()
		if rr.NoRefreshMedian, err = s.medianPlan(ctx, w, "-refresh=false"); err != nil {
			return err
		}
		if got := e.Stats(); len(got) > 0 {
			return fmt.Errorf("plan -refresh=false sent requests: %s", FormatCounts(got))
		}
		if rr.TFDataNoRefreshMedian, err = s.medianPlan(ctx, tw, "-refresh=false"); err != nil {
			return fmt.Errorf("terraform_data plan: %w", err)
		}
	}
	s.reportMu.Lock()
	s.report.Refreshes = append(s.report.Refreshes, rr)
	s.reportMu.Unlock()
	s.logf("refresh N=%d: plan %.2fs (terraform_data %.2fs), %.2f req/job (%s)%s", n, rr.MedianSeconds, rr.TFDataMedian,
		rr.RequestsPerJob, FormatCounts(rr.Requests), memSummary(mem, rr.PeakRSSMiB))
	return nil
}

// medianPlan times PlanReps plans and returns the median, in seconds.
func (s *Suite) medianPlan(ctx context.Context, w *tfharness.Workspace, extra ...string) (float64, error) {
	var walls []float64
	for range s.cfg.PlanReps {
		tr, err := s.run(ctx, w, false, []int{0, 2}, s.flags(append([]string{"plan", "-detailed-exitcode"}, extra...)...)...)
		if err != nil {
			return 0, err
		}
		walls = append(walls, tr.wall.Seconds())
	}
	return Percentile(walls, 50), nil
}

func memSummary(mem bool, v float64) string {
	if !mem {
		return ""
	}
	return fmt.Sprintf(", provider peak RSS %.1f MiB", v)
}
