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

func TestAccJobDataSource(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	id, err := env.engine().AddJob(accKey, accCluster)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.engine().SetStatus(id, "completed"); err != nil {
		t.Fatal(err)
	}
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: env.providerBlock() + fmt.Sprintf("data \"tensorpool_job\" \"x\" {\n  id = %q\n}\n", id),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.tensorpool_job.x", tfjsonpath.New("status"), knownvalue.StringExact("completed")),
					statecheck.ExpectKnownValue("data.tensorpool_job.x", tfjsonpath.New("cluster_id"), knownvalue.StringExact(accCluster)),
					statecheck.ExpectKnownValue("data.tensorpool_job.x", tfjsonpath.New("exit_code"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue("data.tensorpool_job.x", tfjsonpath.New("job_info_json"), knownvalue.StringExact("{}")), // the simulator sends only modelled fields
				},
			},
			{
				// Deleted with `tp job delete`: reported, not an error that
				// would stop every plan and destroy that reads it.
				PreConfig: func() {
					if err := sim.DeleteJobAsTheCLI(env.server.URL, accKey, id); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.providerBlock() + fmt.Sprintf("data \"tensorpool_job\" \"x\" {\n  id = %q\n}\n", id),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.tensorpool_job.x", tfjsonpath.New("status"), knownvalue.StringExact("deleted")),
					statecheck.ExpectKnownValue("data.tensorpool_job.x", tfjsonpath.New("cluster_id"), knownvalue.Null()),
					statecheck.ExpectKnownValue("data.tensorpool_job.x", tfjsonpath.New("exit_code"), knownvalue.Null()),
					statecheck.ExpectKnownValue("data.tensorpool_job.x", tfjsonpath.New("job_info_json"), knownvalue.Null()),
				},
			},
			{
				// Another user's job: the engine's 403 is quoted.
				PreConfig:   func() {},
				Config:      env.providerBlock() + fmt.Sprintf("data \"tensorpool_job\" \"x\" {\n  id = %q\n}\n", otherUsersJob(t, env)),
				ExpectError: regexp.MustCompile(`(?s)403.*Access denied`),
			},
		},
	})
}

// otherUsersJob belongs to another user, so the invariants (which look at
// the test user's jobs) ignore it.
func otherUsersJob(t *testing.T, env *accEnv) string {
	id, err := env.engine().AddJob("tp-other-user-key", accCluster)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
