// Package tfharness runs the real Terraform (or OpenTofu) CLI against a
// provider binary built from this tree, through a dev override: no registry,
// no network. End-to-end tests that need a real process tree (signals,
// TF_LOG files) and the benchmarks use it.
//
// It does not use hashicorp/terraform-exec (in the module graph through
// terraform-plugin-testing): the tests run command lines exactly as the
// README tells a user to type them and assert on the CLI's own text and exit
// code, which a thin exec wrapper keeps identical, while terraform-exec's
// typed options would put a translation layer between the two.
package tfharness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Harness holds a built provider and the CLI configuration that points
// Terraform at it.
type Harness struct {
	// Terraform is the CLI binary (terraform or tofu).
	Terraform string
	// Root is a scratch directory owned by the harness.
	Root        string
	ProviderDir string
	rcPath      string
	race        bool
}

// BuildOptions say how the provider binary is built.
type BuildOptions struct {
	// Race builds the provider with the race detector. A detected race
	// stops the provider (GORACE halt_on_error) and its report, written to a
	// file under Root, makes the command's Run return an error: Terraform
	// itself shows only a failed request, and keeps the provider's stderr
	// for its own log.
	Race bool
}

// ModuleRoot returns the directory of this Go module.
func ModuleRoot() (string, error) {
	out, err := exec.CommandContext(context.Background(), "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the provider's Go module")
	}
	return filepath.Dir(mod), nil
}

// FindTerraform returns the CLI named by TF_ACC_TERRAFORM_PATH, else the one
// `make` installs into .tools/bin.
func FindTerraform() (string, error) {
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, ".tools", "bin", "terraform")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no Terraform CLI at %s: run `make terraform` or set TF_ACC_TERRAFORM_PATH", p)
	}
	return p, nil
}

// New builds the provider into root and writes a CLI configuration whose
// dev override serves it for both tensorpool/tensorpool and the implicit
// hashicorp/tensorpool address.
func New(ctx context.Context, terraform, root string) (*Harness, error) {
	return NewWith(ctx, terraform, root, BuildOptions{})
}

// NewWith is New with build options.
func NewWith(ctx context.Context, terraform, root string, opts BuildOptions) (*Harness, error) {
	modRoot, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	h := &Harness{Terraform: terraform, Root: root, ProviderDir: filepath.Join(root, "provider-bin"), race: opts.Race}
	args := []string{"build", "-o", filepath.Join(h.ProviderDir, "terraform-provider-tensorpool")}
	if opts.Race {
		args = append(args, "-race")
	}
	build := exec.CommandContext(ctx, "go", append(args, ".")...) //nolint:gosec // G204: the harness builds the provider into its own scratch directory, by design.
	build.Dir = modRoot
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the provider: %w\n%s", err, out)
	}
	if opts.Race {
		if err := os.MkdirAll(h.raceLogDir(), 0o700); err != nil {
			return nil, err
		}
	}
	h.rcPath = filepath.Join(root, "terraformrc")
	rc := fmt.Sprintf(`provider_installation {
  dev_overrides {
    "tensorpool/tensorpool" = %q
    "hashicorp/tensorpool"  = %q
  }
  direct {}
}
`, h.ProviderDir, h.ProviderDir)
	if err := os.WriteFile(h.rcPath, []byte(rc), 0o600); err != nil {
		return nil, err
	}
	return h, nil
}

// Workspace is one Terraform working directory.
type Workspace struct {
	Dir string
	// Env is added to every command's environment (KEY=value).
	Env []string
	h   *Harness
}

// Workspace creates a working directory holding main.tf.
func (h *Harness) Workspace(name, config string) (*Workspace, error) {
	dir := filepath.Join(h.Root, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	w := &Workspace{Dir: dir, h: h}
	return w, w.WriteConfig(config)
}

// WorkspaceFromDir creates a working directory holding a copy of the files
// and folders under src (an example, say), and no main.tf of its own.
func (h *Harness) WorkspaceFromDir(name, src string) (*Workspace, error) {
	dir := filepath.Join(h.Root, name)
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		return nil, fmt.Errorf("copying %s: %w", src, err)
	}
	return &Workspace{Dir: dir, h: h}, nil
}

// WriteConfig replaces main.tf.
func (w *Workspace) WriteConfig(config string) error {
	return os.WriteFile(filepath.Join(w.Dir, "main.tf"), []byte(config), 0o600)
}

// plainOutput turns colours off for every command whose output a test
// reads: Terraform 1.5 ignores NO_COLOR, and escape codes inside a line
// would make a search for `status = "running" -> "canceled"` miss.
var plainOutput = []string{
	"TF_CLI_ARGS_init=-no-color", "TF_CLI_ARGS_plan=-no-color", "TF_CLI_ARGS_apply=-no-color",
	"TF_CLI_ARGS_destroy=-no-color", "TF_CLI_ARGS_import=-no-color", "TF_CLI_ARGS_refresh=-no-color",
	"TF_CLI_ARGS_validate=-no-color", "TF_CLI_ARGS_output=-no-color", "TF_CLI_ARGS_show=-no-color",
}

// Command prepares a CLI command in the workspace. The environment is the
// current one minus Terraform settings that would change the run, plus the
// dev override, plain-text output and w.Env.
func (w *Workspace) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.h.Terraform, args...) //nolint:gosec // G204: the harness runs the Terraform CLI its caller names, with the caller's arguments, by design.
	cmd.Dir = w.Dir
	env := make([]string, 0, len(os.Environ())+8)
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TF_") || strings.HasPrefix(kv, "TENSORPOOL_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+w.h.rcPath, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "NO_COLOR=1")
	env = append(env, plainOutput...)
	if w.h.race {
		// atexit_sleep_ms=0: the default second of sleep at every exit of
		// every provider process would add seconds to each command.
		env = append(env, "GORACE=halt_on_error=1 atexit_sleep_ms=0 log_path="+filepath.Join(w.h.raceLogDir(), "race"))
	}
	cmd.Env = append(env, w.Env...)
	return cmd
}

// Result is a finished command.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

// Output is stdout and stderr together, for error messages and searches.
func (r Result) Output() string { return r.Stdout + r.Stderr }

// Run runs a command to completion. A non-zero exit is not an error here:
// it is in the Result, for tests that expect failures. A data race detected
// in a race-built provider is.
func (w *Workspace) Run(ctx context.Context, args ...string) (Result, error) {
	cmd := w.Command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		res.ExitCode = exitErr.ExitCode()
		err = nil
	}
	if err == nil {
		err = w.h.raceReports()
	}
	return res, err
}

// raceLogDir holds the race detector's reports from provider processes.
func (h *Harness) raceLogDir() string { return filepath.Join(h.Root, "race-reports") }

// raceReports returns an error carrying the race reports the provider
// processes wrote since the last call, or nil.
func (h *Harness) raceReports() error {
	if !h.race {
		return nil
	}
	files, err := filepath.Glob(filepath.Join(h.raceLogDir(), "race.*"))
	if err != nil || len(files) == 0 {
		return err
	}
	var reports []string
	for _, f := range files {
		data, err := os.ReadFile(f) //nolint:gosec // G304: the harness reads the reports it told the race detector to write.
		if err != nil {
			return err
		}
		reports = append(reports, string(data))
		if err := os.Remove(f); err != nil { // report each race once
			return err
		}
	}
	return fmt.Errorf("the provider detected a data race:\n%s", strings.Join(reports, "\n"))
}

// MustSucceed runs a command and turns a non-zero exit into an error that
// carries the output.
func (w *Workspace) MustSucceed(ctx context.Context, args ...string) (Result, error) {
	res, err := w.Run(ctx, args...)
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("terraform %s exited %d:\n%s", strings.Join(args, " "), res.ExitCode, res.Output())
	}
	return res, err
}

// StateResource is one resource instance in the state.
type StateResource struct {
	Address string
	Values  map[string]any
}

// State returns the resources in the workspace's state (`terraform show -json`).
func (w *Workspace) State(ctx context.Context) ([]StateResource, error) {
	res, err := w.MustSucceed(ctx, "show", "-json")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Values *struct {
			RootModule struct {
				Resources []struct {
					Address string         `json:"address"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &doc); err != nil {
		return nil, fmt.Errorf("parsing terraform show -json: %w", err)
	}
	if doc.Values == nil {
		return nil, nil
	}
	out := make([]StateResource, 0, len(doc.Values.RootModule.Resources))
	for _, r := range doc.Values.RootModule.Resources {
		out = append(out, StateResource{Address: r.Address, Values: r.Values})
	}
	return out, nil
}

// StateIDs returns the ids of every managed resource of the given type in
// the root module's state (data sources are not included).
func (w *Workspace) StateIDs(ctx context.Context, resourceType string) ([]string, error) {
	resources, err := w.State(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range resources {
		if strings.HasPrefix(r.Address, resourceType+".") {
			if id, ok := r.Values["id"].(string); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids, nil
}

// CLIVersion is the harness's CLI and its version.
type CLIVersion struct {
	OpenTofu bool
	Major    int
	Minor    int
	Patch    int
}

// AtLeastTerraform reports whether the CLI is Terraform (not OpenTofu) major.minor or
// later: features such as actions and resource identity exist only there.
func (v CLIVersion) AtLeastTerraform(major, minor int) bool {
	return !v.OpenTofu && (v.Major > major || (v.Major == major && v.Minor >= minor))
}

// HasProviderFunctions reports whether the CLI calls provider-defined
// functions: Terraform 1.8 and OpenTofu 1.7 brought them.
func (v CLIVersion) HasProviderFunctions() bool {
	minor := 8
	if v.OpenTofu {
		minor = 7
	}
	return v.Major > 1 || (v.Major == 1 && v.Minor >= minor)
}

// Version asks the CLI for its version (`version -json`).
func (h *Harness) Version(ctx context.Context) (CLIVersion, error) {
	out, err := exec.CommandContext(ctx, h.Terraform, "version", "-json").Output() //nolint:gosec // G204: the harness's own CLI binary
	if err != nil {
		return CLIVersion{}, fmt.Errorf("%s version -json: %w", h.Terraform, err)
	}
	var doc struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return CLIVersion{}, fmt.Errorf("parsing %s version -json: %w", h.Terraform, err)
	}
	var v CLIVersion
	if _, err := fmt.Sscanf(doc.Version, "%d.%d.%d", &v.Major, &v.Minor, &v.Patch); err != nil {
		return CLIVersion{}, fmt.Errorf("parsing version %q: %w", doc.Version, err)
	}
	human, _ := exec.CommandContext(ctx, h.Terraform, "version").Output() //nolint:gosec // G204: as above
	v.OpenTofu = strings.Contains(string(human), "OpenTofu")
	return v, nil
}
