package main

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// The job-shaped resource has the job's attributes, with the same types and
// optionality, and none of its logic.
func TestJobShapedSchemaIsTheJobsWithoutLogic(t *testing.T) {
	ctx := context.Background()
	job, err := tensorpoolJobSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var resp resource.SchemaResponse
	(&jobShaped{}).Schema(ctx, resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	bare := resp.Schema
	if len(bare.Attributes) != len(job.Attributes) || len(bare.Blocks) != len(job.Blocks) {
		t.Fatalf("bare_job has %d attributes and %d blocks, tensorpool_job %d and %d",
			len(bare.Attributes), len(bare.Blocks), len(job.Attributes), len(job.Blocks))
	}
	if !bare.Type().TerraformType(ctx).Equal(job.Type().TerraformType(ctx)) {
		t.Errorf("object types differ:\n bare %s\n job  %s", bare.Type().TerraformType(ctx), job.Type().TerraformType(ctx))
	}
	withLogic := 0
	for name, a := range job.Attributes {
		b := bare.Attributes[name]
		if a.IsRequired() != b.IsRequired() || a.IsOptional() != b.IsOptional() || a.IsComputed() != b.IsComputed() {
			t.Errorf("%s: required/optional/computed %v/%v/%v, the job's %v/%v/%v", name,
				b.IsRequired(), b.IsOptional(), b.IsComputed(), a.IsRequired(), a.IsOptional(), a.IsComputed())
		}
		if logic(a) {
			withLogic++
		}
		if logic(b) {
			t.Errorf("%s keeps validators, plan modifiers or a custom type", name)
		}
	}
	if withLogic == 0 {
		t.Error("no job attribute has validators, plan modifiers or a custom type: logic() checks nothing")
	}
}

func logic(a schema.Attribute) bool {
	switch a := a.(type) {
	case schema.StringAttribute:
		return len(a.Validators)+len(a.PlanModifiers) > 0 || a.CustomType != nil
	case schema.BoolAttribute:
		return len(a.Validators)+len(a.PlanModifiers) > 0 || a.CustomType != nil
	case schema.Int64Attribute:
		return len(a.Validators)+len(a.PlanModifiers) > 0 || a.CustomType != nil
	case schema.DynamicAttribute:
		return len(a.Validators)+len(a.PlanModifiers) > 0 || a.CustomType != nil
	}
	return true
}

func TestWithoutLogicRefusesAnAttributeKindItDoesNotCopy(t *testing.T) {
	_, err := withoutLogic(schema.Schema{Attributes: map[string]schema.Attribute{
		"tags": schema.ListAttribute{ElementType: nil, Optional: true},
	}})
	if err == nil {
		t.Fatal("a list attribute was accepted: it would be left out of the copy")
	}
}

// Every string the job's state holds is filled, job_info_json as the
// provider writes it for the simulator's jobs (no field it does not model).
func TestJobSampleFillsTheComputedStrings(t *testing.T) {
	s := jobSample(7)
	for _, name := range []string{"id", "status", "message", "instance_type", "created_at", "updated_at", "job_info_json", "source_hash"} {
		if s[name] == "" {
			t.Errorf("%s is empty", name)
		}
	}
	if s["job_info_json"] != "{}" {
		t.Errorf("job_info_json = %s, want {}", s["job_info_json"])
	}
}
