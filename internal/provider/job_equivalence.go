package provider

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/tpconfig"
)

// A job's inputs are compared by what they mean, not how they are written:
// `config` by its parsed TOML value (a comment or a reformatting is not a
// change), `source_dir` by its resolved absolute path (a trailing `/`, or
// abspath() of the same folder, is not either).
// Each is a custom string type with semantic equality, the framework's tool
// for this; keepEquivalentPrior applies the same equality at plan time, so
// that a cosmetic edit plans no change at all instead of replacing (that
// is, canceling and resubmitting) a running job.

// jobConfigType is the type of `config`.
type jobConfigType struct{ basetypes.StringType }

var _ basetypes.StringTypable = jobConfigType{}

func (t jobConfigType) Equal(o attr.Type) bool {
	_, ok := o.(jobConfigType)
	return ok
}

func (t jobConfigType) String() string { return "jobConfigType" }

func (t jobConfigType) ValueType(context.Context) attr.Value { return jobConfigValue{} }

func (t jobConfigType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return jobConfigValue{StringValue: in}, nil
}

func (t jobConfigType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	return stringValueFromTerraform(ctx, t.StringType, in, func(s basetypes.StringValue) attr.Value { return jobConfigValue{StringValue: s} })
}

// jobConfigValue is a `config` value: TOML text.
type jobConfigValue struct{ basetypes.StringValue }

var _ basetypes.StringValuableWithSemanticEquals = jobConfigValue{}

func (v jobConfigValue) Type(context.Context) attr.Type { return jobConfigType{} }

func (v jobConfigValue) Equal(o attr.Value) bool {
	other, ok := o.(jobConfigValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

// StringSemanticEquals: two texts are the same configuration when both parse
// to the same TOML value. Text that does not parse is compared as text.
func (v jobConfigValue) StringSemanticEquals(_ context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	newValue, ok := newValuable.(jobConfigValue)
	if !ok {
		return false, nil
	}
	if v.ValueString() == newValue.ValueString() {
		return true, nil
	}
	before, errBefore := tpconfig.Parse(v.ValueString())
	after, errAfter := tpconfig.Parse(newValue.ValueString())
	if errBefore != nil || errAfter != nil {
		return false, nil
	}
	return reflect.DeepEqual(before.Raw, after.Raw), nil
}

// sourceDirType is the type of `source_dir`.
type sourceDirType struct{ basetypes.StringType }

var _ basetypes.StringTypable = sourceDirType{}

func (t sourceDirType) Equal(o attr.Type) bool {
	_, ok := o.(sourceDirType)
	return ok
}

func (t sourceDirType) String() string { return "sourceDirType" }

func (t sourceDirType) ValueType(context.Context) attr.Value { return sourceDirValue{} }

func (t sourceDirType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return sourceDirValue{StringValue: in}, nil
}

func (t sourceDirType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	return stringValueFromTerraform(ctx, t.StringType, in, func(s basetypes.StringValue) attr.Value { return sourceDirValue{StringValue: s} })
}

// sourceDirValue is a `source_dir` value: a directory path.
type sourceDirValue struct{ basetypes.StringValue }

var _ basetypes.StringValuableWithSemanticEquals = sourceDirValue{}

func (v sourceDirValue) Type(context.Context) attr.Type { return sourceDirType{} }

func (v sourceDirValue) Equal(o attr.Value) bool {
	other, ok := o.(sourceDirValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

// StringSemanticEquals: `job/`, `./job`, `abspath("job")` and a symlink to
// it name the directory `job` does: paths are compared resolved.
func (v sourceDirValue) StringSemanticEquals(_ context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	newValue, ok := newValuable.(sourceDirValue)
	if !ok {
		return false, nil
	}
	return resolvedDir(v.ValueString()) == resolvedDir(newValue.ValueString()), nil
}

// resolvedDir is the absolute path of dir (relative to the directory
// Terraform runs in, as for the upload) with symlinks resolved, or as much
// of that as can be worked out: a directory that does not exist is compared
// by its absolute path.
func resolvedDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return filepath.Clean(dir)
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		return resolved
	}
	return abs
}

func stringValueFromTerraform(ctx context.Context, base basetypes.StringType, in tftypes.Value, wrap func(basetypes.StringValue) attr.Value) (attr.Value, error) {
	value, err := base.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := value.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", value)
	}
	return wrap(s), nil
}

// keepEquivalentPrior plans the prior state value when the configured one
// is semantically equal to it (Terraform accepts a prior value in place of
// an equivalent configured one), so the plan shows no change. It must come
// before the replace modifier, which then sees no change either.
type keepEquivalentPrior struct {
	// wrap turns a plain string into the attribute's semantic value.
	wrap func(types.String) basetypes.StringValuableWithSemanticEquals
}

func (keepEquivalentPrior) Description(context.Context) string {
	return "An edit that does not change the meaning of the value (formatting, comments, a trailing slash) is no change."
}

func (m keepEquivalentPrior) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (m keepEquivalentPrior) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || req.PlanValue.IsNull() || req.PlanValue.IsUnknown() || req.PlanValue.Equal(req.StateValue) {
		return
	}
	equal, diags := m.wrap(req.StateValue).StringSemanticEquals(ctx, m.wrap(req.PlanValue))
	resp.Diagnostics.Append(diags...)
	if equal {
		resp.PlanValue = req.StateValue
	}
}

var (
	keepEquivalentConfig = keepEquivalentPrior{wrap: func(s types.String) basetypes.StringValuableWithSemanticEquals {
		return jobConfigValue{StringValue: s}
	}}
	keepEquivalentSourceDir = keepEquivalentPrior{wrap: func(s types.String) basetypes.StringValuableWithSemanticEquals {
		return sourceDirValue{StringValue: s}
	}}
)

// keepStateWhenNothingChanged plans no change at all when every configurable
// attribute and block, after keepEquivalentPrior, equals the state. Without
// it, the framework, having seen the configuration text differ from the
// state, would already have marked the engine-reported attributes "known
// after apply" and planned an update that changes nothing. What counts as
// configurable is read from the schema, so a new argument is compared too.
func keepStateWhenNothingChanged(_ context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var plan, state map[string]tftypes.Value
	if req.Plan.Raw.As(&plan) != nil || req.State.Raw.As(&state) != nil {
		return
	}
	configurable := slices.Collect(maps.Keys(req.Plan.Schema.GetBlocks()))
	for name, attr := range req.Plan.Schema.GetAttributes() {
		if attr.IsRequired() || attr.IsOptional() {
			configurable = append(configurable, name)
		}
	}
	for _, name := range configurable {
		if !plan[name].Equal(state[name]) {
			return
		}
	}
	resp.Plan.Raw = req.State.Raw.Copy()
}
