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

// Resource identity (Terraform ≥ 1.12) is what an `import` block's
// `identity = { … }` names and what Terraform uses to follow an object
// across renames. A job, cluster, volume or saved key is named by its engine
// id alone, so their identity is `{ id }`. Every create, read (also the one
// that finds the object gone: the framework wants an identity even then),
// update and import sets it; a Terraform without identity support (1.5 to
// 1.11) sends none, and then there is nothing to set.

// idIdentityModel is the identity of an object named by its engine id.
type idIdentityModel struct {
	ID types.String `tfsdk:"id"`
}

// idIdentitySchema is the identity schema of an object named by its engine
// id; description says which id.
func idIdentitySchema(description string) identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{RequiredForImport: true, Description: description},
		},
	}
}

// setIDIdentity records id as the object's identity. A nil identity (a
// Terraform without identity support) and an id not known yet need nothing.
func setIDIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id types.String, diags *diag.Diagnostics) {
	if identity == nil || id.IsNull() || id.IsUnknown() {
		return
	}
	diags.Append(identity.Set(ctx, idIdentityModel{ID: id})...)
}

// importedID is the engine id an import names: the import id (`terraform
// import`, or an import block's `id`) or the identity's `id`.
func importedID(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) string {
	if req.ID != "" || req.Identity == nil {
		return req.ID
	}
	var id types.String
	diags.Append(req.Identity.GetAttribute(ctx, path.Root("id"), &id)...)
	return id.ValueString()
}
