package sourcehash

import "testing"

// TestPatternFollowsRsyncExcludeRules checks the matcher against the rules
// and examples of rsync(1), "INCLUDE/EXCLUDE PATTERN RULES".
func TestPatternFollowsRsyncExcludeRules(t *testing.T) {
	const dir, file = true, false
	cases := []struct {
		pattern, path string
		isDir, want   bool
	}{
		// A pattern without '/' matches a name at any depth, file or directory.
		{"data", "data", dir, true},
		{"data", "data", file, true},
		{"data", "src/data", dir, true},
		{"data", "database", file, false},
		// A trailing '/' matches directories only.
		{"data/", "data", dir, true},
		{"data/", "data", file, false},
		{"data/", "a/b/data", dir, true},
		// A leading '/' anchors at the root of the tree.
		{"/top.txt", "top.txt", file, true},
		{"/top.txt", "sub/top.txt", file, false},
		{"/*.txt", "a.txt", file, true},
		{"/*.txt", "d/a.txt", file, false},
		// An inner '/' matches the end of the path at a component boundary.
		{"sub/*.log", "sub/a.log", file, true},
		{"sub/*.log", "x/sub/a.log", file, true},
		{"sub/*.log", "sub/x/a.log", file, false},
		{"sub/*.log", "xsub/a.log", file, false},
		{"sub/*.log", "a.log", file, false},
		{"docs/README.md", "pkg/docs/README.md", file, true},
		{"docs/README.md", "mydocs/README.md", file, false},
		// "**" crosses '/', but "**/" needs at least one directory.
		{"**/cache", "a/cache", dir, true},
		{"**/cache", "a/b/cache", dir, true},
		{"**/cache", "cache", dir, false},
		{"/foo/**/bar", "foo/x/y/bar", file, true},
		{"/foo/**/bar", "foo/bar", file, false},
		{"out/**", "x/out/a/b", file, true},
		{"out/**", "out", dir, false},
		{"build/***", "build", dir, true},
		{"build/***", "src/build", dir, true},
		// '?', classes and escapes.
		{"file?.txt", "file1.txt", file, true},
		{"file?.txt", "file10.txt", file, false},
		{"/a?b", "a/b", file, false},
		{"[0-9]*.csv", "7days.csv", file, true},
		{"[0-9]*.csv", "days.csv", file, false},
		{"[!a]*", "b.py", file, true},
		{"[^a]*", "a.py", file, false},
		{"[]x]", "]", file, true},
		{"a[/]b", "a/b", file, false},
		{"[unclosed", "[unclosed", file, false},
		{`\*.txt`, "*.txt", file, true},
		{`\*.txt`, "a.txt", file, false},
		// Terraform's own files, which every caller passes.
		{"*.tfstate", "terraform.tfstate", file, true},
		{"*.tfstate", "envs/prod/terraform.tfstate", file, true},
		{"*.tfstate", "terraform.tfstate.backup", file, false},
		{"*.tfstate.*", "terraform.tfstate.backup", file, true},
		{"*.tfstate.*", "terraform.tfstate", file, false},
		{".terraform/", "modules/.terraform", dir, true},
		{".terraform/", ".terraform", file, false},
		{".terraform.lock.hcl", "sub/.terraform.lock.hcl", file, true},
		{"*.tfplan", "plans/x.tfplan", file, true},
		{"crash.log", "crash.log", file, true},
		{"", "anything", file, false},
	}
	for _, c := range cases {
		p, ok := compilePattern(c.pattern)
		if got := ok && p.matches(c.path, c.isDir); got != c.want {
			t.Errorf("pattern %q on %q (dir %v): excluded = %v, want %v", c.pattern, c.path, c.isDir, got, c.want)
		}
	}
}
