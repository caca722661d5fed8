// Package e2e runs the provider as Terraform really runs it: the real CLI
// starting the provider binary as a child process (through a dev override),
// against the in-process simulator. It covers what in-process acceptance
// tests cannot: signals to the terraform process, TF_LOG files, and
// -parallelism.
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
)

var harness *tfharness.Harness

func TestMain(m *testing.M) {
	if os.Getenv("TF_ACC") == "" {
		fmt.Println("e2e: TF_ACC is not set; skipping the end-to-end tests (make test sets it)")
		os.Exit(m.Run())
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	terraform, err := tfharness.FindTerraform()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	root, err := os.MkdirTemp("", "tensorpool-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(root)
	harness, err = tfharness.NewWith(context.Background(), terraform, root, tfharness.BuildOptions{Race: raceEnabled})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}
