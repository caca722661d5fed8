package bench

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// TestCLIRequestPollDelay: the CLI sleeps max(1, int(Retry-After)) seconds,
// and 2 s when the header is absent or not an integer Python's int() takes.
func TestCLIRequestPollDelay(t *testing.T) {
	for header, want := range map[string]time.Duration{
		"": 2 * time.Second, "2": 2 * time.Second, "5": 5 * time.Second, " 3 ": 3 * time.Second,
		"0": time.Second, "-4": time.Second, "1.5": 2 * time.Second, "soon": 2 * time.Second,
	} {
		if got := cliRequestPollDelay(header); got != want {
			t.Errorf("cliRequestPollDelay(%q) = %s, want %s", header, got, want)
		}
	}
}

// startClusterSim serves a simulator on a fake clock that the returned
// poller shares; the clock jumps to each of the poller's timers as soon as
// it is set, so a schedule of seconds runs at once and exactly.
func startClusterSim(t *testing.T, retryAfter time.Duration) (*sim.Server, *RefRequestPoller) {
	t.Helper()
	clk := clocktest.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv, err := sim.Start(sim.Options{
		APIKeys: []string{"k"}, Clock: clk, RequestPendingLatency: 500 * time.Millisecond,
		ClusterProvisionLatency: 3 * time.Second, ClusterReleaseLatency: 2 * time.Second, RequestRetryAfter: retryAfter,
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go clk.RunTimers(stop)
	t.Cleanup(func() {
		close(stop)
		srv.Close()
	})
	return srv, &RefRequestPoller{BaseURL: srv.URL, APIKey: "k", Clock: clk}
}

// TestRefRequestPollerFollowsTheCLISchedule: a claim completes 3.5 s after
// it is accepted and a release 2.5 s after; the CLI looks at once and then
// every max(1 s, Retry-After), 2 s without the header. So with 2 s (sent or
// not) it looks at 0, 2 and 4 s: three GETs, noticing the claim 0.5 s and
// the release 1.5 s late; with 5 s it looks at 0 and 5 s: two GETs, 1.5 s
// and 2.5 s late.
func TestRefRequestPollerFollowsTheCLISchedule(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		retryAfter           time.Duration
		gets                 int
		claimLag, releaseLag time.Duration
	}{
		{"Retry-After 2 s", 2 * time.Second, 3, 500 * time.Millisecond, 1500 * time.Millisecond},
		{"no Retry-After", 0, 3, 500 * time.Millisecond, 1500 * time.Millisecond},
		{"Retry-After 5 s", 5 * time.Second, 2, 1500 * time.Millisecond, 2500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, p := startClusterSim(t, tc.retryAfter)
			e := srv.Engine
			created := p.Create(context.Background(), 1)
			if len(created.Errors) > 0 || len(created.ClusterIDs) != 1 || created.ClusterIDs[0] == "" {
				t.Fatalf("create: %+v", created)
			}
			want := map[string]int{routeClusterCreate: 1, routeRequestInfo: tc.gets}
			if !maps.Equal(created.Requests, want) || !maps.Equal(e.Stats(), want) {
				t.Errorf("create requests: poller %v, engine %v; want %v", created.Requests, e.Stats(), want)
			}
			if created.RequestsPerCluster != float64(1+tc.gets) {
				t.Errorf("create RequestsPerCluster = %v, want %d", created.RequestsPerCluster, 1+tc.gets)
			}
			lags, unobserved, err := requestLags(e, created.ClusterIDs, sim.RequestClusterClaim)
			if err != nil || unobserved != 0 || len(lags) != 1 || lags[0] != tc.claimLag {
				t.Errorf("claim lag = %v (%d unobserved, %v), want %s", lags, unobserved, err, tc.claimLag)
			}

			e.ResetStats()
			released := p.Destroy(context.Background(), created.ClusterIDs)
			if len(released.Errors) > 0 {
				t.Fatalf("destroy: %v", released.Errors)
			}
			want = map[string]int{routeClusterRelease: 1, routeRequestInfo: tc.gets}
			if !maps.Equal(released.Requests, want) || !maps.Equal(e.Stats(), want) {
				t.Errorf("destroy requests: poller %v, engine %v; want %v", released.Requests, e.Stats(), want)
			}
			lags, unobserved, err = requestLags(e, created.ClusterIDs, sim.RequestClusterRelease)
			if err != nil || unobserved != 0 || len(lags) != 1 || lags[0] != tc.releaseLag {
				t.Errorf("release lag = %v (%d unobserved, %v), want %s", lags, unobserved, err, tc.releaseLag)
			}
			if err := checkReleased(e, created.ClusterIDs); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestRefRequestPollerFailsOnAFailedClaim: a FAILED request ends the wait
// with an error quoting the engine's message, as the CLI prints it.
func TestRefRequestPollerFailsOnAFailedClaim(t *testing.T) {
	srv, p := startClusterSim(t, 2*time.Second)
	srv.Engine.SetFaults(sim.Faults{CapacityOutcome: sim.CapacityFailed})
	res := p.Create(context.Background(), 1)
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "FAILED") || res.ClusterIDs[0] == "" {
		t.Fatalf("want one FAILED error naming the cluster, got %+v", res)
	}
	reqs := srv.Engine.RequestsOf(res.ClusterIDs[0])
	if len(reqs) != 1 || reqs[0].ExternalMessage == "" || !strings.Contains(res.Errors[0], reqs[0].ExternalMessage) {
		t.Errorf("the error %q does not quote the claim's external_message (%+v)", res.Errors[0], reqs)
	}
}

// TestRefRequestPollerStopsWhenTheReleaseIsRefused: like the CLI, an answer
// other than 202 is a failure, with no request to follow.
func TestRefRequestPollerStopsWhenTheReleaseIsRefused(t *testing.T) {
	_, p := startClusterSim(t, 2*time.Second)
	res := p.Destroy(context.Background(), []string{"c-000000000000"})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "404") {
		t.Fatalf("want one 404 error, got %v", res.Errors)
	}
	if want := map[string]int{routeClusterRelease: 1}; !maps.Equal(res.Requests, want) {
		t.Errorf("requests = %v, want %v", res.Requests, want)
	}
}
