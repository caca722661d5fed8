package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

var _ ephemeral.EphemeralResourceWithConfigure = (*objectStorageCredentials)(nil)

// NewObjectStorageCredentials returns the
// tensorpool_object_storage_credentials ephemeral resource.
func NewObjectStorageCredentials() ephemeral.EphemeralResource { return &objectStorageCredentials{} }

type objectStorageCredentials struct {
	data *providerData
}

type objectStorageCredentialsModel struct {
	ObjectStorageID types.String `tfsdk:"object_storage_id"`
	AccessKeyID     types.String `tfsdk:"access_key_id"`
	SecretAccessKey types.String `tfsdk:"secret_access_key"`
	Endpoint        types.String `tfsdk:"endpoint"`
	Region          types.String `tfsdk:"region"`
}

func (e *objectStorageCredentials) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_object_storage_credentials"
}

func (e *objectStorageCredentials) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The S3 credentials of the organization's object storage (`tp object-storage credentials`), read " +
			"at each plan and apply and never written to the state, a plan file or Terraform's log (`TF_LOG=trace` included): use them where Terraform allows ephemeral values " +
			"(a provider block such as `aws` or `rclone`'s, a write-only attribute, a provisioner, `locals`). Terraform ≥ 1.10, " +
			"OpenTofu ≥ 1.11; an older CLI stops at the `ephemeral` block (\"Unsupported block type\"). Object storage must be " +
			"enabled (`tensorpool_object_storage`, named in `object_storage_id`); when it is not, opening this fails and says so.",
		Attributes: map[string]schema.Attribute{
			"object_storage_id": schema.StringAttribute{
				MarkdownDescription: "Set it to `tensorpool_object_storage.NAME.id` when this configuration enables the storage: " +
					"the value is unknown until the storage is enabled, and Terraform opens the credentials only after that. Its only " +
					"value is `" + objectStorageID + "`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(objectStorageID)},
			},
			"access_key_id":     schema.StringAttribute{MarkdownDescription: "The S3 access key id.", Computed: true},
			"secret_access_key": schema.StringAttribute{MarkdownDescription: "The S3 secret access key.", Computed: true, Sensitive: true},
			"endpoint":          schema.StringAttribute{MarkdownDescription: "The S3 endpoint URL (for `--endpoint-url`).", Computed: true},
			"region":            schema.StringAttribute{MarkdownDescription: "The S3 region.", Computed: true},
		},
	}
}

func (e *objectStorageCredentials) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		e.data = data
	}
}

func (e *objectStorageCredentials) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m objectStorageCredentialsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	ctx, api := engineFor(ctx, e.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	creds, err := readPatiently(ctx, e.data, defaultReadTimeout, api.GetObjectStorageCredentials)
	switch {
	case client.IsObjectStorageNotEnabled(err):
		resp.Diagnostics.AddError("Object storage is not enabled",
			fmt.Sprintf("%s. Enable it with a `tensorpool_object_storage` resource, and set object_storage_id to its id so that "+
				"Terraform opens the credentials once it is enabled.", err))
		return
	case err != nil:
		resp.Diagnostics.AddError("Could not read the object storage credentials", fmt.Sprintf("Reading the organization's S3 credentials failed: %s", err))
		return
	}
	m.AccessKeyID, m.SecretAccessKey = types.StringValue(creds.AccessKeyID), types.StringValue(creds.SecretAccessKey)
	m.Endpoint, m.Region = stringOrNull(creds.Endpoint), stringOrNull(creds.Region)
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
