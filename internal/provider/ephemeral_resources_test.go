package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// The ephemeral resources' values reach the configuration; the echo
// provider shows them to the test (it writes what it is given into its own
// state, which is the point of it: a real configuration passes them to a
// provider block or a provisioner). TestEphemeralValuesInNoPlanOrState
// (internal/testing/e2e) checks, through the CLI, that the plan file and
// the state never hold them.

// echoConfig passes value to the echo provider, whose echo.out shows it.
func echoConfig(value string) string {
	return fmt.Sprintf("\nprovider \"echo\" {\n  data = %s\n}\n\nresource \"echo\" \"out\" {}\n", value)
}

// withEcho is the test's provider factories plus the echo provider.
func (e *accEnv) withEcho() resource.TestCase {
	factories := e.factories()
	factories["echo"] = echoprovider.NewProviderServer()
	return resource.TestCase{
		ProtoV6ProviderFactories: factories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
	}
}

// TestAccClusterSSH: the ephemeral tensorpool_cluster_ssh gives the engine's
// SSH command of each instance of the cluster (listed by the cluster's
// info), by instance id, riding out an engine outage (two 503s); an
// instance id the engine does not know is an error naming it.
func TestAccClusterSSH(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	cl, ok := env.engine().Cluster(accCluster)
	if !ok || len(cl.InstanceIDs) != 1 {
		t.Fatalf("the simulator's shared cluster has instances %v", cl.InstanceIDs)
	}
	instance := cl.InstanceIDs[0]
	tc := env.withEcho()
	tc.Steps = []resource.TestStep{
		{
			Config: env.providerBlock() + fmt.Sprintf("\nephemeral \"tensorpool_cluster_ssh\" \"acc\" {\n  cluster_id   = %q\n  instance_ids = [\"i-nosuch\"]\n}\n", accCluster) +
				echoConfig("ephemeral.tensorpool_cluster_ssh.acc"),
			ExpectError: wrapped("Could not get the SSH command of an instance", "instance i-nosuch of cluster "+accCluster, "404"),
		},
		{
			PreConfig: func() { env.engine().SetFaults(sim.Faults{FailNext: 2}) },
			Config: env.providerBlock() + fmt.Sprintf("\nephemeral \"tensorpool_cluster_ssh\" \"acc\" {\n  cluster_id = %q\n}\n", accCluster) +
				echoConfig("ephemeral.tensorpool_cluster_ssh.acc"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.out", tfjsonpath.New("data").AtMapKey("commands"), knownvalue.MapExact(map[string]knownvalue.Check{
					instance: knownvalue.StringRegexp(regexp.MustCompile(`^ssh .*` + regexp.QuoteMeta(instance))),
				})),
				statecheck.ExpectKnownValue("echo.out", tfjsonpath.New("data").AtMapKey("instance_ids"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact(instance),
				})),
			},
		},
	}
	env.run(t, tc)
	if left := env.engine().Faults().FailNext; left != 0 {
		t.Errorf("%d of the two 503s were never answered: the outage was not exercised", left)
	}
}

// TestAccObjectStorageCredentials: the ephemeral credentials are the
// engine's (the secret included) once object storage is enabled, read
// through an engine outage (a 503); before, opening them fails and says to
// enable it.
func TestAccObjectStorageCredentials(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	config := env.providerBlock() + "\nephemeral \"tensorpool_object_storage_credentials\" \"s3\" {}\n" +
		echoConfig("ephemeral.tensorpool_object_storage_credentials.s3")
	tc := env.withEcho()
	tc.Steps = []resource.TestStep{
		{Config: config, ExpectError: wrapped("Object storage is not enabled", "tensorpool_object_storage")},
		{
			PreConfig: func() {
				if err := env.engine().EnableObjectStorage(accKey); err != nil {
					t.Fatal(err)
				}
				env.engine().SetFaults(sim.Faults{FailNext: 1})
			},
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.out", tfjsonpath.New("data").AtMapKey("secret_access_key"),
					knownvalueFunc(func() string { return env.engine().ObjectStorageSecret(accKey) })),
				statecheck.ExpectKnownValue("echo.out", tfjsonpath.New("data").AtMapKey("endpoint"), knownvalue.StringRegexp(regexp.MustCompile(`^https://`))),
				statecheck.ExpectKnownValue("echo.out", tfjsonpath.New("data").AtMapKey("access_key_id"), knownvalue.NotNull()),
			},
		},
	}
	env.run(t, tc)
	if left := env.engine().Faults().FailNext; left != 0 {
		t.Error("the 503 was never answered: the outage was not exercised")
	}
}

// knownvalueFunc is StringExact of a value known only when the check runs.
type knownvalueFunc func() string

func (f knownvalueFunc) CheckValue(v any) error {
	want := f()
	if got, ok := v.(string); !ok || want == "" || got != want {
		return fmt.Errorf("the value is not the engine's (%d characters, want %d)", len(fmt.Sprint(v)), len(want))
	}
	return nil
}

func (f knownvalueFunc) String() string { return "the engine's value" }

// TestAccEphemeralOnTerraformBefore110: Terraform before 1.10 does not
// know `ephemeral` blocks; it stops at the configuration, as the docs say,
// before anything reaches the engine.
func TestAccEphemeralOnTerraformBefore110(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	env.run(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipAbove(tfversion.Version1_9_0)},
		Steps: []resource.TestStep{{
			Config:      env.providerBlock() + fmt.Sprintf("\nephemeral \"tensorpool_cluster_ssh\" \"acc\" {\n  cluster_id = %q\n}\n", accCluster),
			PlanOnly:    true,
			ExpectError: wrapped("Unsupported block type", `Blocks of type "ephemeral" are not expected here`),
		}, {
			// Without the block, the same CLI plans (and the test's
			// clean-up runs) as before.
			Config:   env.providerBlock(),
			PlanOnly: true,
		}},
	})
	if stats := env.engine().Stats(); len(stats) != 0 {
		t.Errorf("the engine got requests: %v", stats)
	}
}

// TestAccClusterSSH_messageOnlyInfo: when the cluster's info lists no
// instances (an engine that answers with text only), opening the SSH
// commands fails and says to pass instance_ids from the cluster resource;
// with them, the commands come.
func TestAccClusterSSH_messageOnlyInfo(t *testing.T) {
	env := newAccEnv(t, sim.Options{Faults: sim.Faults{InfoMessageOnly: true}})
	cl, _ := env.engine().Cluster(accCluster)
	instance := cl.InstanceIDs[0]
	sshBlock := func(extra string) string {
		return env.providerBlock() + fmt.Sprintf("\nephemeral \"tensorpool_cluster_ssh\" \"acc\" {\n  cluster_id = %q\n%s}\n", accCluster, extra) +
			echoConfig("ephemeral.tensorpool_cluster_ssh.acc.commands")
	}
	tc := env.withEcho()
	tc.Steps = []resource.TestStep{
		{Config: sshBlock(""), ExpectError: wrapped("The engine does not list the cluster's instances", "instance_ids = tensorpool_cluster.NAME.instance_ids")},
		{
			Config: sshBlock(fmt.Sprintf("  instance_ids = [%q]\n", instance)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.out", tfjsonpath.New("data").AtMapKey(instance), knownvalue.StringRegexp(regexp.MustCompile(`^ssh `))),
			},
		},
	}
	env.run(t, tc)
}
