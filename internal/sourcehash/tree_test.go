package sourcehash

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
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
	if ha, hb := treeHash(t, a), treeHash(t, b); !reflect.DeepEqual(ha, hb) {
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

// TestTreeSkippingLeavesOutTheConfigFile: the file whose content is the
// job's config text counts neither before nor after an edit of that text;
// a file of the same size with other content still counts; WithSkipped is
// Tree's hash.
func TestTreeSkippingLeavesOutTheConfigFile(t *testing.T) {
	dir := sampleTree(t)
	without := treeHash(t, dir).Hash
	const config = "commands = [\"python train.py\"]\n"
	write(t, dir, "train.tp.toml", config)
	skipping := func(text string) Result {
		t.Helper()
		res, err := TreeSkipping(t.Context(), dir, testIgnore, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := skipping(config)
	if res.Hash != without || len(res.Skipped) != 1 || res.Skipped[0] != "train.tp.toml" {
		t.Errorf("Hash %s, Skipped %v; want the hash of the tree without the config file (%s) and [train.tp.toml]", res.Hash, res.Skipped, without)
	}
	if all := treeHash(t, dir).Hash; res.WithSkipped != all || all == without {
		t.Errorf("WithSkipped %s, want Tree's %s (which counts the config file)", res.WithSkipped, all)
	}
	const edited = "# a comment\ncommands = [\"python train.py\"]\n"
	write(t, dir, "train.tp.toml", edited)
	if got := skipping(edited).Hash; got != without {
		t.Errorf("after a comment in the config file the hash moved: %s, want %s", got, without)
	}
	// Same size, other content: an ordinary file.
	write(t, dir, "other.toml", strings.Repeat("x", len(edited)))
	if got := skipping(edited); got.Hash == without || len(got.Skipped) != 1 {
		t.Errorf("a file that only has the config's size was skipped: Skipped %v", got.Skipped)
	}
	if nothing := skipping("not in the tree"); nothing.Skipped != nil || nothing.Hash != nothing.WithSkipped {
		t.Errorf("skipping absent content: Skipped %v, Hash %s, WithSkipped %s", nothing.Skipped, nothing.Hash, nothing.WithSkipped)
	}
}
