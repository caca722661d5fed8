package sim

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// uploadTree is the directory the upload tests list. Names ending in "/"
// are directories; the others are files.
var uploadTree = []string{
	"train.py",
	"terraform.tfstate",
	"terraform.tfstate.backup",
	".terraform/",
	".terraform/providers/",
	".terraform/providers/x",
	".terraform.lock.hcl",
	"data/",
	"data/big.bin",
	"sub/",
	"sub/keep.txt",
	"sub/util.py",
	"sub/.terraform", // a file: a directory-only pattern keeps it
	"sub/data/",
	"sub/data/inner.bin",
	"cache/",
	"cache/a.bin",
	"cache/d/",
	"cache/d/a.bin",
	"x/",
	"x/cache/",
	"x/cache/b.bin",
	`a\b`,
	"weird name with spaces.txt",
}

// makeTree creates uploadTree under a new temporary directory.
func makeTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range uploadTree {
		full := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(p, "/")))
		var err error
		if strings.HasSuffix(p, "/") {
			err = os.MkdirAll(full, 0o700)
		} else {
			err = os.WriteFile(full, []byte("x"), 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// treeWithout is uploadTree minus the given paths, as the listing prints it
// (no trailing "/"), sorted.
func treeWithout(gone ...string) []string {
	var out []string
	for _, p := range uploadTree {
		p = strings.TrimSuffix(p, "/")
		if !slices.Contains(gone, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// shell runs an sh command line in a directory, the way a client does.
type shell struct {
	name string
	run  func(t *testing.T, dir, command string) (stdout, stderr string, err error)
}

// shells are the system's sh (with its find and sed) and, when installed,
// busybox alone: its sh, find and sed, and nothing else on PATH.
func shells(t *testing.T) []shell {
	t.Helper()
	system := shell{name: "sh", run: func(t *testing.T, dir, command string) (string, string, error) {
		return runShell(t, exec.CommandContext(t.Context(), "sh", "-c", command), dir)
	}}
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Log("busybox is not installed: checking the system's sh and find only")
		return []shell{system}
	}
	bin := t.TempDir()
	for _, tool := range []string{"sh", "find", "sed"} {
		if err := os.Symlink(bb, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	busybox := shell{name: "busybox", run: func(t *testing.T, dir, command string) (string, string, error) {
		cmd := exec.CommandContext(t.Context(), filepath.Join(bin, "sh"), "-c", command) //nolint:gosec // G204: the command under test is the simulator's upload command
		cmd.Env = []string{"PATH=" + bin}
		return runShell(t, cmd, dir)
	}}
	return []shell{system, busybox}
}

func runShell(t *testing.T, cmd *exec.Cmd, dir string) (string, string, error) {
	t.Helper()
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// listing splits an upload listing into its first line (the directory) and
// the sorted paths after it.
func listing(out string) (string, []string) {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	paths := slices.Clone(lines[1:])
	slices.Sort(paths)
	return lines[0], paths
}

func TestUploadCommandFollowsRsyncExcludes(t *testing.T) {
	tests := []struct {
		name   string
		ignore []string
		gone   []string // what the upload must not ship
	}{
		{name: "no ignore"},
		{name: "terraform files and data", ignore: []string{"*.tfstate", ".terraform/", "data"},
			gone: []string{"terraform.tfstate", ".terraform", ".terraform/providers", ".terraform/providers/x",
				"data", "data/big.bin", "sub/data", "sub/data/inner.bin"}},
		{name: "anchored name", ignore: []string{"/data"}, gone: []string{"data", "data/big.bin"}},
		{name: "anchored glob stays at the top", ignore: []string{"/*.py"}, gone: []string{"train.py"}},
		{name: "unanchored glob at any depth", ignore: []string{"*.py"}, gone: []string{"train.py", "sub/util.py"}},
		{name: "anchored directory", ignore: []string{"/sub/data/"}, gone: []string{"sub/data", "sub/data/inner.bin"}},
		{name: "inner slash matches the path's end", ignore: []string{"cache/*.bin"},
			gone: []string{"cache/a.bin", "x/cache/b.bin"}},
		{name: "a glob before the slash matches one name", ignore: []string{"c?ch*/a.bin"}, gone: []string{"cache/a.bin"}},
		{name: "a glob does not cross a slash", ignore: []string{"sub/*"},
			gone: []string{"sub/keep.txt", "sub/util.py", "sub/.terraform", "sub/data", "sub/data/inner.bin"}},
		{name: "directory-only glob", ignore: []string{"c?che/"},
			gone: []string{"cache", "cache/a.bin", "cache/d", "cache/d/a.bin", "x/cache", "x/cache/b.bin"}},
		{name: "double star crosses slashes", ignore: []string{"**/a.bin"}, gone: []string{"cache/a.bin", "cache/d/a.bin"}},
		{name: "character class", ignore: []string{"[st]ub"},
			gone: []string{"sub", "sub/keep.txt", "sub/util.py", "sub/.terraform", "sub/data", "sub/data/inner.bin"}},
		{name: "backslash without glob is literal", ignore: []string{`a\b`}, gone: []string{`a\b`}},
		{name: "spaces", ignore: []string{"weird name*"}, gone: []string{"weird name with spaces.txt"}},
		{name: "empty patterns are skipped", ignore: []string{"", "/", "//"}},
	}
	for _, sh := range shells(t) {
		t.Run(sh.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					dir := makeTree(t)
					cmd := uploadCommand(tt.ignore)
					stdout, stderr, err := sh.run(t, dir, cmd)
					if err != nil || stderr != "" {
						t.Fatalf("%s: %v, stderr %q", cmd, err, stderr)
					}
					first, paths := listing(stdout)
					if resolved, _ := filepath.EvalSymlinks(dir); first != dir && first != resolved {
						t.Errorf("first line %q, want the directory %s", first, dir)
					}
					if want := treeWithout(tt.gone...); !slices.Equal(paths, want) {
						t.Errorf("ignore %q listed\n  %q\nwant\n  %q\ncommand: %s", tt.ignore, paths, want, cmd)
					}
				})
			}
		})
	}
}

// The ignore patterns are user text: none of them may run as a command.
func TestUploadCommandQuotesPatterns(t *testing.T) {
	hostile := []string{
		`'; touch pwned #`,
		`$(touch pwned)`,
		"`touch pwned`",
		`"; touch pwned; "`,
		`x' -o -exec touch pwned ';' -o -name 'y`,
		`/'; touch pwned #`,
		`a*/'; touch pwned #`,
		`*) touch pwned;; *`,
		`'\''; touch pwned #`,
		// These match ab/child, so they reach the inner script that checks
		// an unanchored glob name by name.
		`a[b'$(touch pwned)]/*`,
		"a[b`touch pwned`]/c*",
		`a[b;) touch pwned;;]/*`,
	}
	for _, sh := range shells(t) {
		t.Run(sh.name, func(t *testing.T) {
			dir := makeTree(t)
			if err := os.MkdirAll(filepath.Join(dir, "ab"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "ab", "child"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := uploadCommand(hostile)
			stdout, stderr, err := sh.run(t, dir, cmd)
			if err != nil || stderr != "" {
				t.Fatalf("%s: %v, stderr %q", cmd, err, stderr)
			}
			if _, err := os.Lstat(filepath.Join(dir, "pwned")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a pattern ran a command (pwned: %v); command: %s", err, cmd)
			}
			// The patterns still work as globs: ab/child is excluded, the
			// rest is not.
			_, paths := listing(stdout)
			if want := append(treeWithout(), "ab"); !slices.Equal(paths, sorted(want)) {
				t.Errorf("listing %q, want %q", paths, sorted(want))
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
