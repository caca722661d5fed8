package provider

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// wait_for_completion is bounded by timeouts.create, with every request and
// every retry inside it: an engine that answers 429 with Retry-After: 5
// fails a 1.5 s create by its deadline, not after the client's retries
// (4 × 5 s).
func TestAccJob_waitForCompletionEndsByTheCreateDeadline(t *testing.T) {
	const createTimeout = 1500 * time.Millisecond
	engineClock := &clocktest.Offset{}
	env := newAccEnv(t, sim.Options{Clock: engineClock})
	applies := &applyLog{now: engineClock.Now, stats: env.engine().Stats}
	env.run(t, resource.TestCase{
		// The production schedules: Retry-After is honoured up to 30 s.
		ProtoV6ProviderFactories: observedFactories(Options{}, applies),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					// One request passes (the first status read); every
					// other one is answered 429 with Retry-After: 5.
					env.engine().SetFaults(sim.Faults{RateLimit: 0.001, RateLimitRetryAfter: 5})
				},
				Config: env.jobConfig("  wait_for_completion = true",
					fmt.Sprintf("  timeouts {\n    create = %q\n  }", createTimeout)),
				ExpectError: regexp.MustCompile(`(?s)did\s+not\s+finish\s+in\s+time.*did\s+not\s+finish\s+within\s+timeouts.create\s+=\s+"1.5s"`),
			},
			{
				PreConfig: func() {
					env.engine().SetFaults(sim.Faults{})
					create := applies.last()
					took := create.end.Sub(create.start)
					t.Logf("the create failed after %v", took)
					if took > createTimeout+500*time.Millisecond {
						t.Errorf("the create took %v with timeouts.create = %v", took, createTimeout)
					}
				},
				// The failed create kept its job in the state (run's orphan
				// check), tainted: the next apply would replace it.
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// TestAccJob_firstReadOfAWaitFailsAndTheJobIsKept: with wait_for set, the job
// is saved in the state before the wait, so a wait whose very first read
// fails (here, an answer that is not JSON) still leaves the submitted job in
// the state, tainted: the engine has it, and it must not bill unseen.
func TestAccJob_firstReadOfAWaitFailsAndTheJobIsKept(t *testing.T) {
	for _, waitFor := range []string{waitForRunning, waitForCompleted} {
		t.Run(waitFor, func(t *testing.T) {
			env := newAccEnv(t, sim.Options{PendingDelay: time.Hour})
			env.run(t, resource.TestCase{
				Steps: []resource.TestStep{
					{
						PreConfig:   func() { env.engine().SetFaults(sim.Faults{Garble: "not-json"}) },
						Config:      env.jobConfig(fmt.Sprintf("  wait_for = %q", waitFor)),
						ExpectError: regexp.MustCompile(`(?s)Could not follow the TensorPool job.*was submitted and saved in the state`),
					},
					{
						// run's orphan check: the engine's pending job is in
						// the state, tainted, so the next apply replaces it.
						PreConfig:          func() { env.engine().SetFaults(sim.Faults{}) },
						RefreshState:       true,
						ExpectNonEmptyPlan: true,
						Check: func(s *terraform.State) error {
							rs, ok := s.RootModule().Resources[jobAddr]
							if !ok || !rs.Primary.Tainted || rs.Primary.ID != env.onlyJob().JobID {
								return fmt.Errorf("the submitted job %s must be in the state, tainted (in state: %v)", env.onlyJob().JobID, ok)
							}
							return nil
						},
					},
				},
			})
		})
	}
}
