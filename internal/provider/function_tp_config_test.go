package provider

import (
	"context"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/tpconfig"
)

// Helpers building values the way Terraform passes an HCL literal: object
// attributes and tuple elements, each with its own type.

func str(s string) attr.Value { return types.StringValue(s) }

func tuple(elems ...attr.Value) attr.Value {
	elemTypes := make([]attr.Type, len(elems))
	for i, e := range elems {
		elemTypes[i] = e.Type(context.Background())
	}
	return types.TupleValueMust(elemTypes, elems)
}

func object(attrs map[string]attr.Value) attr.Value {
	attrTypes := make(map[string]attr.Type, len(attrs))
	for k, v := range attrs {
		attrTypes[k] = v.Type(context.Background())
	}
	return types.ObjectValueMust(attrTypes, attrs)
}

// runTPConfig calls the function as Terraform would, with one argument.
func runTPConfig(t *testing.T, arg attr.Value) (types.String, *function.FuncError) {
	t.Helper()
	req := function.RunRequest{Arguments: function.NewArgumentsData([]attr.Value{types.DynamicValue(arg)})}
	resp := function.RunResponse{Result: function.NewResultData(types.StringUnknown())}
	NewTPConfigFunction().Run(context.Background(), req, &resp)
	if resp.Error != nil {
		return types.StringNull(), resp.Error
	}
	got, ok := resp.Result.Value().(types.String)
	if !ok {
		t.Fatalf("result is %T, want a string", resp.Result.Value())
	}
	return got, nil
}

func mustRender(t *testing.T, arg attr.Value) string {
	t.Helper()
	got, err := runTPConfig(t, arg)
	if err != nil {
		t.Fatalf("tp_config: %s", err.Text)
	}
	if got.IsUnknown() || got.IsNull() {
		t.Fatalf("tp_config returned %s, want text", got)
	}
	return got.ValueString()
}

func TestTPConfigRendersTheKnownKeys(t *testing.T) {
	text := mustRender(t, object(map[string]attr.Value{
		"commands": tuple(str("pip install -r requirements.txt"), str(`python train.py --name "run 1"`)),
		"outputs":  tuple(str("checkpoints/"), str("*.log")),
		"ignore":   types.ListValueMust(types.StringType, []attr.Value{str(".venv/")}),
	}))
	cfg, err := tpconfig.Parse(text)
	if err != nil {
		t.Fatalf("the rendered text does not parse: %v\n%s", err, text)
	}
	if want := []string{"pip install -r requirements.txt", `python train.py --name "run 1"`}; !reflect.DeepEqual(cfg.Commands, want) {
		t.Errorf("commands %q, want %q", cfg.Commands, want)
	}
	if want := []string{"checkpoints/", "*.log"}; !reflect.DeepEqual(cfg.Outputs, want) {
		t.Errorf("outputs %q, want %q", cfg.Outputs, want)
	}
	if want := []string{".venv/"}; !reflect.DeepEqual(cfg.Ignore, want) {
		t.Errorf("ignore %q, want %q", cfg.Ignore, want)
	}
	// Sorted keys, one element per line: a plan diff shows the command that changed.
	commands, ignore, outputs := strings.Index(text, "commands"), strings.Index(text, "ignore"), strings.Index(text, "outputs")
	if commands < 0 || commands > ignore || ignore > outputs {
		t.Errorf("keys not in sorted order:\n%s", text)
	}
	if !regexp.MustCompile(`(?m)^\s+'pip install -r requirements.txt',?$`).MatchString(text) {
		t.Errorf("a command is not on its own line:\n%s", text)
	}
}

func TestTPConfigIsDeterministic(t *testing.T) {
	build := func() attr.Value {
		return object(map[string]attr.Value{
			"commands": tuple(str("a"), str("b")),
			"env":      object(map[string]attr.Value{"Z": str("1"), "A": str("2"), "M": str("3")}),
			"zeta":     types.BoolValue(true),
			"alpha":    types.NumberValue(big.NewFloat(1)),
		})
	}
	first := mustRender(t, build())
	for range 20 {
		if again := mustRender(t, build()); again != first {
			t.Fatalf("two renderings differ:\n%s\n---\n%s", first, again)
		}
	}
}

// Keys other than the known three pass through with their TOML types.
func TestTPConfigPassesOtherKeysThrough(t *testing.T) {
	text := mustRender(t, object(map[string]attr.Value{
		"commands": tuple(str("python train.py")),
		"retries":  types.NumberValue(big.NewFloat(3)),
		"lr":       types.NumberValue(big.NewFloat(0.5)),
		"debug":    types.BoolValue(false),
		"mixed":    tuple(str("a"), types.NumberValue(big.NewFloat(2)), types.BoolValue(true)),
		"env":      types.MapValueMust(types.StringType, map[string]attr.Value{"WANDB_MODE": str("offline")}),
		"stages":   tuple(object(map[string]attr.Value{"name": str("prep")}), object(map[string]attr.Value{"name": str("train")})),
		"tags":     types.SetValueMust(types.StringType, []attr.Value{str("b"), str("a")}),
	}))
	cfg, err := tpconfig.Parse(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	want := map[string]any{
		"commands": []any{"python train.py"},
		"retries":  int64(3),
		"lr":       0.5,
		"debug":    false,
		"mixed":    []any{"a", int64(2), true},
		"env":      map[string]any{"WANDB_MODE": "offline"},
		"stages":   []any{map[string]any{"name": "prep"}, map[string]any{"name": "train"}},
		"tags":     []any{"a", "b"},
	}
	if !reflect.DeepEqual(cfg.Raw, want) {
		t.Errorf("parsed back %#v,\nwant %#v\ntext:\n%s", cfg.Raw, want, text)
	}
}

// User text is data: quotes, newlines and TOML syntax inside a string
// cannot add keys.
func TestTPConfigStringsCannotInjectKeys(t *testing.T) {
	tricky := "echo \"]\ncommands = ['rm -rf /']\n\" 'x' \\ \t é 🚀"
	text := mustRender(t, object(map[string]attr.Value{"commands": tuple(str(tricky))}))
	cfg, err := tpconfig.Parse(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if len(cfg.Commands) != 1 || cfg.Commands[0] != tricky || len(cfg.Raw) != 1 {
		t.Errorf("parsed back %#v, want exactly the one command %q", cfg.Raw, tricky)
	}
}

func TestTPConfigLeavesOutNullAttributes(t *testing.T) {
	text := mustRender(t, object(map[string]attr.Value{
		"commands": tuple(str("python train.py")),
		"ignore":   types.ListNull(types.StringType),
		"extra":    object(map[string]attr.Value{"kept": str("x"), "dropped": types.StringNull()}),
	}))
	cfg, err := tpconfig.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"commands": []any{"python train.py"}, "extra": map[string]any{"kept": "x"}}
	if !reflect.DeepEqual(cfg.Raw, want) {
		t.Errorf("parsed back %#v, want %#v", cfg.Raw, want)
	}
}

func TestTPConfigUnknownPartsGiveAnUnknownResult(t *testing.T) {
	got, err := runTPConfig(t, object(map[string]attr.Value{
		"commands": tuple(str("python train.py"), types.StringUnknown()),
	}))
	if err != nil {
		t.Fatalf("error %s, want an unknown result", err.Text)
	}
	if !got.IsUnknown() {
		t.Errorf("result %s, want unknown until apply", got)
	}
}

func TestTPConfigRefusesWhatTOMLOrTheEngineCannotTake(t *testing.T) {
	huge, _ := new(big.Float).SetString("1e30")
	tests := []struct {
		name string
		arg  attr.Value
		want string
	}{
		{"null in a list", object(map[string]attr.Value{"commands": tuple(str("a"), types.StringNull())}), `config\.commands\[1\] is null`},
		{"null in a nested list", object(map[string]attr.Value{
			"commands": tuple(str("a")), "x": object(map[string]attr.Value{"y": tuple(types.StringNull())}),
		}), `config\.x\.y\[0\] is null`},
		{"no commands", object(map[string]attr.Value{"outputs": tuple(str("a"))}), "`commands` key is missing"},
		{"empty commands", object(map[string]attr.Value{"commands": tuple()}), "`commands` list is empty"},
		{"commands not strings", object(map[string]attr.Value{"commands": tuple(types.NumberValue(big.NewFloat(1)))}), "`commands\\[0\\]` must be a string"},
		{"outputs a string", object(map[string]attr.Value{"commands": tuple(str("a")), "outputs": str("model.pt")}), "`outputs` must be a list"},
		// The type named as HCL writes it, not as the Go code does.
		{"not an object", str("commands = ['a']"), `^config must be an object such as \{ commands = \["python train.py"\] \}, got string$`},
		{"a list", types.ListValueMust(types.StringType, []attr.Value{str("a")}), `config must be an object .*, got list\(string\)$`},
		{"a tuple", tuple(str("a")), `config must be an object .*, got tuple$`},
		{"integer beyond 64 bits", object(map[string]attr.Value{"commands": tuple(str("a")), "n": types.NumberValue(huge)}), `config\.n = 1e\+30: TOML integers are 64-bit`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runTPConfig(t, tc.arg)
			if err == nil {
				t.Fatalf("result %s, want an error matching %q", got, tc.want)
			}
			if err.FunctionArgument == nil || *err.FunctionArgument != 0 {
				t.Errorf("error not tied to the argument: %+v", err)
			}
			if !regexp.MustCompile(tc.want).MatchString(err.Text) {
				t.Errorf("error %q, want it to match %q", err.Text, tc.want)
			}
		})
	}
}

// Through Terraform (≥ 1.8): the function's text is what the job is
// submitted with, and a bad value fails the plan.
func TestAccTPConfigFunction(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	config := func(arg string) string {
		return env.providerBlock() + `
resource "tensorpool_job" "test" {
  cluster_id = "` + accCluster + `"
  source_dir = "` + env.srcDir + `"
  config     = provider::tensorpool::tp_config(` + arg + `)
}
`
	}
	env.run(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		Steps: []resource.TestStep{
			{
				// A plan-time error, before anything is submitted.
				Config:      config(`{ commands = ["python train.py", null] }`),
				ExpectError: regexp.MustCompile(`(?s)config\.commands\[1\] is null`),
			},
			{
				// TOML text where an object belongs: the error names HCL's type.
				Config:      config(`"commands = ['python train.py']"`),
				ExpectError: regexp.MustCompile(`(?s)config must be an object such as.*got string`),
			},
			{
				Config: config(`{ commands = ["python train.py"], outputs = ["checkpoints/"], ignore = [".venv/"], retries = 2 }`),
				Check: func(*terraform.State) error {
					cfg, err := tpconfig.Parse(env.onlyJob().TPConfig)
					if err != nil {
						return err
					}
					// (The provider adds Terraform's own files to ignore.)
					if !reflect.DeepEqual(cfg.Commands, []string{"python train.py"}) || !reflect.DeepEqual(cfg.Outputs, []string{"checkpoints/"}) ||
						!slices.Contains(cfg.Ignore, ".venv/") || cfg.Raw["retries"] != int64(2) {
						return fmt.Errorf("the engine received %#v", cfg.Raw)
					}
					return nil
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("config"), knownvalue.StringRegexp(regexp.MustCompile(`(?s)^commands = \[.*'python train.py'`))),
				},
			},
		},
	})
}
