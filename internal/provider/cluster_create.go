package provider

import (
	"context"
	"errors"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// Create claims the cluster and follows the claim within timeouts.create
// (followCreate: the cluster is in the state from the moment the engine
// names it).
func (r *clusterResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan clusterResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	createTimeout, diags := plan.Timeouts.Create(ctx, defaultClusterCreateTimeout)
	resp.Diagnostics.Append(diags...)
	readTimeout, diags := plan.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(diags...)
	spec := clusterSpec(ctx, plan, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	createCtx, cancel := context.WithTimeout(ctx, createTimeout)
	defer cancel()

	created, err := api.CreateCluster(createCtx, spec)
	if err != nil {
		resp.Diagnostics.AddError("Could not create the TensorPool cluster", createClusterAdvice(err))
		return
	}
	id := created.ClusterID
	plan.ID = types.StringValue(id)
	// Set with the id: a create that ends in an error still keeps the
	// cluster in the state (tainted), identity included.
	setIDIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
	if created.InstanceIDs != nil {
		plan.InstanceIDs = stringList(ctx, created.InstanceIDs, &resp.Diagnostics)
	}
	recordManagedCluster(r.data, plan.ID)
	result := followCreate(ctx, createCtx, r.data, api, objectCreate[*client.Cluster]{
		Kind: clusterKind, ID: id, RequestID: created.RequestID,
		Adopted: created.Adopted, Ready: func(cl *client.Cluster) bool { return statusIs(cl.Status, clusterRunning) },
		Save: func() diag.Diagnostics {
			// A copy: the plan's unknowns are what fillFromCluster fills.
			saved := plan
			saved.setUnknownAsNull()
			return resp.State.Set(ctx, &saved)
		},
		Read:    func(ctx context.Context) (*client.Cluster, error) { return api.GetCluster(ctx, id) },
		Status:  clusterStatus,
		Timeout: createTimeout, ReadTimeout: readTimeout,
	}, &resp.State, resp.Private, &resp.Diagnostics)
	if result.Removed {
		return
	}
	if result.Read {
		plan.fillFromCluster(ctx, result.Object, &resp.Diagnostics)
	}
	plan.setUnknownAsNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// clusterSpec is the create request for the plan.
func clusterSpec(ctx context.Context, plan clusterResourceModel, diags *diag.Diagnostics) client.ClusterSpec {
	spec := client.ClusterSpec{
		InstanceType:       plan.InstanceType.ValueString(),
		DeletionProtection: plan.DeletionProtection.ValueBool(),
	}
	if !plan.NumNodes.IsNull() && !plan.NumNodes.IsUnknown() {
		spec.NumNodes = plan.NumNodes.ValueInt64Pointer()
	}
	if !plan.Name.IsNull() && !plan.Name.IsUnknown() {
		spec.Name = plan.Name.ValueStringPointer()
	}
	if !plan.Container.IsNull() && !plan.Container.IsUnknown() {
		spec.Container = plan.Container.ValueStringPointer()
	}
	if !plan.PublicKeys.IsNull() && !plan.PublicKeys.IsUnknown() {
		diags.Append(plan.PublicKeys.ElementsAs(ctx, &spec.PublicKeys, false)...)
		for i, key := range spec.PublicKeys {
			spec.PublicKeys[i] = strings.TrimSpace(key) // a .pub file's final newline is not part of the key
		}
	}
	return spec
}

// createClusterAdvice explains a create that got no cluster id.
func createClusterAdvice(err error) string {
	var missing *client.MissingIDError
	switch {
	case errors.As(err, &missing):
		return err.Error() + ".\n\nThe provider cannot put a cluster it cannot name in the state. Check `tp cluster list` and " +
			"release any cluster you did not expect (`tp cluster destroy <id>`), or import it with an import block."
	case client.IsUnconfirmed(err):
		return err.Error() + ".\n\nThe engine's answer did not arrive, and the provider could not tell which cluster, if any, " +
			"the claim made, so none was put in the state. Check `tp cluster list` before applying again: such a claim is never " +
			"sent again, because that could claim (and bill) a second cluster. A cluster you keep can be imported with an import block."
	case client.IsOutage(err), errors.Is(err, context.DeadlineExceeded):
		return err.Error() + ".\n\nThe engine refused the claim without acting on it (a rate limit, or unavailable), also " +
			"when the provider tried again until timeouts.create ended: nothing was claimed. Apply again when the engine is back."
	}
	return err.Error() + "."
}
