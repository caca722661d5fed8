package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// Everything `terraform destroy` decides about a storage volume is in this
// file.

// Delete releases the volume and waits, within timeouts.delete, until the
// engine reports the release completed: only then has it stopped billing.
// Deletion protection stops it before any request.
func (r *storageResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state storageResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	if state.DeletionProtection.ValueBool() {
		resp.Diagnostics.Append(deletionProtectedError("storage volume", id))
		return
	}
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	deleteTimeout, diags := state.Timeouts.Delete(ctx, defaultStorageDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	deleteCtx, cancel := context.WithTimeout(ctx, deleteTimeout)
	defer cancel()

	requestID, err := api.DestroyStorage(deleteCtx, id)
	switch {
	case client.IsNotFound(err):
		tflog.Info(ctx, "TensorPool storage volume already gone", map[string]any{"storage_id": id})
		return
	case client.IsBadRequest(err):
		// Refused: perhaps already released or being released, perhaps
		// still attached. The volume itself says which.
		storage, readErr := readPatiently(deleteCtx, r.data, deleteTimeout, func(ctx context.Context) (*client.Storage, error) { return api.GetStorage(ctx, id) })
		if client.IsNotFound(readErr) || (readErr == nil && storage.Released()) {
			return
		}
		if readErr == nil && storageBeingReleased(storage) {
			// An earlier destroy (timed out or interrupted) asked already:
			// wait for that release instead of failing.
			if err := r.waitReleased(deleteCtx, api, id, deleteTimeout); err != nil {
				resp.Diagnostics.AddError(requestErrorSummary("destroying the TensorPool storage volume", err), storageDeleteWaitDetail(id, deleteTimeout, err))
			}
			return
		}
		resp.Diagnostics.AddError("The engine refused to destroy the TensorPool storage volume",
			fmt.Sprintf("%s.\n\n%sThe volume stays in the Terraform state; fix the cause and run `terraform destroy` again.", err, storageRefusalAdvice(err, storage)))
		return
	case err != nil:
		resp.Diagnostics.AddError("Could not destroy the TensorPool storage volume",
			fmt.Sprintf("Destroying storage volume %s failed: %s.\n\nThe volume stays in the Terraform state; run `terraform destroy` again.", id, err))
		return
	}
	if requestID == "" {
		return // the engine released it at once
	}
	if _, err := awaitRequest(deleteCtx, api, requestID, "destroying storage "+id, deleteTimeout); err != nil {
		resp.Diagnostics.AddError(requestErrorSummary("destroying the TensorPool storage volume", err),
			storageDeleteWaitDetail(id, deleteTimeout, err))
		return
	}
	tflog.Info(ctx, "TensorPool storage volume destroyed", map[string]any{"storage_id": id, "request_id": requestID})
}

// storageRefusalAdvice explains a refused destroy when the cause is known.
func storageRefusalAdvice(err error, storage *client.Storage) string {
	text := strings.ToLower(err.Error())
	switch {
	case strings.Contains(text, "attach") || (storage != nil && len(storage.ClusterIDs) > 0):
		clusters := ""
		if storage != nil && len(storage.ClusterIDs) > 0 {
			clusters = " (to " + strings.Join(storage.ClusterIDs, ", ") + ")"
		}
		return "The volume is still attached" + clusters + ". Detach it first: remove its tensorpool_storage_attachment " +
			"resources (Terraform destroys them first when they reference this volume's `id`), or run `tp storage detach`. "
	case strings.Contains(text, "protect"):
		return "The engine has deletion protection on for this volume, although the state does not: set " +
			"`deletion_protection = false` and apply, then destroy. "
	case storage != nil && storage.Status != nil:
		return "The engine reports the volume as " + *storage.Status + ". "
	}
	return ""
}

func storageDeleteWaitDetail(id string, timeout time.Duration, err error) string {
	return fmt.Sprintf("%s (timeouts.delete = %s).\n\nThe release of storage volume %s was requested but the engine has not "+
		"reported it completed, so the volume may still bill. It stays in the Terraform state, so nothing is lost: run "+
		"`terraform destroy` again to check on it, or raise `timeouts.delete` (apply first: Terraform reads it from the state).",
		err, timeout, id)
}

// storageBeingReleased: the engine is already releasing the volume.
func storageBeingReleased(s *client.Storage) bool {
	return s.Status != nil && strings.EqualFold(*s.Status, "DESTROYING")
}

// waitReleased polls the volume until the engine reports it released or
// gone, riding out outages, within timeout.
func (r *storageResource) waitReleased(ctx context.Context, api *client.Client, id string, timeout time.Duration) error {
	clk := clock.OrReal(r.data.opts.Clock)
	poll := backoff.Poll{Clock: clk, Policy: r.data.opts.PollPolicy, Timeout: timeout}
	return poll.Run(ctx, func(ctx context.Context) (bool, time.Duration, error) {
		storage, err := api.GetStorage(ctx, id)
		switch {
		case client.IsNotFound(err) || (err == nil && storage.Released()):
			return true, 0, nil
		case err != nil && client.IsOutage(err):
			return false, client.RetryAfter(err, clk.Now()), nil
		case err != nil:
			return false, 0, fmt.Errorf("reading storage volume %s while it is released: %w", id, err)
		}
		return false, 0, nil
	})
}
