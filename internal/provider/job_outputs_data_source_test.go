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
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
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
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("finished"), knownvalue.Bool(true)),
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
				// A running job: no outputs yet, flagged, not an error.
				Config: env.outputsJobConfig(fmt.Sprintf("%q", live)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("status"), knownvalue.StringExact("running")),
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("finished"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("files"), knownvalue.ListExact([]knownvalue.Check{})),
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("urls"), knownvalue.MapExact(map[string]knownvalue.Check{})),
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("message"), knownvalue.Null()),
				},
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
				Config: env.outputsJobConfig(`"job-doesnotexist"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("status"), knownvalue.StringExact("deleted")),
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("finished"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("files"), knownvalue.ListExact([]knownvalue.Check{})),
				},
			},
		},
	})
}

// The download URLs are credentials: Terraform must redact them.
// TestAccJobOutputs_unfinishedJobNeverBlocksDestroy: outputs read over a job
// that is still running (say, an interrupted wait_for = "completed" apply,
// untainted) are flagged finished = false; the destroy then cancels the job
// as usual. A postcondition on finished, as the docs show, makes it an error
// for those who want one, in plans and applies but not in the destroy.
func TestAccJobOutputs_unfinishedJobNeverBlocksDestroy(t *testing.T) {
	env := newAccEnv(t, sim.Options{PendingDelay: 50 * time.Millisecond, RunDuration: time.Hour})
	config := func(postcondition string) string {
		return env.jobConfig() + fmt.Sprintf(`
data "tensorpool_job_outputs" "test" {
  id = tensorpool_job.test.id
%s
}
`, postcondition)
	}
	const requireFinished = `  lifecycle {
    postcondition {
      condition     = self.finished
      error_message = "Job ${self.id} is ${self.status}: its outputs are not there yet."
    }
  }`
	env.run(t, resource.TestCase{
		CheckDestroy: func(*terraform.State) error {
			if job := env.onlyJob(); job.Status != sim.StatusCanceled {
				return fmt.Errorf("after the destroy the job is %q, want canceled", job.Status)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: config(""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("finished"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(outputsAddr, tfjsonpath.New("files"), knownvalue.ListExact([]knownvalue.Check{})),
				},
			},
			{
				Config:      config(requireFinished),
				ExpectError: regexp.MustCompile(`(?s)Resource postcondition failed.*Job job-[0-9a-f]+ is running: its outputs are not there yet`),
			},
			{
				// The postcondition fails plans and applies, not the destroy.
				Config:  config(requireFinished),
				Destroy: true,
			},
		},
	})
}

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
