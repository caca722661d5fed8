package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

func TestAccClusterDataSource(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	const data = "data.tensorpool_cluster.x"
	// A cluster of this configuration, read back through the data source.
	config := env.clusterConfig("2xH100", "  num_nodes = 2", `  name = "shared"`) +
		"data \"tensorpool_cluster\" \"x\" {\n  id = tensorpool_cluster.test.id\n}\n"
	var id string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(data, tfjsonpath.New("instance_type"), knownvalue.StringExact("2xH100")),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("num_nodes"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("name"), knownvalue.StringExact("shared")),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("status"), knownvalue.StringExact("RUNNING")),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("deletion_protection"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("container"), knownvalue.Null()),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("instance_ids"), knownvalue.ListSizeExact(2)),
					statecheck.CompareValuePairs(data, tfjsonpath.New("instance_ids"), clusterAddr, tfjsonpath.New("instance_ids"), compare.ValuesSame()),
				},
				Check: resource.ComposeTestCheckFunc(captureIDOf(clusterAddr, &id), func(s *terraform.State) error {
					cl, err := env.engineCluster(id)
					if err != nil {
						return err
					}
					if got := s.RootModule().Resources[data].Primary.Attributes["instance_ids.1"]; got != cl.InstanceIDs[1] {
						return fmt.Errorf("instance_ids.1 is %q, the engine has %q", got, cl.InstanceIDs)
					}
					return nil
				}),
			},
			{
				Config:      env.providerBlock() + "data \"tensorpool_cluster\" \"x\" {\n  id = \"c-doesnotexist\"\n}\n",
				ExpectError: wrapped("TensorPool cluster not found", "cluster c-doesnotexist not found"),
			},
		},
	})
}
