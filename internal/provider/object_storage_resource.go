package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

var (
	_ resource.ResourceWithConfigure   = (*objectStorageResource)(nil)
	_ resource.ResourceWithImportState = (*objectStorageResource)(nil)
)

// objectStorageID is the id of the organization's one object storage.
const objectStorageID = "organization"

// NewObjectStorageResource returns the tensorpool_object_storage resource.
func NewObjectStorageResource() resource.Resource { return &objectStorageResource{} }

type objectStorageResource struct {
	data *providerData
}

type objectStorageModel struct {
	ID       types.String `tfsdk:"id"`
	Endpoint types.String `tfsdk:"endpoint"`
	Region   types.String `tfsdk:"region"`
}

func (r *objectStorageResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_object_storage"
}

func (r *objectStorageResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The organization's S3-compatible object storage (`tp object-storage enable`): creating this resource " +
			"enables it, destroying it disables it (`tp object-storage disable`), which the engine refuses while buckets are left. " +
			"An organization has one: declare it in one configuration only. Storage already enabled is not taken over: the create " +
			"fails and says to import it (`terraform import tensorpool_object_storage.NAME " + objectStorageID + "`). " +
			"The engine's enable answer carries the S3 keys: the provider drops them, so that they are in no state, plan or log; " +
			"read them with the ephemeral `tensorpool_object_storage_credentials` where they are needed.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Always `" + objectStorageID + "`: the storage belongs to the organization of the API key.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "The S3 endpoint URL, as the engine reports it (not a secret).",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"region": schema.StringAttribute{
				MarkdownDescription: "The S3 region, as the engine reports it.",
				Computed:            true,
				PlanModifiers:       keep,
			},
		},
	}
}

func (r *objectStorageResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		r.data = data
	}
}

// setEndpoint copies where the storage is; the keys are never kept.
func (m *objectStorageModel) setEndpoint(creds *client.ObjectStorageCredentials) {
	m.ID = types.StringValue(objectStorageID)
	m.Endpoint, m.Region = stringOrNull(creds.Endpoint), stringOrNull(creds.Region)
}

// stringOrNull is s, or null when empty.
func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

func (r *objectStorageResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	endpoint, err := api.EnableObjectStorage(ctx)
	var already *client.ObjectStorageAlreadyEnabledError
	switch {
	case errors.As(err, &already):
		resp.Diagnostics.AddError("Object storage is already enabled",
			fmt.Sprintf("%s. It was not enabled by this configuration, so it is not taken over: import it with "+
				"`terraform import tensorpool_object_storage.NAME %s` (or an import block with `id = %q`).", err, objectStorageID, objectStorageID))
		return
	case err != nil:
		resp.Diagnostics.AddError("Could not enable object storage", fmt.Sprintf("Enabling the organization's object storage failed: %s.", err))
		return
	}
	m := objectStorageModel{ID: types.StringValue(objectStorageID), Endpoint: stringOrNull(endpoint.Endpoint), Region: stringOrNull(endpoint.Region)}
	if endpoint.Endpoint == "" || endpoint.Region == "" {
		// A lost answer, or one without them: the credentials say where.
		creds, err := readPatiently(ctx, r.data, defaultReadTimeout, api.GetObjectStorageCredentials)
		if err != nil {
			resp.Diagnostics.AddWarning("Could not read the object storage's endpoint",
				fmt.Sprintf("Object storage is enabled, but reading its endpoint failed: %s. The next plan or apply refreshes it.", err))
		} else {
			m.setEndpoint(creds)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *objectStorageResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	creds, err := readPatiently(ctx, r.data, defaultReadTimeout, api.GetObjectStorageCredentials)
	switch {
	case client.IsObjectStorageNotEnabled(err):
		resp.Diagnostics.AddWarning("TensorPool object storage is not enabled",
			"The organization's object storage was disabled outside Terraform, so it is removed from the state. The next apply enables it again.")
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		resp.Diagnostics.AddError("Could not read the object storage", fmt.Sprintf("Reading the organization's object storage failed: %s", err))
		return
	}
	var m objectStorageModel
	m.setEndpoint(creds)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Update is never planned: every attribute is computed.
func (r *objectStorageResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan objectStorageModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *objectStorageResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	err := api.DisableObjectStorage(ctx)
	switch {
	case err == nil, client.IsObjectStorageNotEnabled(err):
		return
	case refusedByEngine(err):
		resp.Diagnostics.AddError("The engine refused to disable object storage", fmt.Sprintf("Disabling the organization's object storage "+
			"failed: %s.\n\nThe engine keeps object storage while it has buckets: delete them first (`tp object-storage bucket list` "+
			"shows them; a tensorpool_bucket that names this resource in depends_on is destroyed before it). Object storage stays in "+
			"the state; run `terraform destroy` again.", err))
	default:
		resp.Diagnostics.AddError("Could not disable object storage", fmt.Sprintf("Disabling the organization's object storage failed: %s.\n\n"+
			"Object storage stays in the state; run `terraform destroy` again.", err))
	}
}

func (r *objectStorageResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if req.ID != objectStorageID {
		resp.Diagnostics.AddError("Invalid object storage id to import",
			fmt.Sprintf("The id %q is not %q: an organization has one object storage, imported with "+
				"`terraform import tensorpool_object_storage.NAME %s`.", req.ID, objectStorageID, objectStorageID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), objectStorageID)...)
}
