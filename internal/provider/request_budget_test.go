package provider

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// Request budgets, counted by the engine as requests arrive, through the
// real Terraform CLI.

// A plan reads each job once, and sends nothing else.
func TestAccJob_planRequestBudget(t *testing.T) {
	const jobs = 5
	env := newAccEnv(t, sim.Options{})
	config := env.jobConfig(fmt.Sprintf("  count = %d", jobs))
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: env.engine().ResetStats,
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					planCheck(func() error {
						perJob := map[string]int{"GET /job/info": 1}
						if got, want := env.engine().Stats(), map[string]int{"GET /job/info": jobs}; !maps.Equal(got, want) {
							return fmt.Errorf("a plan over %d jobs sent %v, want %v", jobs, got, want)
						}
						for _, job := range env.engine().Jobs() {
							if got := env.engine().RequestsFor(job.JobID); !maps.Equal(got, perJob) {
								return fmt.Errorf("the plan sent %v for job %s, want %v", got, job.JobID, perJob)
							}
						}
						return nil
					}),
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}

// A destroy of a running job sends at most one request more than the
// official CLI would over the same wait (its cancel, then a GET /job/info
// every 2 s until the job is terminal): the status stream's handshake. The
// wait is measured on the engine, from the moment it handled the cancel to
// the job's terminal_at, for a cancel shorter than the first poll and for
// longer ones, with and without the status stream. With the stream the
// destroy sends exactly the cancel, the handshake and one GET /job/info:
// the stream, opened from the cancel on, said when the job stopped, and one
// read confirmed it (a poll on the schedule would have read the job at least
// once before a cancel of 5 s or more was over). Without the stream, the
// stop is noticed within 5 s.
func TestAccJob_destroyRequestBudget(t *testing.T) {
	for _, stream := range []bool{true, false} {
		for _, latency := range []struct {
			name         string
			base, jitter time.Duration
		}{
			{name: "short cancel", base: 2 * time.Second},
			{name: "long cancel", base: 5 * time.Second, jitter: 6 * time.Second},
		} {
			name := latency.name + " without stream"
			if stream {
				name = latency.name + " with stream"
			}
			t.Run(name, func(t *testing.T) {
				engineClock := &clocktest.Offset{}
				var mu sync.Mutex
				var canceledAt time.Time
				env := newAccEnv(t, sim.Options{
					Clock: engineClock, CancelLatency: latency.base, CancelLatencyJitter: latency.jitter,
					Faults: sim.Faults{ListenUnavailable: !stream},
					// The engine's own request log says when it handled the cancel.
					Logf: func(_ string, args ...any) {
						if len(args) > 1 && args[0] == "POST" && strings.HasPrefix(fmt.Sprint(args[1]), "/job/cancel/") {
							mu.Lock()
							canceledAt = engineClock.Now()
							mu.Unlock()
						}
					},
				})
				applies := &applyLog{now: engineClock.Now, stats: env.engine().Stats}
				var id string
				env.run(t, resource.TestCase{
					// The production poll schedule: the budget is its promise.
					ProtoV6ProviderFactories: observedFactories(Options{RetryPolicy: testRetryPolicy}, applies),
					Steps:                    []resource.TestStep{{Config: env.jobConfig(), Check: captureID(&id)}},
					CheckDestroy: func(*terraform.State) error {
						// The final destroy runs with -refresh=false: every
						// request since its apply began is the destroy's.
						destroy := applies.last()
						sent := diff(env.engine().Stats(), destroy.statsAtStart)
						job, ok := env.engine().Job(id)
						if !ok || job.TerminalAt == nil {
							return fmt.Errorf("job %s is not terminal after the destroy", id)
						}
						mu.Lock()
						wait := job.TerminalAt.Sub(canceledAt)
						mu.Unlock()
						cli := 1 + int((wait+2*time.Second-1)/(2*time.Second)) // the cancel and ceil(wait/2s) reads
						total := 0
						for _, n := range sent {
							total += n
						}
						noticed := destroy.end.Sub(*job.TerminalAt)
						t.Logf("cancel took %v; the destroy sent %d requests %v (the CLI: %d) and returned %v after the stop",
							wait.Round(time.Millisecond), total, sent, cli, noticed.Round(time.Millisecond))
						if total > cli+1 {
							return fmt.Errorf("the destroy sent %d requests %v over a %v cancel, more than the official CLI's %d and a handshake",
								total, sent, wait.Round(time.Millisecond), cli)
						}
						followed := map[string]int{"POST /job/cancel": 1, "WS /job/listen": 1, "GET /job/info": 1}
						if stream && !maps.Equal(sent, followed) {
							return fmt.Errorf("the destroy sent %v, want %v: the stream from the cancel on, and one read when it said the job stopped",
								sent, followed)
						}
						if !stream && noticed > 5*time.Second {
							return fmt.Errorf("without a stream the destroy returned %v after the job stopped, want within 5s", noticed)
						}
						return nil
					},
				})
			})
		}
	}
}

// applyLog records, on the engine's clock, when each ApplyResourceChange
// began and ended, with the engine's request counts when it began.
type applyLog struct {
	now     func() time.Time
	stats   func() map[string]int
	mu      sync.Mutex
	applies []applyRecord
}

type applyRecord struct {
	start, end   time.Time
	statsAtStart map[string]int
}

func (l *applyLog) last() applyRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.applies) == 0 {
		return applyRecord{}
	}
	return l.applies[len(l.applies)-1]
}

// observedFactories are provider factories with opts whose servers record
// every ApplyResourceChange in log.
func observedFactories(opts Options, log *applyLog) map[string]func() (tfprotov6.ProviderServer, error) {
	inner := providerserver.NewProtocol6WithError(New("test", opts)())
	return map[string]func() (tfprotov6.ProviderServer, error){
		"tensorpool": func() (tfprotov6.ProviderServer, error) {
			server, err := inner()
			if err != nil {
				return nil, err
			}
			return observedServer{ProviderServer: server, log: log}, nil
		},
	}
}

type observedServer struct {
	tfprotov6.ProviderServer
	log *applyLog
}

func (s observedServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	rec := applyRecord{start: s.log.now(), statsAtStart: s.log.stats()}
	resp, err := s.ProviderServer.ApplyResourceChange(ctx, req)
	rec.end = s.log.now()
	s.log.mu.Lock()
	s.log.applies = append(s.log.applies, rec)
	s.log.mu.Unlock()
	return resp, err
}

// diff is after − before, per key, without zeros.
func diff(after, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, n := range after {
		if d := n - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// planCheck turns a function into a plancheck.PlanCheck.
type planCheck func() error

func (f planCheck) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = f()
}

// wait_for follows the job's status stream from the push on, and reads the
// job once, when the stream says it has reached the goal: for a job that
// errors 3 s after it starts, wait_for = "running" sees it running (the
// apply succeeds), and wait_for = "completed" fails with its status and the
// end of its output, collected from the same stream. Each sends the push,
// one stream and one GET /job/info: no more than `tp job listen` (its
// health check and one stream), and no read on a schedule (a poll would
// have read the job before it ran 1.5 s after the push, then every 4.5 s).
func TestAccJob_waitForFollowsTheStream(t *testing.T) {
	followed := map[string]int{"WS /job/push": 1, "WS /job/listen": 1, "GET /job/info": 1}
	for _, tc := range []struct {
		waitFor string
		wantErr *regexp.Regexp
	}{
		{waitFor: "running"},
		{waitFor: "completed", wantErr: regexp.MustCompile(`(?s)did not complete.*ended with status "error" \(exit code 1\).*The job's own output ended with these.*\| RuntimeError: CUDA out of memory \(simulated\)`)},
	} {
		t.Run(tc.waitFor, func(t *testing.T) {
			env := newAccEnv(t, sim.Options{PendingDelay: 1500 * time.Millisecond, RunDuration: 3 * time.Second, Outcome: sim.StatusError})
			applies := &applyLog{now: env.clock.Now, stats: env.engine().Stats}
			sentByApply := func() error {
				if sent := diff(env.engine().Stats(), applies.last().statsAtStart); !maps.Equal(sent, followed) {
					return fmt.Errorf("the apply with wait_for = %q sent %v, want %v", tc.waitFor, sent, followed)
				}
				return nil
			}
			step := resource.TestStep{Config: env.jobConfig(`  wait_for = "` + tc.waitFor + `"`)}
			steps := []resource.TestStep{step}
			if tc.wantErr == nil {
				steps[0].Check = resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(jobAddr, "status", "running"),
					func(*terraform.State) error { return sentByApply() })
			} else {
				steps[0].ExpectError = tc.wantErr
				steps = append(steps, resource.TestStep{
					PreConfig: func() {
						if err := sentByApply(); err != nil {
							t.Error(err)
						}
					},
					RefreshState:       true,
					ExpectNonEmptyPlan: true, // tainted
				})
			}
			env.run(t, resource.TestCase{
				ProtoV6ProviderFactories: observedFactories(Options{RetryPolicy: testRetryPolicy}, applies),
				Steps:                    steps,
			})
		})
	}
}
