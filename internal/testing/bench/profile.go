package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
)

// errNoProfile: the profiled plan left no profile behind.
var errNoProfile = errors.New("no provider process wrote one")

// profilePackage is the provider plus profiling, for -profile.
const profilePackage = "./internal/testing/bench/profprovider"

// Profile applies n jobs, then runs one `terraform plan -refresh=true` with
// a provider build that writes CPU and allocation profiles, and merges the
// profiles of every provider process of that plan into dir/cpu.pprof,
// dir/allocs.pprof and dir/heap.pprof (in use at each process's peak) (read them with `go tool pprof -top`).
func Profile(ctx context.Context, cfg Config, n int, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	s := &Suite{cfg: cfg, report: &Report{}}
	root, err := os.MkdirTemp("", "tensorpool-bench-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	s.root = root
	if s.h, err = tfharness.New(ctx, cfg.Terraform, root); err != nil {
		return err
	}
	modRoot, err := tfharness.ModuleRoot()
	if err != nil {
		return err
	}
	// Replace the provider the harness built with the profiling one.
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(s.h.ProviderDir, ProviderBinary), profilePackage) //nolint:gosec // G204: builds this module's package into the run's scratch directory.
	build.Dir = modRoot
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the profiling provider: %w\n%s", err, out)
	}
	s.sourceDir = filepath.Join(root, "source")
	if err := os.MkdirAll(s.sourceDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.sourceDir, "train.py"), []byte("print('training')\n"), 0o600); err != nil {
		return err
	}
	env, err := s.startSim(0, 0)
	if err != nil {
		return err
	}
	defer env.Close()
	w, err := s.jobsWorkspace("profile", n, env)
	if err != nil {
		return err
	}
	if _, _, err := s.apply(ctx, w, n, false); err != nil {
		return err
	}
	raw := filepath.Join(root, "profiles")
	if err := os.MkdirAll(raw, 0o700); err != nil {
		return err
	}
	w.Env = append(slices.Clone(w.Env), "TENSORPOOL_BENCH_PROFILE_DIR="+raw)
	tr, err := s.run(ctx, w, false, []int{0, 2}, s.flags("plan", "-refresh=true", "-detailed-exitcode")...)
	if err != nil {
		return err
	}
	w.Env = w.Env[:len(w.Env)-1]
	for _, kind := range []string{"cpu", "allocs", "heap"} {
		files, err := filepath.Glob(filepath.Join(raw, kind+"-*.pprof"))
		if err != nil || len(files) == 0 {
			return fmt.Errorf("no %s profile written: %w", kind, errors.Join(err, errNoProfile))
		}
		merge := exec.CommandContext(ctx, "go", append([]string{"tool", "pprof", "-proto"}, files...)...) //nolint:gosec // G204: our own profiles.
		out, err := merge.Output()
		if err != nil {
			return fmt.Errorf("merging the %s profiles: %w", kind, err)
		}
		if err := os.WriteFile(filepath.Join(dir, kind+".pprof"), out, 0o600); err != nil {
			return err
		}
	}
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, "profiled plan of %d jobs: wall %.2fs, cpu %.2fs; profiles in %s\n", n, tr.wall.Seconds(), tr.cpu.Seconds(), dir)
		files, _ := filepath.Glob(filepath.Join(raw, "memstats-*.json"))
		for _, f := range files {
			if line, err := memStatsLine(f); err == nil {
				fmt.Fprintf(cfg.Log, "  %s: at the heap's peak %s\n", filepath.Base(f), line)
			}
		}
	}
	_, err = s.run(ctx, w, false, []int{0}, s.flags("destroy", "-auto-approve")...)
	return err
}

// PeakMemStats is what the runtime reported at the heap's peak, in bytes:
// the heap allocated (live and not yet collected), the heap live after the
// last collection, and the heap size at which the next collection starts.
// profprovider writes it as memstats-<pid>.json.
type PeakMemStats struct {
	HeapAlloc  uint64 `json:"heap_alloc"`
	HeapLive   uint64 `json:"heap_live_after_gc"`
	NextGC     uint64 `json:"next_gc"`
	HeapInuse  uint64 `json:"heap_inuse"`
	Sys        uint64 `json:"sys"`
	Goroutines int    `json:"goroutines"`
}

// memStatsLine summarises one provider process's memstats-<pid>.json in
// MiB.
func memStatsLine(path string) (string, error) {
	raw, err := os.ReadFile(path) //nolint:gosec // G304: the run's own scratch directory.
	if err != nil {
		return "", err
	}
	var m PeakMemStats
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", err
	}
	mb := func(b uint64) float64 { return float64(b) / (1 << 20) }
	return fmt.Sprintf("heap allocated %.1f MiB, live after the last GC %.1f MiB, next GC at %.1f MiB, heap in use %.1f MiB, "+
		"from the OS %.1f MiB, %d goroutines", mb(m.HeapAlloc), mb(m.HeapLive), mb(m.NextGC), mb(m.HeapInuse), mb(m.Sys), m.Goroutines), nil
}
