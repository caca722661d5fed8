package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// assumptionsGuide is the page that lists every assumption about the
// engine, with where it comes from ([CLI], [DOC], [INF]).
const assumptionsGuide = "../../../templates/guides/engine-assumptions.md.tmpl"

// TestAssumptionsNameEveryRouteTheSimulatorServes: every engine route the
// simulator serves (not its own /_sim/ routes) is on the assumptions page,
// written `METHOD /path/{param}`, so that a route added here cannot go
// undocumented.
func TestAssumptionsNameEveryRouteTheSimulatorServes(t *testing.T) {
	text, err := os.ReadFile(filepath.FromSlash(assumptionsGuide))
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := start(t, instant)
	served := 0
	for _, r := range srv.Engine.routeTable() {
		path := "/" + strings.Join(r.pattern, "/")
		if strings.HasPrefix(path, "/_sim/") {
			continue
		}
		served++
		if name := "`" + r.method + " " + path + "`"; !strings.Contains(string(text), name) {
			t.Errorf("the simulator serves %s, which %s does not name", name, assumptionsGuide)
		}
	}
	if served < 25 {
		t.Errorf("only %d routes found: the route table is not what this test reads", served)
	}
}
