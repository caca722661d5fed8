package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

var _ datasource.DataSourceWithConfigure = (*storageDataSource)(nil)

// NewStorageDataSource returns the tensorpool_storage data source.
func NewStorageDataSource() datasource.DataSource { return &storageDataSource{} }

type storageDataSource struct {
	data *providerData
}

type storageDataSourceModel struct {
	ID                 types.String `tfsdk:"id"`
	Size               types.Int64  `tfsdk:"size"`
	Name               types.String `tfsdk:"name"`
	DeletionProtection types.Bool   `tfsdk:"deletion_protection"`
	Status             types.String `tfsdk:"status"`
	ClusterIDs         types.List   `tfsdk:"cluster_ids"`
	CreatedAt          types.String `tfsdk:"created_at"`
	StorageInfoJSON    types.String `tfsdk:"storage_info_json"`
}

func (d *storageDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_storage"
}

func (d *storageDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	unlessReported := " Null when the engine does not report it."
	resp.Schema = schema.Schema{
		MarkdownDescription: "A TensorPool storage volume, read from the engine on every plan. A volume that does not exist is " +
			"an error. Rate limits and engine errors are ridden out for up to " + shortDuration(defaultReadTimeout) + ".",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Id of the volume to read.",
				Required:            true,
				Validators:          []validator.String{storageIDValidator},
			},
			"size":                schema.Int64Attribute{MarkdownDescription: storageFieldDescriptions["size"] + unlessReported, Computed: true},
			"name":                schema.StringAttribute{MarkdownDescription: storageFieldDescriptions["name"] + unlessReported, Computed: true},
			"deletion_protection": schema.BoolAttribute{MarkdownDescription: storageFieldDescriptions["deletion_protection"] + unlessReported, Computed: true},
			"status":              schema.StringAttribute{MarkdownDescription: storageFieldDescriptions["status"], Computed: true},
			"cluster_ids": schema.ListAttribute{
				MarkdownDescription: "Ids of the clusters the volume is attached to." + unlessReported,
				ElementType:         types.StringType,
				Computed:            true,
			},
			"created_at":        schema.StringAttribute{MarkdownDescription: "When the engine created the volume, as the engine wrote it." + unlessReported, Computed: true},
			"storage_info_json": schema.StringAttribute{MarkdownDescription: storageFieldDescriptions["storage_info_json"], Computed: true},
		},
	}
}

func (d *storageDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		d.data = data
	}
}

func (d *storageDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m storageDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	ctx, api := engineFor(ctx, d.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := m.ID.ValueString()
	storage := readForDataSource(ctx, d.data, storageKind, id, func(ctx context.Context) (*client.Storage, error) { return api.GetStorage(ctx, id) },
		&resp.Diagnostics)
	if storage == nil {
		return
	}
	m.Size = types.Int64PointerValue(storage.SizeGB)
	m.Name = types.StringPointerValue(storage.Name)
	m.DeletionProtection = types.BoolPointerValue(storage.DeletionProtection)
	m.Status = types.StringPointerValue(storage.Status)
	m.CreatedAt = types.StringPointerValue(storage.CreatedAt)
	m.StorageInfoJSON = rawJSON(storage.Raw)
	m.ClusterIDs = types.ListNull(types.StringType)
	if storage.ClusterIDs != nil {
		list, diags := types.ListValueFrom(ctx, types.StringType, storage.ClusterIDs)
		resp.Diagnostics.Append(diags...)
		m.ClusterIDs = list
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
