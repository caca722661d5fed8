package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// Everything `terraform destroy` decides about a storage volume is in this
// file; the release itself is the shared flow (object_release.go).

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
	if deleteProtected(ctx, storageKind, id, state.DeletionProtection, req.Private, &resp.Diagnostics) {
		return
	}
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	deleteTimeout, diags := state.Timeouts.Delete(ctx, defaultStorageDeleteTimeout)
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
			return api.EditStorage(ctx, id, client.StorageEdit{DeletionProtection: new(false)})
		}
	}
	deleteObject(ctx, r.data, api, objectRelease[*client.Storage]{
		Kind:          storageKind,
		ID:            id,
		Send:          func(ctx context.Context) (string, error) { return api.DestroyStorage(ctx, id) },
		Read:          func(ctx context.Context) (*client.Storage, error) { return api.GetStorage(ctx, id) },
		Status:        storageStatus,
		RefusalAdvice: storageRefusalAdvice,
		Unprotect:     unprotect,
		Earlier:       earlier,
	}, deleteTimeout, resp.Private, &resp.Diagnostics)
}

// storageDestroying is the status of a volume whose release is under way.
const storageDestroying = "DESTROYING"

// storageAvailable and storageAttached are a volume ready for use [INF].
const (
	storageAvailable = "AVAILABLE"
	storageAttached  = "ATTACHED"
)

// storageStatus is what a volume's status means to create and destroy:
// released as the client decides (destroyed or failed), being released
// while DESTROYING.
func storageStatus(storage *client.Storage) objectStatus {
	return objectStatus{Status: storage.Status, Released: storage.Released(), Releasing: statusIs(storage.Status, storageDestroying)}
}

// storageRefusalAdvice explains a refused destroy when the cause is known:
// a volume still attached, or protected in the engine but not in the state.
func storageRefusalAdvice(refusal error, storage *client.Storage) string {
	text := strings.ToLower(refusal.Error())
	switch {
	case strings.Contains(text, "attach") || (storage != nil && len(storage.ClusterIDs) > 0):
		clusters := ""
		if storage != nil && len(storage.ClusterIDs) > 0 {
			clusters = " (to " + strings.Join(storage.ClusterIDs, ", ") + ")"
		}
		return "The volume is still attached" + clusters + ". Detach it first: remove its tensorpool_storage_attachment " +
			"resources (Terraform destroys them first when they reference this volume's `id`), or run `tp cluster detach <cluster id> <storage id>`. "
	case strings.Contains(text, "protect"):
		return "The engine has deletion protection on for this volume, although the state does not: set " +
			"`deletion_protection = false` and apply (or run `tp storage edit <storage id> --deletion-protection false`), then destroy. "
	}
	return ""
}
