package provider

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

const organizationConfig = "data \"tensorpool_organization\" \"current\" {}\n"

// TestAccOrganizationDataSource_readsNameMembersAndBalance: the data source
// shows what the engine reports of the organization, the raw object
// included, after riding out an outage of the route.
func TestAccOrganizationDataSource_readsNameMembersAndBalance(t *testing.T) {
	env := newClusterEnv(t, sim.Options{OrganizationBalance: 12.75, Faults: sim.Faults{FailNext: 2}})
	const addr = "data.tensorpool_organization.current"
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: env.providerBlock() + organizationConfig,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("org-"+accOwner)),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("balance"), knownvalue.Float64Exact(12.75)),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("members"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(accOwner)})),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("organization_info_json"), knownvalue.StringRegexp(wrapped(`"balance":12.75`))),
			},
		}},
	})
}

// TestAccOrganizationDataSource_failsWithoutABalance: an answer without a
// readable balance is an error that says so, not a balance of 0 a
// precondition could misread.
func TestAccOrganizationDataSource_failsWithoutABalance(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/user/organization/info" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte(`{"name":"acme","message":"Organization acme"}`))
	}))
	t.Cleanup(srv.Close)
	env := newClusterEnv(t, sim.Options{})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:      fmt.Sprintf("provider \"tensorpool\" {\n  engine_url = %q\n  api_key    = %q\n}\n", srv.URL, accKey) + organizationConfig,
			ExpectError: wrapped("TensorPool organization balance missing", "so the balance is not guessed", `"name":"acme"`),
		}},
	})
}
