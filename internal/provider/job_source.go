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
//
// The job's own config file usually sits in the folder it uploads
// (config = file("${path.module}/job/train.tp.toml")). Its text is compared
// on its own, as parsed TOML, so it does not count here: any file whose
// content is exactly the configured text is left out. A comment in it is
// then no change at all, instead of a new source_hash (or, with
// on_source_change = "replace", a resubmitted job).

// hashSource hashes the files the job m uploads from its source_dir:
// everything but the config's `ignore` patterns, Terraform's own files, and
// the job's config file (a file whose content is m.Config, which must be the
// configured text, not the state's), as the engine's upload selects them.
func hashSource(ctx context.Context, m jobResourceModel) (sourcehash.Result, error) {
	dir, err := sourceDir(m.SourceDir.StringValue)
	if err != nil {
		return sourcehash.Result{}, err
	}
	cfg, err := tpconfig.Parse(m.Config.ValueString())
	if err != nil {
		return sourcehash.Result{}, err
	}
	return sourcehash.TreeSkipping(ctx, dir, append(cfg.Ignore, tpconfig.TerraformFiles...), []byte(m.Config.ValueString()))
}

// sourceUnchanged reports whether the files hashed to res are those recorded
// in source_hash. A hash recorded by an earlier version of the provider,
// which counted the config file, is recognised too (res.WithSkipped): an
// upgrade must not resubmit a job.
func sourceUnchanged(res sourcehash.Result, recorded string) bool {
	return recorded == res.Hash || recorded == res.WithSkipped
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
	inputs, err := hashInputsOf(ctx, plan, configuredText(req.Config.Raw))
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
	case sourceUnchanged(hash, recorded):
	case inputs.OnSourceChange.ValueString() == onSourceChangeReplace:
		// Known after the new submission, which hashes what it uploads.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("source_hash"), types.StringUnknown())...)
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("source_hash"))
	default:
		// An update that only records the new hash: the engine-reported
		// attributes keep their values (UseStateForUnknown), as Update
		// leaves them alone.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("source_hash"), types.StringValue(hash.Hash))...)
	}
}

// configuredText is the config text as written in the configuration, when
// known: the plan holds the state's text instead when the two differ only in
// form (keepEquivalentConfig), but the file on disk holds this one.
func configuredText(config tftypes.Value) *string {
	attrs, err := rawAttributes(config)
	if err != nil || !attrs["config"].IsKnown() || attrs["config"].IsNull() {
		return nil
	}
	var text string
	if attrs["config"].As(&text) != nil {
		return nil
	}
	return &text
}

// hashInputsOf is the part of a planned job that planSourceChange reads:
// config (the configured text when known, else the plan's), source_dir and
// on_source_change, from the plan's raw attributes.
func hashInputsOf(ctx context.Context, plan map[string]tftypes.Value, configured *string) (jobResourceModel, error) {
	config, err := stringOf(ctx, plan["config"])
	if err != nil {
		return jobResourceModel{}, fmt.Errorf("config: %w", err)
	}
	if configured != nil {
		config = types.StringValue(*configured)
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
