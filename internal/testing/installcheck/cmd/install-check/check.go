package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/installcheck"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// check runs every step for one CLI.
type check struct {
	bin, work, registry, caFile string
	rel                         *installcheck.Release
	reg                         *installcheck.Registry
	key                         *installcheck.SigningKey
	engine                      *sim.Server
	// version is the CLI's `version` line; host is the registry host it
	// resolves installcheck.Source on.
	version, host string
}

// refusals are the causes each CLI must name for refusing a variant (the
// same words in Terraform and OpenTofu).
var refusals = map[string]*regexp.Regexp{
	installcheck.TamperedZip:      regexp.MustCompile(`archive has incorrect checksum`),
	installcheck.ForgedSums:       regexp.MustCompile(`error checking signature`),
	installcheck.ForeignSignature: regexp.MustCompile(`signature from unknown issuer`),
}

const mainTF = `terraform {
  required_providers {
    tensorpool = {
      source  = %q
      version = %q
    }
  }
}

resource "tensorpool_job" "check" {
  cluster_id = %q
  config     = "commands = [\"python train.py\"]"
  source_dir = "${path.module}/job"
}

output "job_id" {
  value = tensorpool_job.check.id
}
`

// A registry user's CLI configuration: no provider_installation block (so
// no dev_overrides and no mirror) and no plugin cache; only the registry
// host's provider service points at the loopback registry.
const cliConfig = `host %q {
  services = {
    "providers.v1" = "%s/%s/v1/providers/"
  }
}
`

func (c *check) identify(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, c.bin, "version") //nolint:gosec // G204: the CLI under check, by design
	cmd.Env = c.env("")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s version: %w", c.bin, err)
	}
	c.version, _, _ = strings.Cut(string(out), "\n")
	c.host = "registry.terraform.io"
	if strings.HasPrefix(c.version, "OpenTofu") {
		c.host = "registry.opentofu.org"
	}
	return nil
}

// all runs the checks, prints each outcome and returns how many failed.
func (c *check) all(ctx context.Context) (failed int) {
	report := func(name string, start time.Time, detail string, err error) bool {
		if err != nil {
			failed++
			fmt.Printf("  FAIL  %s: %v\n", name, err)
			return false
		}
		fmt.Printf("  ok    %s (%s)\n", name, since(start))
		if detail != "" {
			fmt.Printf("          %s\n", detail)
		}
		return true
	}
	t := time.Now()
	dir, err := c.install(ctx)
	if !report("init installs it from the registry, signed by key ID "+c.key.KeyID, t, "", err) {
		return failed
	}
	t = time.Now()
	report(".terraform.lock.hcl holds the served archive's h1: and zh: hashes", t, "", c.lockFile(dir))
	t = time.Now()
	report("plan, apply and destroy of a tensorpool_job against the simulator", t, "", c.lifecycle(ctx, dir))
	for _, mode := range installcheck.Modes[1:] {
		t = time.Now()
		cause, err := c.refused(ctx, mode)
		report("init refuses the "+mode+" variant", t, cause, err)
	}
	return failed
}

func (c *check) install(ctx context.Context) (string, error) {
	before := c.reg.Downloads(installcheck.Genuine)
	dir, out, err := c.init(ctx, installcheck.Genuine)
	if err != nil {
		return dir, fmt.Errorf("init: %w\n%s", err, out)
	}
	want := fmt.Sprintf("Installed %s v%s (", installcheck.Source, releaseVersion)
	if !strings.Contains(out, want) || !strings.Contains(out, "key ID "+c.key.KeyID) {
		return dir, fmt.Errorf("init does not report %q signed by key ID %s:\n%s", want, c.key.KeyID, out)
	}
	if n := c.reg.Downloads(installcheck.Genuine) - before; n != 1 {
		return dir, fmt.Errorf("the registry served the zip %d times, want once", n)
	}
	// Unpacked into the working directory (a plugin cache would link it).
	installed := filepath.Join(dir, ".terraform", "providers", c.host, installcheck.Source, releaseVersion, runtime.GOOS+"_"+runtime.GOARCH)
	fi, err := os.Lstat(installed)
	if err == nil && !fi.IsDir() {
		err = fmt.Errorf("%s is a %v, not a directory", installed, fi.Mode().Type())
	}
	return dir, err
}

func (c *check) lockFile(dir string) error {
	src, err := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl"))
	if err != nil {
		return err
	}
	addr, version, hashes := installcheck.ParseLockFile(src)
	if addr != c.host+"/"+installcheck.Source || version != releaseVersion {
		return fmt.Errorf("the lock file pins %q %q, want %s/%s %s", addr, version, c.host, installcheck.Source, releaseVersion)
	}
	// Computed here from the bytes the registry served, never read back from
	// the lock file: the zip's h1: and zh:, and a zh: for every line of the
	// signed SHA256SUMS (the CLIs lock them all, the manifest's too).
	zip := c.reg.ServedZip(installcheck.Genuine)
	h1, err := installcheck.HashH1(zip)
	if err != nil {
		return err
	}
	want := []string{h1, installcheck.HashZH(zip)}
	for l := range strings.Lines(string(c.rel.Sums)) {
		if digest, _, ok := strings.Cut(l, "  "); ok {
			want = append(want, "zh:"+digest)
		}
	}
	slices.Sort(want)
	if want, got := slices.Compact(want), slices.Sorted(slices.Values(hashes)); !slices.Equal(got, want) {
		return fmt.Errorf("the lock file's hashes are %v, want %v", got, want)
	}
	return nil
}

func (c *check) lifecycle(ctx context.Context, dir string) error {
	g := installcheck.Genuine
	out, err := c.run(ctx, dir, g, "plan", "-input=false", "-no-color", "-detailed-exitcode")
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(out, "1 to add") {
		return fmt.Errorf("plan: want exit 2 and 1 to add, got %w:\n%s", err, out)
	}
	if strings.Contains(out, "development overrides") {
		return fmt.Errorf("plan ran under dev_overrides:\n%s", out)
	}
	if out, err := c.run(ctx, dir, g, "apply", "-input=false", "-no-color", "-auto-approve"); err != nil {
		return fmt.Errorf("apply: %w\n%s", err, out)
	}
	id, err := c.run(ctx, dir, g, "output", "-raw", "job_id")
	if err != nil {
		return fmt.Errorf("output: %w\n%s", err, id)
	}
	if job, ok := c.engine.Engine.Job(id); !ok || sim.IsTerminal(job.Status) {
		return fmt.Errorf("after apply the engine has job %q: %t, status %q", id, ok, job.Status)
	}
	if out, err := c.run(ctx, dir, g, "destroy", "-input=false", "-no-color", "-auto-approve"); err != nil {
		return fmt.Errorf("destroy: %w\n%s", err, out)
	}
	if job, _ := c.engine.Engine.Job(id); !sim.IsTerminal(job.Status) {
		return fmt.Errorf("after destroy job %s is %q", id, job.Status)
	}
	return nil
}

// refused runs init against a tampered variant and returns the cause the CLI
// names.
func (c *check) refused(ctx context.Context, mode string) (string, error) {
	dir, out, err := c.init(ctx, mode)
	if err == nil {
		return "", fmt.Errorf("init succeeded:\n%s", out)
	}
	cause := causeIn(out, refusals[mode])
	if cause == "" {
		return "", fmt.Errorf("init failed without %q:\n%s", refusals[mode], out)
	}
	// The CLI hashed the bytes it downloaded and held them to the signed
	// digest (both computed here).
	got, want := installcheck.HashZH(c.reg.ServedZip(mode)), installcheck.HashZH(c.rel.Zip)
	if mode == installcheck.TamperedZip && (!strings.Contains(cause, got) || !strings.Contains(cause, want)) {
		return cause, fmt.Errorf("the cause does not name %s and %s", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, ".terraform", "providers", c.host)); !errors.Is(err, os.ErrNotExist) {
		return cause, fmt.Errorf("the refused provider was installed (%w)", err)
	}
	if src, _ := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl")); bytes.Contains(src, []byte("provider ")) {
		return cause, errors.New("the refused provider is in the lock file")
	}
	return cause, nil
}

// causeIn returns the paragraph of a CLI's output that matches re, its lines
// (wrapped to the terminal width) joined and box drawing dropped.
func causeIn(out string, re *regexp.Regexp) string {
	var para []string
	for l := range strings.Lines(out + "\n\n") {
		if l = strings.TrimSpace(strings.Trim(strings.TrimSpace(l), "│╷╵")); l != "" {
			para = append(para, l)
		} else if joined := strings.Join(para, " "); re.MatchString(joined) {
			return joined
		} else {
			para = nil
		}
	}
	return ""
}

// init writes a fresh configuration and CLI configuration for a mode and
// runs init there.
func (c *check) init(ctx context.Context, mode string) (dir, out string, err error) {
	dir = filepath.Join(c.work, mode)
	for _, d := range []string{filepath.Join(dir, "job"), filepath.Join(c.work, "home")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return dir, "", err
		}
	}
	for path, content := range map[string]string{
		filepath.Join(dir, "main.tf"):         fmt.Sprintf(mainTF, installcheck.Source, constraint, cluster),
		filepath.Join(dir, "job", "train.py"): "print('installed from the registry')\n",
		filepath.Join(c.work, mode+".tfrc"):   fmt.Sprintf(cliConfig, c.host, c.registry, mode),
	} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			return dir, "", err
		}
	}
	out, err = c.run(ctx, dir, mode, "init", "-input=false", "-no-color")
	return dir, out, err
}

// env is a registry user's environment in a mode: nothing inherited but PATH
// and TMPDIR (no TF_* variable), a fresh HOME and data dirs (so no plugin
// cache or local mirror either), the mode's CLI configuration (none for mode
// "") and the throwaway CA.
func (c *check) env(mode string) []string {
	home, rc := filepath.Join(c.work, "home"), ""
	if mode != "" {
		rc = filepath.Join(c.work, mode+".tfrc")
	}
	return []string{
		"PATH=" + os.Getenv("PATH"), "TMPDIR=" + os.TempDir(),
		"HOME=" + home, "XDG_DATA_HOME=" + home, "XDG_DATA_DIRS=" + home, "XDG_CONFIG_HOME=" + home,
		"TF_CLI_CONFIG_FILE=" + rc, "SSL_CERT_FILE=" + c.caFile, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"TENSORPOOL_KEY=" + apiKey, "TENSORPOOL_ENGINE=" + c.engine.URL,
	}
}

// run runs the CLI in dir in a mode's environment.
func (c *check) run(ctx context.Context, dir, mode string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...) //nolint:gosec // G204: the CLI under check, by design
	cmd.Dir, cmd.Env = dir, c.env(mode)
	// On timeout or Ctrl-C, let the CLI stop its provider process itself.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
