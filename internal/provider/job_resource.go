package provider

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/dynamicplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/tpconfig"
)

const (
	onDestroyCancel  = "cancel"
	onDestroyAbandon = "abandon"

	// What a plan does when the files of source_dir changed (on_source_change).
	onSourceChangeShow    = "show"
	onSourceChangeReplace = "replace"

	// What create waits for (wait_for).
	waitForAccepted  = "accepted"
	waitForRunning   = "running"
	waitForCompleted = "completed"

	defaultCreateTimeout = 60 * time.Minute
	defaultDeleteTimeout = 20 * time.Minute
	// defaultReadTimeout bounds a refresh that rides out rate limits and
	// engine outages: long enough for a storm of 429s over hundreds of
	// jobs, short enough that a plan against a dead engine ends.
	defaultReadTimeout = 5 * time.Minute

	// statusDeleted is the status the provider records for a job the
	// engine no longer has (it answers 404). The engine deletes only
	// finished jobs, so such a job is over, not lost: it is kept, never
	// resubmitted by an unrelated apply, and its destroy is quiet.
	statusDeleted = "deleted"
)

var (
	_ resource.ResourceWithConfigure      = (*jobResource)(nil)
	_ resource.ResourceWithImportState    = (*jobResource)(nil)
	_ resource.ResourceWithValidateConfig = (*jobResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*jobResource)(nil)
	_ resource.ResourceWithUpgradeState   = (*jobResource)(nil)
)

// NewJobResource returns the tensorpool_job resource.
func NewJobResource() resource.Resource { return &jobResource{} }

type jobResource struct {
	data *providerData
}

type jobResourceModel struct {
	ID                types.String   `tfsdk:"id"`
	ClusterID         types.String   `tfsdk:"cluster_id"`
	Config            jobConfigValue `tfsdk:"config"`
	SourceDir         sourceDirValue `tfsdk:"source_dir"`
	TeardownCluster   types.Bool     `tfsdk:"teardown_cluster"`
	SourceHash        types.String   `tfsdk:"source_hash"`
	OnSourceChange    types.String   `tfsdk:"on_source_change"`
	TriggersReplace   types.Dynamic  `tfsdk:"triggers_replace"`
	WaitFor           types.String   `tfsdk:"wait_for"`
	WaitForCompletion types.Bool     `tfsdk:"wait_for_completion"`
	OnDestroy         types.String   `tfsdk:"on_destroy"`
	PurgeOnDestroy    types.Bool     `tfsdk:"purge_on_destroy"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
	jobStatusModel
}

func (r *jobResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job"
}

func (r *jobResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replaceUnlessAdopting := stringplanmodifier.RequiresReplaceIf(replaceUnlessAdoptingString, replaceUnlessAdoptingDescription, replaceUnlessAdoptingDescription)
	attributes := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "The job id the engine assigned.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"cluster_id": schema.StringAttribute{
			MarkdownDescription: "Id of the cluster to run the job on (for example `c-abc123`). Changing it submits a new job.",
			Required:            true,
			Validators:          []validator.String{clusterIDValidator},
			PlanModifiers:       []planmodifier.String{replaceUnlessAdopting},
		},
		"config": schema.StringAttribute{
			MarkdownDescription: "The job configuration: the text of a `.tp.toml` file, usually `file(\"${path.module}/job/train.tp.toml\")`. " +
				"It must be valid TOML with a non-empty `commands` list; `outputs`, `ignore` and any other keys are passed to the " +
				"engine. Checked at plan time. Terraform's own files (" + markdownList(tpconfig.TerraformFiles) + ") are always added " +
				"to `ignore`, so they are never uploaded. Changing it submits a new job.",
			Required:      true,
			CustomType:    jobConfigType{},
			Validators:    []validator.String{jobConfigValidator{}},
			PlanModifiers: []planmodifier.String{keepEquivalentConfig, replaceUnlessAdopting},
		},
		"source_dir": schema.StringAttribute{
			MarkdownDescription: "Directory the engine's upload commands run in, that is, the directory whose files are uploaded " +
				"with the job (minus the config's `ignore` patterns and Terraform's own files). Relative paths are relative to the " +
				"directory Terraform runs in, which is also the default. Use a dedicated folder such as `\"${path.module}/job\"`. " +
				"Checked at plan time when known. Compared as the folder it resolves to (absolute, symlinks resolved), so " +
				"`abspath()` of the same folder is no change. Changing it to another folder submits a new job.",
			Optional:      true,
			CustomType:    sourceDirType{},
			Validators:    []validator.String{sourceDirValidator{}},
			PlanModifiers: []planmodifier.String{keepEquivalentSourceDir, replaceUnlessAdopting},
		},
		"teardown_cluster": schema.BoolAttribute{
			MarkdownDescription: "Whether the engine tears the cluster down when the job ends. Default `false`. Changing it submits a new job.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
			PlanModifiers: []planmodifier.Bool{
				boolplanmodifier.RequiresReplaceIf(replaceUnlessAdoptingBool, replaceUnlessAdoptingDescription, replaceUnlessAdoptingDescription),
			},
		},
		"source_hash": schema.StringAttribute{
			MarkdownDescription: "A hash of the files the job uploaded (`source_dir` minus the config's `ignore` patterns, " +
				"Terraform's own files and the job's config file, that is, a file whose content is the `config` text), recorded at " +
				"submission (for an imported job, at the apply that adopts its configuration) and computed again at every plan. " +
				"Symlinks count by their target path, not followed. When the files change, the plan shows the new hash and, with " +
				"`on_source_change = \"replace\"`, submits the job again. See [Source changes](#source-changes).",
			Computed: true,
			// Not UseStateForUnknown: an imported job has none yet, and the
			// apply that adopts its configuration must get to record one.
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseNonNullStateForUnknown()},
		},
		"on_source_change": schema.StringAttribute{
			MarkdownDescription: "What a plan does when the files of `source_dir` no longer match `source_hash`: `\"show\"` (the " +
				"default) shows the new hash as an in-place update, which only records it; `\"replace\"` submits the job again " +
				"(the running one is canceled first). Changing it does not resubmit the job.",
			Optional:   true,
			Computed:   true,
			Default:    stringdefault.StaticString(onSourceChangeShow),
			Validators: []validator.String{stringvalidator.OneOf(onSourceChangeShow, onSourceChangeReplace)},
		},
		"triggers_replace": schema.DynamicAttribute{
			MarkdownDescription: "Any value; when it changes, the job is submitted again, as with `terraform_data`'s " +
				"`triggers_replace` (for example a dataset version or a container tag).",
			Optional:      true,
			PlanModifiers: []planmodifier.Dynamic{dynamicplanmodifier.RequiresReplace()},
		},
		"wait_for": schema.StringAttribute{
			MarkdownDescription: "What creating the job waits for, within `timeouts.create`: `\"accepted\"` (the default) returns once " +
				"the engine has accepted the job; `\"running\"` once it runs (what a pipeline that starts training and moves on wants); " +
				"`\"completed\"` once it has finished. A job that ends `error`, `failed` or `canceled` before what was awaited fails " +
				"the apply and stays in the state, marked tainted; the error quotes the end of the job's output. " +
				"Changing it does not resubmit the job.",
			Optional: true,
			Validators: []validator.String{
				stringvalidator.OneOf(waitForAccepted, waitForRunning, waitForCompleted),
				stringvalidator.ConflictsWith(path.MatchRoot("wait_for_completion")),
			},
		},
		"wait_for_completion": schema.BoolAttribute{
			MarkdownDescription: "Deprecated: use `wait_for = \"completed\"`. When `true`, it means exactly that. Default `false`.",
			DeprecationMessage: "Use `wait_for = \"completed\"` instead (or `wait_for = \"running\"` to return once the job runs); " +
				"`wait_for_completion = true` means the same as `wait_for = \"completed\"` and will be removed in the next major version.",
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(false),
		},
		"on_destroy": schema.StringAttribute{
			MarkdownDescription: "What `terraform destroy` does with a job that is still running: `\"cancel\"` (the default) cancels it and " +
				"waits until it has stopped; `\"abandon\"` only removes it from the state, with a warning, and leaves it running. " +
				"Changing it does not resubmit the job.",
			Optional:   true,
			Computed:   true,
			Default:    stringdefault.StaticString(onDestroyCancel),
			Validators: []validator.String{stringvalidator.OneOf(onDestroyCancel, onDestroyAbandon)},
		},
		"purge_on_destroy": schema.BoolAttribute{
			MarkdownDescription: "When `true`, destroy also deletes the job from the engine's job lists once it has stopped " +
				"(`DELETE /job/delete`). Default `false`: the stopped job stays visible in `tp job list`. Changing it does not resubmit the job.",
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(false),
		},
	}
	maps.Copy(attributes, jobStatusAttributes(
		// An update changes none of them (Update sends nothing to the
		// engine): they keep their values in its plan.
		func(key string) schema.Attribute {
			return schema.StringAttribute{MarkdownDescription: jobFieldDescriptions[key], Computed: true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
		},
		func(key string) schema.Attribute {
			return schema.Int64Attribute{MarkdownDescription: jobFieldDescriptions[key], Computed: true,
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}}
		},
	))
	resp.Schema = schema.Schema{
		// Version 1: job_info_json keeps only the fields no other attribute
		// holds (see UpgradeState).
		Version: 1,
		MarkdownDescription: "A training job on a TensorPool GPU cluster. Creating it submits the job; destroying it cancels the job " +
			"and waits, within `timeouts.delete`, until the engine reports that it has stopped, so that no GPU keeps billing after " +
			"a destroy succeeds. A job cannot be edited: changing `cluster_id`, `config`, `source_dir` or `teardown_cluster` replaces it. " +
			"A job that finishes, fails, is canceled or is deleted outside Terraform stays in the state with its new `status` " +
			"(`deleted` for a job the engine no longer has); it is not run again unless you ask (`-replace`, `triggers_replace`).",
		Attributes: attributes,
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{
				Create: true,
				Read:   true,
				Delete: true,
				CreateDescription: "Bounds job submission and, with `wait_for_completion = true`, the wait for the job to finish. " +
					fmt.Sprintf("A positive Go duration such as `\"90m\"`. Default `%s`.", shortDuration(defaultCreateTimeout)),
				ReadDescription: "Bounds a refresh of the job, which rides out rate limits (429) and engine errors (5xx) until then. " +
					fmt.Sprintf("A positive Go duration. Default `%s`.", shortDuration(defaultReadTimeout)),
				DeleteDescription: fmt.Sprintf("Bounds how long destroy waits for a canceled job to stop. A positive Go duration. Default `%s`. ", shortDuration(defaultDeleteTimeout)) +
					"On timeout the destroy fails and the job stays in the state; run destroy again to keep waiting. Terraform reads this value " +
					"from the state, so apply a change to it before running destroy.",
			}),
		},
	}
}

// ValidateConfig refuses timeouts that could never let an operation run:
// the timeouts block itself accepts any Go duration, zero and negative ones
// included.
func (r *jobResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validatePositiveTimeouts(ctx, req.Config, &resp.Diagnostics)
}

// ModifyPlan reports a provider setting from the environment that cannot be
// used at plan time, also for a plan that only creates jobs and so would not
// call the engine before apply.
func (r *jobResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data != nil && r.data.configErr != nil {
		resp.Diagnostics.Append(*r.data.configErr)
	}
	keepStateWhenNothingChanged(ctx, req, resp)
	planSourceChange(ctx, req, resp)
	warnTeardownOfManagedCluster(ctx, r.data, req, resp)
}

func (r *jobResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		r.data = data
	}
}

// engineFor returns the engine client and a context whose logs mask the
// API key, or adds a diagnostic when the engine cannot be used: every
// operation that calls the engine starts here.
func engineFor(ctx context.Context, data *providerData, diags *diag.Diagnostics) (context.Context, *client.Client) {
	if data != nil && data.configErr != nil {
		diags.Append(*data.configErr)
		return ctx, nil
	}
	if data == nil || data.client == nil {
		diags.AddError("TensorPool provider not configured", "The provider has no engine client; this happens when its configuration depends on unknown values.")
		return ctx, nil
	}
	if !data.client.HasAPIKey() {
		diags.AddAttributeError(path.Root("api_key"), "TensorPool API key missing",
			"This operation calls the TensorPool engine and needs an API key. Set the `TENSORPOOL_KEY` environment variable "+
				"(a sensitive variable in Terraform Cloud) or the provider's `api_key` argument.")
		return ctx, nil
	}
	return maskKey(ctx, data.apiKey), data.client
}

// providerDataFrom is the Configure step of the resource and data source.
func providerDataFrom(raw any, diags *diag.Diagnostics) *providerData {
	if raw == nil {
		return nil // the provider is not configured yet (validation)
	}
	data, ok := raw.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *providerData, got %T; this is a bug in the provider", raw))
	}
	return data
}

func (r *jobResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	prior, diags := priorJobOf(ctx, req.State)
	resp.Diagnostics.Append(diags...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := prior.id.ValueString()
	readTimeout, diags := prior.timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if prior.deleted() {
		// The engine never brings a deleted job back: no request needed.
		setJobIdentity(ctx, resp.Identity, prior.id, &resp.Diagnostics)
		return
	}
	job, err := readJob(ctx, r.data, api, id, readTimeout)
	if client.IsNotFound(err) {
		if adopting(ctx, req.Private, prior.attrs["status"].IsNull()) {
			// An import of an id the engine does not know: nothing to adopt,
			// and Terraform says so ("Cannot import non-existent remote object").
			setJobIdentity(ctx, resp.Identity, prior.id, &resp.Diagnostics)
			resp.State.RemoveResource(ctx)
			return
		}
		// The engine deletes only finished jobs (`tp job delete`), so a job
		// Terraform knows that answers 404 has finished and was cleaned up:
		// it stays in the state, marked deleted, and is not submitted again
		// (that would buy its GPU time a second time).
		resp.Diagnostics.AddWarning("TensorPool job deleted outside Terraform",
			fmt.Sprintf("Job %s is no longer known to the engine: it finished and was deleted (`tp job delete`). "+
				"It stays in the Terraform state with status \"deleted\" and is not submitted again. To run it again, "+
				"apply with `-replace=ADDRESS` or change `triggers_replace`; to forget it, remove the resource from the "+
				"configuration (its destroy sends nothing the engine would act on).", id))
		resp.Diagnostics.Append(prior.markDeleted(&resp.State)...)
		setJobIdentity(ctx, resp.Identity, prior.id, &resp.Diagnostics)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not read the TensorPool job", fmt.Sprintf("Reading job %s failed: %s", id, err))
		return
	}
	resp.Diagnostics.Append(prior.refresh(ctx, &resp.State, job)...)
	setJobIdentity(ctx, resp.Identity, prior.id, &resp.Diagnostics)
}

// priorJob is what Read needs of the prior state. It is taken from the raw
// state rather than decoded into a jobResourceModel: that reflection, and
// writing the whole model back, cost about 25 times as much
// (BenchmarkJobReadState), once per job per plan.
type priorJob struct {
	// attrs is the prior state's top-level attributes (the state's own map:
	// never written to).
	attrs    map[string]tftypes.Value
	id       types.String
	timeouts timeouts.Value
}

func priorJobOf(ctx context.Context, state tfsdk.State) (priorJob, diag.Diagnostics) {
	var diags diag.Diagnostics
	attrs, err := rawAttributes(state.Raw)
	if err != nil {
		diags.AddError("Could not read the job's state", "This is a bug in the provider: "+err.Error())
		return priorJob{}, diags
	}
	id, err := stringOf(ctx, attrs["id"])
	if err != nil {
		diags.AddAttributeError(path.Root("id"), "Could not read the job's state", "This is a bug in the provider: "+err.Error())
		return priorJob{}, diags
	}
	timeoutsBlock, ok := state.Schema.GetBlocks()["timeouts"]
	if !ok {
		diags.AddError("Could not read the job's state", "This is a bug in the provider: the schema has no timeouts block.")
		return priorJob{}, diags
	}
	value, err := timeoutsBlock.Type().ValueFromTerraform(ctx, attrs["timeouts"])
	readTimeouts, ok := value.(timeouts.Value)
	if err != nil || !ok {
		diags.AddAttributeError(path.Root("timeouts"), "Could not read the job's state",
			fmt.Sprintf("This is a bug in the provider: the timeouts block is a %T (%v).", value, err))
		return priorJob{}, diags
	}
	return priorJob{attrs: attrs, id: id, timeouts: readTimeouts}, diags
}

// deleted reports whether the state already records the job as deleted
// from the engine (statusDeleted).
func (p priorJob) deleted() bool {
	var status string
	return p.attrs["status"].As(&status) == nil && status == statusDeleted
}

// markDeleted records in state that the engine no longer has the job: its
// status becomes statusDeleted, the rest keeps what was last reported.
func (p priorJob) markDeleted(state *tfsdk.State) diag.Diagnostics {
	var diags diag.Diagnostics
	attrs := maps.Clone(p.attrs)
	attrs["status"] = tftypes.NewValue(tftypes.String, statusDeleted)
	if err := tftypes.ValidateValue(state.Raw.Type(), attrs); err != nil {
		diags.AddError("Could not write the job's state", "This is a bug in the provider: "+err.Error())
		return diags
	}
	state.Raw = tftypes.NewValue(state.Raw.Type(), attrs)
	return diags
}

// refresh writes what the engine reports of job into state, which the
// framework filled with a copy of the prior state. An attribute is written
// only when its value changed, and when none did (the usual refresh) state
// is left as it is: the same result as writing the whole model back, at a
// fraction of the cost.
func (p priorJob) refresh(ctx context.Context, state *tfsdk.State, job *client.Job) diag.Diagnostics {
	var diags diag.Diagnostics
	var changed map[string]tftypes.Value // a copy of p.attrs once something changed
	update := func(name string, value tftypes.Value) {
		if value.Equal(p.attrs[name]) {
			return
		}
		if changed == nil {
			changed = maps.Clone(p.attrs)
		}
		changed[name] = value
	}
	var reported jobStatusModel
	reported.setFromJob(job)
	for _, field := range reported.attributeValues() {
		value, err := field.value.ToTerraformValue(ctx)
		if err != nil {
			diags.AddAttributeError(path.Root(field.name), "Could not write the job's state", "This is a bug in the provider: "+err.Error())
			return diags
		}
		update(field.name, value)
	}
	// cluster_id is configured and forces replacement: the engine's spelling
	// of it must never replace a running job. It comes from the engine only
	// when the state has none (after an import).
	if p.attrs["cluster_id"].IsNull() && job.ClusterID != nil && *job.ClusterID != "" {
		update("cluster_id", tftypes.NewValue(tftypes.String, *job.ClusterID))
	}
	if changed == nil {
		return diags
	}
	if err := tftypes.ValidateValue(state.Raw.Type(), changed); err != nil {
		diags.AddError("Could not write the job's state", "This is a bug in the provider: "+err.Error())
		return diags
	}
	state.Raw = tftypes.NewValue(state.Raw.Type(), changed)
	return diags
}

// Update changes only settings that do not touch the running job
// (wait_for, on_destroy, purge_on_destroy, timeouts, on_source_change),
// records a new source_hash, and adopts the configured inputs after an
// import. Every other change replaces the job. It sends nothing to the
// engine: the engine-reported attributes were planned as they are in the
// state (UseStateForUnknown), so that an update shows no "(known after
// apply)" for them, and the next refresh reads them again.
func (r *jobResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state jobResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.jobStatusModel = state.jobStatusModel
	if plan.SourceHash.IsUnknown() {
		// Adopting an imported job: from now on, its files are compared
		// with these. The configured text finds the config file among them.
		inputs := plan
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("config"), &inputs.Config)...)
		plan.SourceHash = sourceHashOrNull(ctx, inputs, &resp.Diagnostics)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	setJobIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
	// The configured inputs are now the job's: later changes replace it.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateAdopt, nil)...)
}

func (r *jobResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := importedJobID(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := client.ValidateJobID(id); err != nil {
		resp.Diagnostics.AddError("Invalid job id to import", err.Error()+". Import with `terraform import tensorpool_job.NAME <job id>`, "+
			"or an import block with `id = \"<job id>\"` or `identity = { id = \"<job id>\" }`.")
		return
	}
	resp.Diagnostics.Append(r.seedImport(ctx, id, &resp.State)...)
	setJobIdentity(ctx, resp.Identity, types.StringValue(id), &resp.Diagnostics)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateAdopt, []byte("true"))...)
}

// seedImport writes what an import knows before the refresh: the id, and
// the provider-side settings at their defaults; the job's inputs stay null
// and are adopted from the configuration at the next apply.
func (r *jobResource) seedImport(ctx context.Context, id string, state *tfsdk.State) diag.Diagnostics {
	diags := state.SetAttribute(ctx, path.Root("id"), id)
	diags.Append(state.SetAttribute(ctx, path.Root("on_destroy"), onDestroyCancel)...)
	diags.Append(state.SetAttribute(ctx, path.Root("wait_for_completion"), false)...)
	diags.Append(state.SetAttribute(ctx, path.Root("purge_on_destroy"), false)...)
	diags.Append(state.SetAttribute(ctx, path.Root("on_source_change"), onSourceChangeShow)...)
	return diags
}

// sourceDir resolves the upload directory: the configured one, which must
// exist, or the directory Terraform runs in.
func sourceDir(v types.String) (string, error) {
	if v.IsNull() || v.IsUnknown() {
		return os.Getwd()
	}
	if v.ValueString() == "" {
		return "", errors.New("source_dir is empty")
	}
	dir, err := filepath.Abs(v.ValueString())
	if err != nil {
		return "", fmt.Errorf("cannot resolve %q: %w", v.ValueString(), err)
	}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("the directory %q does not exist", dir)
	case err != nil:
		return "", fmt.Errorf("%q cannot be used as the upload directory: %w", dir, err)
	case !info.IsDir():
		return "", fmt.Errorf("%q is a file, not a directory: source_dir names the directory whose files are uploaded", dir)
	}
	return dir, nil
}

func exitCodeText(job *client.Job) string {
	if job.ExitCode == nil {
		return ""
	}
	return fmt.Sprintf(" (exit code %d)", *job.ExitCode)
}

func messageText(job *client.Job) string {
	if job.Message == nil || *job.Message == "" {
		return ""
	}
	return ": " + *job.Message
}

// waitGoal is what create waits for: wait_for, or the deprecated
// wait_for_completion = true, or by default only the engine's acceptance.
func (m jobResourceModel) waitGoal() string {
	switch {
	case !m.WaitFor.IsNull() && !m.WaitFor.IsUnknown():
		return m.WaitFor.ValueString()
	case m.WaitForCompletion.ValueBool():
		return waitForCompleted
	}
	return waitForAccepted
}

// sourceHashOrNull hashes the job's files now, or is null with a warning
// when they cannot be read: the job is submitted (or kept) all the same.
func sourceHashOrNull(ctx context.Context, m jobResourceModel, diags *diag.Diagnostics) types.String {
	hash, err := hashSource(ctx, m)
	if err == nil {
		return types.StringValue(hash.Hash)
	}
	diags.AddAttributeWarning(path.Root("source_hash"), "Could not hash the job's files",
		fmt.Sprintf("source_hash stays empty, so later changes to the files are not detected: %s.", err))
	return types.StringNull()
}

// UpgradeState upgrades a state written before version 1, whose
// job_info_json held the engine's whole job_info object: the fields other
// attributes hold are dropped from it, as Read now writes it, so that the
// first plan after the upgrade reports no change outside Terraform. The
// schema is otherwise the same.
func (r *jobResource) UpgradeState(ctx context.Context) map[int64]resource.StateUpgrader {
	var prior resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &prior)
	prior.Schema.Version = 0
	return map[int64]resource.StateUpgrader{
		0: {
			PriorSchema: &prior.Schema,
			StateUpgrader: func(ctx context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
				var info types.String
				resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("job_info_json"), &info)...)
				if resp.Diagnostics.HasError() {
					return
				}
				resp.State.Raw = req.State.Raw
				if !info.IsNull() && !info.IsUnknown() {
					info = types.StringValue(unmodelledJobInfo([]byte(info.ValueString())))
					resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("job_info_json"), info)...)
				}
			},
		},
	}
}
