package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

func TestStorageShrinkIsAPlanErrorOnSize(t *testing.T) {
	r := &storageResource{}
	state := map[string]any{"id": "s-1", "size": int64(100)}
	for _, tc := range []struct {
		name      string
		size      int64
		wantError bool
	}{
		{"smaller", 99, true},
		{"same", 100, false},
		{"grown", 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			diags := runModifyPlan(t, r, state, map[string]any{"id": "s-1", "size": tc.size}).Diagnostics
			if diags.HasError() != tc.wantError {
				t.Fatalf("plan %d GB over a 100 GB volume: error = %v, want %v (%v)", tc.size, diags.HasError(), tc.wantError, diags)
			}
			if !tc.wantError {
				return
			}
			d := diags.Errors()[0]
			withPath, ok := d.(diag.DiagnosticWithPath)
			if !ok || !withPath.Path().Equal(path.Root("size")) {
				t.Errorf("the error is not on `size`: %v", d)
			}
			for _, want := range []string{"s-1", "cannot shrink", "at least 100", "new tensorpool_storage", "move the data"} {
				if !strings.Contains(d.Summary()+" "+d.Detail(), want) {
					t.Errorf("the error does not say %q: %s / %s", want, d.Summary(), d.Detail())
				}
			}
		})
	}
	if diags := runModifyPlan(t, r, nil, map[string]any{"size": int64(1)}).Diagnostics; diags.HasError() {
		t.Errorf("a create must not be refused: %v", diags)
	}
	if diags := runModifyPlan(t, r, state, nil).Diagnostics; diags.HasError() {
		t.Errorf("a destroy must not be refused: %v", diags)
	}
}

func TestStorageAttachmentPlanWarnsThatNodesRestart(t *testing.T) {
	r := &storageAttachmentResource{}
	attached := map[string]any{"id": "s-1/c-1", "storage_id": "s-1", "cluster_id": "c-1"}
	for _, tc := range []struct {
		name        string
		state, plan map[string]any
		want        []string // nil: no warning
	}{
		{"create", nil, map[string]any{"id": planUnknown{}, "storage_id": "s-1", "cluster_id": "c-1"}, []string{"restarts every node", "cluster c-1", "storage volume s-1"}},
		{"replace with another cluster", attached, map[string]any{"id": "s-1/c-1", "storage_id": "s-1", "cluster_id": "c-2"}, []string{"restarts every node", "cluster c-2"}},
		{"cluster created in the same apply", nil, map[string]any{"id": planUnknown{}, "storage_id": "s-1", "cluster_id": planUnknown{}}, []string{"restarts every node", "known only after apply", "created in this apply", "tensorpool_storage_attachment.NAME.cluster_id"}},
		{"nothing changes", attached, attached, nil},
		{"destroy", attached, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			diags := runModifyPlan(t, r, tc.state, tc.plan).Diagnostics
			if diags.HasError() {
				t.Fatal(diags)
			}
			warnings := diags.Warnings()
			if tc.want == nil {
				if len(warnings) != 0 {
					t.Fatalf("unexpected warnings: %v", warnings)
				}
				return
			}
			if len(warnings) != 1 {
				t.Fatalf("%d warnings, want 1: %v", len(warnings), warnings)
			}
			text := warnings[0].Summary() + " " + warnings[0].Detail()
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("the warning does not say %q: %s", want, text)
				}
			}
		})
	}
}

func TestParseAttachmentID(t *testing.T) {
	storageID, clusterID, err := parseAttachmentID("s-0123/c-4567")
	if err != nil || storageID != "s-0123" || clusterID != "c-4567" {
		t.Fatalf("parseAttachmentID(s-0123/c-4567) = %q, %q, %v", storageID, clusterID, err)
	}
	for _, bad := range []string{"", "s-0123", "s-0123/", "/c-4567", "s-0123/c-4567/x", "s 1/c-1"} {
		_, _, err := parseAttachmentID(bad)
		if err == nil {
			t.Errorf("parseAttachmentID(%q) accepted it", bad)
			continue
		}
		if !strings.Contains(err.Error(), "<storage_id>/<cluster_id>") {
			t.Errorf("the error for %q does not name the expected format: %v", bad, err)
		}
	}
}

// TestStorageSchemasAreDescribed: the generated docs are only as good as
// the schema text.
func TestStorageSchemasAreDescribed(t *testing.T) {
	ctx := context.Background()
	for _, r := range []resource.Resource{NewStorageResource(), NewStorageAttachmentResource()} {
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		if resp.Schema.MarkdownDescription == "" {
			t.Errorf("%T has no description", r)
		}
		for name, attr := range resp.Schema.Attributes {
			if attr.GetMarkdownDescription() == "" {
				t.Errorf("%T attribute %s has no description", r, name)
			}
		}
	}
	var dresp datasource.SchemaResponse
	NewStorageDataSource().Schema(ctx, datasource.SchemaRequest{}, &dresp)
	for name, attr := range dresp.Schema.Attributes {
		if attr.GetMarkdownDescription() == "" {
			t.Errorf("data source attribute %s has no description", name)
		}
	}
}
