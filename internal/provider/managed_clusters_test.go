package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// teardownWarnings are the diagnostics on teardown_cluster.
func teardownWarnings(diags diag.Diagnostics) []diag.Diagnostic {
	var out []diag.Diagnostic
	for _, d := range diags {
		if withPath, ok := d.(diag.DiagnosticWithPath); ok && withPath.Path().Equal(path.Root("teardown_cluster")) {
			out = append(out, d)
		}
	}
	return out
}

func TestJobPlanWarnsAboutTeardownOfAClusterThisConfigurationManages(t *testing.T) {
	data := &providerData{}
	other := &providerData{} // another provider instance (another run, or an aliased provider)
	// The cluster resource records the clusters it reads or plans.
	cluster := &clusterResource{data: data}
	clusterState := map[string]any{"id": "c-managed", "instance_type": "1xH100", "deletion_protection": false}
	if diags := runModifyPlan(t, cluster, clusterState, clusterState).Diagnostics; diags.HasError() {
		t.Fatalf("cluster plan: %v", diags)
	}
	recordManagedCluster(other, types.StringValue("c-elsewhere"))

	for _, tc := range []struct {
		name       string
		data       *providerData
		state      map[string]any
		plan       map[string]any
		wantInText string // "" = no warning
	}{
		{"cluster id known only after apply", data, nil, map[string]any{"teardown_cluster": true, "cluster_id": planUnknown{}}, "only known after apply"},
		{"a cluster this configuration manages", data, nil, map[string]any{"teardown_cluster": true, "cluster_id": "c-managed"}, "c-managed"},
		{"an existing job, planned again", data, map[string]any{"id": "j-1", "teardown_cluster": true, "cluster_id": "c-managed"},
			map[string]any{"id": "j-1", "teardown_cluster": true, "cluster_id": "c-managed"}, "c-managed"},
		{"a cluster created outside Terraform", data, nil, map[string]any{"teardown_cluster": true, "cluster_id": "c-elsewhere"}, ""},
		{"a cluster another provider instance manages", other, nil, map[string]any{"teardown_cluster": true, "cluster_id": "c-managed"}, ""},
		{"teardown_cluster = false", data, nil, map[string]any{"teardown_cluster": false, "cluster_id": "c-managed"}, ""},
		{"destroying the job", data, map[string]any{"id": "j-1", "teardown_cluster": true, "cluster_id": "c-managed"}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := runModifyPlan(t, &jobResource{data: tc.data}, tc.state, tc.plan)
			if resp.Diagnostics.HasError() {
				t.Fatalf("unexpected errors: %v", resp.Diagnostics)
			}
			warnings := teardownWarnings(resp.Diagnostics)
			if tc.wantInText == "" {
				if len(warnings) != 0 {
					t.Fatalf("want no teardown warning, got %v", warnings)
				}
				return
			}
			if len(warnings) != 1 || warnings[0].Severity() != diag.SeverityWarning {
				t.Fatalf("want one teardown_cluster warning, got %v", resp.Diagnostics)
			}
			detail := warnings[0].Detail()
			for _, want := range []string{tc.wantInText, "teardown_cluster = true", "next plan", "creates it again"} {
				if !strings.Contains(detail, want) {
					t.Errorf("the warning does not say %q: %s", want, detail)
				}
			}
		})
	}
}

func TestManagedClusterSetIsPerProviderInstance(t *testing.T) {
	data := &providerData{}
	if isManagedCluster(data, "c-1") {
		t.Fatal("an empty set knows c-1")
	}
	recordManagedCluster(data, types.StringUnknown())
	recordManagedCluster(data, types.StringNull())
	recordManagedCluster(data, types.StringValue("c-1"))
	if !isManagedCluster(data, "c-1") || isManagedCluster(&providerData{}, "c-1") || isManagedCluster(nil, "c-1") {
		t.Fatal("the set is not per provider instance")
	}
}
