package client

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// guideRoute is a route as the assumptions page writes it.
	guideRoute = regexp.MustCompile("`(?:GET|POST|PATCH|PUT|DELETE) (/[^`{]*)")
	// clientPath is an engine path, or the fixed start of one, in the
	// client's code.
	clientPath = regexp.MustCompile(`"(/(?:job|cluster|storage|user|request|object-storage|ssh)[a-z0-9_/-]*)"`)
	// jobOp is a job route built by jobPath.
	jobOp = regexp.MustCompile(`jobPath\("([a-z]+)"`)
)

// TestAssumptionsNameEveryRouteTheClientCalls: every engine path the client
// builds (each literal path or path prefix in its code, and each job route
// jobPath makes) is a route on the assumptions page, so that a route the
// provider starts to rely on cannot go undocumented.
func TestAssumptionsNameEveryRouteTheClientCalls(t *testing.T) {
	guide, err := os.ReadFile(filepath.FromSlash("../../templates/guides/engine-assumptions.md.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{} // "/job/info/" for `GET /job/info/{job_id}`
	for _, m := range guideRoute.FindAllStringSubmatch(string(guide), -1) {
		documented[m[1]] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	called := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		code, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, m := range clientPath.FindAllStringSubmatch(string(code), -1) {
			if m[1] != "/job/" { // jobPath's prefix: its routes come next
				paths = append(paths, m[1])
			}
		}
		for _, m := range jobOp.FindAllStringSubmatch(string(code), -1) {
			paths = append(paths, "/job/"+m[1]+"/")
		}
		for _, path := range paths {
			called++
			if !documented[path] {
				t.Errorf("%s calls %s, which the assumptions page names in no route", file, path)
			}
		}
	}
	if called < 20 {
		t.Errorf("only %d paths found in the client: the scan is broken", called)
	}
}
