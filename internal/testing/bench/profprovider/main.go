// Command profprovider is the TensorPool provider as main.go serves it, plus
// profiles: when TENSORPOOL_BENCH_PROFILE_DIR is set, each process writes a
// CPU profile (cpu-<pid>.pprof) for as long as it serves and an allocation
// profile (allocs-<pid>.pprof) when it stops. tensorpool-bench -profile
// builds it in place of the provider; it is never shipped.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/provider"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/bench"
)

func main() {
	dir := os.Getenv("TENSORPOOL_BENCH_PROFILE_DIR")
	if dir != "" {
		// A sample every 4 KiB rather than 512: the heap at the peak is a
		// few tens of MB, too few default samples to tell its parts apart.
		runtime.MemProfileRate = 4 << 10
		stop, err := startCPUProfile(dir)
		if err != nil {
			log.Fatal(err)
		}
		defer stop()
	}
	if err := provider.MatchSDKLogLevelsToTerraform(); err != nil {
		log.Fatal(err)
	}
	err := providerserver.Serve(context.Background(), provider.New("bench", provider.Options{}), providerserver.ServeOpts{
		Address: "registry.terraform.io/tensorpool/tensorpool",
	})
	if err != nil {
		log.Print(err)
	}
}

func startCPUProfile(dir string) (func(), error) {
	cpu, err := os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", os.Getpid()))) //nolint:gosec // G304: the benchmark's own directory.
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go snapshotPeakHeap(dir, done)
	return func() {
		close(done)
		pprof.StopCPUProfile()
		_ = cpu.Close()
		runtime.GC()
		allocs, err := os.Create(filepath.Join(dir, fmt.Sprintf("allocs-%d.pprof", os.Getpid()))) //nolint:gosec // G304: as above.
		if err != nil {
			return
		}
		_ = pprof.Lookup("allocs").WriteTo(allocs, 0)
		_ = allocs.Close()
	}, nil
}

// snapshotPeakHeap writes heap-<pid>.pprof (in-use memory at the last GC)
// and memstats-<pid>.json (bench.PeakMemStats) each time the heap is found larger
// than at every earlier look, so the files show what the process held at
// its peak.
func snapshotPeakHeap(dir string, done <-chan struct{}) {
	var peak uint64
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc <= peak+peak/10 {
			continue
		}
		peak = ms.HeapAlloc
		writePeakMemStats(dir, ms)
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", os.Getpid()))) //nolint:gosec // G304: as above.
		if err != nil {
			return
		}
		_ = pprof.Lookup("heap").WriteTo(f, 0)
		_ = f.Close()
	}
}

func writePeakMemStats(dir string, ms runtime.MemStats) {
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	stats := bench.PeakMemStats{HeapAlloc: ms.HeapAlloc, NextGC: ms.NextGC, HeapInuse: ms.HeapInuse, Sys: ms.Sys, Goroutines: runtime.NumGoroutine()}
	if live[0].Value.Kind() == metrics.KindUint64 {
		stats.HeapLive = live[0].Value.Uint64()
	}
	out, err := json.Marshal(stats)
	if err != nil {
		return
	}
	_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("memstats-%d.json", os.Getpid())), out, 0o600) //nolint:gosec // G703: the benchmark's own directory.
}
