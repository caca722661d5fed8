// Command tensorpool-bench is `make bench`: it runs the real Terraform CLI
// against the in-process TensorPool engine simulator and prints a Markdown
// table of what users feel (destroy lag and wall time, requests per
// destroyed job and per refreshed job, the wait_for notice lag, apply rate,
// provider memory, cluster create → destroy request lag and requests per
// cluster, examples/train-on-new-cluster's apply and destroy against their
// critical-path floor), next to a reference poller that waits the way the official CLI
// does.
//
//	go run ./internal/testing/cmd/tensorpool-bench              # the full suite (under 10 minutes)
//	go run ./internal/testing/cmd/tensorpool-bench -quick       # a smoke run (about a minute)
//	BENCH_JSON=bench.json go run ./internal/testing/cmd/tensorpool-bench
//	go run ./internal/testing/cmd/tensorpool-bench -only refresh -env GOGC=50   # one phase, an experiment
//	go run ./internal/testing/cmd/tensorpool-bench -only clusters               # the cluster create → destroy runs alone
//	go run ./internal/testing/cmd/tensorpool-bench -only lag,waitfor            # destroy lag and wait_for notice lag
//	go run ./internal/testing/cmd/tensorpool-bench -only fullstack              # examples/train-on-new-cluster against its critical-path floor
//
// Progress goes to stderr, the table to stdout. It exits 1 when a scenario
// fails (and, with -fail-on-miss, when a target is missed).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/bench"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tensorpool-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "a fast smoke run: few jobs, short cancel latencies (figures not to steer by)")
	terraform := fs.String("terraform", "", "Terraform CLI to run (default: $TF_ACC_TERRAFORM_PATH, else .tools/bin/terraform)")
	jsonPath := fs.String("json", os.Getenv("BENCH_JSON"), "also write the report as JSON to this file (default: $BENCH_JSON)")
	mdPath := fs.String("markdown", "", "also write the Markdown table to this file")
	timeout := fs.Duration("timeout", 30*time.Minute, "stop the run after this long")
	keep := fs.Bool("keep", false, "keep the scratch directory (workspaces, state, provider binary)")
	failOnMiss := fs.Bool("fail-on-miss", false, "exit 1 when a target is not met")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	only := fs.String("only", "", "run only these phases, comma-separated: lag, waitfor, wall, refresh, floor, clusters, fullstack (the memory figures come with refresh and floor)")
	profile := fs.String("profile", "", "instead of the suite: profile the provider (CPU and allocations) during one plan of -profile-jobs jobs, into this directory")
	profileJobs := fs.Int("profile-jobs", 500, "the job count of -profile")
	var env multiFlag
	fs.Var(&env, "env", "KEY=VALUE added to the environment of Terraform and the provider (repeatable), e.g. -env GOGC=50")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tensorpool-bench: unexpected arguments %q\n", fs.Args())
		return 2
	}

	cfg := bench.FullConfig()
	if *quick {
		cfg = bench.QuickConfig()
	}
	cfg.Terraform = *terraform
	if cfg.Terraform == "" {
		tf, err := tfharness.FindTerraform()
		if err != nil {
			fmt.Fprintf(stderr, "tensorpool-bench: %v\n", err)
			return 1
		}
		cfg.Terraform = tf
	}
	cfg.Keep = *keep
	cfg.Env = env
	if *only != "" {
		for _, p := range strings.Split(*only, ",") {
			cfg.Only = append(cfg.Only, strings.TrimSpace(p))
		}
	}
	if !*quiet {
		cfg.Log = stderr
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "tensorpool-bench: %v\n", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	if *profile != "" {
		if err := bench.Profile(ctx, cfg, *profileJobs, *profile); err != nil {
			fmt.Fprintf(stderr, "tensorpool-bench: %v\n", err)
			return 1
		}
		return 0
	}
	report, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "tensorpool-bench: %v\n", err)
		return 1
	}
	if err := report.WriteMarkdown(stdout); err != nil {
		fmt.Fprintf(stderr, "tensorpool-bench: %v\n", err)
		return 1
	}
	for path, write := range map[string]func(io.Writer) error{*jsonPath: report.WriteJSON, *mdPath: report.WriteMarkdown} {
		if path == "" {
			continue
		}
		if err := writeFile(path, write); err != nil {
			fmt.Fprintf(stderr, "tensorpool-bench: %v\n", err)
			return 1
		}
	}
	met, total := report.Score()
	fmt.Fprintf(stderr, "tensorpool-bench: %d of %d targets met, %d scenario errors, %s\n", met, total, len(report.Errors),
		time.Duration(report.ElapsedSeconds*float64(time.Second)).Round(time.Second))
	if len(report.Errors) > 0 || (*failOnMiss && met < total) {
		return 1
	}
	return 0
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, " ") }

func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
