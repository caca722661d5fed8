package provider

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// clusterSet is the ids of the tensorpool_cluster resources one provider
// instance has read, planned or created: Terraform runs one provider
// instance per configuration and operation, so these are the clusters this
// configuration manages, as far as this run has seen them.
type clusterSet struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

// managedClusters holds one clusterSet per provider instance (per
// *providerData, which Configure creates once per instance). Keyed here
// rather than held in providerData so that the set stays the cluster
// resource's own business.
var managedClusters sync.Map // *providerData → *clusterSet

func clustersOf(data *providerData) *clusterSet {
	if data == nil {
		return nil
	}
	stored, _ := managedClusters.LoadOrStore(data, &clusterSet{ids: map[string]struct{}{}})
	set, _ := stored.(*clusterSet) // only *clusterSet is ever stored
	return set
}

// recordManagedCluster notes that this configuration manages cluster id.
func recordManagedCluster(data *providerData, id types.String) {
	set := clustersOf(data)
	if set == nil || id.IsNull() || id.IsUnknown() || id.ValueString() == "" {
		return
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	set.ids[id.ValueString()] = struct{}{}
}

// isManagedCluster reports whether id is a cluster this configuration manages.
func isManagedCluster(data *providerData, id string) bool {
	set := clustersOf(data)
	if set == nil {
		return false
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	_, ok := set.ids[id]
	return ok
}

// warnTeardownOfManagedCluster is part of the job's ModifyPlan. With
// teardown_cluster = true the engine tears the cluster down when the job
// ends; when that cluster is a tensorpool_cluster of this configuration,
// the next plan finds it gone and creates it again: a loop the user almost
// never wants, and that bills a fresh claim each time. A cluster_id not
// known at plan time almost always comes from a cluster created in the same
// apply, so it is warned about too. The order of Terraform's walk (a job
// refers to its cluster, so the cluster is read and planned first) makes
// the set complete whenever the job names the cluster by reference.
func warnTeardownOfManagedCluster(ctx context.Context, data *providerData, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // a destroy
	}
	if resp.Diagnostics.HasError() {
		return // the plan fails anyway
	}
	// Read from the raw plan: cheaper than GetAttribute's path walk, and
	// this runs for every job of every plan.
	plan, err := rawAttributes(req.Plan.Raw)
	if err != nil {
		resp.Diagnostics.AddError("Could not read the job's plan", "This is a bug in the provider: "+err.Error())
		return
	}
	var teardown bool
	if planned := plan["teardown_cluster"]; !planned.IsKnown() || planned.As(&teardown) != nil || !teardown {
		return // unknown, null or false: the engine keeps the cluster
	}
	clusterID, err := stringOf(ctx, plan["cluster_id"])
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("cluster_id"), "Could not read the job's plan", "This is a bug in the provider: "+err.Error())
		return
	}
	var which string
	switch {
	case clusterID.IsUnknown():
		which = "This job's cluster_id is only known after apply, which means it comes from a resource created in the same apply, " +
			"such as a tensorpool_cluster of this configuration."
	case isManagedCluster(data, clusterID.ValueString()):
		which = fmt.Sprintf("This job runs on cluster %s, which this configuration manages as a tensorpool_cluster resource.", clusterID.ValueString())
	default:
		return
	}
	resp.Diagnostics.AddAttributeWarning(path.Root("teardown_cluster"), "teardown_cluster on a cluster Terraform manages",
		which+" With teardown_cluster = true the engine tears that cluster down when the job ends; the next plan then finds it gone "+
			"and creates it again (a new claim that bills from the start). To release the cluster after training, let `terraform destroy` "+
			"do it and set teardown_cluster = false; keep teardown_cluster = true only for clusters created outside Terraform.")
}
