package provider

import (
	"context"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestServerKeepsTheOptionalRPCs: the wrapper still offers what the plugin
// server finds by type assertion (the cancel action, list resources), and
// its schema is the framework's.
func TestServerKeepsTheOptionalRPCs(t *testing.T) {
	server, err := NewServer("test", Options{})()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := server.(tfprotov6.ProviderServerWithActions); !ok { //nolint:staticcheck // how the plugin server finds actions
		t.Error("the served provider has no actions: tensorpool_job_cancel would be gone")
	}
	if _, ok := server.(tfprotov6.ProviderServerWithListResource); !ok { //nolint:staticcheck // how the plugin server finds list resources
		t.Error("the served provider answers no list resource RPCs")
	}
	schema, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || schema.ActionSchemas["tensorpool_job_cancel"] == nil || schema.ResourceSchemas["tensorpool_job"] == nil {
		t.Fatalf("schema through the wrapper: %v, actions %d, resources %d", err, len(schema.ActionSchemas), len(schema.ResourceSchemas))
	}
}

// TestRefreshedStateAsJSONWritesNumbersAsTheStateFileDoes: the JSON a
// refresh answers holds each value as Terraform's state file writes it
// (integers without a fraction, nulls, nested values), and a value JSON
// cannot hold as Terraform reads it (unknown) keeps its MessagePack form.
func TestRefreshedStateAsJSONWritesNumbersAsTheStateFileDoes(t *testing.T) {
	triggerType := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"dataset": tftypes.String}}
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"code": tftypes.Number, "ratio": tftypes.Number, "none": tftypes.Number, "name": tftypes.String,
		"tags": tftypes.Map{ElementType: tftypes.String}, "ok": tftypes.Bool,
		"triggers": tftypes.DynamicPseudoType, "no_triggers": tftypes.DynamicPseudoType,
	}}
	value := tftypes.NewValue(typ, map[string]tftypes.Value{
		"code":        tftypes.NewValue(tftypes.Number, new(big.Float).SetInt64(137)),
		"ratio":       tftypes.NewValue(tftypes.Number, big.NewFloat(0.25)),
		"none":        tftypes.NewValue(tftypes.Number, nil),
		"name":        tftypes.NewValue(tftypes.String, "a \"b\""),
		"tags":        tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, map[string]tftypes.Value{"k": tftypes.NewValue(tftypes.String, "v")}),
		"ok":          tftypes.NewValue(tftypes.Bool, true),
		"triggers":    tftypes.NewValue(triggerType, map[string]tftypes.Value{"dataset": tftypes.NewValue(tftypes.String, "v2")}),
		"no_triggers": tftypes.NewValue(tftypes.DynamicPseudoType, nil),
	})
	state, err := tfprotov6.NewDynamicValue(typ, value)
	if err != nil {
		t.Fatal(err)
	}
	encoded, ok := stateAsJSON(state, typ)
	var got map[string]any
	if !ok || json.Unmarshal(encoded, &got) != nil {
		t.Fatalf("stateAsJSON = %s (%v), not a JSON object", encoded, ok)
	}
	// Compact numbers, as the state file writes them: 137, not 137.0.
	// A dynamic attribute's value names its type, as in the state file.
	for _, want := range []string{`"code":137`, `"name":"a \"b\""`, `"none":null`, `"ok":true`, `"ratio":0.25`, `"tags":{"k":"v"}`,
		`"triggers":{"value":{"dataset":"v2"},"type":["object",{"dataset":"string"}]}`, `"no_triggers":null`} {
		if !strings.Contains(string(encoded), want) {
			t.Errorf("stateAsJSON = %s, without %s", encoded, want)
		}
	}
	back, err := (&tfprotov6.DynamicValue{JSON: encoded}).Unmarshal(typ)
	if err != nil || !back.Equal(value) {
		t.Errorf("the JSON does not read back as the same value: %v, %v", back, err)
	}

	unknown := tftypes.NewValue(typ, map[string]tftypes.Value{
		"code": tftypes.NewValue(tftypes.Number, tftypes.UnknownValue), "ratio": tftypes.NewValue(tftypes.Number, nil),
		"none": tftypes.NewValue(tftypes.Number, nil), "name": tftypes.NewValue(tftypes.String, nil),
		"tags": tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, nil), "ok": tftypes.NewValue(tftypes.Bool, nil),
		"triggers": tftypes.NewValue(tftypes.DynamicPseudoType, nil), "no_triggers": tftypes.NewValue(tftypes.DynamicPseudoType, nil),
	})
	state, err = tfprotov6.NewDynamicValue(typ, unknown)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := stateAsJSON(state, typ); ok {
		t.Error("an unknown value was written as JSON")
	}
}

// BenchmarkRefreshedJobStateAsJSON is what the JSON form costs a refresh of
// one job (its whole schema, every attribute set).
func BenchmarkRefreshedJobStateAsJSON(b *testing.B) {
	server, err := NewServer("bench", Options{})()
	if err != nil {
		b.Fatal(err)
	}
	schema, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		b.Fatal(err)
	}
	typ, ok := schema.ResourceSchemas["tensorpool_job"].ValueType().(tftypes.Object)
	if !ok {
		b.Fatal("tensorpool_job's schema is not an object")
	}
	values := map[string]tftypes.Value{}
	for name, attrType := range typ.AttributeTypes {
		switch {
		case attrType.Is(tftypes.String):
			values[name] = tftypes.NewValue(attrType, "job-0123456789abcdef/"+name)
		case attrType.Is(tftypes.Number):
			values[name] = tftypes.NewValue(attrType, new(big.Float).SetInt64(1))
		case attrType.Is(tftypes.Bool):
			values[name] = tftypes.NewValue(attrType, true)
		default:
			values[name] = tftypes.NewValue(attrType, nil)
		}
	}
	state, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, values))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := stateAsJSON(state, typ); !ok {
			b.Fatal("not encoded")
		}
	}
}
