package sourcehash

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// terraformFiles are the patterns every caller adds (tpconfig.TerraformFiles).
var terraformFiles = []string{"*.tfstate", "*.tfstate.*", ".terraform/", ".terraform.lock.hcl",
	".terraform.tfstate.lock.info", "*.tfplan", "crash.log"}

var testIgnore = append([]string{"data/", "/notes.txt"}, terraformFiles...)

func write(t testing.TB, dir, rel, content string) {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// sampleTree writes a source tree with files both uploaded and ignored.
func sampleTree(t *testing.T) string {
	dir := t.TempDir()
	for rel, content := range map[string]string{
		"train.py": "print('train')\n", "lib/util.py": "x = 1\n", "lib/sub/notes.txt": "kept",
		"notes.txt": "ignored at the root", "data/big.bin": "ignored dir", "terraform.tfstate": "{}",
		"terraform.tfstate.backup": "{}", ".terraform/providers/p": "bin", "main.tfplan": "plan",
	} {
		write(t, dir, rel, content)
	}
	return dir
}

func treeHash(t *testing.T, dir string) Result {
	t.Helper()
	res, err := Tree(t.Context(), dir, testIgnore)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestTreeCountsOnlyUploadedFiles(t *testing.T) {
	res := treeHash(t, sampleTree(t))
	// train.py (15 bytes), lib/util.py (6), lib/sub/notes.txt (4).
	if res.Files != 3 || res.Bytes != 15+6+4 {
		t.Errorf("Files, Bytes = %d, %d; want 3, 25", res.Files, res.Bytes)
	}
}

func TestTreeHashIgnoresCreationOrderAndModificationTimes(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	write(t, a, "x/1", "one")
	write(t, a, "y", "two")
	write(t, b, "y", "two")
	write(t, b, "x/1", "one")
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(b, "y"), old, old); err != nil {
		t.Fatal(err)
	}
	if ha, hb := treeHash(t, a), treeHash(t, b); ha != hb {
		t.Errorf("same content, different order and mtime: %v != %v", ha, hb)
	}
}

// TestTreeHashChangesWithEveryUploadedChange applies each edit to a fresh
// tree and compares with the unedited tree's hash.
func TestTreeHashChangesWithEveryUploadedChange(t *testing.T) {
	base := treeHash(t, sampleTree(t)).Hash
	edits := map[string]func(dir string) error{
		"content":       func(d string) error { return os.WriteFile(filepath.Join(d, "train.py"), []byte("print(2)\n"), 0o600) },
		"rename":        func(d string) error { return os.Rename(filepath.Join(d, "train.py"), filepath.Join(d, "run.py")) },
		"delete":        func(d string) error { return os.Remove(filepath.Join(d, "lib/util.py")) },
		"new file":      func(d string) error { return os.WriteFile(filepath.Join(d, "new.py"), nil, 0o600) },
		"new empty dir": func(d string) error { return os.Mkdir(filepath.Join(d, "empty"), 0o750) },
		"nested notes": func(d string) error {
			return os.WriteFile(filepath.Join(d, "lib/sub/notes.txt"), []byte("edit"), 0o600)
		},
		"chmod +x": func(d string) error {
			return os.Chmod(filepath.Join(d, "train.py"), 0o700) //nolint:gosec // an executable script is the point
		},
	}
	for name, edit := range edits {
		if name == "chmod +x" && runtime.GOOS == "windows" {
			continue
		}
		dir := sampleTree(t)
		if err := edit(dir); err != nil {
			t.Fatal(err)
		}
		if got := treeHash(t, dir).Hash; got == base {
			t.Errorf("%s: hash did not change", name)
		}
	}
}

func TestTreeHashIgnoresExcludedFiles(t *testing.T) {
	dir := sampleTree(t)
	base := treeHash(t, dir).Hash
	for rel, content := range map[string]string{
		"notes.txt": "edited", "data/big.bin": "edited", "data/new/deep.bin": "new", "terraform.tfstate": `{"v":2}`,
		"terraform.tfstate.backup": "edited", ".terraform/providers/q": "new", "lib/sub/x.tfstate": "{}",
		".terraform.lock.hcl": "lock", "crash.log": "panic", "main.tfplan": "edited",
	} {
		write(t, dir, rel, content)
	}
	if got := treeHash(t, dir).Hash; got != base {
		t.Errorf("editing ignored files changed the hash: %s -> %s", base, got)
	}
}

func TestTreeHashesSymlinkTargetsWithoutFollowing(t *testing.T) {
	outside := t.TempDir()
	write(t, outside, "secret.txt", "v1")
	write(t, outside, "d/inner", "v1")
	dir := t.TempDir()
	write(t, dir, "a.py", "a")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), link); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	if err := os.Symlink(filepath.Join(outside, "d"), filepath.Join(dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	base := treeHash(t, dir)
	if base.Files != 3 || base.Bytes != 1 {
		t.Errorf("Files, Bytes = %d, %d; want 3 (a.py and two links), 1 (links are not followed)", base.Files, base.Bytes)
	}
	write(t, outside, "secret.txt", "v2")
	write(t, outside, "d/inner", "v2")
	if got := treeHash(t, dir).Hash; got != base.Hash {
		t.Error("editing a symlink's target changed the hash: the link was followed")
	}
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "other.txt"), link); err != nil {
		t.Fatal(err)
	}
	if got := treeHash(t, dir).Hash; got == base.Hash {
		t.Error("retargeting a symlink did not change the hash")
	}
}

func TestTreeReturnsContextErrorWhenAlreadyCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Tree(ctx, sampleTree(t), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// cancelAfterPolls cancels itself on its limit-th Err call: deterministic
// cancellation in the middle of the work, without timing.
type cancelAfterPolls struct {
	context.Context
	cancel       context.CancelFunc
	polls, limit atomic.Int64
}

func (c *cancelAfterPolls) Err() error {
	if c.polls.Add(1) == c.limit.Load() {
		c.cancel()
	}
	return c.Context.Err()
}

func TestTreeStopsInsideALargeFileOnCancel(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20 // 256 chunks: finishing would poll ctx 256+ times
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	polling := &cancelAfterPolls{Context: ctx, cancel: cancel}
	polling.limit.Store(8)
	if _, err := Tree(polling, dir, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := polling.polls.Load(); n > 16 {
		t.Errorf("ctx polled %d times after cancel on its 8th poll: the file was read on", n)
	}
}
