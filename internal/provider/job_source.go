package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

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
// or, with on_source_change = "replace", a replacement.
func planSourceChange(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || resp.Diagnostics.HasError() {
		return
	}
	var plan, state jobResourceModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || state.SourceHash.IsNull() || plan.Config.IsUnknown() || plan.SourceDir.IsUnknown() {
		return // nothing recorded yet (an imported job), or nothing to hash yet
	}
	if !plan.Config.Equal(state.Config) || !plan.SourceDir.Equal(state.SourceDir) {
		return // a changed input replaces the job anyway
	}
	hash, err := hashSource(ctx, plan)
	switch {
	case err != nil:
		resp.Diagnostics.AddAttributeWarning(path.Root("source_hash"), "Could not hash the job's files",
			fmt.Sprintf("Whether the files of source_dir changed since the job was submitted is unknown: %s.", err))
	case hash == state.SourceHash.ValueString():
	case plan.OnSourceChange.ValueString() == onSourceChangeReplace:
		// Known after the new submission, which hashes what it uploads.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("source_hash"), types.StringUnknown())...)
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("source_hash"))
	default:
		// An update that records the new hash; what the engine reports
		// may have moved on by then.
		plan.SourceHash = types.StringValue(hash)
		plan.markEngineFieldsUnknown()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}
}

// markEngineFieldsUnknown plans the engine-reported fields as known after
// apply, as an update re-reads them.
func (m *jobStatusModel) markEngineFieldsUnknown() {
	for _, s := range []*types.String{&m.Status, &m.Message, &m.InstanceType, &m.UpdatedAt, &m.JobInfoJSON} {
		*s = types.StringUnknown()
	}
	m.ExitCode = types.Int64Unknown()
}
