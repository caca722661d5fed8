package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// rewritingEngine serves the simulator, except that the body of GET
// /job/info answers passes through rewrite first: an engine that spells
// things its own way, or sends JSON nulls (as FastAPI does), without
// teaching the simulator to lie.
type rewritingEngine struct {
	*httptest.Server
	mu      sync.Mutex
	rewrite func(body map[string]any)
}

func newRewritingEngine(t *testing.T, engine http.Handler) *rewritingEngine {
	t.Helper()
	re := &rewritingEngine{}
	re.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		re.mu.Lock()
		rewrite := re.rewrite
		re.mu.Unlock()
		if rewrite == nil || r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/job/info/") {
			engine.ServeHTTP(w, r) // WebSockets included: w is the real connection
			return
		}
		rec := httptest.NewRecorder()
		engine.ServeHTTP(rec, r)
		var body map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
			copyResponse(w, rec, rec.Body.Bytes())
			return
		}
		rewrite(body)
		out, err := json.Marshal(body)
		if err != nil {
			t.Error(err)
		}
		copyResponse(w, rec, out)
	}))
	t.Cleanup(re.Close)
	return re
}

func (re *rewritingEngine) set(rewrite func(body map[string]any)) {
	re.mu.Lock()
	defer re.mu.Unlock()
	re.rewrite = rewrite
}

// jobInfo is the body's job_info object (an empty one when it has none).
func jobInfo(body map[string]any) map[string]any {
	if info, ok := body["job_info"].(map[string]any); ok {
		return info
	}
	return map[string]any{}
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	_, _ = bytes.NewReader(body).WriteTo(w)
}

func (e *accEnv) jobConfigAt(engineURL string, extra ...string) string {
	return fmt.Sprintf("provider \"tensorpool\" {\n  engine_url = %q\n  api_key    = %q\n}\n", engineURL, accKey) + e.jobResource(extra...)
}

// TestAccJob_readKeepsTheConfiguredClusterID: cluster_id forces replacement,
// so an engine that writes it differently must not make every plan cancel
// and resubmit the job.
func TestAccJob_readKeepsTheConfiguredClusterID(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: 100 * time.Millisecond})
	proxy := newRewritingEngine(t, env.engine())
	config := env.jobConfigAt(proxy.URL)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					proxy.set(func(body map[string]any) { jobInfo(body)["cluster_id"] = strings.ToUpper(accCluster) })
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(jobAddr, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("cluster_id"), knownvalue.StringExact(accCluster)),
				},
			},
		},
	})
	if n := len(env.engine().Jobs()); n != 1 {
		t.Errorf("%d jobs were submitted, want 1 (a replacement happened)", n)
	}
}

// TestAccJob_nullFieldsAreNull: JSON nulls from the engine are null in the
// state, as the docs promise, not empty strings.
func TestAccJob_nullFieldsAreNull(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: 100 * time.Millisecond})
	proxy := newRewritingEngine(t, env.engine())
	proxy.set(func(body map[string]any) {
		body["message"] = nil // the pre-rendered text, which stands in for a missing job message
		for _, k := range []string{"message", "instance_type", "created_at", "updated_at", "exit_code", "cluster_id"} {
			jobInfo(body)[k] = nil
		}
	})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: env.jobConfigAt(proxy.URL),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("status"), knownvalue.StringExact("running")),
				statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("message"), knownvalue.Null()),
				statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("instance_type"), knownvalue.Null()),
				statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("created_at"), knownvalue.Null()),
				statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("updated_at"), knownvalue.Null()),
				statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("exit_code"), knownvalue.Null()),
				statecheck.ExpectKnownValue(jobAddr, tfjsonpath.New("cluster_id"), knownvalue.StringExact(accCluster)),
			},
		}},
	})
}

// TestAccJob_refreshRidesOutEngineErrors: a refresh keeps trying through
// more failures than the client's own retries allow, within timeouts.read.
func TestAccJob_refreshRidesOutEngineErrors(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: 100 * time.Millisecond})
	// One retry per request: a burst of 8 failures outlasts it many times.
	config := env.jobConfig() + "\n"
	config = strings.Replace(config, "api_key    =", "max_retries = 1\n  api_key    =", 1)
	const burst = 8
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					env.engine().ResetStats()
					f := env.engine().Faults()
					f.FailNext = burst
					env.engine().SetFaults(f)
				},
				Config:   config,
				PlanOnly: true,
			},
		},
	})
	if left := env.engine().Faults().FailNext; left != 0 {
		t.Errorf("%d of the %d failures were never hit: the test did not exercise the refresh", left, burst)
	}
}

// TestAccProvider_emptyAPIKeyFallsBackToTheEnvironment: `api_key = ""` (a
// variable with an empty default) does not hide TENSORPOOL_KEY.
func TestAccProvider_emptyAPIKeyFallsBackToTheEnvironment(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: 100 * time.Millisecond})
	t.Setenv(EnvAPIKey, accKey)
	config := fmt.Sprintf("provider \"tensorpool\" {\n  engine_url = %q\n  api_key    = \"\"\n}\n", env.server.URL) + env.jobResource()
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: config,
			Check: func(*terraform.State) error {
				if n := len(env.engine().Jobs()); n != 1 {
					return fmt.Errorf("the engine has %d jobs, want 1", n)
				}
				return nil
			},
		}},
	})
}

// TestAccJob_terraformFilesAreNeverUploaded: state (which holds secrets),
// lock info and .terraform/ in the upload directory stay on this machine,
// as the engine's own upload listing shows.
func TestAccJob_terraformFilesAreNeverUploaded(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: 100 * time.Millisecond})
	for name, content := range map[string]string{
		"terraform.tfstate":              `{"secret": "tp-acc"}`,
		"terraform.tfstate.backup":       `{}`,
		".terraform.lock.hcl":            "",
		".terraform.tfstate.lock.info":   "{}",
		".terraform/providers/bin/x":     "binary",
		"data/keep.csv":                  "1,2",
		".terraform/terraform.tfstate":   "{}",
		"nested/terraform.tfstate":       "{}",
		"nested/kept-but-not-state.json": "{}",
	} {
		p := filepath.Join(env.srcDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: env.jobConfig(),
			Check: func(*terraform.State) error {
				// The first line is the directory (pwd); the rest are the
				// paths uploaded, relative to it.
				_, listing, _ := strings.Cut(env.onlyJob().UploadListing, "\n")
				for _, want := range []string{"train.py", "keep.csv", "kept-but-not-state.json"} {
					if !strings.Contains(listing, want) {
						return fmt.Errorf("upload listing lacks %s (the test would prove nothing):\n%s", want, listing)
					}
				}
				for _, never := range []string{"tfstate", ".terraform", "providers"} {
					if strings.Contains(listing, never) {
						return fmt.Errorf("upload listing holds %q:\n%s", never, listing)
					}
				}
				return nil
			},
		}},
	})
}
