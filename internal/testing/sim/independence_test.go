package sim

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The simulator models the engine on its own: no file of the package, tests
// included, may import the provider's code (internal/provider, internal/client,
// internal/tpconfig…), or a provider bug could hide behind the same code on
// both sides. Only the shared clock (and its test fakes) is allowed.
func TestSimulatorImportsNoProviderCode(t *testing.T) {
	const module = "github.com/tensorpool/terraform-provider-tensorpool/"
	allowed := map[string]bool{module + "internal/clock": true, module + "internal/clock/clocktest": true}
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files (%v)", err)
	}
	for _, f := range files {
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, module) && !allowed[path] {
				t.Errorf("%s imports %s: the simulator must not share code with the provider", f, path)
			}
		}
	}
}
