// Command terraform-provider-tensorpool serves the TensorPool provider to
// Terraform and OpenTofu over plugin protocol 6.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/provider"
)

// version is set at release time through -ldflags.
var version = "dev"

func main() {
	var debugMode bool
	flag.BoolVar(&debugMode, "debug", false, "run the provider with support for debuggers such as delve")
	flag.Parse()

	if !debugMode {
		// Produce no log line Terraform would drop (by default, all of
		// them); at the level TF_LOG or TF_LOG_PROVIDER asks for, every
		// line is still there.
		if err := provider.MatchSDKLogLevelsToTerraform(); err != nil {
			log.Fatal(err)
		}
	}
	err := providerserver.Serve(context.Background(), provider.New(version, provider.Options{}), providerserver.ServeOpts{
		Address: "registry.terraform.io/tensorpool/tensorpool",
		Debug:   debugMode,
	})
	if err != nil {
		log.Fatal(err)
	}
}
