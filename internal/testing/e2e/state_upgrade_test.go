package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// TestAJobStateWrittenBeforeSchemaVersion1PlansNoChange: a state written
// before job_info_json lost its duplicated fields (schema version 0, the
// engine's whole job_info object in it) is upgraded by the provider: the
// next plan says "No changes" with nothing changed outside Terraform, and
// the state then holds job_info_json without the modelled fields.
func TestAJobStateWrittenBeforeSchemaVersion1PlansNoChange(t *testing.T) {
	// The job stays pending: nothing about it changes between the runs.
	w := newWorld(t, sim.Options{PendingDelay: time.Hour, CancelLatency: 100 * time.Millisecond}, jobsConfig(1))
	w.mustRun("apply", "-auto-approve", "-no-color")

	var state map[string]any
	if err := json.Unmarshal([]byte(w.mustRun("state", "pull").Stdout), &state); err != nil {
		t.Fatal(err)
	}
	instance := state["resources"].([]any)[0].(map[string]any)["instances"].([]any)[0].(map[string]any) //nolint:forcetypeassert // a test: a panic says enough
	attrs := instance["attributes"].(map[string]any)                                                    //nolint:forcetypeassert // as above
	if instance["schema_version"] != float64(1) || attrs["job_info_json"] != "{}" {
		t.Fatalf("the provider wrote schema_version %v and job_info_json %v, want 1 and {}", instance["schema_version"], attrs["job_info_json"])
	}
	// As version 0 wrote it: the engine's whole job_info object.
	old, err := json.Marshal(map[string]any{
		"job_id": attrs["id"], "status": attrs["status"], "cluster_id": attrs["cluster_id"], "instance_type": attrs["instance_type"],
		"created_at": attrs["created_at"], "updated_at": attrs["updated_at"], "message": attrs["message"],
	})
	if err != nil {
		t.Fatal(err)
	}
	instance["schema_version"], attrs["job_info_json"] = 0, string(old)
	state["serial"] = state["serial"].(float64) + 1 //nolint:forcetypeassert // as above
	file := filepath.Join(t.TempDir(), "v0.tfstate")
	data, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	w.mustRun("state", "push", file)

	plan := w.mustRun("plan", "-no-color")
	if !strings.Contains(plan.Stdout, "No changes.") || strings.Contains(plan.Stdout, "changed outside of Terraform") {
		t.Errorf("the plan after the upgrade is not a quiet no-op:\n%s", plan.Stdout)
	}
	w.mustRun("apply", "-auto-approve", "-no-color")
	if err := json.Unmarshal([]byte(w.mustRun("state", "pull").Stdout), &state); err != nil {
		t.Fatal(err)
	}
	instance = state["resources"].([]any)[0].(map[string]any)["instances"].([]any)[0].(map[string]any)                            //nolint:forcetypeassert // as above
	if got := instance["attributes"].(map[string]any)["job_info_json"]; got != "{}" || instance["schema_version"] != float64(1) { //nolint:forcetypeassert // as above
		t.Errorf("after the upgrade: schema_version %v, job_info_json %v; want 1 and {}", instance["schema_version"], got)
	}
	w.destroy("-auto-approve", "-no-color")
}
