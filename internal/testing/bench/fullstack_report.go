package bench

import (
	"fmt"
	"strings"
)

// GroupFullStack is the full-stack table.
const GroupFullStack = "Full stack: examples/train-on-new-cluster wall time against the critical-path floor"

// buildFullStackMetrics adds, for the apply and the destroy of the example,
// the median and the slowest wall time over the runs, each next to the
// critical-path floor, with the target wall − floor ≤ FullStackExcessTarget.
func buildFullStackMetrics(r *Report, cfg Config) {
	runs := r.FullStack
	if len(runs) == 0 {
		return
	}
	target := ExcessAtMost(cfg.FullStackExcessTarget.Seconds(), "≤ floor + "+fmtSeconds(cfg.FullStackExcessTarget))
	for _, op := range []string{"apply", "destroy"} {
		phase := func(fr FullStackResult) FullStackPhase {
			if op == "apply" {
				return fr.Apply
			}
			return fr.Destroy
		}
		walls := make([]float64, len(runs))
		var each []string
		for i, fr := range runs {
			walls[i] = phase(fr).WallSeconds
			each = append(each, fmt.Sprintf("%.2f s", walls[i]))
		}
		p := phase(runs[0])
		label := "critical-path floor"
		r.Add(Metric{Group: GroupFullStack, Name: fmt.Sprintf("%s wall, median of %d runs", op, len(runs)), Unit: "s",
			Ours: f64(Percentile(walls, 50)), Baseline: f64(p.FloorSeconds), BaselineLabel: label, Target: target})
		r.Add(Metric{Group: GroupFullStack, Name: fmt.Sprintf("%s wall, slowest of %d runs", op, len(runs)), Unit: "s",
			Ours: f64(Percentile(walls, 100)), Baseline: f64(p.FloorSeconds), BaselineLabel: label, Target: target,
			Note: fmt.Sprintf("each run: %s; the floor follows %s", strings.Join(each, ", "), strings.Join(p.Path, " → "))})
	}
	fr := runs[0]
	r.GroupNotes[GroupFullStack] = append(r.GroupNotes[GroupFullStack],
		fmt.Sprintf("`terraform apply`, then `terraform destroy`, of a copy of %s as shipped (`-parallelism=%d`), each run on a simulator of "+
			"its own. Simulator latencies: every request PENDING %s, then PROCESSING %s for a cluster claim, %s for a release, %s for a "+
			"storage create, attach, detach or delete; a job cancel takes %s; non-terminal GET /request/info answers carry Retry-After %s.",
			FullStackExample, cfg.Parallelism, fmtSeconds(seconds(fr.PendingSeconds)), fmtSeconds(seconds(fr.ProvisionSeconds)),
			fmtSeconds(seconds(fr.ReleaseSeconds)), fmtSeconds(seconds(fr.StorageSeconds)), fmtSeconds(seconds(fr.CancelSeconds)),
			fmtSeconds(seconds(fr.RequestRetryAfterSeconds))),
		"The floor is the longest chain of those latencies along the example's dependency graph (FullStackApplyGraph, "+
			"FullStackDestroyGraph), computed from the simulator's settings before the run: key ∥ storage, key → cluster, "+
			"{cluster, storage} → attachment → both jobs for the apply; jobs → attachment → {cluster → key, storage} for the destroy. "+
			"It leaves out Terraform's own start-up, refresh and plan, which the 2 s margin covers.")
}
