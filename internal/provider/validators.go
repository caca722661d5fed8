package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/tpconfig"
)

// jobConfigValidator checks the `.tp.toml` text at plan time, so that a
// typo fails `terraform plan` instead of a submission.
type jobConfigValidator struct{}

func (jobConfigValidator) Description(context.Context) string {
	return "must be valid TOML with a non-empty `commands` list"
}

func (v jobConfigValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (jobConfigValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	err := tpconfig.Validate(req.ConfigValue.ValueString())
	if err == nil {
		return
	}
	var cfgErr *tpconfig.Error
	detail := err.Error()
	if errors.As(err, &cfgErr) && cfgErr.Line > 0 {
		detail = fmt.Sprintf("The job configuration is not valid TOML (%s).", cfgErr.Error())
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid TensorPool job configuration",
		detail+"\n\nFix the `.tp.toml` text; `tp job init` (or the engine's GET /job/init) prints a template.")
}

// jobIDValidator refuses ids that could never reach the engine intact.
type jobIDValidator struct{}

func (jobIDValidator) Description(context.Context) string {
	return "must be a TensorPool job id: letters, digits, '-', '_' and '.', at most 128 characters"
}

func (v jobIDValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (jobIDValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := client.ValidateJobID(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid job id", err.Error()+". Copy the id from `tp job list` or from the tensorpool_job resource's `id`.")
	}
}

var clusterIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// engineURLValidator checks engine_url at validate time.
type engineURLValidator struct{}

func (engineURLValidator) Description(context.Context) string {
	return "must be an https:// URL, or http:// to a loopback host"
}

func (v engineURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (engineURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || strings.TrimSpace(req.ConfigValue.ValueString()) == "" {
		return
	}
	if _, err := client.ParseBaseURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid TensorPool engine URL", err.Error())
	}
}

// sourceDirValidator checks at validate and plan time that source_dir, when
// known, is an existing directory, so that a typo fails `terraform plan`
// instead of the submission. Relative paths are resolved against the
// directory Terraform runs in, as at apply time.
type sourceDirValidator struct{}

func (sourceDirValidator) Description(context.Context) string {
	return "must be an existing directory"
}

func (v sourceDirValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (sourceDirValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := sourceDir(req.ConfigValue); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid source directory",
			"source_dir cannot be used: "+err.Error()+". Set it to the folder whose files the job needs, for example \"${path.module}/job\".")
	}
}
