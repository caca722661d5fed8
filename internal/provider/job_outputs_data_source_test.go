package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/sim"
)

const outputsAddr = "data.tensorpool_job_outputs.test"

// presignedURLPattern is a download URL with a signature in its query.
var presignedURLPattern = regexp.MustCompile(`^https://[^?]+/model\.pt\?.*X-Amz-Signature=[0-9a-f]+`)

// outputsJobConfig is a job that keeps a file and a directory, waited for
// until it completes, and the outputs data source reading it.
func (e *accEnv) outputsJobConfig(dataSourceID string) string {
	return e.providerBlock() + fmt.Sprintf(`
resource "tensorpool_job" "test" {
  cluster_id          = %q
  source_dir          = %q
  wait_for_completion = true
  config              = <<-EOT
    commands = ["python train.py"]
    outputs  = ["model.pt", "checkpoints/"]
  EOT
}

data "tensorpool_job_outputs" "test" {
  id = %s
}
`, accCluster, e.srcDir, dataSourceID)
}

func TestAccJobOutputsDataSource(t *testing.T) {
	env := newAccEnv(t, sim.Options{PendingDelay: 100 * time.Millisecond, RunDuration: 200 * time.Millisecond, Outcome: sim.StatusCompleted})
	// A job started outside Terraform, kept running until a step finishes it.
	live, err := env.engine().AddJob(accKey, accCluster)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.engine().SetStatus(live, sim.StatusRunning); err != nil {
		t.Fatal(err)
	}
	env.outside = append(env.outside, live)

	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				// Read after the job it references has completed.
				Config: env.outputsJobConfig("tensorpool_job.test.id"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("status"), knownvalue.StringExact("completed")),
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("files"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"path": knownvalue.StringExact("checkpoints/"), "url": knownvalue.Null(),
						}),
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"path": knownvalue.StringExact("model.pt"), "url": knownvalue.StringRegexp(presignedURLPattern),
						}),
					})),
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("urls"), knownvalue.MapExact(map[string]knownvalue.Check{
						"model.pt": knownvalue.StringRegexp(presignedURLPattern),
					})),
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("message"), knownvalue.StringRegexp(regexp.MustCompile(`2 output files`))),
				},
			},
			{
				// A running job: an error that says when outputs exist.
				Config:      env.outputsJobConfig(fmt.Sprintf("%q", live)),
				ExpectError: regexp.MustCompile(`(?s)TensorPool job has not finished.*` + live + `.*is running.*once it\s+finishes`),
			},
			{
				// Once it has finished, its (empty) outputs are listed.
				PreConfig: func() {
					if err := env.engine().SetStatus(live, sim.StatusCompleted); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.outputsJobConfig(fmt.Sprintf("%q", live)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("files"), knownvalue.ListExact([]knownvalue.Check{})),
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("urls"), knownvalue.MapExact(map[string]knownvalue.Check{})),
				},
			},
			{
				Config:      env.outputsJobConfig(`"job-doesnotexist"`),
				ExpectError: regexp.MustCompile(`(?s)TensorPool job not found.*job-doesnotexist`),
			},
		},
	})
}

// The download URLs are credentials: Terraform must redact them.
func TestJobOutputsURLsAreSensitive(t *testing.T) {
	var resp datasource.SchemaResponse
	NewJobOutputsDataSource().Schema(context.Background(), datasource.SchemaRequest{}, &resp)
	files, ok := resp.Schema.Attributes["files"].(schema.ListNestedAttribute)
	if !ok {
		t.Fatalf("files is %T, want a list of objects", resp.Schema.Attributes["files"])
	}
	if !files.NestedObject.Attributes["url"].IsSensitive() {
		t.Error("files[*].url is not sensitive")
	}
	if files.NestedObject.Attributes["path"].IsSensitive() {
		t.Error("files[*].path is sensitive: it would hide the paths and forbid for_each over them")
	}
	if !resp.Schema.Attributes["urls"].IsSensitive() {
		t.Error("urls is not sensitive")
	}
}
