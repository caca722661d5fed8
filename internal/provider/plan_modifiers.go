package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
)

// privateRefreshedAt records when Read last refreshed the job from the
// engine, so that a destroy right after the refresh of the same command need
// not read the job again.
const privateRefreshedAt = "refreshed_at"

// freshRefresh is how old a refresh may be and still count as Delete's live
// read: long enough for the refresh of the same command to cover a destroy
// of hundreds of jobs, or a plan read before approving it. Job states only
// move forward (a terminal job stays terminal), and the cancel's own answer
// covers a job that ended since, so such a read decides nothing wrongly.
const freshRefresh = 10 * time.Minute

func refreshStamp(at time.Time) []byte {
	return []byte(fmt.Sprintf(`{"unix_nano":%d}`, at.UnixNano()))
}

func readRefreshStamp(ctx context.Context, private privateGetter) (time.Time, bool) {
	if private == nil {
		return time.Time{}, false
	}
	raw, diags := private.GetKey(ctx, privateRefreshedAt)
	if diags.HasError() || len(raw) == 0 {
		return time.Time{}, false
	}
	var stamp struct {
		UnixNano int64 `json:"unix_nano"`
	}
	if err := json.Unmarshal(raw, &stamp); err != nil || stamp.UnixNano <= 0 {
		return time.Time{}, false
	}
	return time.Unix(0, stamp.UnixNano), true
}

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
