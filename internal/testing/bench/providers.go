package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
)

// The providers the plugin-floor phase compares ours with.
const (
	// bareProviderPackage is the bare framework provider (bench/bare).
	bareProviderPackage = "./internal/testing/bench/bareprovider"
	// timeModule is terraform-provider-time, whose time_static is a framework
	// resource with a schema as wide as ours; built from the module proxy,
	// never vendored here.
	timeModule  = "github.com/hashicorp/terraform-provider-time"
	timeVersion = "v0.14.2"
)

// floorProviders are the binaries of the plugin-floor phase and a CLI
// configuration whose dev overrides serve them next to ours.
type floorProviders struct {
	// rcPath is the CLI configuration (TF_CLI_CONFIG_FILE).
	rcPath string
}

// buildFloorProviders builds the bare provider into root and
// terraform-provider-time (cached under the user's cache directory, as it
// takes a while), and writes a CLI configuration with dev overrides for
// tensorpool/tensorpool, bench/bare and hashicorp/time.
func (s *Suite) buildFloorProviders(ctx context.Context) (*floorProviders, error) {
	modRoot, err := tfharness.ModuleRoot()
	if err != nil {
		return nil, err
	}
	bareDir := filepath.Join(s.root, "bare-bin")
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bareDir, "terraform-provider-bare"), bareProviderPackage) //nolint:gosec // G204: builds this module's package into the run's scratch directory.
	build.Dir = modRoot
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the bare provider: %w\n%s", err, out)
	}
	timeDir, err := s.timeProvider(ctx)
	if err != nil {
		return nil, err
	}
	p := &floorProviders{rcPath: filepath.Join(s.root, "terraformrc-floor")}
	rc := fmt.Sprintf(`provider_installation {
  dev_overrides {
    "tensorpool/tensorpool" = %q
    "bench/bare"            = %q
    "hashicorp/time"        = %q
  }
  direct {}
}
`, s.h.ProviderDir, bareDir, timeDir)
	return p, os.WriteFile(p.rcPath, []byte(rc), 0o600)
}

// timeProvider returns the directory holding terraform-provider-time
// timeVersion, building it from a writable copy of the module on first use.
func (s *Suite) timeProvider(ctx context.Context) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "tensorpool-bench", "terraform-provider-time_"+timeVersion)
	bin := filepath.Join(dir, "terraform-provider-time")
	if _, err := os.Stat(bin); err == nil {
		return dir, nil
	}
	s.logf("building terraform-provider-time %s (once; cached in %s)", timeVersion, dir)
	out, err := exec.CommandContext(ctx, "go", "mod", "download", "-json", timeModule+"@"+timeVersion).Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w", timeModule, timeVersion, err)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w", timeModule, timeVersion, err)
	}
	if mod.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: no directory (%s)", timeModule, timeVersion, mod.Error)
	}
	src := filepath.Join(s.root, "time-src") // the module cache is read-only
	if err := os.CopyFS(src, os.DirFS(mod.Dir)); err != nil {
		return "", err
	}
	tmp := filepath.Join(s.root, "time-bin", "terraform-provider-time")
	build := exec.CommandContext(ctx, "go", "build", "-o", tmp, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building terraform-provider-time: %w\n%s", err, out)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	data, err := os.ReadFile(tmp) //nolint:gosec // G304: the binary this function just built.
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(bin+".tmp", data, 0o700); err != nil { //nolint:gosec // G306: an executable.
		return "", err
	}
	return dir, os.Rename(bin+".tmp", bin)
}
