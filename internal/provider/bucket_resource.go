package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

var (
	_ resource.ResourceWithConfigure   = (*bucketResource)(nil)
	_ resource.ResourceWithImportState = (*bucketResource)(nil)
)

// NewBucketResource returns the tensorpool_bucket resource.
func NewBucketResource() resource.Resource { return &bucketResource{} }

type bucketResource struct {
	data *providerData
}

type bucketResourceModel struct {
	ID        types.String `tfsdk:"id"`
	Name      types.String `tfsdk:"name"`
	CreatedAt types.String `tfsdk:"created_at"`
}

func (r *bucketResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_bucket"
}

func (r *bucketResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A bucket of the organization's S3-compatible object storage (`tp object-storage bucket create`). " +
			"Object storage must be enabled first: reference a `tensorpool_object_storage` in `depends_on`, so that Terraform " +
			"enables it before creating the bucket and deletes the bucket before disabling it. A bucket already in the organization " +
			"is not taken over: the create fails and says to import it. Destroying a bucket deletes it; the engine deletes only empty " +
			"buckets, so empty it first with an S3 client (the credentials come from the ephemeral " +
			"`tensorpool_object_storage_credentials`).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The bucket's name (a bucket has no other id).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The bucket's name: 3 to 63 characters, lowercase letters, digits, `.` and `-`, starting and ending " +
					"with a letter or digit (S3's rule). Changing it replaces the bucket (deletes it and creates another).",
				Required:      true,
				Validators:    []validator.String{bucketNameValidator{}},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: "When the bucket was created, as the engine reports it (RFC 3339). Null when it does not.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

// bucketNameValidator checks a bucket name at plan time with the client's
// rule, so that a bad name fails `terraform plan`.
type bucketNameValidator struct{}

func (bucketNameValidator) Description(context.Context) string {
	return "a bucket name: 3 to 63 lowercase letters, digits, '.' and '-'"
}

func (v bucketNameValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (bucketNameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := client.ValidateBucketName(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid bucket name",
			fmt.Sprintf("%s. Write name as, for example, \"training-data\".", err))
	}
}

func (r *bucketResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		r.data = data
	}
}

// objectStorageNotEnabledDetail is what to do when a bucket call finds the
// organization's object storage off.
const objectStorageNotEnabledDetail = "Enable it with a `tensorpool_object_storage` resource that the bucket names in `depends_on` " +
	"(or with `tp object-storage enable`), then apply again."

func (r *bucketResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan bucketResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	name := plan.Name.ValueString()
	err := api.CreateBucket(ctx, name)
	var exists *client.BucketExistsError
	switch {
	case errors.As(err, &exists):
		resp.Diagnostics.AddAttributeError(path.Root("name"), "The bucket already exists",
			fmt.Sprintf("%s. It was not created by this configuration, so it is not taken over: import it with "+
				"`terraform import tensorpool_bucket.NAME %s` (or an import block with `id = %q`), or choose another name.", err, name, name))
		return
	case client.IsObjectStorageNotEnabled(err):
		resp.Diagnostics.AddError("Object storage is not enabled", fmt.Sprintf("Bucket %s was not created: %s. %s", name, err, objectStorageNotEnabledDetail))
		return
	case err != nil:
		resp.Diagnostics.AddError("Could not create the bucket", fmt.Sprintf("Creating bucket %s failed: %s.", name, err))
		return
	}
	plan.ID = plan.Name
	plan.CreatedAt = types.StringNull()
	// The create answer names nothing more: the list tells when.
	if bucket, err := readPatiently(ctx, r.data, defaultReadTimeout, func(ctx context.Context) (*client.Bucket, error) {
		return api.GetBucket(ctx, name)
	}); err == nil {
		plan.CreatedAt = types.StringPointerValue(bucket.CreatedAt)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *bucketResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state bucketResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.Name.ValueString()
	if name == "" {
		name = state.ID.ValueString() // just imported
	}
	bucket, err := readPatiently(ctx, r.data, defaultReadTimeout, func(ctx context.Context) (*client.Bucket, error) {
		return api.GetBucket(ctx, name)
	})
	switch {
	case client.IsNotFound(err):
		resp.Diagnostics.AddWarning("TensorPool bucket no longer exists",
			fmt.Sprintf("Bucket %s is not in the organization's bucket list (`tp object-storage bucket list`): it was deleted outside "+
				"Terraform, so it is removed from the state. The next apply creates it again.", name))
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		resp.Diagnostics.AddError("Could not read the bucket", fmt.Sprintf("Reading bucket %s failed: %s", name, err))
		return
	}
	state.ID, state.Name = types.StringValue(name), types.StringValue(name)
	if bucket.CreatedAt != nil {
		state.CreatedAt = types.StringValue(*bucket.CreatedAt)
	} else if state.CreatedAt.IsUnknown() {
		state.CreatedAt = types.StringNull()
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update is never called: the only input, name, replaces the bucket.
func (r *bucketResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan bucketResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *bucketResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state bucketResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.Name.ValueString()
	err := api.DeleteBucket(ctx, name)
	switch {
	case err == nil, client.IsNotFound(err), client.IsObjectStorageNotEnabled(err):
		return // deleted, or gone already
	case refusedByEngine(err):
		// The engine deletes only empty buckets [CLI]; what it answers for
		// one with objects is unknown, so every refusal says so.
		resp.Diagnostics.AddError("The engine refused to delete the bucket", fmt.Sprintf("Deleting bucket %s failed: %s.\n\n"+
			"The engine deletes only empty buckets (`tp object-storage bucket delete` deletes an empty bucket): if %s still holds "+
			"objects, delete them with an S3 client, using the endpoint and keys of the ephemeral "+
			"tensorpool_object_storage_credentials (for example `aws s3 rm s3://%s --recursive --endpoint-url <endpoint>`), then run "+
			"`terraform destroy` again. The bucket stays in the state.", name, err, name, name))
	default:
		resp.Diagnostics.AddError("Could not delete the bucket", fmt.Sprintf("Deleting bucket %s failed: %s.\n\n"+
			"The bucket stays in the state; run `terraform destroy` again.", name, err))
	}
}

// refusedByEngine reports whether err is the engine's final refusal of a
// request: a 4xx other than 401 (a key problem) and 429 (an outage).
func refusedByEngine(err error) bool {
	var apiErr *client.APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 &&
		apiErr.StatusCode != http.StatusUnauthorized && apiErr.StatusCode != http.StatusTooManyRequests
}

func (r *bucketResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if err := client.ValidateBucketName(req.ID); err != nil {
		resp.Diagnostics.AddError("Invalid bucket name to import", err.Error()+
			". Import with `terraform import tensorpool_bucket.NAME <bucket name>`; `tp object-storage bucket list` shows the names.")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
}
