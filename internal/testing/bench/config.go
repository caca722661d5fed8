package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// LagCase is one destroy-lag measurement: Jobs jobs canceled with the
// engine's cancel latency Latency, by the provider and, on another set of
// jobs in the same simulator at the same time, by the reference poller;
// then again with the engine's /job/listen stream unavailable.
type LagCase struct {
	Latency time.Duration
	Jobs    int
}

// Config says what a run measures.
type Config struct {
	// Mode names the run in the report: "full" or "quick".
	Mode string
	// Terraform is the CLI binary.
	Terraform string
	// Parallelism is Terraform's -parallelism for every command (10 is
	// Terraform's default).
	Parallelism int
	// InfoRetryAfter is the Retry-After of non-terminal GET /job/info
	// answers (the engine's documented behaviour; the CLI honours it).
	InfoRetryAfter time.Duration

	// LagCases are the destroy-lag and requests-per-destroyed-job runs.
	LagCases []LagCase
	// LagJitter is the simulator's cancel-latency jitter in the lag runs
	// (sim.Options.CancelLatencyJitter): each cancel, ours or the reference
	// poller's, takes its L plus a delay drawn uniformly in [0, LagJitter),
	// so that jobs do not all end on the reference's 2 s polling grid. The
	// wall-time runs keep the exact latency their floor assumes.
	LagJitter time.Duration
	// WallLatency is the cancel latency of the destroy wall-time runs, one
	// per WallJobs count.
	WallLatency time.Duration
	WallJobs    []int
	// RefreshJobs are the job counts whose `terraform plan` is measured
	// (requests per job, and wall time against a terraform_data plan).
	// Counts also in WallJobs reuse those workspaces before their destroy.
	RefreshJobs []int
	// ApplyJobs are the job counts whose apply rate is reported (each must
	// be in WallJobs or RefreshJobs, which are the applies that happen).
	ApplyJobs []int
	// MemJobs is the job count at which the provider's peak RSS is sampled
	// (during its apply and its plan); it must be in RefreshJobs and not in
	// WallJobs.
	MemJobs int
	// PlanReps is how many times each plan is timed (the median counts),
	// and how many rounds the plugin-floor phase runs.
	PlanReps int

	// FloorJobs are the counts of the plugin-floor plans: ours next to a
	// bare framework provider, time_static and terraform_data.
	// FloorApplyJobs, one of them, also has its apply and destroy timed.
	FloorJobs      []int
	FloorApplyJobs int

	// WaitForCases are the wait_for notice-lag runs: each job is pending
	// WaitForPending plus a draw in [0, WaitForJitter), then runs
	// WaitForRun and errors.
	WaitForCases   []WaitForCase
	WaitForPending time.Duration
	WaitForJitter  time.Duration
	WaitForRun     time.Duration

	// Targets.
	WaitForLagP95Target  time.Duration
	LagP95Target         time.Duration // stream available
	FallbackLagP95Target time.Duration // stream unavailable
	WallRatioTarget      float64       // at the largest WallJobs
	// At FloorApplyJobs: ours / the bare provider (plan, apply and destroy,
	// wall and CPU), ours / terraform_data (plan), and the provider's peak
	// RSS over the bare provider's.
	FloorRatioTarget       float64
	FloorTFDataRatioTarget float64
	FloorRSSMarginMiB      float64

	// ClusterCases are the cluster create → destroy runs, one after the
	// other, each on its own simulator with ClusterLatency.
	ClusterCases   []ClusterCase
	ClusterLatency ClusterLatencies

	// FullStackRuns is how many apply → destroy cycles of
	// examples/train-on-new-cluster the full-stack phase times, each on a
	// simulator of its own with FullStackLatency; FullStackExcessTarget is
	// how far above its critical-path floor each wall time may be.
	FullStackRuns         int
	FullStackLatency      FullStackLatencies
	FullStackExcessTarget time.Duration

	// Only, when not empty, limits the run to these phases (PhaseLag,
	// PhaseWaitFor, PhaseWall, PhaseRefresh, PhaseFloor, PhaseClusters,
	// PhaseFullStack); the wall phase also measures the refreshes
	// and applies of its job counts.
	Only []string
	// Env is added to the environment of every Terraform command, and so of
	// the provider (for experiments such as GOGC=50 or GOMEMLIMIT=48MiB).
	Env []string

	// Log receives progress lines; nil means none.
	Log io.Writer
	// Keep leaves the scratch directory in place.
	Keep bool
}

// Phases of a run, for Config.Only.
const (
	PhaseLag     = "lag"
	PhaseWall    = "wall"
	PhaseRefresh = "refresh"
	PhaseFloor   = "floor"
	// PhaseClusters is the cluster create → destroy scenario.
	PhaseClusters = "clusters"
	// PhaseWaitFor is the wait_for notice-lag scenario.
	PhaseWaitFor = "waitfor"
	// PhaseFullStack is examples/train-on-new-cluster's apply and destroy
	// against the critical-path floor.
	PhaseFullStack = "fullstack"
)

func (c Config) runs(phase string) bool { return len(c.Only) == 0 || slices.Contains(c.Only, phase) }

// FullConfig is `make bench`: the figures the issue asks for.
func FullConfig() Config {
	return Config{
		Mode:           "full",
		Parallelism:    10,
		InfoRetryAfter: 2 * time.Second,
		LagCases: []LagCase{
			{Latency: 2 * time.Second, Jobs: 10},
			{Latency: 10 * time.Second, Jobs: 10},
			{Latency: 60 * time.Second, Jobs: 5},
		},
		LagJitter:   2 * time.Second,
		WallLatency: 10 * time.Second,
		WallJobs:    []int{1, 10, 100},
		RefreshJobs: []int{10, 100, 500},
		ApplyJobs:   []int{10, 100},
		MemJobs:     500,
		PlanReps:    3,

		FloorJobs:      []int{100, 500},
		FloorApplyJobs: 500,

		ClusterCases: []ClusterCase{
			{Clusters: 1, RetryAfter: 2 * time.Second}, {Clusters: 10, RetryAfter: 2 * time.Second},
			{Clusters: 1}, {Clusters: 10},
		},
		ClusterLatency: ClusterLatencies{Pending: 500 * time.Millisecond, Provision: 3 * time.Second, Release: 2 * time.Second},

		WaitForCases:   []WaitForCase{{Goal: goalRunning, Jobs: 10}, {Goal: goalCompleted, Jobs: 10}},
		WaitForPending: time.Second,
		WaitForJitter:  2 * time.Second,
		WaitForRun:     3 * time.Second,

		FullStackRuns: 3,
		FullStackLatency: FullStackLatencies{
			Pending: 500 * time.Millisecond, Provision: 3 * time.Second, Release: 2 * time.Second,
			Storage: time.Second, Cancel: 2 * time.Second, RequestRetryAfter: 2 * time.Second,
		},
		FullStackExcessTarget: 2 * time.Second,

		WaitForLagP95Target:    500 * time.Millisecond,
		LagP95Target:           500 * time.Millisecond,
		FallbackLagP95Target:   5 * time.Second,
		WallRatioTarget:        1.1,
		FloorRatioTarget:       1.5,
		FloorTFDataRatioTarget: 4,
		FloorRSSMarginMiB:      16,
	}
}

// QuickConfig is `-quick`: every scenario once, with few jobs and short
// latencies, to check that the suite works (about a minute). Its figures
// are not the ones to steer by: with latencies this short, the floors are
// dominated by Terraform's own start-up.
func QuickConfig() Config {
	c := FullConfig()
	c.Mode = "quick"
	c.LagCases = []LagCase{{Latency: 1 * time.Second, Jobs: 3}, {Latency: 3 * time.Second, Jobs: 3}}
	c.WallLatency = 2 * time.Second
	c.WallJobs = []int{1, 12}
	c.RefreshJobs = []int{12, 30}
	c.ApplyJobs = []int{12, 30}
	c.MemJobs = 30
	c.PlanReps = 1
	c.FloorJobs = []int{12, 30}
	c.FloorApplyJobs = 30
	c.ClusterCases = []ClusterCase{{Clusters: 1, RetryAfter: 2 * time.Second}, {Clusters: 3}}
	c.WaitForCases = []WaitForCase{{Goal: goalRunning, Jobs: 3}, {Goal: goalCompleted, Jobs: 3}}
	c.FullStackRuns = 1
	return c
}

// Validate reports a configuration the suite cannot run.
func (c Config) Validate() error {
	switch {
	case c.Terraform == "":
		return fmt.Errorf("no Terraform CLI given")
	case c.Parallelism < 1:
		return fmt.Errorf("parallelism must be ≥ 1, got %d", c.Parallelism)
	case c.PlanReps < 1:
		return fmt.Errorf("plan repetitions must be ≥ 1, got %d", c.PlanReps)
	case c.WallLatency <= 0:
		return fmt.Errorf("the wall-time cancel latency must be > 0")
	case c.LagJitter < 0:
		return fmt.Errorf("the lag runs' cancel-latency jitter must be ≥ 0, got %s", c.LagJitter)
	}
	for _, p := range c.Only {
		if !slices.Contains([]string{PhaseLag, PhaseWall, PhaseRefresh, PhaseFloor, PhaseClusters, PhaseWaitFor, PhaseFullStack}, p) {
			return fmt.Errorf("unknown phase %q: want %s, %s, %s, %s, %s, %s or %s", p, PhaseLag, PhaseWaitFor, PhaseWall, PhaseRefresh, PhaseFloor,
				PhaseClusters, PhaseFullStack)
		}
	}
	for _, wc := range c.WaitForCases {
		if (wc.Goal != goalRunning && wc.Goal != goalCompleted) || wc.Jobs < 1 {
			return fmt.Errorf("wait_for case %+v: the goal must be running or completed, with at least one job", wc)
		}
	}
	if err := validateClusterCases(c.ClusterCases, c.ClusterLatency); err != nil {
		return err
	}
	if err := validateFullStack(c.FullStackRuns, c.FullStackLatency); err != nil {
		return err
	}
	for _, kv := range c.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("environment entry %q: want KEY=VALUE", kv)
		}
	}
	for _, lc := range c.LagCases {
		if lc.Latency <= 0 || lc.Jobs < 1 {
			return fmt.Errorf("lag case %+v: latency and jobs must be > 0", lc)
		}
	}
	if len(c.FloorJobs) > 0 && !slices.Contains(c.FloorJobs, c.FloorApplyJobs) {
		return fmt.Errorf("plugin floor: the apply count %d must be one of the plan counts %v", c.FloorApplyJobs, c.FloorJobs)
	}
	for _, n := range slices.Concat(c.WallJobs, c.RefreshJobs, c.ApplyJobs, c.FloorJobs) {
		if n < 1 {
			return fmt.Errorf("job counts must be ≥ 1, got %d", n)
		}
	}
	for _, n := range c.ApplyJobs {
		if !slices.Contains(c.WallJobs, n) && !slices.Contains(c.RefreshJobs, n) {
			return fmt.Errorf("apply rate at N = %d: no scenario applies %d jobs (add it to the wall or refresh counts)", n, n)
		}
	}
	if c.MemJobs > 0 && (!slices.Contains(c.RefreshJobs, c.MemJobs) || slices.Contains(c.WallJobs, c.MemJobs)) {
		return fmt.Errorf("memory at N = %d: it must be a refresh count that is not a wall-time count", c.MemJobs)
	}
	return nil
}
