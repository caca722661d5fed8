package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// jobStatusModel holds what the engine reports about a job. The resource and
// the data source both embed it, so the two always show the same fields.
type jobStatusModel struct {
	Status       types.String `tfsdk:"status"`
	Message      types.String `tfsdk:"message"`
	ExitCode     types.Int64  `tfsdk:"exit_code"`
	InstanceType types.String `tfsdk:"instance_type"`
	CreatedAt    types.String `tfsdk:"created_at"`
	UpdatedAt    types.String `tfsdk:"updated_at"`
	JobInfoJSON  types.String `tfsdk:"job_info_json"`
}

// jobFieldDescriptions is the schema text of the engine-reported fields,
// written once for the resource and the data source.
var jobFieldDescriptions = map[string]string{
	"status": "The job's status as the engine last reported it: `pending`, `running`, `canceling`, `completed`, `error` " +
		"(the job's own commands failed), `failed` (an infrastructure failure on TensorPool's side) or `canceled`. " +
		"A status the provider does not know is shown as the engine sent it and treated as still running. " +
		"`deleted` is the provider's own: the engine no longer has the job (it deletes only finished jobs, with `tp job delete`).",
	"message":       "The engine's public message about the job. Null when the engine sends none.",
	"exit_code":     "Exit code of the job's commands, once the engine reports one. Null until then.",
	"instance_type": "Instance type the job runs on (for example `1xH100`), when the engine reports it.",
	"created_at":    "When the engine created the job, as the engine wrote it (RFC 3339 when it sends a Unix time).",
	"updated_at":    "When the engine last changed the job, as the engine wrote it.",
	"job_info_json": "The fields of the engine's `job_info` object that no other attribute holds, as JSON (`{}` when there are " +
		"none): whatever the engine reports that this provider does not model yet. Read single fields with `jsondecode(...)`.",
}

// setFromJob copies what the engine returned; fields it left out become null.
func (m *jobStatusModel) setFromJob(job *client.Job) {
	m.Status = types.StringValue(string(job.Status))
	m.Message = types.StringPointerValue(job.Message)
	m.ExitCode = types.Int64PointerValue(job.ExitCode)
	m.InstanceType = types.StringPointerValue(job.InstanceType)
	m.CreatedAt = types.StringPointerValue(job.CreatedAt)
	m.UpdatedAt = types.StringPointerValue(job.UpdatedAt)
	if len(job.Raw) > 0 {
		m.JobInfoJSON = types.StringValue(unmodelledJobInfo(job.Raw))
	} else {
		m.JobInfoJSON = types.StringNull()
	}
}

// modelledJobInfo are the fields of the engine's job_info object that other
// attributes hold (the resource's and the data source's alike): job_info_json
// leaves them out rather than store them twice.
var modelledJobInfo = []string{"job_id", "status", "message", "exit_code", "instance_type", "cluster_id", "created_at", "updated_at"}

// unmodelledJobInfo is the engine's job_info object without the fields in
// modelledJobInfo, as compact JSON with sorted keys ("{}" when nothing is
// left). Anything that is not a JSON object is kept as it came.
func unmodelledJobInfo(raw []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || fields == nil {
		return string(raw)
	}
	for _, name := range modelledJobInfo {
		delete(fields, name)
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return string(raw)
	}
	return string(out)
}

// namedValue is one attribute of a state or plan: its name in the schema and
// its value.
type namedValue struct {
	name  string
	value attr.Value
}

// attributeValues is m by attribute name (its tfsdk tags), for code that
// compares it with a raw state instead of decoding the whole model by
// reflection (TestJobStatusAttributeValuesMatchTheTags keeps the names in
// step with the tags).
func (m jobStatusModel) attributeValues() [7]namedValue {
	return [7]namedValue{
		{"status", m.Status}, {"message", m.Message}, {"exit_code", m.ExitCode}, {"instance_type", m.InstanceType},
		{"created_at", m.CreatedAt}, {"updated_at", m.UpdatedAt}, {"job_info_json", m.JobInfoJSON},
	}
}

// rawAttributes is the top-level attributes of a raw state or plan object.
// The map is the value's own: read it, never write it.
func rawAttributes(object tftypes.Value) (map[string]tftypes.Value, error) {
	if object.IsNull() || !object.IsKnown() {
		return nil, fmt.Errorf("expected a known object, got %s", object)
	}
	var attrs map[string]tftypes.Value
	if err := object.As(&attrs); err != nil {
		return nil, err
	}
	return attrs, nil
}

// stringOf is a raw string attribute as the framework's types.String.
func stringOf(ctx context.Context, raw tftypes.Value) (types.String, error) {
	value, err := types.StringType.ValueFromTerraform(ctx, raw)
	if err != nil {
		return types.String{}, err
	}
	s, ok := value.(types.String)
	if !ok {
		return types.String{}, fmt.Errorf("unexpected value type %T", value)
	}
	return s, nil
}

// setUnknownAsNull replaces unknown values (left from the plan) with null, so
// that a partial state after a failed create is still valid.
func (m *jobStatusModel) setUnknownAsNull() {
	for _, s := range []*types.String{&m.Status, &m.Message, &m.InstanceType, &m.CreatedAt, &m.UpdatedAt, &m.JobInfoJSON} {
		if s.IsUnknown() {
			*s = types.StringNull()
		}
	}
	if m.ExitCode.IsUnknown() {
		m.ExitCode = types.Int64Null()
	}
}

// jobStatusAttributes builds the schema of the engine-reported fields, for
// the resource and the data source alike (their schema packages differ, so
// each passes its own constructors for a string and an integer attribute).
func jobStatusAttributes[A any](stringAttr, int64Attr func(key string) A) map[string]A {
	attrs := map[string]A{}
	for _, key := range []string{"status", "message", "instance_type", "created_at", "updated_at", "job_info_json"} {
		attrs[key] = stringAttr(key)
	}
	attrs["exit_code"] = int64Attr("exit_code")
	return attrs
}

// markdownList renders values as `a`, `b` and `c`.
func markdownList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "`" + v + "`"
	}
	if len(quoted) < 2 {
		return strings.Join(quoted, "")
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
}

// shortDuration writes a default timeout the way users write it: 1h, 20m,
// 90s (time.Duration.String would write 1h0m0s).
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
