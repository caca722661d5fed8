// Command terraform-provider-tensorpool serves the TensorPool provider to
// Terraform and OpenTofu over plugin protocol 6.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/provider"
)

// version is set at release time through -ldflags.
var version = "dev"

// defaultMemoryLimit is the soft memory limit the provider sets for itself
// unless GOMEMLIMIT says otherwise. What a plan over hundreds of jobs keeps
// alive fits well under it; without a limit the Go runtime lets the heap
// double between collections, and a 500-job plan peaked near 100 MiB.
const defaultMemoryLimit = 48 << 20

func main() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}

	var debugMode bool
	flag.BoolVar(&debugMode, "debug", false, "run the provider with support for debuggers such as delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version, provider.Options{}), providerserver.ServeOpts{
		Address: "registry.terraform.io/tensorpool/tensorpool",
		Debug:   debugMode,
	})
	if err != nil {
		log.Fatal(err)
	}
}
