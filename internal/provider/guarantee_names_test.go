package provider

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestGuaranteesNameTestsThatExist: every test, fuzz target or simulator
// check that the README or a guide names as the proof of a guarantee is
// declared somewhere in the repository, so that a renamed or deleted test
// cannot leave a promise proved by nothing.
func TestGuaranteesNameTestsThatExist(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")

	declared := map[string]bool{}
	declaration := regexp.MustCompile(`(?m)^func (?:\([^)]*\) )?(\w+)[\[(]`)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		src, err := os.ReadFile(p) //nolint:gosec // the repository's own files, walked by a test
		if err != nil {
			return err
		}
		for _, m := range declaration.FindAllSubmatch(src, -1) {
			declared[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	documents := []string{filepath.Join(root, "README.md")}
	guides, _ := filepath.Glob(filepath.Join(root, "templates", "guides", "*.tmpl"))
	documents = append(documents, guides...)
	named := regexp.MustCompile("`((?:Test|Fuzz)\\w+)`")
	checked := 0
	for _, doc := range documents {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range named.FindAllSubmatch(text, -1) {
			checked++
			if name := string(m[1]); !declared[name] {
				rel, _ := filepath.Rel(root, doc)
				t.Errorf("%s names %s as a proof, but no such function is declared in the repository", rel, name)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no test names found in the README or the guides: the pattern no longer matches how they are written")
	}
}
