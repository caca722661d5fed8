package bench

import (
	"context"
	"fmt"
	"slices"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
)

// Variants of the plugin-floor phase: the same Terraform commands over N
// resources of each kind.
const (
	VariantOurs = "ours"
	// VariantOursSDKLogs is ours with every SDK, framework and provider log
	// level set to TRACE, as the provider ran before it matched them to
	// Terraform's: the before/after of that change, side by side.
	VariantOursSDKLogs = "ours, all SDK logs"
	VariantBare        = "bare provider"
	// VariantBareJob is the bare provider's bare_job: tensorpool_job's
	// schema with no logic and no engine.
	VariantBareJob    = "bare, job schema"
	VariantTimeStatic = "time_static"
	VariantTFData     = "terraform_data"
)

// Operations of the plugin-floor phase.
const (
	OpPlan    = "plan"
	OpApply   = "apply"
	OpDestroy = "destroy"
)

// sdkTraceEnv turns on every log line the SDK, the framework and the
// provider produce, whatever TF_LOG says: the provider's old default.
var sdkTraceEnv = []string{"TF_LOG_SDK=TRACE", "TF_LOG_SDK_PROTO=TRACE", "TF_LOG_SDK_FRAMEWORK=TRACE", "TF_LOG_PROVIDER_TENSORPOOL=TRACE"}

// FloorSample is one timed Terraform command.
type FloorSample struct {
	WallSeconds float64 `json:"wall_s"`
	// CPUSeconds is Terraform's and its provider processes' user + system
	// time (rusage at exit).
	CPUSeconds float64 `json:"cpu_s"`
	// ProviderCPUSeconds is the provider processes' share, as sampled.
	ProviderCPUSeconds float64 `json:"provider_cpu_s"`
	PeakRSSMiB         float64 `json:"provider_peak_rss_mib"`
	// Connections are the TCP connections the engine accepted, Requests the
	// requests it served (ours only).
	Connections int `json:"connections"`
	Requests    int `json:"requests"`
	// Changes is set when a plan proposed changes (it should find none).
	Changes bool `json:"changes,omitempty"`
}

// FloorRun is one operation of one variant at one N, repeated.
type FloorRun struct {
	Variant string        `json:"variant"`
	Op      string        `json:"op"`
	Jobs    int           `json:"jobs"`
	Samples []FloorSample `json:"samples"`
}

// Median is the median of each figure over the samples (nearest rank, each
// figure on its own); Changes is set when any sample had changes.
func (r FloorRun) Median() FloorSample {
	pick := func(f func(FloorSample) float64) float64 {
		xs := make([]float64, len(r.Samples))
		for i, s := range r.Samples {
			xs[i] = f(s)
		}
		return Percentile(xs, 50)
	}
	m := FloorSample{
		WallSeconds:        pick(func(s FloorSample) float64 { return s.WallSeconds }),
		CPUSeconds:         pick(func(s FloorSample) float64 { return s.CPUSeconds }),
		ProviderCPUSeconds: pick(func(s FloorSample) float64 { return s.ProviderCPUSeconds }),
		PeakRSSMiB:         pick(func(s FloorSample) float64 { return s.PeakRSSMiB }),
		Connections:        int(pick(func(s FloorSample) float64 { return float64(s.Connections) })),
		Requests:           int(pick(func(s FloorSample) float64 { return float64(s.Requests) })),
	}
	for _, s := range r.Samples {
		m.Changes = m.Changes || s.Changes
	}
	return m
}

// floorVariant is how one variant's workspaces are made.
type floorVariant struct {
	name   string
	config func(n int, s *Suite) string
	env    []string
	// engine is set for ours: the workspace talks to the simulator.
	engine bool
	// plansOnly variants reuse another variant's state (ours).
	plansOnly bool
}

func floorVariants() []floorVariant {
	ours := func(n int, s *Suite) string { return JobsConfig(n, benchCluster, s.sourceDir) }
	return []floorVariant{
		{name: VariantOurs, config: ours, engine: true},
		{name: VariantOursSDKLogs, config: ours, engine: true, env: sdkTraceEnv, plansOnly: true},
		{name: VariantBare, config: func(n int, _ *Suite) string { return BareConfig(n) }},
		{name: VariantBareJob, config: func(n int, s *Suite) string { return BareJobConfig(n, benchCluster, s.sourceDir) }},
		{name: VariantTimeStatic, config: func(n int, _ *Suite) string { return TimeStaticConfig(n) }},
		{name: VariantTFData, config: func(n int, _ *Suite) string { return TerraformDataConfig(n) }},
	}
}

// BareConfig is n resources of the bare framework provider: one computed id
// each, no logic.
func BareConfig(n int) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    bare = {
      source = "bench/bare"
    }
  }
}

resource "bare_thing" "bench" {
  count = %d
}
`, n)
}

// BareJobConfig is n bare_job resources, configured as JobsConfig
// configures ours.
func BareJobConfig(n int, cluster, sourceDir string) string {
	return jobsConfigOf("bare", "bench/bare", n, cluster, sourceDir)
}

// TimeStaticConfig is n time_static resources of terraform-provider-time.
func TimeStaticConfig(n int) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    time = {
      source = "hashicorp/time"
    }
  }
}

resource "time_static" "bench" {
  count = %d
}
`, n)
}

// floorPhase runs, for every variant and interleaved, PlanReps rounds of: a
// plan over each FloorJobs count other than FloorApplyJobs (applied once
// beforehand), then at FloorApplyJobs an apply from an empty state, a plan
// and a destroy. The variants take turns in a different order each round,
// so that load on the machine falls on all of them alike; the engine
// answers at once (latency 0).
func (s *Suite) floorPhase(ctx context.Context) error {
	provs, err := s.buildFloorProviders(ctx)
	if err != nil {
		return err
	}
	env, err := s.startSim(0, 0)
	if err != nil {
		return err
	}
	defer env.Close()

	variants := floorVariants()
	// Workspaces by variant name and N; the logs variant shares ours.
	ws := map[string]map[int]*tfharness.Workspace{}
	for _, v := range variants {
		ws[v.name] = map[int]*tfharness.Workspace{}
		for _, n := range s.cfg.FloorJobs {
			owner := v.name
			if v.plansOnly {
				owner = VariantOurs
			}
			w, err := s.h.Workspace(fmt.Sprintf("floor-%s-%d", slug(owner), n), v.config(n, s))
			if err != nil {
				return err
			}
			w.Env = append(slices.Clone(s.cfg.Env), "TF_CLI_CONFIG_FILE="+provs.rcPath)
			if v.engine {
				w.Env = append(w.Env, "TENSORPOOL_KEY="+benchKey, "TENSORPOOL_ENGINE="+env.url)
			}
			w.Env = append(w.Env, v.env...)
			ws[v.name][n] = w
		}
	}
	runs := map[string]*FloorRun{}
	record := func(v, op string, n int, sample FloorSample) {
		key := fmt.Sprintf("%s|%s|%d", v, op, n)
		if runs[key] == nil {
			runs[key] = &FloorRun{Variant: v, Op: op, Jobs: n}
		}
		runs[key].Samples = append(runs[key].Samples, sample)
	}
	timed := func(v floorVariant, op string, n int) error {
		args := s.flags(op, "-auto-approve")
		ok := []int{0}
		if op == OpPlan {
			args, ok = s.flags(op, "-refresh=true", "-detailed-exitcode"), []int{0, 2}
		}
		env.engine().ResetStats()
		conns := env.connections()
		tr, err := s.run(ctx, ws[v.name][n], true, ok, args...)
		if err != nil {
			return fmt.Errorf("%s: %s N=%d: %w", v.name, op, n, err)
		}
		sample := FloorSample{
			WallSeconds: tr.wall.Seconds(), CPUSeconds: tr.cpu.Seconds(), ProviderCPUSeconds: tr.providerCPU,
			PeakRSSMiB: mib(tr.peakRSS), Changes: op == OpPlan && tr.exitCode == 2,
		}
		if v.engine {
			sample.Connections = int(env.connections() - conns)
			sample.Requests = SumCounts(env.engine().Stats())
		}
		record(v.name, op, n, sample)
		s.logf("floor: %s %s N=%d: wall %.2fs, cpu %.2fs (provider %.2fs), peak RSS %.1f MiB, %d connections, %d requests",
			v.name, op, n, sample.WallSeconds, sample.CPUSeconds, sample.ProviderCPUSeconds, sample.PeakRSSMiB, sample.Connections, sample.Requests)
		return nil
	}

	big := s.cfg.FloorApplyJobs
	var small []int
	for _, n := range s.cfg.FloorJobs {
		if n != big {
			small = append(small, n)
		}
	}
	owners := slices.DeleteFunc(slices.Clone(variants), func(v floorVariant) bool { return v.plansOnly })
	for _, v := range owners {
		for _, n := range small {
			s.logf("floor: %s: applying %d", v.name, n)
			if _, err := s.run(ctx, ws[v.name][n], false, []int{0}, s.flags("apply", "-auto-approve")...); err != nil {
				return fmt.Errorf("%s: apply N=%d: %w", v.name, n, err)
			}
		}
	}
	for rep := range s.cfg.PlanReps {
		for i := range owners {
			v := owners[(i+rep)%len(owners)]
			group := []floorVariant{v}
			if v.name == VariantOurs {
				group = append(group, variants[slices.IndexFunc(variants, func(x floorVariant) bool { return x.name == VariantOursSDKLogs })])
			}
			for _, n := range small {
				for _, g := range group {
					if err := timed(g, OpPlan, n); err != nil {
						return err
					}
				}
			}
			if err := timed(v, OpApply, big); err != nil {
				return err
			}
			for _, g := range group {
				if err := timed(g, OpPlan, big); err != nil {
					return err
				}
			}
			if err := timed(v, OpDestroy, big); err != nil {
				return err
			}
		}
	}
	for _, v := range owners {
		for _, n := range small {
			if _, err := s.run(ctx, ws[v.name][n], false, []int{0}, s.flags("destroy", "-auto-approve")...); err != nil {
				return fmt.Errorf("%s: destroy N=%d: %w", v.name, n, err)
			}
		}
	}
	out := make([]FloorRun, 0, len(runs))
	for _, r := range runs {
		out = append(out, *r)
	}
	SortFloorRuns(out)
	s.reportMu.Lock()
	s.report.Floor = out
	s.reportMu.Unlock()
	return nil
}

// slug makes a variant name usable in a directory name.
func slug(name string) string {
	b := []byte(name)
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '-'
		}
	}
	return string(b)
}
