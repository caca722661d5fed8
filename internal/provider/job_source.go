package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/sourcehash"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/tpconfig"
)

// The files a job uploads, hashed: recorded at submission (source_hash) and
// compared at every plan, so that a change in the training code can resubmit
// the job (on_source_change = "replace") or only be shown ("show").

// hashSource hashes the files the job m uploads from its source_dir:
// everything but the config's `ignore` patterns and Terraform's own files,
// as the engine's upload selects them.
func hashSource(ctx context.Context, m jobResourceModel) (string, error) {
	dir, err := sourceDir(m.SourceDir.StringValue)
	if err != nil {
		return "", err
	}
	cfg, err := tpconfig.Parse(m.Config.ValueString())
	if err != nil {
		return "", err
	}
	result, err := sourcehash.Tree(ctx, dir, append(cfg.Ignore, tpconfig.TerraformFiles...))
	if err != nil {
		return "", err
	}
	return result.Hash, nil
}

// planSourceChange compares the job's files with its source_hash. A change
// is planned as a new source_hash: an in-place update that only records it,
// or, with on_source_change = "replace", a replacement. It reads the few
// attributes it needs from the raw plan and state: decoding both whole
// models by reflection, once per job per plan, cost more than the rest of
// it when the files have not changed.
func planSourceChange(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || resp.Diagnostics.HasError() {
		return
	}
	plan, err := rawAttributes(resp.Plan.Raw)
	if err != nil {
		resp.Diagnostics.AddError("Could not read the job's plan", "This is a bug in the provider: "+err.Error())
		return
	}
	state, err := rawAttributes(req.State.Raw)
	if err != nil {
		resp.Diagnostics.AddError("Could not read the job's state", "This is a bug in the provider: "+err.Error())
		return
	}
	if state["source_hash"].IsNull() || !plan["config"].IsKnown() || !plan["source_dir"].IsKnown() {
		return // nothing recorded yet (an imported job), or nothing to hash yet
	}
	if !plan["config"].Equal(state["config"]) || !plan["source_dir"].Equal(state["source_dir"]) {
		return // a changed input replaces the job anyway
	}
	inputs, err := hashInputsOf(ctx, plan)
	if err != nil {
		resp.Diagnostics.AddError("Could not read the job's plan", "This is a bug in the provider: "+err.Error())
		return
	}
	var recorded string
	if err := state["source_hash"].As(&recorded); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("source_hash"), "Could not read the job's state", "This is a bug in the provider: "+err.Error())
		return
	}
	hash, err := hashSource(ctx, inputs)
	switch {
	case err != nil:
		resp.Diagnostics.AddAttributeWarning(path.Root("source_hash"), "Could not hash the job's files",
			fmt.Sprintf("Whether the files of source_dir changed since the job was submitted is unknown: %s.", err))
	case hash == recorded:
	case inputs.OnSourceChange.ValueString() == onSourceChangeReplace:
		// Known after the new submission, which hashes what it uploads.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("source_hash"), types.StringUnknown())...)
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("source_hash"))
	default:
		// An update that records the new hash; what the engine reports
		// may have moved on by then.
		var planned jobResourceModel
		resp.Diagnostics.Append(resp.Plan.Get(ctx, &planned)...)
		if resp.Diagnostics.HasError() {
			return
		}
		planned.SourceHash = types.StringValue(hash)
		planned.markEngineFieldsUnknown()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &planned)...)
	}
}

// hashInputsOf is the part of a planned job that planSourceChange reads:
// config, source_dir and on_source_change, from the plan's raw attributes.
func hashInputsOf(ctx context.Context, plan map[string]tftypes.Value) (jobResourceModel, error) {
	config, err := stringOf(ctx, plan["config"])
	if err != nil {
		return jobResourceModel{}, fmt.Errorf("config: %w", err)
	}
	dir, err := stringOf(ctx, plan["source_dir"])
	if err != nil {
		return jobResourceModel{}, fmt.Errorf("source_dir: %w", err)
	}
	onSourceChange, err := stringOf(ctx, plan["on_source_change"])
	if err != nil {
		return jobResourceModel{}, fmt.Errorf("on_source_change: %w", err)
	}
	return jobResourceModel{
		Config:         jobConfigValue{StringValue: config},
		SourceDir:      sourceDirValue{StringValue: dir},
		OnSourceChange: onSourceChange,
	}, nil
}

// markEngineFieldsUnknown plans the engine-reported fields as known after
// apply, as an update re-reads them.
func (m *jobStatusModel) markEngineFieldsUnknown() {
	for _, s := range []*types.String{&m.Status, &m.Message, &m.InstanceType, &m.UpdatedAt, &m.JobInfoJSON} {
		*s = types.StringUnknown()
	}
	m.ExitCode = types.Int64Unknown()
}
