package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

var _ datasource.DataSourceWithConfigure = (*clusterDataSource)(nil)

// NewClusterDataSource returns the tensorpool_cluster data source.
func NewClusterDataSource() datasource.DataSource { return &clusterDataSource{} }

type clusterDataSource struct {
	data *providerData
}

type clusterDataSourceModel struct {
	ID                 types.String `tfsdk:"id"`
	InstanceType       types.String `tfsdk:"instance_type"`
	NumNodes           types.Int64  `tfsdk:"num_nodes"`
	Name               types.String `tfsdk:"name"`
	Container          types.String `tfsdk:"container"`
	DeletionProtection types.Bool   `tfsdk:"deletion_protection"`
	clusterEngineModel
}

func (d *clusterDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cluster"
}

func (d *clusterDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	reported := func(key string) string {
		return clusterFieldDescriptions[key] + " Null when the engine does not report it."
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A TensorPool cluster as the engine reports it, read on every plan; for example one created with `tp cluster create` " +
			"that jobs of this configuration run on. A cluster id the engine does not know is an error; a released cluster is read " +
			"with its final status. Rate limits and engine errors are ridden out for up to " + shortDuration(defaultReadTimeout) + ".",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Id of the cluster to read (for example `c-0123456789ab`; `tp cluster list` shows them).",
				Required:            true,
				Validators:          []validator.String{clusterIDValidator},
			},
			"instance_type":       schema.StringAttribute{MarkdownDescription: reported("instance_type"), Computed: true},
			"num_nodes":           schema.Int64Attribute{MarkdownDescription: reported("num_nodes"), Computed: true},
			"name":                schema.StringAttribute{MarkdownDescription: reported("name"), Computed: true},
			"container":           schema.StringAttribute{MarkdownDescription: reported("container"), Computed: true},
			"deletion_protection": schema.BoolAttribute{MarkdownDescription: reported("deletion_protection"), Computed: true},
			"status":              schema.StringAttribute{MarkdownDescription: clusterFieldDescriptions["status"], Computed: true},
			"instance_ids": schema.ListAttribute{
				MarkdownDescription: "Ids of the cluster's instances, one per node. Null when the engine does not report them.",
				Computed:            true,
				ElementType:         types.StringType,
			},
			"cluster_info_json": schema.StringAttribute{MarkdownDescription: clusterFieldDescriptions["cluster_info_json"], Computed: true},
		},
	}
}

func (d *clusterDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		d.data = data
	}
}

func (d *clusterDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m clusterDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	ctx, api := engineFor(ctx, d.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := m.ID.ValueString()
	cluster := readForDataSource(ctx, d.data, clusterKind, id, func(ctx context.Context) (*client.Cluster, error) { return api.GetCluster(ctx, id) },
		&resp.Diagnostics)
	if cluster == nil {
		return
	}
	m.InstanceIDs = types.ListNull(types.StringType)
	m.setFromCluster(ctx, cluster, &resp.Diagnostics)
	m.InstanceType = types.StringPointerValue(cluster.InstanceType)
	m.NumNodes = types.Int64PointerValue(cluster.NumNodes)
	m.Name = types.StringPointerValue(cluster.Name)
	m.Container = types.StringPointerValue(cluster.Container)
	m.DeletionProtection = types.BoolPointerValue(cluster.DeletionProtection)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
