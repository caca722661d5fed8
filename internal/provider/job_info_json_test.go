package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// job_info_json keeps what no other attribute holds: unknown fields, whatever
// their type, and nothing of the modelled ones; an answer that is not a JSON
// object is kept as it came.
func TestJobInfoJSONKeepsOnlyTheFieldsNoOtherAttributeHolds(t *testing.T) {
	for raw, want := range map[string]string{
		`{"job_id":"job-1","status":"running","message":"Job is running","exit_code":null,"instance_type":"1xH100",` +
			`"cluster_id":"c-1","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:01:00Z",` +
			`"priority": 3, "node_ips":["10.0.0.1"],"zone":{"name":"us-east"}}`: `{"node_ips":["10.0.0.1"],"priority":3,"zone":{"name":"us-east"}}`,
		`{"job_id":"job-1","status":"completed"}`: `{}`,
		`["not", "an object"]`:                    `["not", "an object"]`,
		`null`:                                    `null`,
	} {
		if got := unmodelledJobInfo([]byte(raw)); got != want {
			t.Errorf("unmodelledJobInfo(%s) = %s, want %s", raw, got, want)
		}
	}
}

// A state written before schema version 1 is upgraded: its job_info_json
// loses the modelled fields, as Read now writes it, and nothing else changes.
func TestJobStateUpgradeDropsTheModelledFieldsFromJobInfoJSON(t *testing.T) {
	ctx := context.Background()
	r := &jobResource{}
	var current resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &current)
	if current.Schema.Version != 1 {
		t.Fatalf("schema version %d, want 1", current.Schema.Version)
	}
	upgrader, ok := r.UpgradeState(ctx)[0]
	if !ok {
		t.Fatal("no upgrader from version 0")
	}
	objType, ok := upgrader.PriorSchema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("the prior schema is not an object")
	}
	values := map[string]tftypes.Value{}
	for name, typ := range objType.AttributeTypes {
		values[name] = tftypes.NewValue(typ, nil)
	}
	values["id"] = tftypes.NewValue(tftypes.String, "job-1")
	values["status"] = tftypes.NewValue(tftypes.String, "running")
	values["job_info_json"] = tftypes.NewValue(tftypes.String, `{"job_id":"job-1","status":"running","zone":"us-east"}`)
	req := resource.UpgradeStateRequest{State: &tfsdk.State{Schema: *upgrader.PriorSchema, Raw: tftypes.NewValue(objType, values)}}
	resp := &resource.UpgradeStateResponse{State: tfsdk.State{Schema: current.Schema, Raw: tftypes.NewValue(current.Schema.Type().TerraformType(ctx), nil)}}
	upgrader.StateUpgrader(ctx, req, resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	for name, want := range map[string]string{"job_info_json": `{"zone":"us-east"}`, "id": "job-1", "status": "running"} {
		var got types.String
		resp.Diagnostics.Append(resp.State.GetAttribute(ctx, path.Root(name), &got)...)
		if got.ValueString() != want {
			t.Errorf("%s = %s after the upgrade, want %s", name, got, want)
		}
	}
}
