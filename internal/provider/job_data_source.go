package provider

import (
	"context"
	"fmt"
	"maps"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

var _ datasource.DataSourceWithConfigure = (*jobDataSource)(nil)

// NewJobDataSource returns the tensorpool_job data source.
func NewJobDataSource() datasource.DataSource { return &jobDataSource{} }

type jobDataSource struct {
	data *providerData
}

type jobDataSourceModel struct {
	ID        types.String `tfsdk:"id"`
	ClusterID types.String `tfsdk:"cluster_id"`
	jobStatusModel
}

func (d *jobDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job"
}

func (d *jobDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attributes := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "Id of the job to read.",
			Required:            true,
			Validators:          []validator.String{jobIDValidator{}},
		},
		"cluster_id": schema.StringAttribute{MarkdownDescription: "Id of the cluster the job runs on, when the engine reports it.", Computed: true},
	}
	maps.Copy(attributes, jobStatusAttributes(
		func(key string) schema.Attribute {
			return schema.StringAttribute{MarkdownDescription: jobFieldDescriptions[key], Computed: true}
		},
		func(key string) schema.Attribute {
			return schema.Int64Attribute{MarkdownDescription: jobFieldDescriptions[key], Computed: true}
		},
	))
	resp.Schema = schema.Schema{
		MarkdownDescription: "The current state of a TensorPool job, read from the engine on every plan. " +
			"A job the engine does not know (it deletes only finished jobs, with `tp job delete`) reads as `status = \"deleted\"` " +
			"with the other attributes null, and a warning, rather than an error that would stop every plan and destroy. Rate limits and engine errors are ridden out for up to " +
			shortDuration(defaultReadTimeout) + ".",
		Attributes: attributes,
	}
}

func (d *jobDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		d.data = data
	}
}

func (d *jobDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m jobDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	ctx, api := engineFor(ctx, d.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := m.ID.ValueString()
	job, err := readJob(ctx, d.data, api, id, defaultReadTimeout)
	if client.IsNotFound(err) {
		// Not an error: the engine deletes only finished jobs, and an error
		// here would stop every plan and destroy that reads this job.
		resp.Diagnostics.AddWarning("TensorPool job not found",
			fmt.Sprintf("The engine does not know job %s: it finished and was deleted (`tp job delete`), or the id is wrong "+
				"(check it with `tp job list`). Its status reads \"deleted\" and the other attributes are null.", id))
		m.jobStatusModel = jobStatusModel{Status: types.StringValue(statusDeleted)}
		m.setUnknownAsNull()
		m.ClusterID = types.StringNull()
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not read the TensorPool job", fmt.Sprintf("Reading job %s failed: %s", id, err))
		return
	}
	m.setFromJob(job)
	m.ClusterID = types.StringPointerValue(job.ClusterID)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
