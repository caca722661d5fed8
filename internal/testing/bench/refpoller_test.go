package bench

import (
	"context"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// TestRefPollerAgainstTheSimulator runs the reference poller on a short
// schedule: a 250 ms cancel latency, looks every 100 ms. Each job costs one
// cancel and one GET per look until the end, and every job is seen ending.
func TestRefPollerAgainstTheSimulator(t *testing.T) {
	srv, err := sim.Start(sim.Options{APIKeys: []string{"k"}, Clusters: []string{"c-1"}, CancelLatency: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var ids []string
	for range 4 {
		id, err := srv.Engine.AddJob("k", "c-1")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	srv.Engine.ResetStats()
	p := &RefPoller{BaseURL: srv.URL, APIKey: "k", MinWait: 50 * time.Millisecond, DefaultWait: 100 * time.Millisecond}
	res := p.Cancel(context.Background(), ids)
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	stats := srv.Engine.Stats()
	if res.Requests[routeCancel] != 4 || stats[routeCancel] != 4 {
		t.Errorf("cancels: poller counted %d, engine %d; want 4", res.Requests[routeCancel], stats[routeCancel])
	}
	// Looks at ~100, 200, 300 ms: the third sees canceled (250 ms).
	if got := res.Requests[routeInfo]; got != stats[routeInfo] || got < 4*2 || got > 4*4 {
		t.Errorf("infos: poller counted %d, engine %d; want the same, about 12", got, stats[routeInfo])
	}
	if res.RequestsPerJob != PerJob(SumCounts(res.Requests), 4) {
		t.Errorf("RequestsPerJob = %v", res.RequestsPerJob)
	}
	ds, unobserved, err := lags(srv.Engine, ids)
	if err != nil || unobserved != 0 || len(ds) != 4 {
		t.Fatalf("lags = %v, %d unobserved, %v", ds, unobserved, err)
	}
	for _, d := range ds {
		if d < 0 || d > 150*time.Millisecond {
			t.Errorf("lag %s outside [0, 100 ms + slack]", d)
		}
	}
}

// TestRefPollerHonoursRetryAfter: with Retry-After 1 s on info answers and
// the CLI's 1 s minimum, a 1.2 s cancellation costs looks at 2 s (no
// Retry-After on the cancel answer): one cancel and one GET.
func TestRefPollerHonoursRetryAfter(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 2 s")
	}
	srv, err := sim.Start(sim.Options{APIKeys: []string{"k"}, Clusters: []string{"c-1"}, CancelLatency: 1200 * time.Millisecond, InfoRetryAfter: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	id, err := srv.Engine.AddJob("k", "c-1")
	if err != nil {
		t.Fatal(err)
	}
	res := (&RefPoller{BaseURL: srv.URL, APIKey: "k"}).Cancel(context.Background(), []string{id})
	if len(res.Errors) > 0 || res.Requests[routeCancel] != 1 || res.Requests[routeInfo] != 1 {
		t.Errorf("requests %v errors %v; want one cancel and one info", res.Requests, res.Errors)
	}
	if res.Wall < 2*time.Second {
		t.Errorf("the first look came after %s, want the CLI's 2 s", res.Wall)
	}
}

func TestRefPollerReportsRefusals(t *testing.T) {
	srv, err := sim.Start(sim.Options{APIKeys: []string{"k"}, Clusters: []string{"c-1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	res := (&RefPoller{BaseURL: srv.URL, APIKey: "k"}).Cancel(context.Background(), []string{"job-unknown"})
	if len(res.Errors) != 1 {
		t.Errorf("errors = %v, want one (404)", res.Errors)
	}
	if _, _, err := lags(srv.Engine, []string{"job-unknown"}); err != nil {
		t.Errorf("an unknown job counts as unobserved, not an error: %v", err)
	}
}
