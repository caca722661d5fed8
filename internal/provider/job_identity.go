package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// A job's identity is its id (object_identity.go).

var _ resource.ResourceWithIdentity = (*jobResource)(nil)

func (r *jobResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("The job id the engine assigned, as in `tp job list`.")
}

// setJobIdentity records id as the job's identity (setIDIdentity).
func setJobIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id types.String, diags *diag.Diagnostics) {
	setIDIdentity(ctx, identity, id, diags)
}

// importedJobID is the job id an import names (importedID).
func importedJobID(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) string {
	return importedID(ctx, req, diags)
}
