package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// An attachment is named by the volume and the cluster it joins, so its
// identity (Terraform ≥ 1.12) is `{ storage_id, cluster_id }`, set as
// object_identity.go says.

var _ resource.ResourceWithIdentity = (*storageAttachmentResource)(nil)

type storageAttachmentIdentityModel struct {
	StorageID types.String `tfsdk:"storage_id"`
	ClusterID types.String `tfsdk:"cluster_id"`
}

func (r *storageAttachmentResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"storage_id": identityschema.StringAttribute{RequiredForImport: true, Description: "Id of the attached storage volume."},
			"cluster_id": identityschema.StringAttribute{RequiredForImport: true, Description: "Id of the cluster the volume is attached to."},
		},
	}
}

// setAttachmentIdentity records the attachment's identity; a nil identity
// (a Terraform without identity support) needs nothing.
func setAttachmentIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, m storageAttachmentModel, diags *diag.Diagnostics) {
	if identity == nil || m.StorageID.IsNull() || m.StorageID.IsUnknown() || m.ClusterID.IsNull() || m.ClusterID.IsUnknown() {
		return
	}
	diags.Append(identity.Set(ctx, storageAttachmentIdentityModel{StorageID: m.StorageID, ClusterID: m.ClusterID})...)
}

// importedAttachment is the volume and cluster an import names: the import
// id (`<storage_id>/<cluster_id>`) or the identity's two ids, each checked.
func importedAttachment(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) (storageID, clusterID string, err error) {
	if req.ID != "" || req.Identity == nil {
		return parseAttachmentID(req.ID)
	}
	var identity storageAttachmentIdentityModel
	diags.Append(req.Identity.Get(ctx, &identity)...)
	storageID, clusterID = identity.StorageID.ValueString(), identity.ClusterID.ValueString()
	if err = validateEngineID(storageKind, storageID); err == nil {
		err = validateEngineID(clusterKind, clusterID)
	}
	return storageID, clusterID, err
}
