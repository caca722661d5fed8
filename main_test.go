package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

// The provider binary is product code only: the simulator, benchmarks, CLI
// harness and clock fakes live under internal/testing and
// internal/clock/clocktest, and none of them may end up linked into what
// users install.
func TestProviderBinaryDependsOnNoTestMachinery(t *testing.T) {
	out, err := exec.CommandContext(context.Background(), "go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps .: %v\n%s", err, out)
	}
	const module = "github.com/tensorpool/terraform-provider-tensorpool/"
	var product []string
	for _, pkg := range strings.Fields(string(out)) {
		if !strings.HasPrefix(pkg, module) {
			continue
		}
		product = append(product, pkg)
		for _, forbidden := range []string{"/internal/testing/", "/clocktest", "/tools"} {
			if strings.Contains(strings.TrimPrefix(pkg, module[:len(module)-1]), forbidden) {
				t.Errorf("the provider binary depends on %s, which is test machinery", pkg)
			}
		}
	}
	if len(product) < 3 {
		t.Fatalf("go list -deps . named only %v of this module: the check would prove nothing", product)
	}
}
