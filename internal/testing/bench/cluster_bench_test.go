package bench

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// TestClusterPhaseResultSubtractsTheReference: two pollers claim clusters
// on one engine, one standing in for the provider; the phase's requests
// are the stand-in's exactly, its lag is read from its own claims, and a
// reference count that disagrees with the engine's is an error.
func TestClusterPhaseResultSubtractsTheReference(t *testing.T) {
	srv, ours := startClusterSim(t, 2*time.Second)
	// The stand-in sees Retry-After 2 s, the reference the same: the
	// engine's counts alone tell them apart.
	ref := *ours
	e := srv.Engine
	e.ResetStats()
	// One poller after the other (the fake clock jumps to the first timer
	// set, so the schedules are not exact; the counts and lags below do not
	// depend on them).
	mine := ours.Create(context.Background(), 2)
	theirs := ref.Create(context.Background(), 1)
	if len(mine.Errors)+len(theirs.Errors) > 0 {
		t.Fatalf("errors: %v %v", mine.Errors, theirs.Errors)
	}
	p, err := clusterPhaseResult(e, ClusterPhaseCreate, mine.ClusterIDs, 4*time.Second, theirs)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(p.Requests, mine.Requests) {
		t.Errorf("ours = %v, want the stand-in's %v", p.Requests, mine.Requests)
	}
	if p.RequestsPerCluster != mine.RequestsPerCluster || p.RequestsPerClusterNoRefresh != p.RequestsPerCluster {
		t.Errorf("per cluster = %v (without refresh %v), want %v for both (a create has no refresh)",
			p.RequestsPerCluster, p.RequestsPerClusterNoRefresh, mine.RequestsPerCluster)
	}
	if p.Lag.N != 2 || p.Unobserved != 0 || theirs.Lag.N != 1 {
		t.Errorf("lags: ours %+v (%d unobserved), reference %+v", p.Lag, p.Unobserved, theirs.Lag)
	}

	theirs.Requests[routeRequestInfo]++
	if _, err := clusterPhaseResult(e, ClusterPhaseCreate, mine.ClusterIDs, 0, theirs); err == nil ||
		!strings.Contains(err.Error(), "reference poller counted") {
		t.Errorf("a reference count the engine did not see: err = %v", err)
	}
}

// TestClusterDestroyLeavesOutTheRefresh: the destroy figure without
// Terraform's refresh is one request per cluster less.
func TestClusterDestroyLeavesOutTheRefresh(t *testing.T) {
	srv, ours := startClusterSim(t, 2*time.Second)
	e := srv.Engine
	mine := ours.Create(context.Background(), 2)
	e.ResetStats()
	released := ours.Destroy(context.Background(), mine.ClusterIDs)
	if len(mine.Errors)+len(released.Errors) > 0 {
		t.Fatalf("errors: %v %v", mine.Errors, released.Errors)
	}
	p, err := clusterPhaseResult(e, ClusterPhaseDestroy, mine.ClusterIDs, 0, &RefClusterResult{Requests: map[string]int{}})
	if err != nil {
		t.Fatal(err)
	}
	if p.RequestsPerClusterNoRefresh != p.RequestsPerCluster-1 {
		t.Errorf("without refresh %v, with %v: want one less", p.RequestsPerClusterNoRefresh, p.RequestsPerCluster)
	}
}

// TestRequestLagsNeedsACompletedObservedRequest: a claim nobody looked at
// after it completed is unobserved; a cluster without a release is an
// error when release lags are asked for.
func TestRequestLagsNeedsACompletedObservedRequest(t *testing.T) {
	srv, _ := startClusterSim(t, 2*time.Second)
	id, err := srv.Engine.AddCluster("k", sim.ClusterSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if ds, unobserved, err := requestLags(srv.Engine, []string{id}, sim.RequestClusterClaim); err != nil || unobserved != 1 || len(ds) != 0 {
		t.Errorf("claim never read: lags %v, %d unobserved, %v; want 1 unobserved", ds, unobserved, err)
	}
	if _, _, err := requestLags(srv.Engine, []string{id}, sim.RequestClusterRelease); err == nil {
		t.Error("a cluster with no release: no error")
	}
	if err := checkReleased(srv.Engine, []string{id}); err == nil || !strings.Contains(err.Error(), id) {
		t.Errorf("a running cluster passed checkReleased: %v", err)
	}
}

// TestClusterMetricsCompareWithTheReference: the figures name the phase and
// the case; the request target is met at equality and missed above it; the
// per-route table lists both sides.
func TestClusterMetricsCompareWithTheReference(t *testing.T) {
	phase := func(name string, ours, ref map[string]int) ClusterPhaseResult {
		p := ClusterPhaseResult{
			Phase: name, Lag: Summary{N: 10, P50: 0.5, P95: 0.6}, Requests: ours, RequestsPerCluster: PerJob(SumCounts(ours), 10),
			Reference: &RefClusterResult{Requests: ref, RequestsPerCluster: PerJob(SumCounts(ref), 10), Lag: Summary{N: 10, P50: 0.5, P95: 0.5}},
		}
		p.RequestsPerClusterNoRefresh = p.RequestsPerCluster - float64(ours[routeClusterInfo])/10
		return p
	}
	r := &Report{Clusters: []ClusterResult{{
		Clusters: 10, RetryAfterSeconds: 2, PendingSeconds: 0.5, ProvisionSeconds: 3, ReleaseSeconds: 2,
		Create: phase(ClusterPhaseCreate, map[string]int{routeClusterCreate: 10, routeRequestInfo: 30},
			map[string]int{routeClusterCreate: 10, routeRequestInfo: 30}),
		Destroy: phase(ClusterPhaseDestroy, map[string]int{routeClusterRelease: 10, routeRequestInfo: 30, routeClusterInfo: 10},
			map[string]int{routeClusterRelease: 10, routeRequestInfo: 30}),
	}}}
	buildClusterMetrics(r, FullConfig())
	byName := map[string]Metric{}
	for _, m := range r.Metrics {
		byName[m.Name] = m
	}
	met := func(name string) *bool {
		m, ok := byName[name]
		if !ok {
			t.Fatalf("no figure %q in %v", name, slices.Collect(maps.Keys(byName)))
		}
		return m.Met
	}
	if m := met("all, create, N = 10, Retry-After 2 s"); m == nil || !*m {
		t.Error("equal requests: target not met")
	}
	if m := met("all, destroy, N = 10, Retry-After 2 s"); m == nil || *m {
		t.Error("one request more per cluster: target met")
	}
	if w := byName["the wait alone (GET /request/info), destroy, N = 10, Retry-After 2 s"]; w.Ours == nil || *w.Ours != 3 || *w.Baseline != 3 {
		t.Errorf("the wait alone: %+v", w)
	}
	if l := byName["p95, create, N = 10, Retry-After 2 s"]; l.Ours == nil || *l.Ours != 0.6 || *l.Baseline != 0.5 {
		t.Errorf("lag p95: %+v", l)
	}
	var md strings.Builder
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### " + GroupClusterLag, "### " + GroupClusterRequests, "### Requests by route during each cluster create and destroy",
		"| N = 10, Retry-After 2 s | destroy | 10 | DELETE /cluster 10, GET /cluster/info 10, GET /request/info 30 | 4.00 | DELETE /cluster 10, GET /request/info 30 |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, md.String())
		}
	}
}

// TestBuildMetricsKeepsTheClusterRows: rebuilding a report's figures (as a
// report read back from its JSON is) yields the cluster rows once.
func TestBuildMetricsKeepsTheClusterRows(t *testing.T) {
	info := map[string]int{routeRequestInfo: 2}
	phase := func(name string) ClusterPhaseResult {
		return ClusterPhaseResult{Phase: name, Lag: Summary{N: 1, P50: 0.5, P95: 0.5}, Requests: info, RequestsPerCluster: 2,
			Reference: &RefClusterResult{Requests: info, RequestsPerCluster: 2, Lag: Summary{N: 1, P50: 0.5, P95: 0.5}}}
	}
	r := &Report{Clusters: []ClusterResult{{Clusters: 1, Create: phase(ClusterPhaseCreate), Destroy: phase(ClusterPhaseDestroy)}}}
	// Per phase: lag p50 and p95, all requests and the wait alone.
	const want = 2 * 4
	for build := 1; build <= 2; build++ {
		BuildMetrics(r, FullConfig())
		n := 0
		for _, m := range r.Metrics {
			if m.Group == GroupClusterLag || m.Group == GroupClusterRequests {
				n++
			}
		}
		if n != want {
			t.Errorf("build %d: %d cluster figures, want %d", build, n, want)
		}
		if len(r.GroupNotes[GroupClusterLag]) == 0 || len(r.GroupNotes[GroupClusterRequests]) == 0 {
			t.Errorf("build %d: the cluster notes are missing", build)
		}
	}
}

func TestClusterCaseLabelAndValidation(t *testing.T) {
	if got := (ClusterCase{Clusters: 1}).Label(); got != "N = 1, no Retry-After" {
		t.Errorf("label = %q", got)
	}
	cfg := QuickConfig()
	cfg.Terraform = "terraform"
	cfg.Only = []string{PhaseClusters}
	if err := cfg.Validate(); err != nil {
		t.Errorf("-only clusters: %v", err)
	}
	for _, bad := range [][]ClusterCase{{{Clusters: 0}}, {{Clusters: 1, RetryAfter: -time.Second}}} {
		c := cfg
		c.ClusterCases = bad
		if err := c.Validate(); err == nil {
			t.Errorf("cases %+v: no error", bad)
		}
	}
	c := cfg
	c.ClusterLatency.Release = -time.Second
	if err := c.Validate(); err == nil {
		t.Error("a negative release latency: no error")
	}
}
