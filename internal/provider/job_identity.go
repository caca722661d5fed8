package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// A job's identity (Terraform ≥ 1.12) is its id: what an `import` block's
// `identity = { id = … }` names, and what Terraform uses to track the job
// across renames. Every create, read, update and import sets it, also for a
// Terraform that sends none (1.5 to 1.11).

var _ resource.ResourceWithIdentity = (*jobResource)(nil)

type jobIdentityModel struct {
	ID types.String `tfsdk:"id"`
}

func (r *jobResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "The job id the engine assigned, as in `tp job list`.",
			},
		},
	}
}

// setJobIdentity records id as the job's identity; a nil identity (a
// Terraform without identity support) needs nothing.
func setJobIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id types.String, diags *diag.Diagnostics) {
	if identity == nil || id.IsNull() || id.IsUnknown() {
		return
	}
	diags.Append(identity.Set(ctx, jobIdentityModel{ID: id})...)
}

// importedJobID is the job id an import names: the import id (`terraform
// import`, or an import block's `id`) or the identity's `id`.
func importedJobID(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) string {
	if req.ID != "" || req.Identity == nil {
		return req.ID
	}
	var id types.String
	diags.Append(req.Identity.GetAttribute(ctx, path.Root("id"), &id)...)
	return id.ValueString()
}
