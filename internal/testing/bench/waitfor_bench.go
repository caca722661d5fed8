package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// WaitForCase is one wait_for notice-lag run: Jobs tensorpool_job resources
// created with wait_for = Goal ("running" or "completed").
type WaitForCase struct {
	Goal string
	Jobs int
}

// Goals of wait_for measured by the benchmark.
const (
	goalRunning   = "running"
	goalCompleted = "completed"
)

// WaitForResult is one `terraform apply` of jobs created with wait_for.
type WaitForResult struct {
	Goal string `json:"wait_for"`
	Jobs int    `json:"jobs"`
	// The simulator's schedule: each job is pending PendingSeconds plus a
	// draw in [0, PendingJitterSeconds), then runs RunSeconds and ends with
	// Outcome.
	PendingSeconds       float64 `json:"pending_s"`
	PendingJitterSeconds float64 `json:"pending_jitter_s"`
	RunSeconds           float64 `json:"run_s"`
	Outcome              string  `json:"outcome"`
	WallSeconds          float64 `json:"wall_s"`
	ApplyExitCode        int     `json:"apply_exit_code"`
	// Lag is, per job, the first GET /job/info that saw the goal (for
	// running: any status but pending) minus the engine's moment of the
	// transition (running_at, or terminal_at).
	Lag        Summary `json:"lag"`
	Unobserved int     `json:"unobserved"`
	// Requests are the provider's requests by route during the apply (the
	// reference's subtracted); RequestsPerJob leaves out the push, which
	// is the create itself: it is the wait's cost.
	Requests       map[string]int `json:"requests"`
	RequestsPerJob float64        `json:"requests_per_job_without_push"`
	// QuotedOutput says that a failed wait's error quoted the end of the
	// job's own output (goal completed, outcome error).
	QuotedOutput bool       `json:"quoted_output,omitempty"`
	Reference    *RefResult `json:"reference,omitempty"`
}

// waitForJobsConfig is n jobs created with wait_for = goal.
func waitForJobsConfig(n int, goal, cluster, sourceDir string) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    tensorpool = {
      source = "tensorpool/tensorpool"
    }
  }
}

resource "tensorpool_job" "bench" {
  count      = %d
  cluster_id = %q
  config     = "commands = [\"python train.py\"]"
  source_dir = %q
  wait_for   = %q
}
`, n, cluster, sourceDir, goal)
}

// waitForPhase runs each wait_for case on a simulator of its own.
func (s *Suite) waitForPhase(ctx context.Context) error {
	var errs []error
	for _, wc := range s.cfg.WaitForCases {
		if ctx.Err() != nil {
			break
		}
		if err := s.waitForCase(ctx, wc); err != nil {
			errs = append(errs, fmt.Errorf("wait_for = %q: %w", wc.Goal, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%v", errs)
	}
	return nil
}

// waitForCase applies the jobs while the reference poller, on the same
// simulator, waits as long for as many other jobs with GET /job/info every
// 2 s. Every job errors WaitForRun after it starts: wait_for = "running"
// must see it running first, and wait_for = "completed" must fail the apply
// with the job's status and the end of its output.
func (s *Suite) waitForCase(ctx context.Context, wc WaitForCase) error {
	opts := sim.Options{
		APIKeys: []string{benchKey}, Clusters: []string{benchCluster},
		PendingDelay: s.cfg.WaitForPending, PendingDelayJitter: s.cfg.WaitForJitter,
		RunDuration: s.cfg.WaitForRun, Outcome: sim.StatusError,
		CancelLatency: time.Second, InfoRetryAfter: s.cfg.InfoRetryAfter,
	}
	env, err := serveSim(opts)
	if err != nil {
		return err
	}
	defer env.Close()
	e := env.engine()
	w, err := s.h.Workspace("waitfor-"+wc.Goal, waitForJobsConfig(wc.Jobs, wc.Goal, benchCluster, s.sourceDir))
	if err != nil {
		return err
	}
	w.Env = append(slices.Clone(s.cfg.Env), "TENSORPOOL_KEY="+benchKey, "TENSORPOOL_ENGINE="+env.url)

	okCodes := []int{0}
	if wc.Goal == goalCompleted {
		okCodes = []int{1} // every job errors: the apply must fail
	}
	name := fmt.Sprintf("wait_for = %q, N = %d", wc.Goal, wc.Jobs)
	s.logf("%s: applying (reference poller alongside)", name)
	var refIDs []string
	for range wc.Jobs {
		id, err := e.AddJob(benchKey, benchCluster)
		if err != nil {
			return err
		}
		refIDs = append(refIDs, id)
	}
	e.ResetStats()
	var ref *RefResult
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p := &RefPoller{BaseURL: env.url, APIKey: benchKey}
		ref = p.Await(ctx, refIDs, wc.Goal)
	}()
	tr, err := s.run(ctx, w, false, okCodes, s.flags("apply", "-auto-approve")...)
	wg.Wait()
	if err != nil {
		return err
	}
	if len(ref.Errors) > 0 {
		return fmt.Errorf("reference poller: %s", strings.Join(ref.Errors, "; "))
	}
	var ours []string
	for _, j := range e.Jobs() {
		if !slices.Contains(refIDs, j.JobID) {
			ours = append(ours, j.JobID)
		}
	}
	if len(ours) != wc.Jobs {
		return fmt.Errorf("the apply created %d jobs, want %d", len(ours), wc.Jobs)
	}
	res := &WaitForResult{
		Goal: wc.Goal, Jobs: wc.Jobs, PendingSeconds: s.cfg.WaitForPending.Seconds(), PendingJitterSeconds: s.cfg.WaitForJitter.Seconds(),
		RunSeconds: s.cfg.WaitForRun.Seconds(), Outcome: sim.StatusError, WallSeconds: tr.wall.Seconds(), ApplyExitCode: tr.exitCode,
		Requests: SubCounts(e.Stats(), ref.Requests),
	}
	res.RequestsPerJob = PerJob(SumCounts(res.Requests)-res.Requests["WS /job/push"], wc.Jobs)
	ourLags, unobserved, err := goalLags(e, ours, wc.Goal)
	if err != nil {
		return err
	}
	res.Lag, res.Unobserved = Summarize(ourLags), unobserved
	refLags, refUnobserved, err := goalLags(e, refIDs, wc.Goal)
	if err != nil {
		return fmt.Errorf("reference poller: %w", err)
	}
	if refUnobserved > 0 {
		return fmt.Errorf("reference poller: %d jobs never seen reaching %s", refUnobserved, wc.Goal)
	}
	ref.Lag = Summarize(refLags)
	res.Reference = ref
	if wc.Goal == goalCompleted {
		out := tr.res.Output()
		res.QuotedOutput = strings.Count(out, "The job's own output ended with these") == wc.Jobs &&
			strings.Count(out, "CUDA out of memory (simulated)") == wc.Jobs
	}
	s.reportMu.Lock()
	s.report.WaitFors = append(s.report.WaitFors, *res)
	s.reportMu.Unlock()
	s.logf("%s: wall %.1fs, lag p50 %.3fs p95 %.3fs, %.2f req/job (%s)%s", name, res.WallSeconds, res.Lag.P50, res.Lag.P95,
		res.RequestsPerJob, FormatCounts(res.Requests), refSummary(ref))
	return nil
}

// goalLags reads, for each job, when a GET /job/info first saw it reach
// goal, minus when it did: observed_started_at − running_at for running,
// observed_terminal_at − terminal_at for completed.
func goalLags(e *sim.Engine, ids []string, goal string) (ds []time.Duration, unobserved int, err error) {
	byID := map[string]sim.JobSnapshot{}
	for _, j := range e.Jobs() {
		byID[j.JobID] = j
	}
	for _, id := range ids {
		j, ok := byID[id]
		if !ok {
			return nil, 0, fmt.Errorf("job %s left the engine", id)
		}
		at, seen := j.RunningAt, j.ObservedStartedAt
		if goal == goalCompleted {
			at, seen = j.TerminalAt, j.ObservedTerminalAt
		}
		switch {
		case at == nil:
			return nil, 0, fmt.Errorf("job %s (%s) has not reached %s", id, j.Status, goal)
		case seen == nil:
			unobserved++
		default:
			ds = append(ds, seen.Sub(*at))
		}
	}
	return ds, unobserved, nil
}

// GroupWaitFor is the wait_for figures' group.
const GroupWaitFor = "wait_for: notice lag and requests per job"

// buildWaitForMetrics adds the wait_for figures.
func buildWaitForMetrics(r *Report, cfg Config) {
	for _, wf := range r.WaitFors {
		label := fmt.Sprintf("wait_for = %q, N = %d", wf.Goal, wf.Jobs)
		ref := "reference poller"
		var extra *bool
		note := ""
		if wf.Unobserved > 0 {
			extra = boolPtr(false)
			note = fmt.Sprintf("%d of %d jobs were never seen reaching the goal by a GET /job/info", wf.Unobserved, wf.Jobs)
		}
		if wf.Goal == goalCompleted && !wf.QuotedOutput {
			extra = boolPtr(false)
			note = "the apply's errors did not all quote the failed job's output"
		}
		var p50, p95 *float64
		if wf.Lag.N > 0 {
			p50, p95 = f64(wf.Lag.P50), f64(wf.Lag.P95)
		}
		r.Add(Metric{Group: GroupWaitFor, Name: "lag p50, " + label, Unit: "s", Ours: p50, Baseline: f64(wf.Reference.Lag.P50), BaselineLabel: ref})
		r.Add(Metric{Group: GroupWaitFor, Name: "lag p95, " + label, Unit: "s", Ours: p95, Baseline: f64(wf.Reference.Lag.P95), BaselineLabel: ref,
			Target: AtMost(cfg.WaitForLagP95Target.Seconds(), "≤ "+fmtSeconds(cfg.WaitForLagP95Target)), Extra: extra, Note: note})
		r.Add(Metric{Group: GroupWaitFor, Name: "requests per job (the wait: all but the push), " + label, Unit: "req/job",
			Ours: f64(wf.RequestsPerJob), Baseline: f64(wf.Reference.RequestsPerJob), BaselineLabel: ref,
			Target: AtMost(2, "≤ 2 (`tp job listen`: POST /health, one stream)")})
	}
	if len(r.WaitFors) > 0 {
		wf := r.WaitFors[0]
		r.GroupNotes[GroupWaitFor] = append(r.GroupNotes[GroupWaitFor], fmt.Sprintf(
			"`terraform apply` of N jobs with `wait_for` set, on a simulator where each job is pending %g s plus a draw in [0, %g s), "+
				"runs %g s and ends in error: wait_for = \"running\" must see it running before it ends, wait_for = \"completed\" must fail "+
				"the apply with the job's status and the end of its output (checked). The lag is, per job, the first GET /job/info that "+
				"saw the goal (any status but pending for running) minus the engine's moment of the transition.",
			wf.PendingSeconds, wf.PendingJitterSeconds, wf.RunSeconds),
			"The reference poller waits as long for as many other jobs of the same simulator at the same time: GET /job/info at once, "+
				"then every max(1 s, Retry-After) = 2 s, until the goal. The request target is what `tp job listen` uses (its POST /health "+
				"and one WebSocket); ours leaves out the WebSocket /job/push, the create itself.")
	}
}
