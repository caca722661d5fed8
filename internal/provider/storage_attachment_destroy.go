package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// Everything `terraform destroy` decides about a storage attachment is in
// this file.

// Delete detaches the volume and waits, within timeouts.delete, for the
// engine to report it detached. A volume that is not attached (or no longer
// exists) is already what destroy wants. When the wait ends first (timeout,
// Ctrl-C), the detach's request id is kept in private state, so the next
// destroy waits for that same detach rather than send a second one, which the
// engine refuses while the first is under way.
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
			resp.Diagnostics.AddError(requestErrorSummary(attachEndSummaries, err),
				fmt.Sprintf("%s (timeouts.delete = %s).\n\nThe attach of storage volume %s to cluster %s is still under way, so nothing was "+
					"detached yet. The attachment stays in the Terraform state; run `terraform destroy` again.", err, deleteTimeout, storageID, clusterID))
			return
		}
	}
	// Those attaches have ended: a later destroy need not read them again.
	resp.Diagnostics.Append(setPendingAttach(ctx, resp.Private, nil)...)

	// An attach whose answer was lost (no request id to follow) may still
	// be under way, and the engine neither lists it nor lets it be
	// detached [INF]: a refused detach of a volume that does not list the
	// cluster would prove nothing. Wait for the volume to list the cluster
	// (then detach it as usual), or for the volume or the cluster to be
	// gone (then nothing can attach).
	unconfirmed, diags := attachUnconfirmed(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	if unconfirmed {
		attached, err := r.waitForUnconfirmedAttach(deleteCtx, api, storageID, clusterID, deleteTimeout)
		if err != nil {
			resp.Diagnostics.AddError(requestErrorSummary(interruptedAttachSummaries, err),
				fmt.Sprintf("%s (timeouts.delete = %s).\n\nThe answer to the attach of storage volume %s to cluster %s was lost (an "+
					"interrupted or failed apply), and the engine does not show an attach under way: until the volume lists the "+
					"cluster, a detach would be refused and the attach could still complete afterwards, outside the Terraform state. "+
					"So nothing was detached, and the attachment stays in the Terraform state.\n\nCheck with `tp storage info %s`: "+
					"once it lists cluster %s, run `terraform destroy` (or `terraform apply`) again, which detaches it. If it still "+
					"does not list the cluster long after an attach would have completed, the engine did not take the attach: remove "+
					"the attachment from the state with `terraform state rm` and run the command again.",
					err, deleteTimeout, storageID, clusterID, storageID, clusterID))
			return
		}
		resp.Diagnostics.Append(setAttachUnconfirmed(ctx, resp.Private, false)...)
		if !attached {
			tflog.Info(ctx, "TensorPool storage volume or cluster gone: the attach whose answer was lost cannot be under way", map[string]any{"storage_id": storageID, "cluster_id": clusterID})
			return
		}
	}

	// A detach sent by an earlier destroy that stopped waiting for it (a
	// timeout, Ctrl-C) may still be under way, and the engine refuses a
	// second detach until it ends: wait for that same detach instead.
	earlier, diags := pendingDetach(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	if earlier != "" {
		_, err := awaitEarlierRequest(deleteCtx, api, earlier, "detaching storage "+storageID+" from cluster "+clusterID+" (requested by an earlier destroy)", deleteTimeout)
		var failed *client.RequestFailedError
		switch {
		case err == nil:
			tflog.Info(ctx, "TensorPool storage volume detached", map[string]any{"storage_id": storageID, "cluster_id": clusterID, "request_id": earlier})
			return
		case errors.As(err, &failed) || client.IsNotFound(err):
			// That detach failed, or the engine no longer knows it: detach anew.
			tflog.Info(ctx, "TensorPool storage detach of an earlier destroy did not complete; detaching again", map[string]any{"request_id": earlier, "error": err.Error()})
			resp.Diagnostics.Append(setPendingDetach(ctx, resp.Private, "")...)
		default:
			detachWaitFailed(resp, err, deleteTimeout)
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
		// No request to follow: watch the volume's clusters instead.
		known, err := r.waitForMount(deleteCtx, api, storageID, clusterID, false, deleteTimeout)
		switch {
		case err != nil:
			detachWaitFailed(resp, err, deleteTimeout)
		case !known:
			resp.Diagnostics.AddWarning("The engine gave no detach request to follow",
				fmt.Sprintf("The engine accepted the detach of storage volume %s from cluster %s without a request id and does not report "+
					"the volume's clusters, so the provider could not wait for the detach to finish.", storageID, clusterID))
		}
		return
	}
	if _, err := awaitRequest(deleteCtx, api, requestID, "detaching storage "+storageID+" from cluster "+clusterID, deleteTimeout); err != nil {
		var failed *client.RequestFailedError
		if !errors.As(err, &failed) {
			// Still under way, as far as we know: the next destroy waits for it.
			resp.Diagnostics.Append(setPendingDetach(ctx, resp.Private, requestID)...)
		}
		detachWaitFailed(resp, err, deleteTimeout)
		return
	}
	tflog.Info(ctx, "TensorPool storage volume detached", map[string]any{"storage_id": storageID, "cluster_id": clusterID})
}

// detachWaitFailed reports a wait for a detach that ended before the engine
// reported the detach completed.
func detachWaitFailed(resp *resource.DeleteResponse, err error, deleteTimeout time.Duration) {
	next := "run `terraform destroy` again: it waits for the same detach, without sending a second one."
	var failed *client.RequestFailedError
	if errors.As(err, &failed) {
		next = "run `terraform destroy` again to request a new detach."
	}
	resp.Diagnostics.AddError(requestErrorSummary(detachSummaries, err),
		fmt.Sprintf("%s (timeouts.delete = %s).\n\nThe detach was requested but the engine has not reported it completed. "+
			"The attachment stays in the Terraform state, so nothing is lost: %s", err, deleteTimeout, next))
}

// privatePendingDetach holds the detach's request id while the detach may
// still be under way (its destroy timed out or was interrupted).
const privatePendingDetach = "pending_detach_request"

// setPendingDetach records the detach's request id, or clears it ("").
func setPendingDetach(ctx context.Context, private privateSetter, requestID string) diag.Diagnostics {
	return setPrivateString(ctx, private, privatePendingDetach, requestID)
}

// pendingDetach is what setPendingDetach recorded, or "".
func pendingDetach(ctx context.Context, private privateGetter) (string, diag.Diagnostics) {
	return privateString(ctx, private, privatePendingDetach)
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

// waitForUnconfirmedAttach waits, by reading the volume (and, while it does
// not list the cluster, the cluster), for the outcome of an attach whose
// answer was lost: attached once the volume lists the cluster; not attached
// once the volume or the cluster is gone (an attach does not outlive either
// [INF]). A volume whose info does not report its clusters cannot be
// watched: it counts as attached, so that the detach and its refusal decide
// as they do without this record. No further attach is sent: it would
// attach.
func (r *storageAttachmentResource) waitForUnconfirmedAttach(ctx context.Context, api *client.Client, storageID, clusterID string, timeout time.Duration) (attached bool, err error) {
	type view struct{ attached, gone bool }
	read := func(ctx context.Context) (*view, error) {
		storage, err := api.GetStorage(ctx, storageID)
		if err != nil {
			return nil, err // a 404 ends the wait: gone
		}
		if gone, _ := storageGone(storage, nil); gone {
			return &view{gone: true}, nil
		}
		if storage.ClusterIDs == nil || slices.Contains(storage.ClusterIDs, clusterID) {
			return &view{attached: true}, nil
		}
		cluster, err := api.GetCluster(ctx, clusterID)
		if client.IsNotFound(err) {
			return &view{gone: true}, nil
		}
		if err != nil {
			return nil, err
		}
		gone, _ := clusterGone(cluster, nil)
		return &view{gone: gone}, nil
	}
	wait := waitConfig{Policy: r.data.opts.PollPolicy, Clock: r.data.opts.Clock, Timeout: timeout}
	err = waitByReading(ctx, wait, read, func(v *view) bool {
		attached = v.attached
		return v.attached || v.gone
	}, "reading storage volume "+storageID+" while waiting for the attach of an interrupted apply to show")
	return attached, err
}

// attachEndSummaries are the summaries of a wait that ended before
// its outcome, when waiting for the storage attach to end before detaching.
var attachEndSummaries = requestSummaries{
	Failed:      "The engine reports a FAILED request waiting for the storage attach to end before detaching",
	TimedOut:    "Timed out waiting for the storage attach to end before detaching",
	Interrupted: "Interrupted (Ctrl-C) while waiting for the storage attach to end before detaching",
	Other:       "Error waiting for the storage attach to end before detaching",
}

// interruptedAttachSummaries are the summaries of a wait that ended before
// its outcome, when waiting for the storage attach of an interrupted apply to show.
var interruptedAttachSummaries = requestSummaries{
	Failed:      "The engine reports a FAILED request waiting for the storage attach of an interrupted apply to show",
	TimedOut:    "Timed out waiting for the storage attach of an interrupted apply to show",
	Interrupted: "Interrupted (Ctrl-C) while waiting for the storage attach of an interrupted apply to show",
	Other:       "Error waiting for the storage attach of an interrupted apply to show",
}

// detachSummaries are the summaries of a wait that ended before
// its outcome, when detaching the TensorPool storage volume.
var detachSummaries = requestSummaries{
	Failed:      "The engine reports a FAILED request detaching the TensorPool storage volume",
	TimedOut:    "Timed out detaching the TensorPool storage volume",
	Interrupted: "Interrupted (Ctrl-C) while detaching the TensorPool storage volume",
	Other:       "Error detaching the TensorPool storage volume",
}
