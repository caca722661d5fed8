package bench

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Cluster group titles.
const (
	GroupClusterLag      = "Cluster create → destroy: request lag (observed_terminal_at − terminal_at)"
	GroupClusterRequests = "Cluster create → destroy: requests per cluster"
)

// unitReqPerCluster is the unit of the cluster request figures.
const unitReqPerCluster = "req/cluster"

// buildClusterMetrics adds the cluster figures of r.Clusters to r.Metrics:
// per case and phase, the lag p50 and p95 and the requests per cluster,
// ours next to the reference poller's; our requests must not exceed its.
func buildClusterMetrics(r *Report, cfg Config) {
	runs := slices.Clone(r.Clusters)
	slices.SortStableFunc(runs, func(a, b ClusterResult) int {
		return cmp.Or(cmp.Compare(a.Clusters, b.Clusters), -cmp.Compare(a.RetryAfterSeconds, b.RetryAfterSeconds))
	})
	const ref = "reference poller"
	for _, c := range runs {
		for _, p := range []ClusterPhaseResult{c.Create, c.Destroy} {
			label := p.Phase + ", " + c.Label()
			var note string
			var extra *bool
			if p.Unobserved > 0 {
				note = fmt.Sprintf("%d of %d requests were never seen terminal by a GET /request/info, so their lag is unknown", p.Unobserved, c.Clusters)
				extra = boolPtr(false)
			}
			var refLag Summary
			if p.Reference != nil {
				refLag = p.Reference.Lag
			}
			r.Add(Metric{Group: GroupClusterLag, Name: "p50, " + label, Unit: "s", Ours: summaryValue(p.Lag, 50),
				Baseline: summaryValue(refLag, 50), BaselineLabel: ref})
			r.Add(Metric{Group: GroupClusterLag, Name: "p95, " + label, Unit: "s", Ours: summaryValue(p.Lag, 95),
				Baseline: summaryValue(refLag, 95), BaselineLabel: ref, Extra: extra, Note: note})
			m := Metric{Group: GroupClusterRequests, Name: "all, " + label, Unit: unitReqPerCluster, Ours: f64(p.RequestsPerCluster),
				Target: RatioAtMost(1, "≤ reference")}
			wait := Metric{Group: GroupClusterRequests, Name: "the wait alone (GET /request/info), " + label, Unit: unitReqPerCluster,
				Ours: f64(PerJob(p.Requests[routeRequestInfo], c.Clusters))}
			if p.Reference != nil {
				m.Baseline, m.BaselineLabel = f64(p.Reference.RequestsPerCluster), ref
				wait.Baseline, wait.BaselineLabel = f64(PerJob(p.Reference.Requests[routeRequestInfo], c.Clusters)), ref
			}
			r.Add(m)
			r.Add(wait)
		}
	}
	if len(runs) == 0 {
		return
	}
	lat := runs[0]
	if r.GroupNotes == nil {
		r.GroupNotes = map[string][]string{}
	}
	r.GroupNotes[GroupClusterLag] = append(r.GroupNotes[GroupClusterLag],
		fmt.Sprintf("`terraform apply` then `terraform destroy` of N `tensorpool_cluster` resources in one configuration (`-parallelism=%d`), "+
			"each next to the reference poller claiming, then releasing, N other clusters of the same simulator at the same time, as "+
			"`tp cluster create --wait` and `tp cluster destroy --wait` do: POST /cluster/create or DELETE /cluster/{id}, then "+
			"GET /request/info at once and every max(1 s, Retry-After), or 2 s without the header, until COMPLETED.", cfg.Parallelism),
		fmt.Sprintf("The lag is, per cluster, the simulator's observed_terminal_at − terminal_at of its CLUSTER_CLAIM (create) or "+
			"CLUSTER_RELEASE (destroy): from the engine completing the request to the first GET /request/info that answered COMPLETED "+
			"(not to the end of the Terraform command). Simulator latencies: PENDING %s, then PROCESSING %s for a claim, %s for a release; "+
			"they are exact (no jitter), so every request of a run ends at the same point of its waiter's polling period.",
			fmtSeconds(seconds(lat.PendingSeconds)), fmtSeconds(seconds(lat.ProvisionSeconds)), fmtSeconds(seconds(lat.ReleaseSeconds))))
	r.GroupNotes[GroupClusterRequests] = append(r.GroupNotes[GroupClusterRequests],
		"Ours is every request the engine received during the Terraform command (minus the reference poller's own, which it counts and "+
			"the benchmark checks against the engine's per-object counts), divided by N. The create includes the provider's GET "+
			"/cluster/info after the claim (to fill status and the computed attributes); the destroy includes the GET /cluster/info per "+
			"cluster of the refresh Terraform does before any destroy. The reference leaves out the official CLI's POST /health "+
			"check, which flatters it. See the per-route table below.")
}

// summaryValue is a percentile of s, or nil when it has no samples.
func summaryValue(s Summary, p int) *float64 {
	if s.N == 0 {
		return nil
	}
	if p == 50 {
		return f64(s.P50)
	}
	return f64(s.P95)
}

// writeClusterRequestTable writes the requests by route of each cluster
// phase, ours next to the reference poller's.
func writeClusterRequestTable(b *strings.Builder, runs []ClusterResult) {
	if len(runs) == 0 {
		return
	}
	b.WriteString("\n### Requests by route during each cluster create and destroy\n\n")
	b.WriteString("| Run | Phase | Clusters | Ours | Ours per cluster without Terraform's refresh | Reference poller |\n|---|---|---:|---|---:|---|\n")
	for _, c := range runs {
		for _, p := range []ClusterPhaseResult{c.Create, c.Destroy} {
			ref := "—"
			if p.Reference != nil {
				ref = FormatCounts(p.Reference.Requests)
			}
			fmt.Fprintf(b, "| %s | %s | %d | %s | %s | %s |\n", escapeCell(c.Label()), p.Phase, c.Clusters, escapeCell(FormatCounts(p.Requests)),
				FormatValue(f64(p.RequestsPerClusterNoRefresh), unitReqPerCluster), escapeCell(ref))
		}
	}
}
