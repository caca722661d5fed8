package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// Everything `terraform destroy` decides about a storage attachment is in
// this file.

// Delete detaches the volume and waits, within timeouts.delete, for the
// engine to report it detached. A volume that is not attached (or no longer
// exists) is already what destroy wants.
func (r *storageAttachmentResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state storageAttachmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	deleteTimeout, diags := state.Timeouts.Delete(ctx, defaultDetachTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	deleteCtx, cancel := context.WithTimeout(ctx, deleteTimeout)
	defer cancel()
	storageID, clusterID := state.StorageID.ValueString(), state.ClusterID.ValueString()

	// An attach still under way (its create timed out) would complete after
	// a refused detach: wait for it to end first.
	pending, diags := pendingAttach(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	for _, attachID := range pending {
		_, err := awaitEarlierRequest(deleteCtx, api, attachID, "attaching storage "+storageID+" to cluster "+clusterID+" (before detaching it)", deleteTimeout)
		var failed *client.RequestFailedError
		if err != nil && !errors.As(err, &failed) && !client.IsNotFound(err) {
			resp.Diagnostics.AddError(requestErrorSummary("waiting for the storage attach to end before detaching", err),
				fmt.Sprintf("%s (timeouts.delete = %s).\n\nThe attach of storage volume %s to cluster %s is still under way, so nothing was "+
					"detached yet. The attachment stays in the Terraform state; run `terraform destroy` again.", err, deleteTimeout, storageID, clusterID))
			return
		}
	}

	requestID, err := api.DetachStorage(deleteCtx, storageID, clusterID)
	switch {
	case client.IsNotFound(err):
		tflog.Info(ctx, "TensorPool storage volume or cluster already gone", map[string]any{"storage_id": storageID, "cluster_id": clusterID})
		return
	case client.IsBadRequest(err):
		if r.notAttached(deleteCtx, api, storageID, clusterID, err) {
			return
		}
		resp.Diagnostics.AddError("The engine refused to detach the TensorPool storage volume",
			fmt.Sprintf("%s.\n\nThe attachment stays in the Terraform state; fix the cause and run `terraform destroy` again.", err))
		return
	case err != nil:
		resp.Diagnostics.AddError("Could not detach the TensorPool storage volume",
			fmt.Sprintf("Detaching storage volume %s from cluster %s failed: %s.\n\nThe attachment stays in the Terraform state; "+
				"run `terraform destroy` again.", storageID, clusterID, err))
		return
	}
	if requestID == "" {
		return
	}
	if _, err := awaitRequest(deleteCtx, api, requestID, "detaching storage "+storageID+" from cluster "+clusterID, deleteTimeout); err != nil {
		resp.Diagnostics.AddError(requestErrorSummary("detaching the TensorPool storage volume", err),
			fmt.Sprintf("%s (timeouts.delete = %s).\n\nThe detach was requested but the engine has not reported it completed. "+
				"The attachment stays in the Terraform state, so nothing is lost: run `terraform destroy` again.", err, deleteTimeout))
		return
	}
	tflog.Info(ctx, "TensorPool storage volume detached", map[string]any{"storage_id": storageID, "cluster_id": clusterID})
}

// notAttached decides whether a refused detach means the volume is already
// detached from the cluster: the volume is gone or released, its reported
// clusters leave this one out, or (when it reports no clusters) the engine
// said so.
func (r *storageAttachmentResource) notAttached(ctx context.Context, api *client.Client, storageID, clusterID string, refusal error) bool {
	storage, err := readPatiently(ctx, r.data, defaultReadTimeout, func(ctx context.Context) (*client.Storage, error) { return api.GetStorage(ctx, storageID) })
	switch gone, _ := storageGone(storage, err); {
	case gone:
		return true
	case err == nil && storage.ClusterIDs != nil:
		return !slices.Contains(storage.ClusterIDs, clusterID)
	}
	return strings.Contains(strings.ToLower(refusal.Error()), "not attached")
}
