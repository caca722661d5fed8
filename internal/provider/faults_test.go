package provider

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// The engine misbehaving, one scenario each, through the real CLI. The
// invariants (nothing orphaned, nothing left running) are checked by run.

func TestAccFault_serverErrorBurstsDuringDestroy(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: time.Second})
	// The refresh before the destroy is an ordinary read: it rides out a
	// burst within max_retries. The destroy's own reads and cancel keep
	// trying until timeouts.delete whatever max_retries says.
	config := strings.Replace(env.jobConfig(), "provider \"tensorpool\" {", "provider \"tensorpool\" {\n  max_retries = 10", 1)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config},
			{
				// A burst of six 503s, then one request in three failing at random.
				PreConfig: func() { env.engine().SetFaults(sim.Faults{FailNext: 6, FailRate: 0.3}) },
				Config:    config,
				Destroy:   true,
			},
		},
	})
	if job := env.onlyJob(); job.Status != sim.StatusCanceled {
		t.Errorf("job is %q after the destroy", job.Status)
	}
}

func TestAccFault_retryAfterOfAnHourIsBoundedByTheDeadline(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: time.Second})
	config := env.jobConfig("  timeouts {\n    delete = \"3s\"\n  }")
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config},
			{
				// Every request beyond one per 10 s is told to come back in an hour.
				PreConfig:   func() { env.engine().SetFaults(sim.Faults{RateLimit: 0.1, RateLimitRetryAfter: 3600}) },
				Config:      config,
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)Could\s+not\s+cancel.*429.*gave\s+up\s+after\s+[0-9.]+s`),
			},
			{
				// The job is still in the state (checked by run's invariant).
				PreConfig:    func() { env.engine().SetFaults(sim.Faults{}) },
				RefreshState: true,
			},
			{
				// The engine answers again: the job is canceled and waited for.
				Config:  config,
				Destroy: true,
			},
		},
	})
}

func TestAccFault_unreachableEngine(t *testing.T) {
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	env := newAccEnv(t, sim.Options{})
	provider := fmt.Sprintf("provider \"tensorpool\" {\n  engine_url = %q\n  api_key = %q\n}\n", closed, accKey)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      provider + "data \"tensorpool_job\" \"x\" {\n  id = \"job-1\"\n}\n",
				ExpectError: regexp.MustCompile(`(?s)could not reach the\s+TensorPool\s+engine.*connection\s+refused`),
			},
			{
				Config:      provider + env.jobResource(),
				ExpectError: regexp.MustCompile(`(?s)Could not submit the TensorPool job.*connection\s+refused`),
			},
		},
	})
}

func TestAccFault_garbledAnswers(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	for _, mode := range []string{sim.GarbleNotJSON, sim.GarbleWrongShape} {
		t.Run(mode, func(t *testing.T) {
			env.run(t, resource.TestCase{
				Steps: []resource.TestStep{
					{Config: env.jobConfig()},
					{
						PreConfig:   func() { env.engine().SetFaults(sim.Faults{Garble: mode}) },
						Config:      env.jobConfig(),
						ExpectError: regexp.MustCompile(`(?s)Could not read the TensorPool job.*could not\s+understand\s+the\s+TensorPool\s+engine's\s+answer`),
					},
					{
						PreConfig:    func() { env.engine().SetFaults(sim.Faults{}) },
						RefreshState: true,
					},
				},
			})
		})
	}
}

func TestAccFault_unknownStatusIsShownAndNotTerminal(t *testing.T) {
	env := newAccEnv(t, sim.Options{CancelLatency: 500 * time.Millisecond})
	var id string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: env.jobConfig(), Check: captureID(&id)},
			env.statusChangedOutside(&id, "Preempted-Requeued"),
		},
	})
	// Not terminal, so the destroy canceled it rather than leaving it.
	if job := env.onlyJob(); job.Status != sim.StatusCanceled {
		t.Errorf("job with an unknown status ended %q, want canceled", job.Status)
	}
}
