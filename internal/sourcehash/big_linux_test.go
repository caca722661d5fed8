//go:build linux && (amd64 || arm64)

package sourcehash

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestTreeBig measures the case, 10,000 files / 1 GiB, with the files
// evicted from the page cache (cold) and then cached (warm). It writes 1 GiB,
// so it only runs with SOURCEHASH_BIG=1.
func TestTreeBig(t *testing.T) {
	if os.Getenv("SOURCEHASH_BIG") != "1" {
		t.Skip("set SOURCEHASH_BIG=1 to hash 10,000 files / 1 GiB")
	}
	const files, size = 10_000, (1 << 30) / 10_000
	dir := writeTree(t, files, size)
	rssBefore := maxRSSMiB(t)
	for _, cold := range []bool{true, false} {
		if cold {
			evictFromPageCache(t, dir)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		res, err := Tree(t.Context(), dir, terraformFiles)
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if res.Files != files || res.Bytes != files*size {
			t.Errorf("Files, Bytes = %d, %d; want %d, %d", res.Files, res.Bytes, files, files*size)
		}
		t.Logf("cold=%v GOMAXPROCS=%d: %d files, %d bytes in %v (%.0f MiB/s); allocated %d KiB; peak RSS %d MiB (%d before)",
			cold, runtime.GOMAXPROCS(0), res.Files, res.Bytes, elapsed.Round(time.Millisecond),
			float64(res.Bytes)/(1<<20)/elapsed.Seconds(), (after.TotalAlloc-before.TotalAlloc)>>10, maxRSSMiB(t), rssBefore)
	}
}

func maxRSSMiB(t *testing.T) int64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		t.Fatal(err)
	}
	return usage.Maxrss >> 10 // Linux reports KiB
}

// evictFromPageCache writes the tree's files back and drops them from the
// page cache (posix_fadvise DONTNEED), without touching other files' cache.
func evictFromPageCache(t *testing.T, dir string) {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(path) //nolint:gosec // a file of the test's own tree
		if err != nil {
			return err
		}
		defer f.Close()
		if err := f.Sync(); err != nil {
			return err
		}
		const fadvDontNeed = 4
		if _, _, errno := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0); errno != 0 {
			return errno
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
