package provider

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/pelletier/go-toml/v2"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/tpconfig"
)

var _ function.Function = (*tpConfigFunction)(nil)

// NewTPConfigFunction returns the tp_config provider-defined function.
func NewTPConfigFunction() function.Function { return &tpConfigFunction{} }

// tpConfigFunction renders an HCL object as `.tp.toml` text: Terraform has
// no TOML encoder, and heredocs of TOML are checked only at plan time.
type tpConfigFunction struct{}

func (f *tpConfigFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "tp_config"
}

func (f *tpConfigFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Render a job configuration object as .tp.toml text",
		MarkdownDescription: "Renders an object as the text of a TensorPool job configuration (a `.tp.toml` file), " +
			"for the `config` argument of `tensorpool_job`: `commands` (required, at least one), `outputs` and `ignore` " +
			"are lists of strings, and any other key is passed through to the engine.\n\n" +
			"Values map to TOML as follows: strings, numbers and booleans to the same TOML values (whole numbers as " +
			"64-bit integers, others as floats); lists, tuples and sets to arrays; objects and maps to tables. " +
			"Keys are written in sorted order and each array on its own lines, so the same object always renders " +
			"to the same text. An attribute whose value is `null` is left out, so `ignore = var.ignore` with a " +
			"null variable simply omits the key. A `null` element inside a list, a whole number beyond 64 bits, " +
			"or a result without a non-empty `commands` list of strings is an error at plan time.\n\n" +
			"Requires Terraform 1.8 or later, or OpenTofu 1.7 or later (tested on OpenTofu 1.8.8, whose `tofu console` cannot call " +
			"provider functions; plan and apply can). The `config` argument keeps accepting TOML text, so configurations " +
			"for older Terraform versions can use a heredoc instead.",
		Parameters: []function.Parameter{
			function.DynamicParameter{
				Name: "config",
				MarkdownDescription: "The configuration as an object, e.g. " +
					"`{ commands = [\"python train.py\"], outputs = [\"checkpoints/\"], ignore = [\".venv/\"] }`.",
			},
		},
		Return: function.StringReturn{},
	}
}

func (f *tpConfigFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var arg types.Dynamic
	if resp.Error = req.Arguments.Get(ctx, &arg); resp.Error != nil {
		return
	}
	doc, known, err := tomlValue("config", arg)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, err.Error())
		return
	}
	if !known {
		resp.Error = resp.Result.Set(ctx, types.StringUnknown())
		return
	}
	table, ok := doc.(map[string]any)
	if !ok {
		resp.Error = function.NewArgumentFuncError(0, fmt.Sprintf(
			"config must be an object such as { commands = [\"python train.py\"] }, got %s", describe(arg.UnderlyingValue())))
		return
	}
	text, err := renderTOML(table)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, "config cannot be written as TOML: "+err.Error())
		return
	}
	if err := tpconfig.Validate(text); err != nil {
		resp.Error = function.NewArgumentFuncError(0, "config is not a job configuration the engine can run: "+err.Error())
		return
	}
	resp.Error = resp.Result.Set(ctx, types.StringValue(text))
}

// renderTOML writes a table with sorted keys and one array element per line.
func renderTOML(table map[string]any) (string, error) {
	var buf bytes.Buffer
	enc := toml.NewEncoder(&buf)
	enc.SetArraysMultiline(true)
	if err := enc.Encode(table); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// tomlValue converts a Terraform value to what the TOML encoder writes:
// map[string]any, []any, string, int64, float64 or bool. known is false
// when some part of v is not known yet. A null value returns nil, which the
// callers leave out (in an object) or refuse (in a list). where names the
// value in error messages, e.g. config.commands[1].
func tomlValue(where string, v attr.Value) (any, bool, error) {
	if v == nil || v.IsNull() {
		return nil, true, nil
	}
	if v.IsUnknown() {
		return nil, false, nil
	}
	switch v := v.(type) {
	case basetypes.DynamicValue:
		return tomlValue(where, v.UnderlyingValue())
	case basetypes.StringValue:
		return v.ValueString(), true, nil
	case basetypes.BoolValue:
		return v.ValueBool(), true, nil
	case basetypes.NumberValue:
		n, err := tomlNumber(where, v.ValueBigFloat())
		return n, true, err
	case basetypes.ObjectValue:
		return tomlTable(where, v.Attributes())
	case basetypes.MapValue:
		return tomlTable(where, v.Elements())
	case basetypes.ListValue:
		return tomlArray(where, v.Elements())
	case basetypes.TupleValue:
		return tomlArray(where, v.Elements())
	case basetypes.SetValue:
		// A set has no order: sort it, so that equal sets render alike.
		elements := v.Elements()
		slices.SortFunc(elements, func(a, b attr.Value) int { return strings.Compare(a.String(), b.String()) })
		return tomlArray(where, elements)
	}
	return nil, true, fmt.Errorf("%s: TOML has no value for %s", where, describe(v))
}

// tomlTable converts an object's or a map's attributes, leaving out nulls.
func tomlTable(where string, attrs map[string]attr.Value) (any, bool, error) {
	table := make(map[string]any, len(attrs))
	allKnown := true
	for key, value := range attrs {
		converted, known, err := tomlValue(fmt.Sprintf("%s.%s", where, key), value)
		if err != nil {
			return nil, true, err
		}
		allKnown = allKnown && known
		if converted != nil {
			table[key] = converted
		}
	}
	return table, allKnown, nil
}

// tomlArray converts a list's elements; TOML arrays cannot hold a null.
func tomlArray(where string, elements []attr.Value) (any, bool, error) {
	array := make([]any, 0, len(elements))
	allKnown := true
	for i, element := range elements {
		at := fmt.Sprintf("%s[%d]", where, i)
		converted, known, err := tomlValue(at, element)
		if err != nil {
			return nil, true, err
		}
		if known && converted == nil {
			return nil, true, fmt.Errorf("%s is null: a TOML array cannot hold a null; remove the element "+
				"(compact() drops nulls from a list of strings)", at)
		}
		allKnown = allKnown && known
		array = append(array, converted)
	}
	return array, allKnown, nil
}

// tomlNumber keeps whole numbers as TOML's 64-bit integers and writes the
// others as floats.
func tomlNumber(where string, n *big.Float) (any, error) {
	if n.IsInt() {
		if i, accuracy := n.Int64(); accuracy == big.Exact {
			return i, nil
		}
		return nil, fmt.Errorf("%s = %s: TOML integers are 64-bit, this whole number is beyond that; write it as a string", where, n.Text('g', -1))
	}
	f, _ := n.Float64()
	return f, nil
}

// describe names a value's type for an error message as HCL writes it
// (`string`, `list(string)`, `object`), not as the framework's Go types do.
func describe(v attr.Value) string {
	if v == nil || v.IsNull() {
		return "null"
	}
	return hclType(v.Type(context.Background()).TerraformType(context.Background()))
}

// hclType is the HCL name of a Terraform type.
func hclType(t tftypes.Type) string {
	switch t := t.(type) {
	case tftypes.List:
		return "list(" + hclType(t.ElementType) + ")"
	case tftypes.Set:
		return "set(" + hclType(t.ElementType) + ")"
	case tftypes.Map:
		return "map(" + hclType(t.ElementType) + ")"
	case tftypes.Tuple:
		return "tuple"
	case tftypes.Object:
		return "object"
	}
	switch {
	case t.Is(tftypes.String):
		return "string"
	case t.Is(tftypes.Number):
		return "number"
	case t.Is(tftypes.Bool):
		return "bool"
	}
	return "any"
}
