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
func deletionProtectedError(kind, id string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("deletion_protection"),
		fmt.Sprintf("The %s is protected from deletion", kind),
		fmt.Sprintf("The %s %s has deletion_protection = true, so nothing was sent to the engine and it is still in the state. "+
			"To destroy it, set deletion_protection = false in the configuration and run terraform apply, then destroy it.", kind, id))
}

// refuseProtectedDestroyPlan fails, at plan time, a plan that destroys an
// object whose state has deletion_protection = true (terraform destroy, or
// the resource removed from the configuration): stopping at plan time
// leaves everything as it was, where stopping in Delete would leave a
// destroy half done (jobs canceled, volumes detached, the protected cluster
// still there). Delete keeps its own check for plans made without this one.
func refuseProtectedDestroyPlan(ctx context.Context, kind string, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if !req.Plan.Raw.IsNull() || req.State.Raw.IsNull() {
		return
	}
	var protected types.Bool
	var id types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("deletion_protection"), &protected)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
	if !resp.Diagnostics.HasError() && protected.ValueBool() {
		resp.Diagnostics.Append(deletionProtectedError(kind, id.ValueString()))
	}
}
