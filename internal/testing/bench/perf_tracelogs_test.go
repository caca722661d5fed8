package bench

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
)

// providerLogLine matches a provider line in Terraform's log file, e.g.
// `… [TRACE] provider.terraform-provider-tensorpool: Received request: @caller=… @module=sdk.proto …`:
// the level and the message, which ends before the first ": key=". Terraform
// writes the fields in a random order (it copies them out of a map), so the
// module is looked for on its own.
var (
	providerLogLine = regexp.MustCompile(`\[(TRACE|DEBUG|INFO|WARN|ERROR)\] provider\.terraform-provider-tensorpool: (.*?): [\w@.]+=`)
	logModule       = regexp.MustCompile(` @module=(\S+)`)
)

// providerLogKinds is the set of "LEVEL module: message" of the provider's
// lines in a Terraform log, each counted once, sorted.
func providerLogKinds(log string) []string {
	var kinds []string
	for _, line := range strings.Split(log, "\n") {
		m := providerLogLine.FindStringSubmatch(line)
		mod := logModule.FindStringSubmatch(line)
		if m == nil || mod == nil {
			continue
		}
		k := m[1] + " " + mod[1] + ": " + m[2]
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)
	return kinds
}

func TestProviderLogKinds(t *testing.T) {
	log := `2026-11-28T17:00:00.000Z [TRACE] provider.terraform-provider-tensorpool: Received request: @caller=/x/server.go:1 @module=sdk.proto tf_rpc=ReadResource
2026-11-28T17:00:00.001Z [DEBUG] provider.terraform-provider-tensorpool: TensorPool engine request: path=/job/info/j-1 @module=tensorpool @caller=/x/log.go:2
2026-11-28T17:00:00.002Z [TRACE] provider.terraform-provider-tensorpool: Received request: tf_rpc=PlanResourceChange @caller=/x/server.go:1 @module=sdk.proto
2026-11-28T17:00:00.002Z [TRACE] provider.terraform-provider-tensorpool: setting attribute x to default value: "show": @module=sdk.framework tf_rpc=PlanResourceChange
2026-11-28T17:00:00.003Z [INFO]  backend/local: some core line
`
	want := []string{"DEBUG tensorpool: TensorPool engine request", `TRACE sdk.framework: setting attribute x to default value: "show"`, "TRACE sdk.proto: Received request"}
	if got := providerLogKinds(log); !slices.Equal(got, want) {
		t.Errorf("providerLogKinds = %q, want %q", got, want)
	}
}

// TestLogLinesAtTheRequestedLevelAreAllThere: with TF_LOG=TRACE the
// provider's lines of every logger (protocol, framework, the provider's own)
// are in Terraform's log file, as before the provider matched the SDK's
// levels to Terraform's; with TF_LOG_PROVIDER=DEBUG its own DEBUG lines are
// there and no TRACE line is.
func TestLogLinesAtTheRequestedLevelAreAllThere(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Terraform")
	}
	tf, err := tfharness.FindTerraform()
	if err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root := t.TempDir()
	h, err := tfharness.New(ctx, tf, root)
	if err != nil {
		t.Fatal(err)
	}
	env, err := serveSim(simOptionsForTest())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	src := filepath.Join(root, "src")
	if err := os.MkdirAll(src, 0o700); err != nil {
		t.Fatal(err)
	}
	w, err := h.Workspace("logs", JobsConfig(10, "c-1", src))
	if err != nil {
		t.Fatal(err)
	}
	engineEnv := []string{"TENSORPOOL_KEY=k", "TENSORPOOL_ENGINE=" + env.url}
	w.Env = engineEnv
	if _, err := w.MustSucceed(ctx, "apply", "-auto-approve"); err != nil {
		t.Fatal(err)
	}
	// kinds are the provider's kinds of line over two plans at a level.
	kinds := func(name string, level ...string) []string {
		var all []string
		for _, run := range []string{"a", "b"} {
			path := filepath.Join(root, name+"-"+run+".log") // Terraform appends to TF_LOG_PATH
			w.Env = append(slices.Concat(engineEnv, level), "TF_LOG_PATH="+path)
			if _, err := w.MustSucceed(ctx, "plan"); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path) //nolint:gosec // G304: the test's own log file.
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range providerLogKinds(string(data)) {
				if !slices.Contains(all, k) {
					all = append(all, k)
				}
			}
		}
		return all
	}
	const engineRequest = "DEBUG tensorpool: TensorPool engine request"
	for _, c := range []struct {
		name  string
		level []string
		want  []string
	}{
		{"trace", []string{"TF_LOG=TRACE"}, []string{"TRACE sdk.proto: Received request", "TRACE sdk.framework: Called provider defined Resource Read", engineRequest}},
		{"debug", []string{"TF_LOG=TRACE", "TF_LOG_PROVIDER=DEBUG"}, []string{engineRequest}},
	} {
		now := kinds(c.name, c.level...)
		// The provider's old default: every logger at TRACE, whatever
		// Terraform asked for.
		before := kinds(c.name+"-before", append(slices.Clone(c.level), sdkTraceEnv...)...)
		for _, k := range slices.Concat(c.want, before) {
			if !slices.Contains(now, k) {
				t.Errorf("%v: no %q line any more", c.level, k)
			}
		}
		hasTrace := slices.ContainsFunc(now, func(k string) bool { return strings.HasPrefix(k, "TRACE ") })
		if wantTrace := c.name == "trace"; hasTrace != wantTrace {
			t.Errorf("%v: trace lines present = %v, want %v", c.level, hasTrace, wantTrace)
		}
	}
}
