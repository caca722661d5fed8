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

// resourceObject is a state (or, as its Raw, a plan) of r given as attribute
// values: unset ones null, planUnknown{} unknown, a map[string]any a block,
// a tftypes.Value as it is (a dynamic value); nil attrs is a null object.
func resourceObject(t testing.TB, r resource.Resource, attrs map[string]any) tfsdk.State {
	t.Helper()
	ctx := context.Background()
	var sresp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sresp)
	typ, ok := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("the schema is not an object")
	}
	var object func(typ tftypes.Object, attrs map[string]any) tftypes.Value
	object = func(typ tftypes.Object, attrs map[string]any) tftypes.Value {
		values := map[string]tftypes.Value{}
		for name, attrType := range typ.AttributeTypes {
			switch v, set := attrs[name]; {
			case !set:
				values[name] = tftypes.NewValue(attrType, nil)
			case v == planUnknown{}:
				values[name] = tftypes.NewValue(attrType, tftypes.UnknownValue)
			default:
				if nested, ok := v.(map[string]any); ok {
					values[name] = object(attrType.(tftypes.Object), nested) //nolint:forcetypeassert // a block is an object
					continue
				}
				if dynamic, ok := v.(tftypes.Value); ok {
					values[name] = dynamic
					continue
				}
				values[name] = tftypes.NewValue(attrType, v)
			}
		}
		return tftypes.NewValue(typ, values)
	}
	if attrs == nil {
		return tfsdk.State{Schema: sresp.Schema, Raw: tftypes.NewValue(typ, nil)}
	}
	return tfsdk.State{Schema: sresp.Schema, Raw: object(typ, attrs)}
}

// runModifyPlan runs r's ModifyPlan on a prior state and a plan given as
// attribute values (resourceObject; nil: a create, or a destroy).
func runModifyPlan(t *testing.T, r resource.ResourceWithModifyPlan, state, plan map[string]any) resource.ModifyPlanResponse {
	t.Helper()
	prior, planned := resourceObject(t, r, state), resourceObject(t, r, plan)
	req := resource.ModifyPlanRequest{State: prior, Plan: tfsdk.Plan(planned)}
	resp := resource.ModifyPlanResponse{Plan: req.Plan}
	r.ModifyPlan(context.Background(), req, &resp)
	return resp
}
