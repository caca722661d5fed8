package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// Everything `terraform destroy` decides about a cluster is in this file;
// the release itself is the shared flow (object_release.go).

// Delete releases the cluster and waits, within timeouts.delete, until the
// engine confirms the release: a destroy that succeeds leaves nothing
// billing. deletion_protection in the state stops it before any request.
func (r *clusterResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state clusterResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	if deleteProtected(ctx, clusterKind, id, state.DeletionProtection, req.Private, &resp.Diagnostics) {
		return
	}
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	deleteTimeout, diags := state.Timeouts.Delete(ctx, defaultClusterDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	earlier, diags := privateString(ctx, req.Private, privatePendingRelease)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unprotect func(ctx context.Context) (string, error)
	if state.DeletionProtection.ValueBool() {
		// Allowed by deleteProtected: a create that never finished, whose
		// protection the engine has all the same.
		unprotect = func(ctx context.Context) (string, error) {
			return api.EditCluster(ctx, id, client.ClusterEdit{DeletionProtection: new(false)})
		}
	}
	deleteObject(ctx, r.data, api, objectRelease[*client.Cluster]{
		Kind:      clusterKind,
		ID:        id,
		Send:      func(ctx context.Context) (string, error) { return api.DestroyCluster(ctx, id) },
		Read:      func(ctx context.Context) (*client.Cluster, error) { return api.GetCluster(ctx, id) },
		Status:    clusterStatus,
		Unprotect: unprotect,
		Earlier:   earlier,
	}, deleteTimeout, resp.Private, &resp.Diagnostics)
}

// clusterDestroying is the status of a cluster whose release is under way
// [INF: the docs name only RUNNING].
const clusterDestroying = "DESTROYING"

// clusterRunning is a cluster ready for jobs [DOC].
const clusterRunning = "RUNNING"

// clusterStatus is what a cluster's status means to create and destroy:
// released as the client decides (destroyed or failed), being released
// while DESTROYING.
func clusterStatus(cluster *client.Cluster) objectStatus {
	return objectStatus{Status: cluster.Status, Released: cluster.Released(), Releasing: statusIs(cluster.Status, clusterDestroying)}
}
