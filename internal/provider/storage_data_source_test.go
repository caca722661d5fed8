package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

func TestAccStorageDataSource_readsTheEngineAndRefusesUnknownIDs(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	id, err := env.engine().AddStorage(accKey, sim.StorageSpec{SizeGB: 42, Name: "shared-data", DeletionProtection: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.engine().Attach(id, accCluster); err != nil {
		t.Fatal(err)
	}
	env.outside = append(env.outside, id, sim.AttachmentID(id, accCluster)) // not Terraform's
	const addr = "data.tensorpool_storage.test"
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: env.providerBlock() + fmt.Sprintf("data \"tensorpool_storage\" \"test\" {\n  id = %q\n}\n", id),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("size"), knownvalue.Int64Exact(42)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("shared-data")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("deletion_protection"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("status"), knownvalue.StringExact(sim.StorageAttached)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("cluster_ids"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(accCluster)})),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("created_at"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("storage_info_json"), knownvalue.NotNull()),
				},
			},
			{
				Config:      env.providerBlock() + "data \"tensorpool_storage\" \"test\" {\n  id = \"s-doesnotexist\"\n}\n",
				ExpectError: wrapped("storage volume s-doesnotexist not found"),
			},
		},
	})
}

// With the engine answering only a message, the fields it does not report
// are null, not invented.
func TestAccStorageDataSource_messageOnlyInfo(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	id, err := env.engine().AddStorage(accKey, sim.StorageSpec{SizeGB: 42})
	if err != nil {
		t.Fatal(err)
	}
	env.outside = append(env.outside, id) // not Terraform's
	env.engine().SetFaults(sim.Faults{InfoMessageOnly: true})
	const addr = "data.tensorpool_storage.test"
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: env.providerBlock() + fmt.Sprintf("data \"tensorpool_storage\" \"test\" {\n  id = %q\n}\n", id),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("size"), knownvalue.Null()),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("cluster_ids"), knownvalue.Null()),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("storage_info_json"), knownvalue.StringRegexp(regexp.MustCompile(`"message"`))),
			},
		}},
	})
}
