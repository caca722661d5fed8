package bench

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBuildMetricsAppliesTheIssueTargets(t *testing.T) {
	cfg := FullConfig()
	ref := func(p50, p95, perJob float64) *RefResult {
		return &RefResult{Jobs: 10, Lag: Summary{N: 10, P50: p50, P95: p95}, RequestsPerJob: perJob,
			Requests: map[string]int{"POST /job/cancel": 10, "GET /job/info": 50}}
	}
	r := &Report{
		Destroys: []DestroyResult{
			{Name: "lag 10s fallback", LatencySeconds: 10, Jobs: 10, StreamUnavailable: true, Lag: Summary{N: 10, P50: 1, P95: 4}, RequestsPerJobNoRefresh: 7.5, Reference: ref(0.01, 0.02, 6)},
			{Name: "lag 10s", LatencySeconds: 10, Jobs: 10, Lag: Summary{N: 9, P50: 0.01, P95: 0.02}, Unobserved: 1, RequestsPerJobNoRefresh: 5, Reference: ref(0.01, 0.02, 6)},
			{Name: "lag 2s", LatencySeconds: 2, Jobs: 10, Lag: Summary{N: 10, P50: 0.01, P95: 0.3}, RequestsPerJobNoRefresh: 5, Reference: ref(0.01, 0.02, 2)},
			{Name: "wall 100", LatencySeconds: 10, Jobs: 100, WallSeconds: 108, FloorSeconds: 100, Lag: Summary{N: 100, P95: 0.1}},
			{Name: "wall 1", LatencySeconds: 10, Jobs: 1, WallSeconds: 12, FloorSeconds: 10, Lag: Summary{N: 1, P95: 0.1}},
		},
		Refreshes: []RefreshResult{
			{Jobs: 500, RequestsPerJob: 1, OnlyInfo: true, MedianSeconds: 4, TFDataMedian: 2, PeakRSSMiB: 70, Processes: 3},
			{Jobs: 10, RequestsPerJob: 1, OnlyInfo: false, Requests: map[string]int{"GET /job/info": 5, "GET /job/list": 5}, MedianSeconds: 1, TFDataMedian: 0.1},
		},
		WaitFors: []WaitForResult{
			{Goal: goalRunning, Jobs: 10, Lag: Summary{N: 10, P50: 0.01, P95: 0.3}, RequestsPerJob: 2, Reference: ref(1, 1.9, 2.5)},
			{Goal: goalCompleted, Jobs: 10, Lag: Summary{N: 10, P50: 0.01, P95: 0.02}, RequestsPerJob: 3, Reference: ref(1, 1.9, 3.5)},
		},
		Applies: []ApplyResult{{Jobs: 100, JobsPerSecond: 30}, {Jobs: 10, JobsPerSecond: 20}, {Jobs: 1, JobsPerSecond: 3}, {Jobs: 500, JobsPerSecond: 40, PeakRSSMiB: 30, Processes: 2}},
	}
	BuildMetrics(r, cfg)
	got := map[string]Metric{}
	var order []string
	for _, m := range r.Metrics {
		got[m.Group+" / "+m.Name] = m
		order = append(order, m.Group+" / "+m.Name)
	}
	verdict := func(key string) string {
		m, ok := got[key]
		switch {
		case !ok:
			return "absent"
		case m.Target == nil:
			return "no target"
		case m.Met == nil:
			return "unmeasured"
		case *m.Met:
			return "met"
		default:
			return "not met"
		}
	}
	want := map[string]string{
		GroupLag + " / p50, L = 2 s, N = 10":                                                              "no target",
		GroupLag + " / p95, L = 2 s, N = 10":                                                              "met",
		GroupLag + " / p95, L = 10 s, N = 10":                                                             "not met", // one job never observed
		GroupLag + " / p95, stream unavailable, L = 10 s, N = 10":                                         "met",
		GroupLag + " / p95, L = 10 s, N = 100 (the wall-time run)":                                        "no target",
		GroupRequests + " / L = 2 s, N = 10":                                                              "not met", // 5 > 2 + 1
		GroupRequests + " / L = 10 s, N = 10":                                                             "met",     // 5 ≤ 6 + 1
		GroupRequests + " / stream unavailable, L = 10 s, N = 10":                                         "not met", // 7.5 > 6 + 1
		GroupWaitFor + ` / lag p95, wait_for = "running", N = 10`:                                         "met",
		GroupWaitFor + ` / lag p95, wait_for = "completed", N = 10`:                                       "not met", // the output was not quoted
		GroupWaitFor + ` / requests per job (the wait: all but the push), wait_for = "running", N = 10`:   "met",
		GroupWaitFor + ` / requests per job (the wait: all but the push), wait_for = "completed", N = 10`: "not met", // 3 > 2
		GroupWall + " / N = 1, L = 10 s":                                                                  "no target",
		GroupWall + " / N = 100, L = 10 s":                                                                "met", // 1.08
		GroupRefresh + " / requests per job, N = 10":                                                      "not met",
		GroupRefresh + " / requests per job, N = 500":                                                     "met",
		GroupRefresh + " / plan wall time, N = 10":                                                        "no target",
		GroupRefresh + " / plan wall time, N = 500":                                                       "no target", // the targets are the plugin floor's
		GroupApply + " / N = 10":                                                                          "no target",
		GroupApply + " / N = 100":                                                                         "no target",
		GroupApply + " / N = 1":                                                                           "absent",
		GroupMemory + " / during plan, N = 500":                                                           "no target", // against the bare provider, in the floor table
		GroupMemory + " / during apply, N = 500":                                                          "no target",
	}
	for key, w := range want {
		if v := verdict(key); v != w {
			t.Errorf("%s: %s, want %s", key, v, w)
		}
	}
	if t.Failed() {
		t.Logf("metrics: %s", strings.Join(order, "\n"))
	}
	// Lag rows go by latency, the stream before the fallback.
	if i, j := indexOf(order, GroupLag+" / p95, L = 2 s, N = 10"), indexOf(order, GroupLag+" / p95, L = 10 s, N = 10"); i > j {
		t.Error("lag rows are not sorted by latency")
	}
	if i, j := indexOf(order, GroupLag+" / p95, L = 10 s, N = 10"), indexOf(order, GroupLag+" / p95, stream unavailable, L = 10 s, N = 10"); i > j {
		t.Error("the stream-unavailable row must follow the stream row")
	}
	if m := got[GroupRefresh+" / requests per job, N = 10"]; !strings.Contains(m.Note, "GET /job/list 5") {
		t.Errorf("a refresh with other requests must name them, note = %q", m.Note)
	}
	if m := got[GroupWall+" / N = 100, L = 10 s"]; m.Ratio == nil || *m.Ratio != 1.08 {
		t.Errorf("wall ratio = %v, want 1.08", m.Ratio)
	}
}

func TestLagNotesSayWhetherTheReferenceIsAtItsBestCase(t *testing.T) {
	run := func(jitter float64) *Report {
		r := &Report{Destroys: []DestroyResult{{Name: "lag", LatencySeconds: 2, JitterSeconds: jitter, Jobs: 10,
			Lag: Summary{N: 10}, Reference: &RefResult{Jobs: 10, Lag: Summary{N: 10}}}}}
		BuildMetrics(r, FullConfig())
		return r
	}
	exact, jittered := run(0), run(2)
	if notes := strings.Join(exact.GroupNotes[GroupLag], " "); !strings.Contains(notes, "best case (a few ms)") {
		t.Errorf("exact latency: the notes must say the reference is at its best case: %s", notes)
	}
	notes := strings.Join(jittered.GroupNotes[GroupLag], " ")
	if !strings.Contains(notes, "jitter drawn uniformly in [0, 2 s)") || !strings.Contains(notes, "not its best case") {
		t.Errorf("jittered latency: the lag notes must name the jitter: %s", notes)
	}
	if notes := strings.Join(jittered.GroupNotes[GroupRequests], " "); !strings.Contains(notes, "L plus 0–2 s") {
		t.Errorf("jittered latency: the requests notes must name the jitter: %s", notes)
	}
	if notes := strings.Join(exact.GroupNotes[GroupRequests], " "); strings.Contains(notes, "jitter") {
		t.Errorf("exact latency: the requests notes mention a jitter: %s", notes)
	}
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func TestConfigs(t *testing.T) {
	for _, c := range []Config{FullConfig(), QuickConfig()} {
		c.Terraform = "terraform"
		if err := c.Validate(); err != nil {
			t.Errorf("%s config: %v", c.Mode, err)
		}
	}
	full := FullConfig()
	var ls []time.Duration
	for _, lc := range full.LagCases {
		ls = append(ls, lc.Latency)
	}
	if !slices.Equal(ls, []time.Duration{2 * time.Second, 10 * time.Second, time.Minute}) ||
		!slices.Equal(full.WallJobs, []int{1, 10, 100}) || !slices.Equal(full.RefreshJobs, []int{10, 100, 500}) ||
		!slices.Equal(full.ApplyJobs, []int{10, 100}) || full.MemJobs != 500 || full.WallLatency != 10*time.Second || full.Parallelism != 10 ||
		full.LagJitter != 2*time.Second {
		t.Errorf("the full configuration no longer measures what the issue asks: %+v", full)
	}
	bad := FullConfig()
	bad.Terraform = "terraform"
	bad.MemJobs = 100 // a wall-time count: its workspace is destroyed, not sampled
	if err := bad.Validate(); err == nil {
		t.Error("MemJobs in WallJobs must be refused")
	}
	bad = FullConfig()
	bad.Terraform = "terraform"
	bad.LagJitter = -time.Second
	if err := bad.Validate(); err == nil {
		t.Error("a negative jitter must be refused")
	}
	bad = FullConfig()
	bad.Terraform = "terraform"
	bad.ApplyJobs = []int{7}
	if err := bad.Validate(); err == nil {
		t.Error("an apply count no scenario applies must be refused")
	}
}
