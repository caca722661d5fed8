package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// deletionProtectedError is the one wording for a destroy that stopped
// because the object has deletion_protection = true in the state. Terraform
// destroys from the state, not the configuration, so turning protection off
// takes an apply first.
func deletionProtectedError(kind objectKind, id string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("deletion_protection"),
		kind.text("The cluster is protected from deletion", "The storage volume is protected from deletion"),
		fmt.Sprintf(kind.text(
			"The cluster %s has deletion_protection = true, so nothing was sent to the engine and it is still in the state. "+
				"To destroy it, set deletion_protection = false in the configuration and run terraform apply, then destroy it.",
			"The storage volume %s has deletion_protection = true, so nothing was sent to the engine and it is still in the state. "+
				"To destroy it, set deletion_protection = false in the configuration and run terraform apply, then destroy it."), id))
}

// protectedReplacementError is the one wording for a plan that replaces a
// protected object: by `-replace`, or a change of an
// attribute that forces a new one. Terraform would destroy the object's
// dependents first (cancel the jobs on a cluster, detach a volume), and
// only then reach the protected object, so it stops the plan instead.
func protectedReplacementError(kind objectKind, id string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("deletion_protection"),
		kind.text("The cluster is protected from deletion", "The storage volume is protected from deletion"),
		fmt.Sprintf(kind.text(
			"This plan replaces the cluster %s (terraform apply -replace, or a change that forces a new one), "+
				"which has deletion_protection = true, so nothing was planned: no job is canceled and nothing is detached. "+
				"To replace it, first set deletion_protection = false (alone) and run terraform apply, then replace it.",
			"This plan replaces the storage volume %s (terraform apply -replace, or a change that forces a new one), "+
				"which has deletion_protection = true, so nothing was planned: no job is canceled and nothing is detached. "+
				"To replace it, first set deletion_protection = false (alone) and run terraform apply, then replace it."), id))
}

// checkDeletionProtection is the plan-time half of deletion_protection,
// called from the ModifyPlan of the cluster and the volume. Stopping at
// plan time leaves everything as it was, where stopping in Delete would
// leave a destroy half done (jobs canceled, volumes detached, the
// protected object still there). Terraform calls ModifyPlan:
//   - with a null plan for a destroy (terraform destroy, or the resource
//     removed from the configuration): refused here;
//   - with the state and the configuration for any other plan, which gives
//     no sign of a replacement forced by `-replace` or a taint: the id of a
//     protected object is recorded in the planned private state;
//   - for a replacement, a second time with a null state and that planned
//     private state (terraform's node_resource_abstract_instance.go plan():
//     PriorPrivate: plannedPrivate): the recorded id refuses it.
//
// A tainted object is planned as a plain create, with neither its state nor
// its private state (the same plan()), so nothing here can see that it is
// replaced: the docs give the `lifecycle { prevent_destroy = true }` recipe
// for that, and Delete still refuses.
//
// An object whose create never finished is not protected: its create error
// promised that terraform destroy (or the next apply) releases it.
func checkDeletionProtection(ctx context.Context, kind objectKind, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	switch {
	case req.Plan.Raw.IsNull() && req.State.Raw.IsNull():
		return
	case req.State.Raw.IsNull():
		id, diags := privateString(ctx, req.Private, privateReplacingProtected)
		resp.Diagnostics.Append(diags...)
		if id != "" {
			resp.Diagnostics.Append(protectedReplacementError(kind, id))
		}
		return
	}
	var protected types.Bool
	var id types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("deletion_protection"), &protected)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
	if resp.Diagnostics.HasError() {
		return
	}
	protects := protected.ValueBool() && !createUnfinished(ctx, req.Private)
	if req.Plan.Raw.IsNull() {
		if protects {
			resp.Diagnostics.Append(deletionProtectedError(kind, id.ValueString()))
		}
		return
	}
	recorded := ""
	if protects {
		recorded = id.ValueString()
	}
	// Written only when it changes, so that a plan of an unprotected object
	// touches no private state.
	if before, _ := privateString(ctx, req.Private, privateReplacingProtected); before != recorded {
		resp.Diagnostics.Append(setPrivateString(ctx, resp.Private, privateReplacingProtected, recorded)...)
	}
}

// deleteProtected is the apply-time half, for plans made without the
// plan-time check (a state edited since the plan, another tool): it adds
// the error and reports true when protection stops the Delete.
func deleteProtected(ctx context.Context, kind objectKind, id string, protected types.Bool, private privateGetter, diags *diag.Diagnostics) bool {
	if !protected.ValueBool() || createUnfinished(ctx, private) {
		return false
	}
	diags.Append(deletionProtectedError(kind, id))
	return true
}

// createUnfinished reports whether the object's create ended before the
// engine reported it done (privateCreateUnfinished).
func createUnfinished(ctx context.Context, private privateGetter) bool {
	if private == nil {
		return false
	}
	value, _ := private.GetKey(ctx, privateCreateUnfinished)
	return string(value) == "true"
}
