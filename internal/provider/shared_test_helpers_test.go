package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// Test helpers shared by the cluster, storage, SSH key and job tests.

// captureIDOf stores, during a step, the id the state has for addr.
func captureIDOf(addr string, into *string) tfresource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s not in state", addr)
		}
		*into = rs.Primary.ID
		return nil
	}
}

// snapshotOf is a simulator snapshot the engine has, or an error naming
// what it lacks.
func snapshotOf[T any](snapshot T, ok bool, kind, id string) (T, error) {
	if !ok {
		return snapshot, fmt.Errorf("the engine has no %s %q", kind, id)
	}
	return snapshot, nil
}

// ownedByTestUser keeps the simulator's snapshots of the test user.
func ownedByTestUser[T any](all []T, owner func(T) string) []T {
	var out []T
	for _, s := range all {
		if owner(s) == accOwner {
			out = append(out, s)
		}
	}
	return out
}

// planUnknown marks a planned attribute not known until apply.
type planUnknown struct{}

// runModifyPlan runs r's ModifyPlan on a prior state and a plan given as
// attribute values (nil: a create, or a destroy); the others are null.
func runModifyPlan(t *testing.T, r resource.ResourceWithModifyPlan, state, plan map[string]any) resource.ModifyPlanResponse {
	t.Helper()
	ctx := context.Background()
	var sresp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sresp)
	typ, ok := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("the schema is not an object")
	}
	object := func(attrs map[string]any) tftypes.Value {
		if attrs == nil {
			return tftypes.NewValue(typ, nil)
		}
		values := map[string]tftypes.Value{}
		for name, attrType := range typ.AttributeTypes {
			switch v, set := attrs[name]; {
			case !set:
				values[name] = tftypes.NewValue(attrType, nil)
			case v == planUnknown{}:
				values[name] = tftypes.NewValue(attrType, tftypes.UnknownValue)
			default:
				values[name] = tftypes.NewValue(attrType, v)
			}
		}
		return tftypes.NewValue(typ, values)
	}
	req := resource.ModifyPlanRequest{
		State: tfsdk.State{Schema: sresp.Schema, Raw: object(state)},
		Plan:  tfsdk.Plan{Schema: sresp.Schema, Raw: object(plan)},
	}
	resp := resource.ModifyPlanResponse{Plan: req.Plan}
	r.ModifyPlan(ctx, req, &resp)
	return resp
}
