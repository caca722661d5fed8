// Command terraform-provider-tensorpool serves the TensorPool provider to
// Terraform and OpenTofu over plugin protocol 6.
package main

import (
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

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
	var opts []tf6server.ServeOpt
	if debugMode {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	// The framework's server, wrapped (provider.NewServer says why), served
	// as providerserver.Serve would serve it.
	server, err := provider.NewServer(version, provider.Options{})()
	if err != nil {
		log.Fatal(err)
	}
	err = tf6server.Serve("registry.terraform.io/tensorpool/tensorpool", func() tfprotov6.ProviderServer { return server }, opts...)
	if err != nil {
		log.Fatal(err)
	}
}
