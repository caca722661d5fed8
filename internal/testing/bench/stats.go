// Package bench is the benchmark suite behind `make bench`: it runs the real
// Terraform CLI against the in-process engine simulator and measures what
// users feel (how long a destroy takes, how many requests a plan or a
// destroy costs, how fast an apply submits, how much memory the provider
// needs), side by side with a reference poller that waits the way the
// official TensorPool CLI does.
//
// The pure parts (percentiles, ratios, the destroy floor, target checks,
// Markdown and JSON rendering) are unit-tested without Terraform; the
// scenarios in suite.go need the CLI and are run by internal/testing/cmd/tensorpool-bench.
package bench

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 < p ≤ 100) of xs by the
// nearest-rank method: the smallest value such that at least p % of the
// values are ≤ it. It never interpolates, so the result is always an
// observed value, and with few samples p95 is the maximum (the
// conservative reading). It returns NaN for no values.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 || p <= 0 || p > 100 || math.IsNaN(p) {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	return s[rank-1]
}

// Summary is the distribution of a set of durations, in seconds.
type Summary struct {
	N   int     `json:"n"`
	Min float64 `json:"min_s"`
	P50 float64 `json:"p50_s"`
	P95 float64 `json:"p95_s"`
	Max float64 `json:"max_s"`
}

// Summarize summarizes durations; the zero Summary for none.
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = d.Seconds()
	}
	return Summary{
		N:   len(xs),
		Min: slices.Min(xs),
		P50: Percentile(xs, 50),
		P95: Percentile(xs, 95),
		Max: slices.Max(xs),
	}
}

// Ratio returns a/b, or nil when b is zero or either is not finite: a ratio
// that cannot be computed is shown as "—", never as Inf.
func Ratio(a, b float64) *float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return nil
	}
	r := a / b
	return &r
}

// DestroyFloor is the shortest possible destroy of n jobs with Terraform's
// -parallelism=p when each cancellation takes latency: ⌈n/p⌉ × latency.
// Terraform starts at most p deletes at once and none can finish before the
// engine says canceled.
func DestroyFloor(n, parallelism int, latency time.Duration) time.Duration {
	if n <= 0 || latency <= 0 {
		return 0
	}
	if parallelism < 1 {
		parallelism = 1
	}
	batches := (n + parallelism - 1) / parallelism
	return time.Duration(batches) * latency
}

// PerJob divides a request count by a job count (NaN for no jobs).
func PerJob(requests, jobs int) float64 {
	if jobs <= 0 {
		return math.NaN()
	}
	return float64(requests) / float64(jobs)
}

// SumCounts adds up a per-route request count.
func SumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// SubCounts returns a − b per key, dropping keys that end at zero; a key
// that would go negative is kept negative, so a bookkeeping error shows.
func SubCounts(a, b map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] -= v
	}
	for k, v := range out {
		if v == 0 {
			delete(out, k)
		}
	}
	return out
}

// f64 returns a pointer to x, for optional JSON numbers; nil for NaN.
func f64(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
