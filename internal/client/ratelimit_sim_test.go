package client

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// statusCounter is a Logger that counts the engine's answers by status.
type statusCounter struct {
	mu    sync.Mutex
	codes map[int]int
}

func (s *statusCounter) Debug(_ context.Context, _ string, fields map[string]any) {
	code, _ := fields["status_code"].(int)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.codes == nil {
		s.codes = map[int]int{}
	}
	s.codes[code]++
}

func (s *statusCounter) count(code int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codes[code]
}

// stormResult is what a rate-limit storm cost.
type stormResult struct {
	failed, rateLimited int
	took                time.Duration
}

// storm is a simulator limiting to 5 requests/s with Retry-After 1, n jobs
// and one client with default retries.
type storm struct {
	client  *Client
	ids     []string
	counter *statusCounter
}

func newStorm(t *testing.T, n int, adaptive bool) *storm {
	t.Helper()
	srv, err := sim.Start(sim.Options{APIKeys: []string{testKey}, Faults: sim.Faults{RateLimit: 5, RateLimitRetryAfter: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	s := &storm{ids: make([]string, n), counter: &statusCounter{}}
	for i := range s.ids {
		if s.ids[i], err = srv.Engine.AddJob(testKey, sim.DefaultCluster); err != nil {
			t.Fatal(err)
		}
	}
	if s.client, err = New(Config{BaseURL: srv.URL, APIKey: testKey, Logger: s.counter}); err != nil {
		t.Fatal(err)
	}
	if !adaptive {
		s.client.limiter = nil // the client as it was: retries only
	}
	return s
}

// run reads every job at once, as a Terraform plan at -parallelism=n does.
func (s *storm) run(ctx context.Context) stormResult {
	var failed atomic.Int32
	var wg sync.WaitGroup
	start := time.Now()
	for _, id := range s.ids {
		wg.Go(func() {
			if _, err := s.client.GetJob(ctx, id); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	return stormResult{failed: int(failed.Load()), rateLimited: s.counter.count(429), took: time.Since(start)}
}

// TestSimRateLimitStormAllReadsSucceed is issue 9's storm: 30 and 50 reads
// at once against an engine allowing 5 requests/s. With the shared adaptive
// limiter every read succeeds within default retries, in about the time the
// engine's rate needs, and the 429s are far fewer than for the same client
// without it (which fails reads).
func TestSimRateLimitStormAllReadsSucceed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 10 s of real time")
	}
	for _, n := range []int{30, 50} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			adaptive, plain := newStorm(t, n, true), newStorm(t, n, false)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var with, without stormResult
			var wg sync.WaitGroup
			wg.Go(func() { with = adaptive.run(ctx) })
			wg.Go(func() { without = plain.run(ctx) })
			wg.Wait()
			t.Logf("%d reads: adaptive: %d×429, %d failed, %s; without: %d×429, %d failed, %s",
				n, with.rateLimited, with.failed, with.took.Round(time.Millisecond),
				without.rateLimited, without.failed, without.took.Round(time.Millisecond))
			if with.failed != 0 {
				t.Fatalf("%d of %d reads failed", with.failed, n)
			}
			// The first burst (n at once, 5 allowed) is answered 429 before
			// the client knows better; after it, only a few probes may be.
			firstBurst := n - 5
			if excess := with.rateLimited - firstBurst; excess > 10 {
				t.Errorf("%d answers were 429, %d after the first burst; want at most 10 after it", with.rateLimited, excess)
			}
			if with.rateLimited*2 > without.rateLimited {
				t.Errorf("adaptive: %d×429, without: %d×429: want less than half", with.rateLimited, without.rateLimited)
			}
			// 5 requests/s needs n/5 s; the limiter must not slow down far
			// below the engine's rate.
			if limit := time.Duration(n/5+10) * time.Second; with.took > limit {
				t.Errorf("the reads took %s, want at most %s", with.took, limit)
			}
		})
	}
}
