package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// validatePositiveTimeouts refuses, at validate and plan time, a timeout of
// zero or less in a resource's timeouts block: it could never let the
// operation run, and the block itself accepts any duration Go can parse.
func validatePositiveTimeouts(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
	var t timeouts.Value
	diags.Append(config.GetAttribute(ctx, path.Root("timeouts"), &t)...)
	if diags.HasError() || t.IsNull() || t.IsUnknown() {
		return
	}
	for name, value := range t.Attributes() {
		text, ok := value.(types.String)
		if !ok || text.IsNull() || text.IsUnknown() {
			continue
		}
		d, err := time.ParseDuration(text.ValueString())
		if err != nil || d > 0 {
			continue // unparsable durations are reported by the timeouts block itself
		}
		diags.AddAttributeError(path.Root("timeouts").AtName(name), "Timeout must be positive",
			fmt.Sprintf("timeouts.%s is %q; it must be a positive duration such as \"20m\" or \"90s\". "+
				"Remove it to use the default.", name, text.ValueString()))
	}
}
