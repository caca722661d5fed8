package provider

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/sourcehash"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/tpconfig"
)

// TestPlanSourceChangeRecognisesAHashThatCountedTheConfigFile: a state
// whose source_hash an earlier version recorded with the config file counted
// plans no change (an upgrade must not resubmit a job under
// on_source_change = "replace"), while another hash still plans a
// replacement.
func TestPlanSourceChangeRecognisesAHashThatCountedTheConfigFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	attrs := runningJobState()
	config := attrs["config"].(string) //nolint:forcetypeassert // a string in runningJobState
	for name, content := range map[string]string{"train.py": "print(1)\n", "train.tp.toml": config} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	legacy, err := sourcehash.Tree(ctx, dir, tpconfig.TerraformFiles)
	if err != nil {
		t.Fatal(err)
	}
	attrs["source_dir"], attrs["on_source_change"] = dir, onSourceChangeReplace
	for recorded, wantReplace := range map[string]bool{legacy.Hash: false, "sha256:other": true} {
		attrs["source_hash"] = recorded
		state := jobObject(t, attrs)
		req := resource.ModifyPlanRequest{State: state, Plan: tfsdk.Plan(state)}
		resp := resource.ModifyPlanResponse{Plan: tfsdk.Plan{Schema: state.Schema, Raw: state.Raw.Copy()}}
		planSourceChange(ctx, req, &resp)
		if replace := len(resp.RequiresReplace) > 0; replace != wantReplace || resp.Diagnostics.HasError() {
			t.Errorf("recorded %s: replace = %v, want %v (%v)", recorded, replace, wantReplace, resp.Diagnostics)
		}
	}
}

// TestSourceDirIsComparedAsTheFolderItResolvesTo: a relative path, its
// absolute form (abspath()), a trailing slash and a symlink to the folder are
// one source_dir; another folder is not.
func TestSourceDirIsComparedAsTheFolderItResolvesTo(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	for _, dir := range []string{"job", "other"} {
		if err := os.Mkdir(dir, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "job"), "link"); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	equal := func(a, b string) bool {
		t.Helper()
		eq, diags := sourceDirValue{StringValue: types.StringValue(a)}.StringSemanticEquals(context.Background(),
			sourceDirValue{StringValue: types.StringValue(b)})
		if diags.HasError() {
			t.Fatal(diags)
		}
		return eq
	}
	for _, same := range []string{"job/", "./job", filepath.Join(root, "job"), "link", "gone/../job"} {
		if !equal("job", same) {
			t.Errorf("%q and %q name the same folder, but compare unequal", "job", same)
		}
	}
	for _, other := range []string{"other", "job/sub", filepath.Join(root, "other")} {
		if equal("job", other) {
			t.Errorf("%q and %q compare equal", "job", other)
		}
	}
}
