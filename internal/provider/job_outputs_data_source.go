package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

var _ datasource.DataSourceWithConfigure = (*jobOutputsDataSource)(nil)

// NewJobOutputsDataSource returns the tensorpool_job_outputs data source.
func NewJobOutputsDataSource() datasource.DataSource { return &jobOutputsDataSource{} }

// jobOutputsDataSource lists a finished job's output files with their
// download URLs (GET /job/pull as a dry run: nothing is downloaded).
type jobOutputsDataSource struct {
	data *providerData
}

type jobOutputsModel struct {
	ID       types.String `tfsdk:"id"`
	Status   types.String `tfsdk:"status"`
	Finished types.Bool   `tfsdk:"finished"`
	Message  types.String `tfsdk:"message"`
	Files    types.List   `tfsdk:"files"`
	URLs     types.Map    `tfsdk:"urls"`
}

// outputFileType is one element of `files`.
var outputFileType = types.ObjectType{AttrTypes: map[string]attr.Type{"path": types.StringType, "url": types.StringType}}

func (d *jobOutputsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job_outputs"
}

func (d *jobOutputsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The output files of a finished TensorPool job (the files its config's `outputs` keep), " +
			"with a download URL for each: what `tp job pull` would fetch, listed without downloading anything.\n\n" +
			"The URLs are presigned: anyone holding one can download the file until it expires, so they are sensitive " +
			"and stored in the Terraform state like any other attribute — protect the state accordingly.\n\n" +
			"Outputs exist only once the job has finished (`completed`, `error`, `failed` or `canceled`). " +
			"For a job that is still `pending`, `running` or `canceling`, or one the engine no longer has (`status = \"deleted\"`), " +
			"the data source is not an error (an error would stop every plan, `terraform destroy` included): it reads " +
			"`finished = false` with empty `files` and `urls`, and a warning. Read it after a `tensorpool_job` " +
			"that waits for completion (`wait_for = \"completed\"`) by referencing that resource's `id`, " +
			"and Terraform reads the data source only after the job has finished; add a `postcondition` on " +
			"`self.finished` to make an unfinished job an error.\n\n" +
			"Rate limits and engine errors are ridden out for up to " + shortDuration(defaultReadTimeout) + ".",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Id of the job whose outputs to list.",
				Required:            true,
				Validators:          []validator.String{jobIDValidator{}},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "The job's status when the outputs were listed, or `deleted` when the engine no longer has the job.",
				Computed:            true,
			},
			"finished": schema.BoolAttribute{
				MarkdownDescription: "Whether the job had finished, so that `files` and `urls` list its outputs. `false` while it is " +
					"`pending`, `running` or `canceling`, and for a deleted job: `files` and `urls` are then empty, not the job's outputs.",
				Computed: true,
			},
			"message": schema.StringAttribute{
				MarkdownDescription: "The engine's message about the job's files. Null when `finished` is `false`.",
				Computed:            true,
			},
			"files": schema.ListNestedAttribute{
				MarkdownDescription: "The job's output files, sorted by path. Empty when the job kept no files " +
					"(no `outputs` in its config, or it never ran).",
				Computed: true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"path": schema.StringAttribute{
						MarkdownDescription: "Path of the file, relative to the job's working directory.",
						Computed:            true,
					},
					"url": schema.StringAttribute{
						MarkdownDescription: "Presigned download URL of the file (sensitive). `null` when the engine lists " +
							"the entry without a URL (for example a directory).",
						Computed:  true,
						Sensitive: true,
					},
				}},
			},
			"urls": schema.MapAttribute{
				MarkdownDescription: "The download URLs by path (sensitive), for the entries that have one: " +
					"`data.tensorpool_job_outputs.x.urls[\"model.pt\"]`.",
				ElementType: types.StringType,
				Computed:    true,
				Sensitive:   true,
			},
		},
	}
}

func (d *jobOutputsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		d.data = data
	}
}

func (d *jobOutputsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m jobOutputsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	ctx, api := engineFor(ctx, d.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	// One deadline for both requests.
	ctx, cancel := context.WithTimeout(ctx, defaultReadTimeout)
	defer cancel()
	id := m.ID.ValueString()

	job, err := readJob(ctx, d.data, api, id, defaultReadTimeout)
	switch {
	case client.IsNotFound(err):
		resp.Diagnostics.AddWarning("TensorPool job not found",
			fmt.Sprintf("The engine does not know job %s: it finished and was deleted (`tp job delete`), or the id is wrong "+
				"(check it with `tp job list`). Its outputs cannot be listed: finished = false and files is empty.", id))
		resp.Diagnostics.Append(resp.State.Set(ctx, m.unfinished(statusDeleted))...)
		return
	case err != nil:
		addJobOutputsReadError(&resp.Diagnostics, id, err)
		return
	case !job.Status.IsTerminal():
		addJobNotFinishedWarning(&resp.Diagnostics, id, job.Status)
		resp.Diagnostics.Append(resp.State.Set(ctx, m.unfinished(job.Status.String()))...)
		return
	}
	pulled, err := readPatiently(ctx, d.data, defaultReadTimeout, func(ctx context.Context) (*client.PullResult, error) { return api.PullJob(ctx, id) })
	if err != nil {
		addJobOutputsReadError(&resp.Diagnostics, id, err)
		return
	}
	m.Status = types.StringValue(job.Status.String())
	m.Finished = types.BoolValue(true)
	m.Message = types.StringValue(pulled.Message)
	files, urls := outputFileValues(pulled.Files)
	m.Files = types.ListValueMust(outputFileType, files)
	m.URLs = types.MapValueMust(types.StringType, urls)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// outputFileValues turns the pulled files into `files` elements and the
// `urls` map.
func outputFileValues(pulled []client.PulledFile) ([]attr.Value, map[string]attr.Value) {
	files := make([]attr.Value, 0, len(pulled))
	urls := map[string]attr.Value{}
	for _, f := range pulled {
		link := types.StringNull()
		if f.URL != "" {
			link = types.StringValue(f.URL)
			urls[f.Path] = link
		}
		files = append(files, types.ObjectValueMust(outputFileType.AttrTypes, map[string]attr.Value{
			"path": types.StringValue(f.Path), "url": link,
		}))
	}
	return files, urls
}

// unfinished is what the data source reads for a job with no outputs to list
// yet (or any more): flagged by finished = false, with empty lists.
func (m jobOutputsModel) unfinished(status string) *jobOutputsModel {
	m.Status = types.StringValue(status)
	m.Finished = types.BoolValue(false)
	m.Message = types.StringNull()
	m.Files = types.ListValueMust(outputFileType, []attr.Value{})
	m.URLs = types.MapValueMust(types.StringType, map[string]attr.Value{})
	return &m
}

// addJobNotFinishedWarning explains why a live job has no outputs yet.
func addJobNotFinishedWarning(diags interface{ AddWarning(string, string) }, id string, status client.Status) {
	diags.AddWarning("TensorPool job has not finished",
		fmt.Sprintf("Job %s is %s: its output files can be listed once it finishes (completed, error, failed or canceled), "+
			"so for now finished = false and files is empty. To read them in the same run that submits the job, set id to the "+
			"tensorpool_job resource's id and let that resource wait for completion (wait_for = \"completed\"): Terraform then "+
			"reads this data source after the job has finished. Otherwise plan again once the job has finished (`tp job info %s`).", id, status, id))
}

// addJobOutputsReadError reports a failed read, naming a missing job as such.
func addJobOutputsReadError(diags interface{ AddError(string, string) }, id string, err error) {
	if client.IsNotFound(err) {
		diags.AddError("TensorPool job not found",
			fmt.Sprintf("Job %s was not found: it does not exist, or it was deleted. Check the id with `tp job list`.", id))
		return
	}
	diags.AddError("Could not list the TensorPool job's outputs", fmt.Sprintf("Listing the output files of job %s failed: %s", id, err))
}
