package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func ptr(x float64) *float64 { return &x }

func TestTargetCheck(t *testing.T) {
	cases := []struct {
		name        string
		target      *Target
		ours, ratio *float64
		want        bool
	}{
		{"at most, under", AtMost(0.5, ""), ptr(0.4), nil, true},
		{"at most, equal", AtMost(0.5, ""), ptr(0.5), nil, true},
		{"at most, over", AtMost(0.5, ""), ptr(0.51), nil, false},
		{"ratio, under", RatioAtMost(1.1, ""), ptr(105), ptr(1.05), true},
		{"ratio, over", RatioAtMost(1.1, ""), ptr(120), ptr(1.2), false},
		{"ratio missing", RatioAtMost(1.1, ""), ptr(120), nil, false},
		{"exactly", Exactly(1, ""), ptr(1), nil, true},
		{"not exactly", Exactly(1, ""), ptr(1.01), nil, false},
		{"missing value", AtMost(1, ""), nil, nil, false},
	}
	for _, c := range cases {
		if got := c.target.Check(c.ours, c.ratio); got != c.want {
			t.Errorf("%s: Check = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAddComputesRatioAndMet(t *testing.T) {
	var r Report
	r.Add(Metric{Name: "wall", Unit: "s", Ours: ptr(110), Baseline: ptr(100), Target: RatioAtMost(1.1, "≤ 1.1× floor")})
	r.Add(Metric{Name: "req", Unit: "req/job", Ours: ptr(1), Target: Exactly(1, "exactly 1"), Extra: boolPtr(false)})
	r.Add(Metric{Name: "info", Unit: "jobs/s", Ours: ptr(12)})
	r.Add(Metric{Name: "failed", Unit: "s", Target: AtMost(1, "≤ 1 s")})
	m := r.Metrics
	if m[0].Ratio == nil || *m[0].Ratio != 1.1 || m[0].Met == nil || !*m[0].Met {
		t.Errorf("wall: ratio %v met %v, want 1.1 and met", m[0].Ratio, m[0].Met)
	}
	if m[1].Met == nil || *m[1].Met {
		t.Errorf("req: an extra condition that fails must make the target not met, got %v", m[1].Met)
	}
	if m[2].Met != nil || m[2].Ratio != nil {
		t.Errorf("info: no target and no baseline must give no met and no ratio, got %v %v", m[2].Met, m[2].Ratio)
	}
	if m[3].Met != nil {
		t.Errorf("failed: a missing value has no verdict, got %v", *m[3].Met)
	}
	if met, total := r.Score(); met != 1 || total != 3 {
		t.Errorf("Score = %d of %d, want 1 of 3", met, total)
	}
}

func TestFormatValue(t *testing.T) {
	cases := []struct {
		v    *float64
		unit string
		want string
	}{
		{nil, "s", "—"},
		{ptr(0.0123), "s", "0.012 s"},
		{ptr(0), "s", "0.00 s"},
		{ptr(1.234), "s", "1.23 s"},
		{ptr(104.56), "s", "104.6 s"},
		{ptr(5), "req/job", "5.00"},
		{ptr(38.94), "jobs/s", "38.9 jobs/s"},
		{ptr(31.44), "MiB", "31.4 MiB"},
	}
	for _, c := range cases {
		if got := FormatValue(c.v, c.unit); got != c.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
	if got := FormatRatio(ptr(1.125)); got != "1.13×" && got != "1.12×" {
		t.Errorf("FormatRatio = %q", got)
	}
	if got := FormatRatio(nil); got != "—" {
		t.Errorf("FormatRatio(nil) = %q", got)
	}
	if got := FormatCounts(map[string]int{"POST /job/cancel": 1, "GET /job/info": 3}); got != "GET /job/info 3, POST /job/cancel 1" {
		t.Errorf("FormatCounts = %q", got)
	}
	if got := FormatCounts(nil); got != "none" {
		t.Errorf("FormatCounts(nil) = %q", got)
	}
}

func sampleReport() *Report {
	r := &Report{
		Mode: "quick", StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ElapsedSeconds: 65, Parallelism: 10,
		Machine:    Machine{Cores: 2, OS: "linux", Arch: "amd64", CPUModel: "Test CPU", GoVersion: "go1.26", TerraformVersion: "1.5.7"},
		GroupNotes: map[string][]string{"Lag": {"a note | with a pipe"}},
		Destroys: []DestroyResult{{Name: "lag L=2s, N=10", Jobs: 10, Requests: map[string]int{"GET /job/info": 30, "POST /job/cancel": 10},
			RequestsPerJobNoRefresh: 3, Reference: &RefResult{Requests: map[string]int{"POST /job/cancel": 10, "GET /job/info": 10}}}},
		Errors: []string{"refresh: boom"},
	}
	r.Add(Metric{Group: "Lag", Name: "p95, L = 2 s", Unit: "s", Ours: ptr(0.8), Baseline: ptr(0.01), BaselineLabel: "reference poller",
		Target: AtMost(0.5, "≤ 0.5 s"), Note: "slow"})
	r.Add(Metric{Group: "Lag", Name: "p50, L = 2 s", Unit: "s", Ours: ptr(0.02)})
	r.Add(Metric{Group: "Memory", Name: "plan, N = 500", Unit: "MiB", Ours: ptr(40), Target: AtMost(64, "≤ 64 MiB")})
	return r
}

func TestWriteMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"## TensorPool provider benchmarks (quick run)",
		"- Machine: 2 CPU cores, linux/amd64, Test CPU",
		"- Terraform 1.5.7, go1.26, `-parallelism=10`",
		"took 1m5s",
		"- Targets met: 1 of 2",
		"### Lag\n\n| Figure | Ours | Reference | Ratio | Target | Met? |\n|---|---:|---:|---:|---|---|\n",
		"| p95, L = 2 s | 0.80 s | 0.010 s (reference poller) | 80.00× | ≤ 0.5 s | **NOT MET** |\n",
		"| p50, L = 2 s | 0.020 s | — | — | — | — |\n",
		"- p95, L = 2 s: slow\n- a note | with a pipe\n",
		"### Memory",
		"| plan, N = 500 | 40.0 MiB | — | — | ≤ 64 MiB | met |",
		"| lag L=2s, N=10 | 10 | GET /job/info 30, POST /job/cancel 10 | 3.00 | GET /job/info 10, POST /job/cancel 10 |",
		"### Errors\n\n- refresh: boom\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the Markdown lacks %q; got:\n%s", want, out)
		}
	}
	if strings.Index(out, "### Lag") > strings.Index(out, "### Memory") {
		t.Error("groups must keep the order of their first metric")
	}
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Mode    string `json:"mode"`
		Machine struct {
			Cores     int    `json:"cores"`
			Terraform string `json:"terraform_version"`
		} `json:"machine"`
		Metrics []struct {
			Name   string   `json:"name"`
			Ours   *float64 `json:"ours"`
			Ratio  *float64 `json:"ratio"`
			Met    *bool    `json:"met"`
			Target *Target  `json:"target"`
		} `json:"metrics"`
		Errors []string `json:"errors"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, buf.String())
	}
	if doc.Mode != "quick" || doc.Machine.Cores != 2 || doc.Machine.Terraform != "1.5.7" || len(doc.Metrics) != 3 || len(doc.Errors) != 1 {
		t.Fatalf("unexpected document: %+v", doc)
	}
	m := doc.Metrics[0]
	if m.Met == nil || *m.Met || m.Ratio == nil || m.Target == nil || m.Target.Value != 0.5 || m.Target.On != OnOurs {
		t.Errorf("first metric = %+v", m)
	}
	if doc.Metrics[1].Met != nil || doc.Metrics[1].Target != nil {
		t.Errorf("a metric with no target must have no met/target, got %+v", doc.Metrics[1])
	}
}
