package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	tensorpool "github.com/tensorpool/terraform-provider-tensorpool/internal/provider"
)

// jobShaped (bare_job) has tensorpool_job's schema without its logic: the
// same attributes, types, optionality, defaults, descriptions and timeouts
// block, but no custom types, validators, plan modifiers or ModifyPlan, and
// no engine. Create fills the computed attributes with values shaped like
// the simulator's answers (same fields, same lengths); Read, Update and
// Delete do nothing. What a plan over N of them costs, next to bare_thing,
// is what the job's schema alone costs the framework and Terraform; ours
// minus it is what our own code and the engine requests cost.
type jobShaped struct{}

func (*jobShaped) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job"
}

func (*jobShaped) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	job, err := tensorpoolJobSchema(ctx)
	if err != nil {
		resp.Diagnostics.AddError("No tensorpool_job schema", err.Error())
		return
	}
	bare, err := withoutLogic(job)
	if err != nil {
		resp.Diagnostics.AddError("Unexpected tensorpool_job schema", err.Error())
		return
	}
	resp.Schema = bare
}

// tensorpoolJobSchema is the schema the provider in this tree serves for
// tensorpool_job.
func tensorpoolJobSchema(ctx context.Context) (schema.Schema, error) {
	p := tensorpool.New("bench", tensorpool.Options{})()
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "tensorpool"}, &meta)
		if meta.TypeName != "tensorpool_job" {
			continue
		}
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		if resp.Diagnostics.HasError() {
			return schema.Schema{}, fmt.Errorf("tensorpool_job schema: %v", resp.Diagnostics)
		}
		return resp.Schema, nil
	}
	return schema.Schema{}, fmt.Errorf("the provider has no tensorpool_job resource")
}

// withoutLogic copies s keeping only what describes the data. An attribute
// kind it does not know is an error, so that a new kind in the job's schema
// is noticed rather than silently left out.
func withoutLogic(s schema.Schema) (schema.Schema, error) {
	attrs := make(map[string]schema.Attribute, len(s.Attributes))
	for name, a := range s.Attributes {
		switch a := a.(type) {
		case schema.StringAttribute:
			attrs[name] = schema.StringAttribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed,
				Sensitive: a.Sensitive, Default: a.Default, MarkdownDescription: a.MarkdownDescription, DeprecationMessage: a.DeprecationMessage}
		case schema.BoolAttribute:
			attrs[name] = schema.BoolAttribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed,
				Sensitive: a.Sensitive, Default: a.Default, MarkdownDescription: a.MarkdownDescription, DeprecationMessage: a.DeprecationMessage}
		case schema.Int64Attribute:
			attrs[name] = schema.Int64Attribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed,
				Sensitive: a.Sensitive, Default: a.Default, MarkdownDescription: a.MarkdownDescription, DeprecationMessage: a.DeprecationMessage}
		case schema.DynamicAttribute:
			attrs[name] = schema.DynamicAttribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed,
				Sensitive: a.Sensitive, Default: a.Default, MarkdownDescription: a.MarkdownDescription, DeprecationMessage: a.DeprecationMessage}
		default:
			return schema.Schema{}, fmt.Errorf("attribute %q is a %T, which withoutLogic does not copy", name, a)
		}
	}
	// The timeouts block is the terraform-plugin-framework-timeouts block
	// every framework resource with timeouts has: kept as it is.
	return schema.Schema{MarkdownDescription: s.MarkdownDescription, Attributes: attrs, Blocks: s.Blocks}, nil
}

// Create records the plan with every unknown computed attribute set: to a
// value shaped like the simulator's (jobSample), or null.
func (*jobShaped) Create(_ context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	sample := jobSample(nextID.Add(1))
	state, err := tftypes.Transform(req.Plan.Raw, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() || len(p.Steps()) != 1 {
			return v, nil
		}
		name, ok := p.Steps()[0].(tftypes.AttributeName)
		if s, found := sample[string(name)]; ok && found && v.Type().Is(tftypes.String) {
			return tftypes.NewValue(tftypes.String, s), nil
		}
		return tftypes.NewValue(v.Type(), nil), nil
	})
	if err != nil {
		resp.Diagnostics.AddError("Filling the computed attributes", err.Error())
		return
	}
	resp.State.Raw = state
}

// jobSample is what the provider stores for a running job of the
// simulator: the attributes it copies out of the engine's job_info and
// job_info_json, which keeps only the fields no other attribute holds (the
// simulator sends none of those: "{}"), plus a source hash.
func jobSample(n int64) map[string]string {
	id := fmt.Sprintf("job-%016x", n)
	now := time.Date(2026, 11, 28, 12, 0, 0, 123456789, time.UTC).Add(time.Duration(n) * time.Millisecond).Format(time.RFC3339Nano)
	const cluster = "c-bench"
	message := "Job is running on " + cluster
	sum := sha256.Sum256([]byte(id))
	return map[string]string{
		"id": id, "status": "running", "message": message, "instance_type": "1xH100",
		"created_at": now, "updated_at": now, "job_info_json": "{}",
		"source_hash": "sha256:" + hex.EncodeToString(sum[:]),
	}
}

// Read keeps the state as it is.
func (*jobShaped) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

// Update is never planned by the benchmark (every change replaces or only
// records configuration); it records the plan.
func (*jobShaped) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
}

func (*jobShaped) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
