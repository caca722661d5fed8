package provider

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// Read and ModifyPlan read and write the raw state instead of decoding and
// encoding the whole jobResourceModel by reflection. These tests hold them to
// the results of the reflection-based code they replace (kept here as the
// reference), and the benchmarks measure the difference.

// jobObject is a tensorpool_job state or plan given as attribute values
// (resourceObject).
func jobObject(t testing.TB, attrs map[string]any) tfsdk.State {
	t.Helper()
	return resourceObject(t, &jobResource{}, attrs)
}

// refreshByWholeModel is Read's state handling as it was: Get the whole
// model, copy the engine's report into it, Set it back.
func refreshByWholeModel(ctx context.Context, prior tfsdk.State, job *client.Job) (tfsdk.State, diag.Diagnostics) {
	var state jobResourceModel
	diags := prior.Get(ctx, &state)
	state.setFromJob(job)
	if state.ClusterID.IsNull() && job.ClusterID != nil && *job.ClusterID != "" {
		state.ClusterID = types.StringValue(*job.ClusterID)
	}
	out := tfsdk.State{Schema: prior.Schema, Raw: prior.Raw.Copy()}
	diags.Append(out.Set(ctx, &state)...)
	return out, diags
}

func strPtr(s string) *string { return &s }

func runningJobState() map[string]any {
	return map[string]any{
		"id": "j-1", "cluster_id": "c-1", "config": `commands = ["python train.py"]`, "source_dir": "job",
		"teardown_cluster": false, "source_hash": "h1", "on_source_change": "show", "wait_for_completion": false,
		"on_destroy": "cancel", "purge_on_destroy": false,
		"triggers_replace": tftypes.NewValue(tftypes.String, "v2"),
		"timeouts":         map[string]any{"delete": "15m"},
		"status":           "running", "instance_type": "1xH100", "created_at": "2026-01-01T00:00:00Z",
		"updated_at": "2026-01-01T00:01:00Z", "job_info_json": `{"id":"j-1"}`, // as Read writes runningJob's: no modelled field
	}
}

func runningJob() *client.Job {
	return &client.Job{
		ID: "j-1", Status: "running", ClusterID: strPtr("c-1"), InstanceType: strPtr("1xH100"),
		CreatedAt: strPtr("2026-01-01T00:00:00Z"), UpdatedAt: strPtr("2026-01-01T00:01:00Z"),
		Raw: []byte(`{"id":"j-1","status":"running"}`),
	}
}

func TestJobReadWritesWhatSettingTheWholeModelWrote(t *testing.T) {
	ctx := context.Background()
	exitCode := int64(3)
	imported := map[string]any{"id": "j-1", "on_destroy": "cancel", "wait_for_completion": false, "purge_on_destroy": false, "on_source_change": "show"}
	withExitCode := runningJobState()
	withExitCode["status"], withExitCode["exit_code"] = "error", big.NewFloat(3)
	for _, tc := range []struct {
		name        string
		state       map[string]any
		job         func() *client.Job
		wantChanged bool
	}{
		{"nothing changed", runningJobState(), runningJob, false},
		{"the job finished", runningJobState(), func() *client.Job {
			j := runningJob()
			j.Status, j.ExitCode, j.Message, j.UpdatedAt = "completed", &exitCode, strPtr("done"), strPtr("2026-01-01T02:00:00Z")
			j.Raw = []byte(`{"id":"j-1","status":"completed"}`)
			return j
		}, true},
		{"an exit code already recorded", withExitCode, func() *client.Job {
			j := runningJob()
			j.Status, j.ExitCode = "error", &exitCode
			return j
		}, false},
		{"the engine dropped fields", runningJobState(), func() *client.Job {
			return &client.Job{ID: "j-1", Status: "running"}
		}, true},
		{"the engine spells the cluster id differently", runningJobState(), func() *client.Job {
			j := runningJob()
			j.ClusterID = strPtr("C-1")
			return j
		}, false},
		{"after an import: the cluster id comes from the engine", imported, runningJob, true},
		{"after an import: the engine names no cluster", imported, func() *client.Job {
			j := runningJob()
			j.ClusterID = nil
			return j
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prior := jobObject(t, tc.state)
			want, diags := refreshByWholeModel(ctx, prior, tc.job())
			if diags.HasError() {
				t.Fatalf("reference: %v", diags)
			}
			p, diags := priorJobOf(ctx, prior)
			if diags.HasError() {
				t.Fatalf("priorJobOf: %v", diags)
			}
			got := tfsdk.State{Schema: prior.Schema, Raw: prior.Raw.Copy()}
			if diags := p.refresh(ctx, &got, tc.job()); diags.HasError() {
				t.Fatalf("refresh: %v", diags)
			}
			if !got.Raw.Equal(want.Raw) {
				t.Errorf("refresh wrote\n%s\nsetting the whole model wrote\n%s", got.Raw, want.Raw)
			}
			if changed := !got.Raw.Equal(prior.Raw); changed != tc.wantChanged {
				t.Errorf("state changed = %v, want %v", changed, tc.wantChanged)
			}
			if p.id.ValueString() != "j-1" {
				t.Errorf("id = %s", p.id)
			}
		})
	}
}

func TestJobReadTakesTheReadTimeoutFromTheState(t *testing.T) {
	ctx := context.Background()
	state := runningJobState()
	state["timeouts"] = map[string]any{"read": "7m"}
	prior := jobObject(t, state)
	p, diags := priorJobOf(ctx, prior)
	if diags.HasError() {
		t.Fatal(diags)
	}
	got, diags := p.timeouts.Read(ctx, defaultReadTimeout)
	if diags.HasError() || got.String() != "7m0s" {
		t.Errorf("read timeout = %s (%v), want 7m0s", got, diags)
	}
}

func TestJobStatusAttributeValuesMatchTheTags(t *testing.T) {
	var m jobStatusModel
	fields := reflect.TypeFor[jobStatusModel]()
	// Give every field a value of its own, so that a name paired with the
	// wrong field shows.
	for i := range fields.NumField() {
		switch f := reflect.ValueOf(&m).Elem().Field(i).Addr().Interface().(type) {
		case *types.String:
			*f = types.StringValue(fields.Field(i).Tag.Get("tfsdk"))
		case *types.Int64:
			*f = types.Int64Value(int64(i))
		default:
			t.Fatalf("unexpected field type %T", f)
		}
	}
	values := m.attributeValues()
	if len(values) != fields.NumField() {
		t.Fatalf("%d values for %d fields", len(values), fields.NumField())
	}
	for i, nv := range values {
		field, ok := fields.FieldByNameFunc(func(name string) bool {
			f, _ := fields.FieldByName(name)
			return f.Tag.Get("tfsdk") == nv.name
		})
		if !ok {
			t.Errorf("value %d: no field is tagged %q", i, nv.name)
			continue
		}
		if want := reflect.ValueOf(m).FieldByIndex(field.Index).Interface(); !reflect.DeepEqual(nv.value, want) {
			t.Errorf("%s = %v, the field holds %v", nv.name, nv.value, want)
		}
	}
}

// planSourceChangeByWholeModel is planSourceChange as it was: both models
// decoded by reflection.
func planSourceChangeByWholeModel(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || resp.Diagnostics.HasError() {
		return
	}
	var plan, state jobResourceModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || state.SourceHash.IsNull() || plan.Config.IsUnknown() || plan.SourceDir.IsUnknown() {
		return
	}
	if !plan.Config.Equal(state.Config) || !plan.SourceDir.Equal(state.SourceDir) {
		return
	}
	hash, err := hashSource(ctx, plan)
	switch {
	case err != nil:
		resp.Diagnostics.AddAttributeWarning(path.Root("source_hash"), "Could not hash the job's files",
			fmt.Sprintf("Whether the files of source_dir changed since the job was submitted is unknown: %s.", err))
	case sourceUnchanged(hash, state.SourceHash.ValueString()):
	case plan.OnSourceChange.ValueString() == onSourceChangeReplace:
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("source_hash"), types.StringUnknown())...)
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("source_hash"))
	default:
		plan.SourceHash = types.StringValue(hash.Hash)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}
}

func TestPlanSourceChangePlansWhatDecodingTheWholeModelPlanned(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "train.py"), []byte("print(1)\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := runningJobState()
	base["source_dir"] = dir
	hashed, err := hashSource(ctx, jobResourceModel{Config: jobConfigValue{StringValue: types.StringValue(base["config"].(string))}, //nolint:forcetypeassert // set above
		SourceDir: sourceDirValue{StringValue: types.StringValue(dir)}})
	if err != nil {
		t.Fatal(err)
	}
	current := hashed.Hash
	with := func(changes map[string]any) map[string]any {
		out := runningJobState()
		out["source_dir"] = dir
		out["source_hash"] = current
		for k, v := range changes {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		name        string
		state, plan map[string]any
		want        string // what the plan must show: "same", "update", "replace", "warning"
	}{
		{"files unchanged", with(nil), with(nil), "same"},
		{"files changed, show", with(map[string]any{"source_hash": "old"}), with(map[string]any{"source_hash": "old"}), "update"},
		{"files changed, replace", with(map[string]any{"source_hash": "old"}),
			with(map[string]any{"source_hash": "old", "on_source_change": "replace"}), "replace"},
		{"nothing recorded (imported)", with(map[string]any{"source_hash": nil}), with(map[string]any{"source_hash": nil}), "same"},
		{"config unknown", with(map[string]any{"source_hash": "old"}), with(map[string]any{"source_hash": "old", "config": planUnknown{}}), "same"},
		{"source_dir changed", with(map[string]any{"source_hash": "old"}),
			with(map[string]any{"source_hash": "old", "source_dir": dir + "/sub"}), "same"},
		{"source_dir gone", with(map[string]any{"source_hash": "old", "source_dir": dir + "/gone"}),
			with(map[string]any{"source_hash": "old", "source_dir": dir + "/gone"}), "warning"},
		{"a create", nil, with(nil), "same"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := jobObject(t, tc.state)
			plan := jobObject(t, tc.plan)
			req := resource.ModifyPlanRequest{State: state, Plan: tfsdk.Plan(plan)}
			want := resource.ModifyPlanResponse{Plan: req.Plan}
			planSourceChangeByWholeModel(ctx, req, &want)
			got := resource.ModifyPlanResponse{Plan: tfsdk.Plan{Schema: req.Plan.Schema, Raw: req.Plan.Raw.Copy()}}
			planSourceChange(ctx, req, &got)
			if !got.Plan.Raw.Equal(want.Plan.Raw) {
				t.Errorf("planned\n%s\ndecoding the whole model planned\n%s", got.Plan.Raw, want.Plan.Raw)
			}
			if !reflect.DeepEqual(got.RequiresReplace, want.RequiresReplace) {
				t.Errorf("requires replace %v, want %v", got.RequiresReplace, want.RequiresReplace)
			}
			if got.Diagnostics.HasError() || !got.Diagnostics.Equal(want.Diagnostics) {
				t.Errorf("diagnostics %v, want %v", got.Diagnostics, want.Diagnostics)
			}
			var shows string
			switch {
			case len(got.Diagnostics) > 0:
				shows = "warning"
			case len(got.RequiresReplace) > 0:
				shows = "replace"
			case got.Plan.Raw.Equal(req.Plan.Raw):
				shows = "same"
			default:
				shows = "update"
			}
			if shows != tc.want {
				t.Errorf("the plan shows %q, want %q", shows, tc.want)
			}
		})
	}
}

func TestWarnTeardownStaysQuietWhenThePlanAlreadyFails(t *testing.T) {
	plan := jobObject(t, map[string]any{"teardown_cluster": true, "cluster_id": planUnknown{}})
	req := resource.ModifyPlanRequest{Plan: tfsdk.Plan(plan), State: tfsdk.State{Schema: plan.Schema, Raw: tftypes.NewValue(plan.Raw.Type(), nil)}}
	resp := resource.ModifyPlanResponse{Plan: req.Plan}
	resp.Diagnostics.AddError("TensorPool engine URL invalid", "from the environment")
	warnTeardownOfManagedCluster(context.Background(), &providerData{}, req, &resp)
	if len(resp.Diagnostics) != 1 {
		t.Errorf("diagnostics %v, want only the error", resp.Diagnostics)
	}
	resp.Diagnostics = nil
	warnTeardownOfManagedCluster(context.Background(), &providerData{}, req, &resp)
	if len(resp.Diagnostics) != 1 || !strings.Contains(resp.Diagnostics[0].Detail(), "only known after apply") {
		t.Errorf("diagnostics %v, want the teardown warning", resp.Diagnostics)
	}
}

// ----- benchmarks: the per-job work of a plan with refresh ---------------------

func BenchmarkJobReadState(b *testing.B) {
	ctx := context.Background()
	prior := jobObject(b, runningJobState())
	job := runningJob()
	b.Run("whole model", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, diags := refreshByWholeModel(ctx, prior, job); diags.HasError() {
				b.Fatal(diags)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, diags := priorJobOf(ctx, prior)
			state := tfsdk.State{Schema: prior.Schema, Raw: prior.Raw.Copy()} // as the framework fills it
			diags.Append(p.refresh(ctx, &state, job)...)
			if diags.HasError() {
				b.Fatal(diags)
			}
		}
	})
}

func BenchmarkJobModifyPlan(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "train.py"), []byte("print(1)\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	attrs := runningJobState()
	attrs["source_dir"] = dir
	hash, err := hashSource(ctx, jobResourceModel{Config: jobConfigValue{StringValue: types.StringValue(attrs["config"].(string))}, //nolint:forcetypeassert // set above
		SourceDir: sourceDirValue{StringValue: types.StringValue(dir)}})
	if err != nil {
		b.Fatal(err)
	}
	attrs["source_hash"] = hash.Hash
	state := jobObject(b, attrs)
	req := resource.ModifyPlanRequest{State: state, Plan: tfsdk.Plan(state)}
	r := &jobResource{data: &providerData{}}
	b.Run("ModifyPlan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp := resource.ModifyPlanResponse{Plan: tfsdk.Plan{Schema: req.Plan.Schema, Raw: req.Plan.Raw.Copy()}}
			r.ModifyPlan(ctx, req, &resp)
		}
	})
	for name, step := range map[string]func(context.Context, resource.ModifyPlanRequest, *resource.ModifyPlanResponse){
		"keepStateWhenNothingChanged":  keepStateWhenNothingChanged,
		"planSourceChange":             planSourceChange,
		"planSourceChange/whole model": planSourceChangeByWholeModel,
		"warnTeardownOfManagedCluster": func(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
			warnTeardownOfManagedCluster(ctx, r.data, req, resp)
		},
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp := resource.ModifyPlanResponse{Plan: tfsdk.Plan{Schema: req.Plan.Schema, Raw: req.Plan.Raw.Copy()}}
				step(ctx, req, &resp)
			}
		})
	}
}
