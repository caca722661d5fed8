package bench

import (
	"math"
	"slices"
	"testing"
	"time"
)

func seq(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	return xs
}

func TestPercentileNearestRank(t *testing.T) {
	cases := []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		{"p50 of 1..10", seq(10), 50, 5},
		{"p95 of 1..10 is the max", seq(10), 95, 10},
		{"p95 of 1..20", seq(20), 95, 19},
		{"p95 of 1..100", seq(100), 95, 95},
		{"p100 is the max", seq(7), 100, 7},
		{"tiny p is the min", seq(7), 0.001, 1},
		{"single value", []float64{0.25}, 95, 0.25},
		{"p50 of 5 (odd)", seq(5), 50, 3},
		{"unsorted input", []float64{3, 1, 2}, 50, 2},
	}
	for _, c := range cases {
		if got := Percentile(c.xs, c.p); got != c.want {
			t.Errorf("%s: Percentile(%v, %v) = %v, want %v", c.name, c.xs, c.p, got, c.want)
		}
	}
}

func TestPercentileEdgeCasesAndNoMutation(t *testing.T) {
	for _, p := range []float64{0, -1, 101, math.NaN()} {
		if got := Percentile(seq(3), p); !math.IsNaN(got) {
			t.Errorf("Percentile(p=%v) = %v, want NaN", p, got)
		}
	}
	if got := Percentile(nil, 50); !math.IsNaN(got) {
		t.Errorf("Percentile(nil) = %v, want NaN", got)
	}
	xs := []float64{3, 1, 2}
	Percentile(xs, 50)
	if !slices.Equal(xs, []float64{3, 1, 2}) {
		t.Errorf("Percentile sorted its input: %v", xs)
	}
}

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 20; i++ {
		ds = append(ds, time.Duration(i)*100*time.Millisecond)
	}
	s := Summarize(ds)
	want := Summary{N: 20, Min: 0.1, P50: 1.0, P95: 1.9, Max: 2.0}
	if math.Abs(s.Min-want.Min) > 1e-9 || math.Abs(s.P50-want.P50) > 1e-9 || math.Abs(s.P95-want.P95) > 1e-9 ||
		math.Abs(s.Max-want.Max) > 1e-9 || s.N != want.N {
		t.Errorf("Summarize = %+v, want %+v", s, want)
	}
	if got := Summarize(nil); got != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", got)
	}
}

func TestRatio(t *testing.T) {
	if r := Ratio(3, 2); r == nil || *r != 1.5 {
		t.Errorf("Ratio(3, 2) = %v, want 1.5", r)
	}
	for _, c := range [][2]float64{{1, 0}, {math.NaN(), 1}, {1, math.Inf(1)}, {math.Inf(-1), 1}} {
		if r := Ratio(c[0], c[1]); r != nil {
			t.Errorf("Ratio(%v, %v) = %v, want nil", c[0], c[1], *r)
		}
	}
}

func TestDestroyFloor(t *testing.T) {
	L := 10 * time.Second
	cases := []struct {
		n, par int
		l      time.Duration
		want   time.Duration
	}{
		{1, 10, L, 10 * time.Second},
		{10, 10, L, 10 * time.Second},
		{11, 10, L, 20 * time.Second},
		{100, 10, L, 100 * time.Second},
		{101, 10, L, 110 * time.Second},
		{5, 1, 2 * time.Second, 10 * time.Second},
		{5, 0, 2 * time.Second, 10 * time.Second}, // parallelism < 1 means 1
		{0, 10, L, 0},
		{10, 10, 0, 0},
	}
	for _, c := range cases {
		if got := DestroyFloor(c.n, c.par, c.l); got != c.want {
			t.Errorf("DestroyFloor(%d, %d, %s) = %s, want %s", c.n, c.par, c.l, got, c.want)
		}
	}
}

func TestCounts(t *testing.T) {
	if got := PerJob(25, 10); got != 2.5 {
		t.Errorf("PerJob(25, 10) = %v", got)
	}
	if got := PerJob(1, 0); !math.IsNaN(got) {
		t.Errorf("PerJob(1, 0) = %v, want NaN", got)
	}
	total := map[string]int{"GET /job/info": 30, "POST /job/cancel": 20, "WS /job/listen": 10}
	ref := map[string]int{"GET /job/info": 10, "POST /job/cancel": 10, "GET /job/list": 1}
	got := SubCounts(total, ref)
	want := map[string]int{"GET /job/info": 20, "POST /job/cancel": 10, "WS /job/listen": 10, "GET /job/list": -1}
	if len(got) != len(want) {
		t.Fatalf("SubCounts = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("SubCounts[%q] = %d, want %d", k, got[k], v)
		}
	}
	if n := SumCounts(total); n != 60 {
		t.Errorf("SumCounts = %d, want 60", n)
	}
	if got := SubCounts(map[string]int{"a": 1}, map[string]int{"a": 1}); len(got) != 0 {
		t.Errorf("SubCounts kept a zero: %v", got)
	}
}
