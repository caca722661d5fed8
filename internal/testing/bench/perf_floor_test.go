package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

func TestFloorRunMedianTakesEachFigureOnItsOwn(t *testing.T) {
	r := FloorRun{Samples: []FloorSample{
		{WallSeconds: 3, CPUSeconds: 1, PeakRSSMiB: 50, Connections: 10},
		{WallSeconds: 1, CPUSeconds: 9, PeakRSSMiB: 40, Connections: 2, Changes: true},
		{WallSeconds: 2, CPUSeconds: 5, PeakRSSMiB: 60, Connections: 7},
	}}
	m := r.Median()
	if m.WallSeconds != 2 || m.CPUSeconds != 5 || m.PeakRSSMiB != 50 || m.Connections != 7 || !m.Changes {
		t.Errorf("median = %+v", m)
	}
}

func TestParseStatCPUTicks(t *testing.T) {
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
	got, ok := ParseStatCPUTicks([]byte("42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0"))
	if !ok || got != 325 {
		t.Errorf("ParseStatCPUTicks = %d, %v; want 325, true", got, ok)
	}
	if _, ok := ParseStatCPUTicks([]byte("42 (x) S 1 42")); ok {
		t.Error("a short stat line must not parse")
	}
	if _, ok := ParseStatCPUTicks([]byte("42 (x) S 1 42 42 0 -1 1 1 0 0 0 zz 1")); ok {
		t.Error("a non-numeric utime must not parse")
	}
}

// floorFixture is a plugin-floor result at N = 500 (and a plan at 100).
func floorFixture(oursPlanCPU, oursRSS float64, conns int) []FloorRun {
	s := func(wall, cpu, rss float64, c int) []FloorSample {
		return []FloorSample{{WallSeconds: wall, CPUSeconds: cpu, PeakRSSMiB: rss, Connections: c}}
	}
	return []FloorRun{
		{Variant: VariantTFData, Op: OpPlan, Jobs: 500, Samples: s(0.5, 0.5, 0, 0)},
		{Variant: VariantOurs, Op: OpPlan, Jobs: 500, Samples: s(1.2, oursPlanCPU, oursRSS, conns)},
		{Variant: VariantBare, Op: OpPlan, Jobs: 500, Samples: s(1, 1, 30, 0)},
		{Variant: VariantBareJob, Op: OpPlan, Jobs: 500, Samples: s(1.1, 1.25, 36, 0)},
		{Variant: VariantOursSDKLogs, Op: OpPlan, Jobs: 500, Samples: s(2, 3, 60, conns)},
		{Variant: VariantTimeStatic, Op: OpPlan, Jobs: 500, Samples: s(1.1, 1.3, 32, 0)},
		{Variant: VariantOurs, Op: OpApply, Jobs: 500, Samples: s(4, 4, 40, 500)},
		{Variant: VariantBare, Op: OpApply, Jobs: 500, Samples: s(2, 2, 30, 0)},
		{Variant: VariantOurs, Op: OpDestroy, Jobs: 500, Samples: s(2, 2, 40, 9)},
		{Variant: VariantBare, Op: OpDestroy, Jobs: 500, Samples: s(2, 2, 30, 0)},
		{Variant: VariantOurs, Op: OpPlan, Jobs: 100, Samples: s(0.5, 0.5, 30, 12)},
		{Variant: VariantBare, Op: OpPlan, Jobs: 100, Samples: s(0.4, 0.4, 25, 0)},
	}
}

func TestFloorMetricsApplyTheIssueTargets(t *testing.T) {
	r := &Report{Floor: floorFixture(1.4, 47, 9)}
	SortFloorRuns(r.Floor)
	BuildMetrics(r, FullConfig())
	verdict := map[string]string{}
	for _, m := range r.Metrics {
		if m.Group != GroupFloor {
			continue
		}
		switch {
		case m.Target == nil:
			verdict[m.Name] = "no target"
		case m.Met != nil && *m.Met:
			verdict[m.Name] = "met"
		default:
			verdict[m.Name] = "not met"
		}
	}
	want := map[string]string{
		"plan wall time, N = 500":                                           "met",     // 1.2×
		"plan CPU, N = 500":                                                 "met",     // 1.4×
		"apply wall time, N = 500":                                          "not met", // 2×
		"destroy CPU, N = 500":                                              "met",
		"plan wall time against terraform_data, N = 500":                    "met",     // 2.4×
		"plan CPU against terraform_data, N = 500":                          "met",     // 2.8×
		"provider peak RSS during plan, N = 500":                            "not met", // 47 > 30 + 16
		"provider peak RSS during apply, N = 500":                           "met",     // 40 ≤ 46
		"connections opened per plan, N = 500":                              "met",     // 9 ≤ 10
		"connections opened per plan, N = 100":                              "not met", // 12 > 10
		"plan CPU with every SDK log line on (before), N = 500":             "no target",
		"time_static plan CPU, N = 500":                                     "no target",
		"bare provider with the job's schema, plan CPU, N = 500":            "no target",
		"plan CPU against the bare provider with the job's schema, N = 500": "no target",
		"bare provider with the job's schema, apply CPU, N = 500":           "no target",
	}
	for name, w := range want {
		if verdict[name] != w {
			t.Errorf("%s: %q, want %q", name, verdict[name], w)
		}
	}
}

func TestWriteFloorTable(t *testing.T) {
	r := &Report{Mode: "full", Floor: floorFixture(1.4, 47, 9)}
	SortFloorRuns(r.Floor)
	BuildMetrics(r, FullConfig())
	var buf bytes.Buffer
	if err := r.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"| Command, N | Figure | Ours | Ours, all SDK logs (before) | Bare provider | Bare, job schema | time_static | terraform_data | " +
			"Ours / bare | Bare job schema / bare | Ours / bare job schema | Ours / terraform_data |",
		// 1.25 / 1 and 1.4 / 1.25.
		"| plan, N = 500 | CPU (Terraform + provider) | 1.40 s | 3.00 s | 1.00 s | 1.25 s | 1.30 s | 0.50 s | 1.40× | 1.25× | 1.12× | 2.80× |",
		// terraform_data has no provider process, and only ours talks to the engine.
		"| plan, N = 500 | provider peak RSS | 47.0 MiB | 60.0 MiB | 30.0 MiB | 36.0 MiB | 32.0 MiB | — | 1.57× | 1.20× | 1.31× | — |",
		"| plan, N = 500 | connections to the engine | 9 | 9 | — | — | — | — | — | — | — | — |",
		"| apply, N = 500 | wall | 4.00 s | — | 2.00 s | — | — | — | 2.00× | — | — | — |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q; got:\n%s", want, out)
		}
	}
	// Plans before applies, N = 100 before N = 500.
	p100, p500, apply := strings.Index(out, "| plan, N = 100 |"), strings.Index(out, "| plan, N = 500 |"), strings.Index(out, "| apply, N = 500 |")
	if p100 < 0 || p100 > p500 || p500 > apply {
		t.Errorf("rows out of order: plan 100 at %d, plan 500 at %d, apply at %d", p100, p500, apply)
	}
}

func TestCountingListenerCountsConnectionsNotRequests(t *testing.T) {
	env, err := serveSim(simOptionsForTest())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	for range 5 { // one after the other: one kept-alive connection
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, env.url+"/job/info/nope", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body) // read to the end, or the connection is not reused
		_ = resp.Body.Close()
	}
	conn, err := (&net.Dialer{}).DialContext(context.Background(), "tcp", strings.TrimPrefix(env.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	// The raw connection is accepted after the dial returns: wait for it.
	deadline := time.Now().Add(5 * time.Second)
	for env.connections() < 2 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if got := env.connections(); got != 2 {
		t.Errorf("%d connections counted, want 2 (one kept alive for 5 requests, one raw)", got)
	}
}

func simOptionsForTest() sim.Options {
	return sim.Options{APIKeys: []string{"k"}, Clusters: []string{"c-1"}}
}

func TestFloorConfigValidation(t *testing.T) {
	c := FullConfig()
	c.Terraform = "terraform"
	c.FloorApplyJobs = 250
	if err := c.Validate(); err == nil {
		t.Error("an apply count that is not a floor plan count must be refused")
	}
	c = FullConfig()
	c.Terraform = "terraform"
	c.Only = []string{PhaseFloor}
	if err := c.Validate(); err != nil {
		t.Errorf("-only floor: %v", err)
	}
}
