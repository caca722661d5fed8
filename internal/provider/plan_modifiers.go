package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
)

// privateAdopt marks a job imported into the state whose inputs (config,
// source_dir, …) are not known, because the engine does not return them.
const privateAdopt = "adopt_configured_inputs"

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

const replaceUnlessAdoptingDescription = "Changing this value submits a new job, except right after an import, when the configured value is adopted."

// replaceUnlessAdoptingString and replaceUnlessAdoptingBool are the
// conditions of RequiresReplaceIf for the job's inputs: every change
// replaces the job, except an imported job's unknown inputs, which are
// adopted from the configuration in place.
func replaceUnlessAdoptingString(ctx context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !adopting(ctx, req.Private, req.StateValue.IsNull())
}

func replaceUnlessAdoptingBool(ctx context.Context, req planmodifier.BoolRequest, resp *boolplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !adopting(ctx, req.Private, req.StateValue.IsNull())
}
