package provider

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// TestAccListResources_findWhatTheEngineHas drives the four list resources
// through `terraform query` (Terraform 1.14 and later; skipped on older
// CLIs): each finds what was created outside Terraform, by identity, with
// the display name and, with include_resource, the attributes import would
// record; exclude_ids, the status filter and limit narrow the results.
func TestAccListResources_findWhatTheEngineHas(t *testing.T) {
	// The lists and reads ride out an outage of the engine (FailNext) as a
	// refresh does.
	env := newClusterEnv(t, sim.Options{PendingDelay: time.Hour})
	engine := env.engine()
	alpha, err := engine.AddCluster(accKey, sim.ClusterSpec{InstanceType: "8xH100", NumNodes: 2, Name: "alpha", DeletionProtection: true})
	if err != nil {
		t.Fatal(err)
	}
	beta, err := engine.AddCluster(accKey, sim.ClusterSpec{Name: "beta"})
	if err != nil {
		t.Fatal(err)
	}
	volume, err := engine.AddStorage(accKey, sim.StorageSpec{SizeGB: 250, Name: "datasets"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := engine.AddSSHKey(accKey, testPublicKey(7, "ci@runner"), "ci")
	if err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for range 2 {
		id, err := engine.AddJob(accKey, accCluster)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, id)
	}
	env.outside = append(env.outside, alpha, beta, volume, key, jobs[0], jobs[1])
	env.abandoned = append(env.abandoned, jobs...)
	byID := func(id string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"id": knownvalue.StringExact(id)}
	}

	var mu sync.Mutex
	listQueries := map[string][]string{} // path → the query of each GET
	provider := env.observedProviderBlock(func(r *http.Request, _ []byte) {
		if strings.HasSuffix(r.URL.Path, "/list") {
			mu.Lock()
			defer mu.Unlock()
			listQueries[r.URL.Path] = append(listQueries[r.URL.Path], r.URL.RawQuery)
		}
	})

	env.run(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		Steps: []resource.TestStep{
			{Config: provider},
			{
				PreConfig: func() { engine.SetFaults(sim.Faults{FailNext: 40}) },
				Query:     true,
				// The first step's provider block configures the query too.
				Config: fmt.Sprintf(`
list "tensorpool_cluster" "mine" {
  provider         = tensorpool
  include_resource = true
  config {
    exclude_ids = [%q]
  }
}

list "tensorpool_cluster" "first" {
  provider = tensorpool
  limit    = 1
}

list "tensorpool_storage" "all" {
  provider         = tensorpool
  include_resource = true
  config {
    include_org = true
  }
}

list "tensorpool_ssh_key" "all" {
  provider = tensorpool
}

list "tensorpool_job" "pending" {
  provider = tensorpool
  config {
    status = "PENDING"
  }
}

list "tensorpool_job" "running" {
  provider = tensorpool
  config {
    status = "running"
  }
}
`, accCluster),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("tensorpool_cluster.mine", 2),
					querycheck.ExpectIdentity("tensorpool_cluster.mine", byID(alpha)),
					querycheck.ExpectIdentity("tensorpool_cluster.mine", byID(beta)),
					querycheck.ExpectNoIdentity("tensorpool_cluster.mine", byID(accCluster)),
					querycheck.ExpectResourceDisplayName("tensorpool_cluster.mine", queryfilter.ByResourceIdentity(byID(alpha)),
						knownvalue.StringExact("alpha ("+alpha+"), RUNNING")),
					querycheck.ExpectResourceKnownValues("tensorpool_cluster.mine", queryfilter.ByResourceIdentity(byID(alpha)), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("instance_type"), KnownValue: knownvalue.StringExact("8xH100")},
						{Path: tfjsonpath.New("num_nodes"), KnownValue: knownvalue.Int64Exact(2)},
						{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("alpha")},
						{Path: tfjsonpath.New("deletion_protection"), KnownValue: knownvalue.Bool(true)},
						{Path: tfjsonpath.New("public_keys"), KnownValue: knownvalue.Null()},
					}),
					querycheck.ExpectLength("tensorpool_cluster.first", 1),
					querycheck.ExpectLength("tensorpool_storage.all", 1),
					querycheck.ExpectResourceKnownValues("tensorpool_storage.all", queryfilter.ByResourceIdentity(byID(volume)), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("size"), KnownValue: knownvalue.Int64Exact(250)},
						{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("datasets")},
						{Path: tfjsonpath.New("status"), KnownValue: knownvalue.StringExact(sim.StorageAvailable)},
					}),
					querycheck.ExpectIdentity("tensorpool_ssh_key.all", byID(key)),
					querycheck.ExpectLength("tensorpool_job.pending", 2),
					querycheck.ExpectIdentity("tensorpool_job.pending", byID(jobs[0])),
					querycheck.ExpectIdentity("tensorpool_job.pending", byID(jobs[1])),
					querycheck.ExpectLength("tensorpool_job.running", 0),
				},
			},
		},
	})
	// include_org reaches the engine only where it was set.
	mu.Lock()
	defer mu.Unlock()
	if got := listQueries["/storage/list"]; !slices.Contains(got, "include_org=true") || slices.Contains(got, "") {
		t.Errorf("the storage list with include_org = true sent queries %q, want include_org=true", got)
	}
	if got := listQueries["/cluster/list"]; len(got) == 0 || slices.ContainsFunc(got, func(q string) bool { return q != "" }) {
		t.Errorf("the cluster lists without include_org sent queries %q, want none", got)
	}
	// The query met the injected failures (a query step runs no Check).
	if left := engine.Faults().FailNext; left != 0 {
		t.Errorf("%d of the 40 injected failures were not met", left)
	}
}

// TestListStatusFilterMustNotBeBlank: a blank status, which would match
// nothing, is refused at validation naming the attribute; an unset one and
// a real one pass.
func TestListStatusFilterMustNotBeBlank(t *testing.T) {
	ctx := t.Context()
	l, ok := NewClusterListResource().(*objectList)
	if !ok {
		t.Fatal("the cluster list resource is not an *objectList")
	}
	var schemaResp list.ListResourceSchemaResponse
	l.ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &schemaResp)
	objectType := schemaResp.Schema.Type().TerraformType(ctx)
	for status, wantError := range map[string]bool{"  ": true, "running": false, "": false} {
		value := tftypes.NewValue(tftypes.String, nil)
		if status != "" {
			value = tftypes.NewValue(tftypes.String, status)
		}
		raw := tftypes.NewValue(objectType, map[string]tftypes.Value{
			"include_org": tftypes.NewValue(tftypes.Bool, nil),
			"exclude_ids": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, nil),
			"status":      value,
		})
		var resp list.ValidateConfigResponse
		l.ValidateListResourceConfig(ctx, list.ValidateConfigRequest{Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: raw}}, &resp)
		if resp.Diagnostics.HasError() != wantError {
			t.Errorf("status %q: diagnostics %v, want an error: %t", status, resp.Diagnostics, wantError)
		}
		if wantError && (len(resp.Diagnostics) == 0 || resp.Diagnostics[0].Summary() != "Blank status filter") {
			t.Errorf("status %q: %v, want the blank status filter error", status, resp.Diagnostics)
		}
	}
}
