package sourcehash

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// writeTree writes n files of size bytes each, 100 to a directory, with
// pseudo-random content, and returns the directory.
func writeTree(tb testing.TB, n, size int) string {
	tb.Helper()
	dir := tb.TempDir()
	block := make([]byte, 1<<20+size)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(block)
	for i := range n {
		off := i * 4099 % (len(block) - size)
		write(tb, dir, fmt.Sprintf("d%03d/f%05d.bin", i/100, i), string(block[off:off+size]))
	}
	return dir
}

func BenchmarkTree(b *testing.B) {
	const files, size = 1000, 64 << 10
	dir := writeTree(b, files, size)
	b.SetBytes(files * size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Tree(b.Context(), dir, terraformFiles); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTreeSmall is a job's usual source directory: a few small files,
// hashed once per job by every plan.
func BenchmarkTreeSmall(b *testing.B) {
	dir := writeTree(b, 3, 2<<10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Tree(b.Context(), dir, terraformFiles); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTreeSmallSkippingTheConfig is BenchmarkTreeSmall with the job's
// config file in the folder, left out as the provider does at every plan.
func BenchmarkTreeSmallSkippingTheConfig(b *testing.B) {
	dir := writeTree(b, 3, 2<<10)
	const config = "commands = [\"python train.py\"]\n"
	write(b, dir, "train.tp.toml", config)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := TreeSkipping(b.Context(), dir, terraformFiles, []byte(config)); err != nil {
			b.Fatal(err)
		}
	}
}
