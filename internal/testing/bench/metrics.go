package bench

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Group titles, in report order.
const (
	GroupLag      = "Destroy lag: observed_terminal_at − terminal_at"
	GroupRequests = "Requests per destroyed job (cancel + stream + info, without Terraform's refresh)"
	GroupWall     = "Destroy wall time"
	GroupRefresh  = "Refresh: terraform plan"
	GroupApply    = "Apply: jobs submitted per second"
	GroupMemory   = "Provider peak memory (RSS of the provider process)"
)

// fmtDur writes a duration the way the tables name latencies: "2 s", "60 s".
func fmtDur(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return d.String()
}

func boolPtr(b bool) *bool { return &b }

// buildMetrics turns the scenario results into the report's figures.
func (s *Suite) buildMetrics() {
	r := s.report
	BuildMetrics(r, s.cfg)
}

// BuildMetrics fills r.Metrics (and r.GroupNotes) afresh from r.Destroys,
// r.Refreshes, r.Applies, the plugin-floor runs and r.Clusters, with the
// targets of cfg, so that a report read back from its JSON rebuilds whole.
func BuildMetrics(r *Report, cfg Config) {
	r.Metrics = nil
	r.GroupNotes = map[string][]string{}

	// Destroy lag and requests, per cancel latency, stream then no stream.
	lagRuns := slices.DeleteFunc(slices.Clone(r.Destroys), func(d DestroyResult) bool { return d.Reference == nil })
	slices.SortStableFunc(lagRuns, func(a, b DestroyResult) int {
		return cmp.Or(cmp.Compare(a.LatencySeconds, b.LatencySeconds), compareBool(a.StreamUnavailable, b.StreamUnavailable))
	})
	for _, d := range lagRuns {
		l := time.Duration(d.LatencySeconds * float64(time.Second))
		label := fmt.Sprintf("L = %s, N = %d", fmtDur(l), d.Jobs)
		target := AtMost(cfg.LagP95Target.Seconds(), "≤ "+fmtSeconds(cfg.LagP95Target))
		if d.StreamUnavailable {
			label = "stream unavailable, " + label
			target = AtMost(cfg.FallbackLagP95Target.Seconds(), "≤ "+fmtSeconds(cfg.FallbackLagP95Target))
		}
		var note string
		var extra *bool
		if d.Unobserved > 0 {
			note = fmt.Sprintf("%d of %d jobs were never seen terminal by a GET /job/info, so their lag is unknown", d.Unobserved, d.Jobs)
			extra = boolPtr(false)
		}
		ref := "reference poller"
		r.Add(Metric{Group: GroupLag, Name: "p50, " + label, Unit: "s", Ours: lagValue(d, 50),
			Baseline: f64(d.Reference.Lag.P50), BaselineLabel: ref})
		r.Add(Metric{Group: GroupLag, Name: "p95, " + label, Unit: "s", Ours: lagValue(d, 95),
			Baseline: f64(d.Reference.Lag.P95), BaselineLabel: ref, Target: target, Extra: extra, Note: note})
		r.Add(Metric{Group: GroupRequests, Name: label, Unit: "req/job", Ours: f64(d.RequestsPerJobNoRefresh),
			Baseline: f64(d.Reference.RequestsPerJob), BaselineLabel: ref, Target: ExcessAtMost(1, "≤ reference + 1 (the stream's handshake)")})
	}
	if len(lagRuns) > 0 {
		r.GroupNotes[GroupLag] = append(r.GroupNotes[GroupLag],
			"Percentiles are nearest-rank over the jobs (never interpolated): with fewer than 20 jobs, p95 is the slowest job.",
			"Each destroy ran next to the reference poller (cancel, then GET /job/info every max(1 s, Retry-After) = 2 s) "+
				"canceling as many other jobs of the same simulator at the same time; \"stream unavailable\" runs had /job/listen answering 404.",
			lagJitterNote(lagRuns))
		r.GroupNotes[GroupRequests] = append(r.GroupNotes[GroupRequests],
			"Ours is every request the engine received during `terraform destroy` (minus the reference poller's own, which it counts), "+
				"divided by the jobs destroyed, less the GET /job/info of Terraform's refresh before any destroy (1 per job, Terraform's, "+
				"not the destroy's: the per-route table below has it): the cancel, the status stream's handshake and the reads. The target "+
				"allows one request per job more than the reference, the handshake. The reference leaves out the official CLI's POST "+
				"/health check, which flatters it.")
		if j := maxJitter(lagRuns); j > 0 {
			r.GroupNotes[GroupRequests] = append(r.GroupNotes[GroupRequests], fmt.Sprintf(
				"With the cancel-latency jitter (each cancel takes L plus 0–%s, the same for ours and the reference), a job rarely ends "+
					"right on the reference's 2 s grid: it typically needs one GET more than with an exact L that is a multiple of 2 s.",
				fmtDur(j)))
		}
	}

	// Destroy wall time against the floor.
	var wallRuns []DestroyResult
	for _, d := range r.Destroys {
		if d.Reference == nil {
			wallRuns = append(wallRuns, d)
		}
	}
	slices.SortStableFunc(wallRuns, func(a, b DestroyResult) int { return cmp.Compare(a.Jobs, b.Jobs) })
	maxWall := 0
	if len(cfg.WallJobs) > 0 {
		maxWall = slices.Max(cfg.WallJobs)
	}
	for _, d := range wallRuns {
		m := Metric{Group: GroupWall, Name: fmt.Sprintf("N = %d, L = %s", d.Jobs, fmtDur(time.Duration(d.LatencySeconds*float64(time.Second)))),
			Unit: "s", Ours: f64(d.WallSeconds), Baseline: f64(d.FloorSeconds), BaselineLabel: fmt.Sprintf("floor ⌈N/%d⌉×L", cfg.Parallelism)}
		if d.Jobs == maxWall {
			m.Target = RatioAtMost(cfg.WallRatioTarget, fmt.Sprintf("≤ %.1f× floor", cfg.WallRatioTarget))
		}
		r.Add(m)
	}
	if len(wallRuns) > 0 {
		big := wallRuns[len(wallRuns)-1]
		r.Add(Metric{Group: GroupLag, Name: fmt.Sprintf("p95, L = %s, N = %d (the wall-time run)", fmtDur(time.Duration(big.LatencySeconds*float64(time.Second))), big.Jobs),
			Unit: "s", Ours: lagValue(big, 95), Note: fmt.Sprintf("informational: the same figure under a %d-job destroy, with no reference alongside", big.Jobs)})
		r.GroupNotes[GroupWall] = append(r.GroupNotes[GroupWall],
			fmt.Sprintf("The whole `terraform destroy -auto-approve -parallelism=%d` command, Terraform's start-up and refresh included, "+
				"run alone. The floor is the time the engine itself needs with %d cancellations at once.", cfg.Parallelism, cfg.Parallelism))
	}

	// Refresh: requests per job and plan time against terraform_data.
	refreshes := slices.Clone(r.Refreshes)
	slices.SortStableFunc(refreshes, func(a, b RefreshResult) int { return cmp.Compare(a.Jobs, b.Jobs) })
	for _, rr := range refreshes {
		m := Metric{Group: GroupRefresh, Name: fmt.Sprintf("requests per job, N = %d", rr.Jobs), Unit: "req/job",
			Ours: f64(rr.RequestsPerJob), Target: Exactly(1, "exactly 1, GET /job/info only"), Extra: boolPtr(rr.OnlyInfo)}
		if !rr.OnlyInfo {
			m.Note = "requests seen: " + FormatCounts(rr.Requests)
		}
		r.Add(m)
		w := Metric{Group: GroupRefresh, Name: fmt.Sprintf("plan wall time, N = %d", rr.Jobs), Unit: "s",
			Ours: f64(rr.MedianSeconds), Baseline: f64(rr.TFDataMedian), BaselineLabel: "terraform_data plan"}
		if rr.PlanExitCode == 2 {
			w.Note = "the plan proposed changes (it should find none)"
		}
		r.Add(w)
		if rr.NoRefreshMedian > 0 {
			r.Add(Metric{Group: GroupRefresh, Name: fmt.Sprintf("plan wall time with -refresh=false, N = %d", rr.Jobs), Unit: "s",
				Ours: f64(rr.NoRefreshMedian), Baseline: f64(rr.TFDataNoRefreshMedian), BaselineLabel: "terraform_data plan",
				Note: "informational: no engine request at all, so this is the cost of the provider process and the plugin protocol"})
		}
	}
	if len(refreshes) > 0 {
		r.GroupNotes[GroupRefresh] = append(r.GroupNotes[GroupRefresh], fmt.Sprintf(
			"`terraform plan -refresh=true -parallelism=%d` over N running jobs; the median of %d plans. The reference is a plan over N "+
				"`terraform_data` resources (built into Terraform: no provider, no engine), the cost of Terraform itself.", cfg.Parallelism, cfg.PlanReps))
	}

	// Apply rate.
	applies := slices.Clone(r.Applies)
	slices.SortStableFunc(applies, func(a, b ApplyResult) int { return cmp.Compare(a.Jobs, b.Jobs) })
	for _, a := range applies {
		if !slices.Contains(cfg.ApplyJobs, a.Jobs) && a.Jobs != cfg.MemJobs {
			continue
		}
		r.Add(Metric{Group: GroupApply, Name: fmt.Sprintf("N = %d", a.Jobs), Unit: "jobs/s", Ours: f64(a.JobsPerSecond)})
	}
	if len(applies) > 0 {
		r.GroupNotes[GroupApply] = append(r.GroupNotes[GroupApply], fmt.Sprintf(
			"N divided by the wall time of `terraform apply -auto-approve -parallelism=%d` from an empty state (each job is one "+
				"WebSocket /job/push with its upload command run locally).", cfg.Parallelism))
	}

	// Memory.
	for _, rr := range refreshes {
		if rr.Jobs == cfg.MemJobs {
			r.Add(Metric{Group: GroupMemory, Name: fmt.Sprintf("during plan, N = %d", rr.Jobs), Unit: "MiB", Ours: memValue(rr.PeakRSSMiB, rr.Processes)})
		}
	}
	for _, a := range applies {
		if a.Jobs == cfg.MemJobs {
			r.Add(Metric{Group: GroupMemory, Name: fmt.Sprintf("during apply, N = %d", a.Jobs), Unit: "MiB", Ours: memValue(a.PeakRSSMiB, a.Processes)})
		}
	}
	if cfg.MemJobs > 0 {
		r.GroupNotes[GroupMemory] = append(r.GroupNotes[GroupMemory], fmt.Sprintf(
			"The largest VmHWM/VmRSS of any %s process below the terraform process, sampled every %s. The target, "+
				"against the bare provider, is in the plugin-floor table.", ProviderBinary, memInterval))
	}
	buildWaitForMetrics(r, cfg)
	buildFloorMetrics(r, cfg)
	buildClusterMetrics(r, cfg)
	buildFullStackMetrics(r, cfg)
}

// maxJitter is the largest cancel-latency jitter of the runs.
func maxJitter(runs []DestroyResult) time.Duration {
	var j float64
	for _, d := range runs {
		j = max(j, d.JitterSeconds)
	}
	return time.Duration(j * float64(time.Second))
}

// lagJitterNote says whether the reference poller's lag is its best case.
func lagJitterNote(runs []DestroyResult) string {
	j := maxJitter(runs)
	if j <= 0 {
		return "The simulator's cancel latency is exact, so when L is a multiple of the reference's 2 s period its lag is its best case " +
			"(a few ms); for a latency off its grid it notices the end up to 2 s late, 1 s on average."
	}
	return fmt.Sprintf("Each cancel took L plus a jitter drawn uniformly in [0, %s) per job, with the same simulator settings for ours and "+
		"the reference poller, so jobs end at random points of the reference's 2 s polling period: its lag is not its best case "+
		"but up to 2 s, about 1 s on average. (The wall-time runs keep the exact L their floor assumes.)", fmtDur(j))
}

// lagValue is a lag percentile, or nil when no job's lag was measured.
func lagValue(d DestroyResult, p int) *float64 {
	if d.Lag.N == 0 {
		return nil
	}
	if p == 50 {
		return f64(d.Lag.P50)
	}
	return f64(d.Lag.P95)
}

// memValue is nil when no provider process was ever sampled.
func memValue(v float64, processes int) *float64 {
	if processes == 0 {
		return nil
	}
	return f64(v)
}

func fmtSeconds(d time.Duration) string {
	return fmt.Sprintf("%g s", d.Seconds())
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	default:
		return 1
	}
}
