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

	err := providerserver.Serve(context.Background(), provider.New(version, provider.Options{}), providerserver.ServeOpts{
		Address: "registry.terraform.io/tensorpool/tensorpool",
		Debug:   debugMode,
	})
	if err != nil {
		log.Fatal(err)
	}
}
