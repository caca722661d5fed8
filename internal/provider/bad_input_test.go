package provider

import (
	"fmt"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// TestAccBadInput: each bad value is a diagnostic naming its attribute, found
// at plan time where possible, and no malformed request reaches the engine.
func TestAccBadInput(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	resourceOnly := func(body string) string {
		return fmt.Sprintf("resource \"tensorpool_job\" \"test\" {\n%s\n}\n", body)
	}
	job := func(body string) string { return env.providerBlock() + resourceOnly(body) }
	const goodConfig = `  config = "commands = [\"x\"]"`
	cases := []struct {
		name, config, want string
	}{
		{"invalid TOML", job("  cluster_id = \"c-acc\"\n  config = \"commands = [\\\"x\\\"\\nbroken = \"\n"), `(?s)Invalid TensorPool job configuration.*config\s+=.*line 2`},
		{"missing commands", job("  cluster_id = \"c-acc\"\n  config = \"outputs = []\""), `(?s)Invalid TensorPool job configuration.*config\s+=.*commands. key is missing`},
		{"empty commands", job("  cluster_id = \"c-acc\"\n  config = \"commands = []\""), `(?s)commands. list is empty`},
		{"empty cluster", job("  cluster_id = \"\"\n" + goodConfig), `(?s)Invalid cluster id.*cluster_id\s+=`},
		{"cluster with slash", job("  cluster_id = \"c/../x\"\n" + goodConfig), `(?s)Invalid cluster id`},
		{"cluster with space", job("  cluster_id = \"c x\"\n" + goodConfig), `(?s)Invalid cluster id`},
		{"unknown on_destroy", job("  cluster_id = \"c-acc\"\n" + goodConfig + "\n  on_destroy = \"delete\""), `(?s)on_destroy\s+=.*value must be one of`},
		{"empty source_dir", job("  cluster_id = \"c-acc\"\n" + goodConfig + "\n  source_dir = \"\""), `(?s)Invalid source directory.*source_dir\s+=.*source_dir is empty`},
		{"missing source_dir", job("  cluster_id = \"c-acc\"\n" + goodConfig + "\n  source_dir = \"${path.module}/no-such-dir\""), `(?s)Invalid source directory.*source_dir\s+=.*no-such-dir" does not\s+exist`},
		{"source_dir is a file", job("  cluster_id = \"c-acc\"\n" + goodConfig + fmt.Sprintf("\n  source_dir = %q", filepath.Join(env.srcDir, "train.py"))), `(?s)Invalid source directory.*is a\s+file, not a\s+directory`},
		{"malformed timeout", job("  cluster_id = \"c-acc\"\n" + goodConfig + "\n  timeouts {\n    delete = \"20 minutes\"\n  }"), `(?s)Time Duration.*delete\s+=`},
		{"negative create timeout", job("  cluster_id = \"c-acc\"\n" + goodConfig + "\n  timeouts {\n    create = \"-5m\"\n  }"), `(?s)Timeout must be positive.*create = "-5m".*timeouts.create is "-5m"`},
		{"zero delete timeout", job("  cluster_id = \"c-acc\"\n" + goodConfig + "\n  timeouts {\n    delete = \"0s\"\n  }"), `(?s)Timeout must be positive.*delete = "0s".*timeouts.delete is "0s"`},
		{"zero read timeout", job("  cluster_id = \"c-acc\"\n" + goodConfig + "\n  timeouts {\n    read = \"0m\"\n  }"), `(?s)Timeout must be positive.*timeouts.read is "0m"`},
		{"data source id with slash", env.providerBlock() + "data \"tensorpool_job\" \"x\" {\n  id = \"a/b\"\n}\n", `(?s)Invalid job id`},
		{"data source id with space", env.providerBlock() + "data \"tensorpool_job\" \"x\" {\n  id = \"job 1\"\n}\n", `(?s)Invalid job id`},
		{"data source empty id", env.providerBlock() + "data \"tensorpool_job\" \"x\" {\n  id = \"\"\n}\n", `(?s)Invalid job id`},
		{"plain http engine", "provider \"tensorpool\" {\n  engine_url = \"http://engine.example.com\"\n}\n" + resourceOnly("  cluster_id = \"c-acc\"\n"+goodConfig), `(?s)Invalid TensorPool engine URL.*engine_url\s+=.*unencrypted`},
		{"negative max_retries", "provider \"tensorpool\" {\n  max_retries = -1\n}\n" + resourceOnly("  cluster_id = \"c-acc\"\n"+goodConfig), `(?s)max_retries\s+=.*between 0 and 20`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env.run(t, resource.TestCase{
				Steps: []resource.TestStep{{
					Config:      tc.config,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
	if stats := env.engine().Stats(); len(stats) != 0 {
		t.Errorf("bad input reached the engine: %v", stats)
	}
}

// TestAccEngineRejections: problems only the engine can see, each a clear
// error at apply time.
func TestAccEngineRejections(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	t.Run("unknown cluster", func(t *testing.T) {
		env.run(t, resource.TestCase{
			Steps: []resource.TestStep{{
				Config:      regexp.MustCompile(`c-acc`).ReplaceAllString(env.jobConfig(), "c-nosuch"),
				ExpectError: regexp.MustCompile(`(?s)Could not submit the TensorPool job.*rejected the job\s+submission.*unknown\s+cluster\s+"c-nosuch"`),
			}},
		})
	})
	t.Run("wrong key", func(t *testing.T) {
		config := regexp.MustCompile(accKey).ReplaceAllString(env.jobConfig(), "tp-wrong-key")
		env.run(t, resource.TestCase{
			Steps: []resource.TestStep{{
				Config:      config,
				ExpectError: regexp.MustCompile(`(?s)rejected\s+the\s+job\s+submission.*invalid\s+API\s+key.*Check\s+the\s+API\s+key`),
			}},
		})
	})
	t.Run("missing key is an error only when the engine is needed", func(t *testing.T) {
		t.Setenv(EnvAPIKey, "")
		config := fmt.Sprintf("provider \"tensorpool\" {\n  engine_url = %q\n}\n", env.server.URL) + env.jobResource()
		env.run(t, resource.TestCase{
			Steps: []resource.TestStep{
				{Config: config, PlanOnly: true, ExpectNonEmptyPlan: true},
				{Config: config, ExpectError: regexp.MustCompile(`(?s)API key missing.*TENSORPOOL_KEY`)},
			},
		})
	})
	if n := len(env.engine().Jobs()); n != 0 {
		t.Errorf("rejected submissions left %d jobs", n)
	}
}
