package bench

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
)

// The cluster create → destroy scenario (issue 10): N tensorpool_cluster
// resources in one configuration are applied, then destroyed, by the real
// Terraform CLI, while the reference poller claims and releases N other
// clusters of the same simulator the way `tp cluster create --wait` and
// `tp cluster destroy --wait` do. Per phase it reports how late each waiter
// noticed its request's end and the requests each spent per cluster.

// ClusterCase is one cluster create → destroy run.
type ClusterCase struct {
	// Clusters is how many tensorpool_cluster resources the configuration
	// has (and how many the reference poller claims alongside).
	Clusters int
	// RetryAfter is the engine's Retry-After on non-terminal GET
	// /request/info answers; 0 means the engine sends none.
	RetryAfter time.Duration
}

// Label names the case in the tables: "N = 10, Retry-After 2 s".
func (c ClusterCase) Label() string {
	ra := "no Retry-After"
	if c.RetryAfter > 0 {
		ra = "Retry-After " + fmtDur(c.RetryAfter)
	}
	return fmt.Sprintf("N = %d, %s", c.Clusters, ra)
}

// ClusterLatencies are the simulator's request latencies in the cluster
// runs (sim.Options RequestPendingLatency, ClusterProvisionLatency,
// ClusterReleaseLatency): a claim completes Pending + Provision after it
// was accepted, a release Pending + Release.
type ClusterLatencies struct {
	Pending   time.Duration
	Provision time.Duration
	Release   time.Duration
}

// Cluster phases.
const (
	ClusterPhaseCreate  = "create"
	ClusterPhaseDestroy = "destroy"
)

// ClusterPhaseResult is one phase (the apply or the destroy) of a cluster
// case.
type ClusterPhaseResult struct {
	Phase string `json:"phase"`
	// WallSeconds is the whole Terraform command.
	WallSeconds float64 `json:"wall_s"`
	// Lag is ObservedTerminalAt − TerminalAt of each cluster's CLUSTER_CLAIM
	// (create) or CLUSTER_RELEASE (destroy): from the engine completing the
	// request to the first GET /request/info that answered COMPLETED.
	Lag Summary `json:"lag"`
	// Unobserved counts requests no GET /request/info ever saw terminal.
	Unobserved int `json:"unobserved"`
	// Requests are the provider's requests by route during the command (the
	// reference poller's, which it counts, subtracted).
	Requests           map[string]int `json:"requests"`
	RequestsPerCluster float64        `json:"requests_per_cluster"`
	// RequestsPerClusterNoRefresh leaves out, for the destroy, the GET
	// /cluster/info per cluster of the refresh Terraform does first.
	RequestsPerClusterNoRefresh float64           `json:"requests_per_cluster_without_refresh"`
	Reference                   *RefClusterResult `json:"reference"`
}

// ClusterResult is one cluster case: its settings and both phases.
type ClusterResult struct {
	Name              string             `json:"name"`
	Clusters          int                `json:"clusters"`
	RetryAfterSeconds float64            `json:"request_retry_after_s"`
	PendingSeconds    float64            `json:"request_pending_latency_s"`
	ProvisionSeconds  float64            `json:"cluster_provision_latency_s"`
	ReleaseSeconds    float64            `json:"cluster_release_latency_s"`
	Create            ClusterPhaseResult `json:"create"`
	Destroy           ClusterPhaseResult `json:"destroy"`
}

// Label is the case's label for the tables.
func (r ClusterResult) Label() string {
	return ClusterCase{Clusters: r.Clusters, RetryAfter: seconds(r.RetryAfterSeconds)}.Label()
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// validateClusterCases reports cluster settings the suite cannot run.
func validateClusterCases(cases []ClusterCase, lat ClusterLatencies) error {
	for _, c := range cases {
		if c.Clusters < 1 || c.RetryAfter < 0 {
			return fmt.Errorf("cluster case %+v: want ≥ 1 cluster and a Retry-After ≥ 0", c)
		}
	}
	if len(cases) > 0 && (lat.Pending < 0 || lat.Provision < 0 || lat.Release < 0) {
		return fmt.Errorf("cluster latencies %+v: each must be ≥ 0", lat)
	}
	return nil
}

// ClustersConfig is the configuration of n clusters, all alike.
func ClustersConfig(n int) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    tensorpool = {
      source = "tensorpool/tensorpool"
    }
  }
}

resource "tensorpool_cluster" "bench" {
  count         = %d
  instance_type = "1xH100"

  timeouts {
    create = "15m"
    delete = "15m"
  }
}
`, n)
}

// clusterPhase runs every cluster case, one after the other.
func (s *Suite) clusterPhase(ctx context.Context) error {
	var errs []error
	for _, cc := range s.cfg.ClusterCases {
		if ctx.Err() != nil {
			break
		}
		if err := s.clusterCase(ctx, cc); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", cc.Label(), err))
		}
	}
	return errors.Join(errs...)
}

// clusterCase applies then destroys cc.Clusters clusters on a simulator of
// its own, each command next to the reference poller doing the same to as
// many other clusters of that simulator.
func (s *Suite) clusterCase(ctx context.Context, cc ClusterCase) error {
	lat := s.cfg.ClusterLatency
	env, err := serveSim(sim.Options{
		APIKeys:                 []string{benchKey},
		Clusters:                []string{benchCluster},
		InfoRetryAfter:          s.cfg.InfoRetryAfter,
		RequestPendingLatency:   lat.Pending,
		ClusterProvisionLatency: lat.Provision,
		ClusterReleaseLatency:   lat.Release,
		RequestRetryAfter:       cc.RetryAfter,
	})
	if err != nil {
		return err
	}
	defer env.Close()
	e := env.engine()
	name := "clusters, " + cc.Label()
	w, err := s.h.Workspace(fmt.Sprintf("clusters-%d-%s", cc.Clusters, cc.RetryAfter), ClustersConfig(cc.Clusters))
	if err != nil {
		return err
	}
	w.Env = append(slices.Clone(s.cfg.Env), "TENSORPOOL_KEY="+benchKey, "TENSORPOOL_ENGINE="+env.url)
	ref := &RefRequestPoller{BaseURL: env.url, APIKey: benchKey}
	res := ClusterResult{
		Name: name, Clusters: cc.Clusters, RetryAfterSeconds: cc.RetryAfter.Seconds(),
		PendingSeconds: lat.Pending.Seconds(), ProvisionSeconds: lat.Provision.Seconds(), ReleaseSeconds: lat.Release.Seconds(),
	}

	s.logf("%s: applying (reference poller claiming %d clusters alongside)", name, cc.Clusters)
	refCreate, tr, err := s.besideReference(ctx, e, w, "apply", func() *RefClusterResult { return ref.Create(ctx, cc.Clusters) })
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	ids, err := w.StateIDs(ctx, "tensorpool_cluster")
	if err != nil {
		return err
	}
	if len(ids) != cc.Clusters {
		return fmt.Errorf("apply left %d clusters in the state, want %d", len(ids), cc.Clusters)
	}
	if res.Create, err = clusterPhaseResult(e, ClusterPhaseCreate, ids, tr.wall, refCreate); err != nil {
		return fmt.Errorf("create: %w", err)
	}

	s.logf("%s: destroying (reference poller releasing its clusters alongside)", name)
	refDestroy, tr, err := s.besideReference(ctx, e, w, "destroy",
		func() *RefClusterResult { return ref.Destroy(ctx, refCreate.ClusterIDs) })
	if err != nil {
		return fmt.Errorf("destroy: %w", err)
	}
	if res.Destroy, err = clusterPhaseResult(e, ClusterPhaseDestroy, ids, tr.wall, refDestroy); err != nil {
		return fmt.Errorf("destroy: %w", err)
	}
	if err := checkReleased(e, slices.Concat(ids, refCreate.ClusterIDs)); err != nil {
		return err
	}
	s.reportMu.Lock()
	s.report.Clusters = append(s.report.Clusters, res)
	s.reportMu.Unlock()
	for _, p := range []ClusterPhaseResult{res.Create, res.Destroy} {
		s.logf("%s, %s: wall %.1fs, lag p50 %.3fs p95 %.3fs, %.2f req/cluster; reference lag p50 %.3fs p95 %.3fs, %.2f req/cluster",
			name, p.Phase, p.WallSeconds, p.Lag.P50, p.Lag.P95, p.RequestsPerCluster,
			p.Reference.Lag.P50, p.Reference.Lag.P95, p.Reference.RequestsPerCluster)
	}
	return nil
}

// besideReference zeroes the engine's counts, then runs `terraform
// command -auto-approve` and the reference poller's work at the same time.
func (s *Suite) besideReference(ctx context.Context, e *sim.Engine, w *tfharness.Workspace, command string,
	refWork func() *RefClusterResult,
) (*RefClusterResult, *timedRun, error) {
	e.ResetStats()
	var ref *RefClusterResult
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ref = refWork()
	}()
	tr, err := s.run(ctx, w, false, []int{0}, s.flags(command, "-auto-approve")...)
	wg.Wait()
	if err != nil {
		return ref, nil, err
	}
	if len(ref.Errors) > 0 {
		return ref, nil, fmt.Errorf("reference poller: %s", strings.Join(ref.Errors, "; "))
	}
	return ref, tr, nil
}

// clusterPhaseResult reads one phase's figures from the engine: the lags of
// our clusters' requests and of the reference's, and our requests (the
// engine's counts minus the reference's). The reference's own count must
// match what the engine counted for its clusters and requests.
func clusterPhaseResult(e *sim.Engine, phase string, ids []string, wall time.Duration, ref *RefClusterResult) (ClusterPhaseResult, error) {
	typ := sim.RequestClusterClaim
	if phase == ClusterPhaseDestroy {
		typ = sim.RequestClusterRelease
	}
	p := ClusterPhaseResult{Phase: phase, WallSeconds: wall.Seconds(), Reference: ref}
	engineRef := map[string]int{}
	for i, id := range ref.ClusterIDs {
		for _, objID := range []string{id, ref.RequestIDs[i]} {
			for route, n := range e.RequestsFor(objID) {
				engineRef[route] += n
			}
		}
	}
	if !maps.Equal(engineRef, ref.Requests) {
		return p, fmt.Errorf("the reference poller counted %s, the engine %s for its clusters", FormatCounts(ref.Requests), FormatCounts(engineRef))
	}
	p.Requests = SubCounts(e.Stats(), ref.Requests)
	p.RequestsPerCluster = PerJob(SumCounts(p.Requests), len(ids))
	p.RequestsPerClusterNoRefresh = p.RequestsPerCluster
	if phase == ClusterPhaseDestroy {
		p.RequestsPerClusterNoRefresh = PerJob(SumCounts(p.Requests)-len(ids), len(ids))
	}

	ours, unobserved, err := requestLags(e, ids, typ)
	if err != nil {
		return p, err
	}
	p.Lag, p.Unobserved = Summarize(ours), unobserved
	refLags, refUnobserved, err := requestLags(e, ref.ClusterIDs, typ)
	if err != nil {
		return p, fmt.Errorf("reference poller: %w", err)
	}
	if refUnobserved > 0 {
		return p, fmt.Errorf("reference poller: %d requests never seen terminal", refUnobserved)
	}
	ref.Lag = Summarize(refLags)
	return p, nil
}

// requestLags reads ObservedTerminalAt − TerminalAt of the latest request of
// type typ about each cluster. A request that is not COMPLETED is an error;
// one that no GET /request/info saw terminal counts as unobserved.
func requestLags(e *sim.Engine, clusterIDs []string, typ string) (ds []time.Duration, unobserved int, err error) {
	var problems []string
	for _, id := range clusterIDs {
		var req *sim.RequestSnapshot
		for _, r := range e.RequestsOf(id) {
			if r.Type == typ {
				r := r
				req = &r
			}
		}
		switch {
		case req == nil:
			problems = append(problems, fmt.Sprintf("cluster %s has no %s request", id, typ))
		case req.Status != sim.RequestCompleted:
			problems = append(problems, fmt.Sprintf("cluster %s: %s %s is %s", id, typ, req.RequestID, req.Status))
		case req.ObservedTerminalAt == nil:
			unobserved++
		default:
			ds = append(ds, req.ObservedTerminalAt.Sub(*req.TerminalAt))
		}
	}
	if len(problems) > 0 {
		return ds, unobserved, errors.New(strings.Join(problems, "; "))
	}
	return ds, unobserved, nil
}

// checkReleased reports clusters that are not DESTROYED or still bill
// after both destroys.
func checkReleased(e *sim.Engine, ids []string) error {
	var live []string
	for _, id := range ids {
		c, ok := e.Cluster(id)
		if !ok || c.Status != sim.ClusterDestroyed || c.Billing {
			live = append(live, fmt.Sprintf("%s (%s, billing %t)", id, c.Status, c.Billing))
		}
	}
	if len(live) > 0 {
		return fmt.Errorf("after the destroys, clusters not released: %s", strings.Join(live, ", "))
	}
	return nil
}
