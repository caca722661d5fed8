package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
)

// privateAdopt marks a job imported into the state whose inputs (config,
// source_dir, …) are not known, because the engine does not return them.
const privateAdopt = "adopt_configured_inputs"

type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

// adopting reports whether the value should be taken from the configuration
// instead of replacing the job: the state has no value for it and the job was
// imported. Without this, every import would be followed by a replacement,
// that is, a canceled job and a new one.
func adopting(ctx context.Context, private privateGetter, stateIsNull bool) bool {
	if !stateIsNull || private == nil {
		return false
	}
	value, _ := private.GetKey(ctx, privateAdopt)
	return string(value) == "true"
}

// replaceUnlessAdopting is RequiresReplace, except for an imported job's
// unknown inputs, which are adopted from the configuration in place.
type replaceUnlessAdopting struct{}

func (replaceUnlessAdopting) Description(context.Context) string {
	return "Changing this value submits a new job, except right after an import, when the configured value is adopted."
}

func (m replaceUnlessAdopting) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (replaceUnlessAdopting) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || req.PlanValue.Equal(req.StateValue) {
		return
	}
	resp.RequiresReplace = !adopting(ctx, req.Private, req.StateValue.IsNull())
}

// replaceUnlessAdoptingBool is replaceUnlessAdopting for booleans.
type replaceUnlessAdoptingBool struct{}

func (replaceUnlessAdoptingBool) Description(ctx context.Context) string {
	return replaceUnlessAdopting{}.Description(ctx)
}

func (m replaceUnlessAdoptingBool) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (replaceUnlessAdoptingBool) PlanModifyBool(ctx context.Context, req planmodifier.BoolRequest, resp *planmodifier.BoolResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || req.PlanValue.Equal(req.StateValue) {
		return
	}
	resp.RequiresReplace = !adopting(ctx, req.Private, req.StateValue.IsNull())
}
