package provider

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// The fault matrix: every resource through every engine fault, on create,
// update (where a resource has one), refresh and destroy, through the real
// CLI. After every apply the engine's own view is checked by run: every
// live object of the user is in the state (nothing orphaned, no duplicate);
// after the final destroy nothing bills and no key is left. A create whose
// answer the engine lost after making a cluster or volume is found in the
// kind's list (the one new id) and is in the state after that same apply.

// matrixResource is one resource of the matrix.
type matrixResource struct {
	name string
	// before is what must exist, fault-free, before the resource is created
	// (the volume an attachment attaches); "" for nothing.
	before func(e *accEnv) string
	// config renders the resource; variant 1 is its in-place update, when
	// update is set.
	config func(e *accEnv, variant int) string
	update bool
}

func matrixResources() []matrixResource {
	withStorage := func(e *accEnv) string { return e.storageConfig("  size = 10") }
	return []matrixResource{
		{name: "job", config: func(e *accEnv, _ int) string { return e.jobConfig() }},
		{
			name: "cluster", update: true,
			config: func(e *accEnv, v int) string {
				return e.clusterConfig("1xH100", fmt.Sprintf("  name = %q", []string{"alpha", "beta"}[v]))
			},
		},
		{
			name: "storage", update: true,
			config: func(e *accEnv, v int) string {
				return e.storageConfig(fmt.Sprintf("  size = %d", []int{10, 20}[v]))
			},
		},
		// A lost attach is settled by reading the volume's cluster_ids (the
		// attach completes at once here); TestAnAttachRefusedAfterALostAnswerIsUnconfirmed
		// covers the one that cannot be settled.
		{name: "attachment", before: withStorage, config: func(e *accEnv, _ int) string { return e.attachmentConfig(accCluster) }},
		{name: "ssh key", config: func(e *accEnv, _ int) string { return e.sshKeyConfig(fmt.Sprintf("%q", accPublicKey)) }},
	}
}

// matrixRequestTimeout bounds one request of the matrix's provider, so
// that a late answer is a timeout within the test's time.
const matrixRequestTimeout = time.Second

// matrixFault is one engine fault, armed before a step; refresh is set
// for a refresh-only step, which sends no change.
type matrixFault struct {
	name string
	arm  func(e *accEnv, refresh bool)
	// changesOnly is a fault that only a change can meet: a refresh, which
	// sends none, would run as without it, so the cell has no refresh step.
	changesOnly bool
}

func matrixFaults() []matrixFault {
	set := func(f sim.Faults) func(e *accEnv, refresh bool) {
		return func(e *accEnv, _ bool) { e.engine().SetFaults(f) }
	}
	return []matrixFault{
		{name: "429 storm", arm: set(sim.Faults{RateLimit: 2, RateLimitRetryAfter: 1})},
		{name: "one 503", arm: set(sim.Faults{FailNext: 1})},
		{name: "5xx burst", arm: set(sim.Faults{FailNext: 6})},
		{name: "500 after the change", arm: set(sim.Faults{FailAfterChange: 1}), changesOnly: true},
		{name: "connection dropped after send", arm: set(sim.Faults{DropAfterChange: 1}), changesOnly: true},
		{name: "engine restart", arm: func(e *accEnv, _ bool) { e.restartDuringNextRequest() }},
		// The next change (the next read, in a refresh) is handled at once
		// and answered after the provider's request timeout
		// (matrixRequestTimeout): a read is sent again, a change's answer
		// is lost.
		{name: "timeout", arm: func(e *accEnv, refresh bool) {
			e.engine().SetFaults(sim.Faults{LateAnswers: 1, LateBy: 3 * matrixRequestTimeout, LateChanges: !refresh})
		}},
	}
}

// restartDuringNextRequest restarts the engine (refusing connections for
// 400 ms, longer than the test client's own retries of about 150 ms) while
// it holds the next read (a latency of 150 ms keeps it unanswered until
// then): the provider has reached the engine in this run, loses that read
// and must ride the restart out as an outage, and the command cannot end
// before the engine is back. A read, so that the engine provably did
// nothing with the request it dropped.
func (e *accEnv) restartDuringNextRequest() {
	e.engine().SetFaults(sim.Faults{Latency: 150 * time.Millisecond})
	reads := func() (n int) {
		for route, count := range e.engine().Stats() {
			if strings.HasPrefix(route, "GET ") {
				n += count
			}
		}
		return n
	}
	base := reads()
	go func() {
		deadline := time.Now().Add(time.Minute)
		for reads() == base && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond) // watching for the first request, which the latency holds
		}
		e.server.Restart(400 * time.Millisecond)
		e.engine().SetFaults(sim.Faults{})
	}()
}

func TestAccFaultMatrix(t *testing.T) {
	for _, res := range matrixResources() {
		for _, fault := range matrixFaults() {
			t.Run(res.name+"/"+fault.name, func(t *testing.T) {
				t.Parallel() // each cell has its own engine
				env := newAccEnv(t, sim.Options{CancelLatency: 100 * time.Millisecond})
				var steps []resource.TestStep
				if res.before != nil {
					steps = append(steps, resource.TestStep{Config: res.before(env)})
				}
				steps = append(steps, resource.TestStep{PreConfig: func() { fault.arm(env, false) }, Config: res.config(env, 0)})
				if !fault.changesOnly {
					steps = append(steps, resource.TestStep{PreConfig: func() { fault.arm(env, true) }, RefreshState: true})
				}
				last := res.config(env, 0)
				if res.update {
					last = res.config(env, 1)
					steps = append(steps, resource.TestStep{PreConfig: func() { fault.arm(env, false) }, Config: last})
				}
				steps = append(steps, resource.TestStep{PreConfig: func() { fault.arm(env, false) }, Config: last, Destroy: true})
				factories := env.factoriesWith(Options{RequestTimeout: matrixRequestTimeout})
				env.run(t, resource.TestCase{Steps: steps, ProtoV6ProviderFactories: factories})
			})
		}
	}
}

// TestAccFaultMatrix_attachInDoubtStaysInTheState: the engine takes an
// attach and loses its answer while the attach is still under way, which
// its volume info does not show [INF]: the provider's second attach is
// refused, so the apply fails saying the attach may be under way, and the
// attachment is in the state (tainted). Once the attach has completed, the
// next apply replaces it and the destroy leaves nothing attached.
func TestAccFaultMatrix_attachInDoubtStaysInTheState(t *testing.T) {
	env := newAccEnv(t, sim.Options{StorageLatency: 2 * time.Second})
	attachment := "tensorpool_storage_attachment.test"
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: env.storageConfig("  size = 10")},
			{
				PreConfig:   func() { env.engine().SetFaults(sim.Faults{DropAfterChange: 1}) },
				Config:      env.attachmentConfig(accCluster),
				ExpectError: wrapped("The TensorPool storage attach may be under way", "already attached", "tp storage info", "kept in the Terraform state", "tainted"),
			},
			{
				// The attach the engine took completes; the state, refreshed,
				// holds it (checked against the engine by run).
				PreConfig:          func() { env.clock.Skip(3 * time.Second) },
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // tainted: the next apply replaces it
				Check: func(s *terraform.State) error {
					if rs, ok := s.RootModule().Resources[attachment]; !ok || !rs.Primary.Tainted {
						return fmt.Errorf("the attachment in doubt is not in the state, tainted")
					}
					return nil
				},
			},
			{Config: env.attachmentConfig(accCluster)},
		},
	})
}
