package provider

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// TestSecurityDocsListTheCommandEnvironment: the resource docs' Security
// section names exactly what engine-sent commands receive, so the list in the
// docs cannot drift from the list in the client.
func TestSecurityDocsListTheCommandEnvironment(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	text, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "templates", "resources", "job.md.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(text), "**With what.**")
	if !ok {
		t.Fatal("the resource template has no \"With what\" paragraph in its Security section")
	}
	section, _, _ = strings.Cut(section, "\n\n")
	allowed, withheld, _ := strings.Cut(section, "Everything else")
	allowed = strings.Join(strings.Fields(allowed), " ")
	for _, name := range client.CommandEnvironment() {
		if !strings.Contains(allowed, "`"+name+"`") {
			t.Errorf("the docs do not list %s, which commands receive", name)
		}
	}
	for _, name := range []string{"TENSORPOOL_KEY", "AWS_*", "TF_*"} {
		if !strings.Contains(withheld, "`"+name+"`") {
			t.Errorf("the docs do not say that %s is withheld", name)
		}
		if slices.Contains(client.CommandEnvironment(), name) {
			t.Errorf("the docs say %s is withheld, but commands receive it", name)
		}
	}
}

// TestReadmeSaysWhatCIRuns: the README's sentence about CI names the make
// targets .ci/run runs, in its order.
func TestReadmeSaysWhatCIRuns(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	script, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sentence, ok := strings.Cut(strings.Join(strings.Fields(string(readme)), " "), "CI (`.ci/run`, on a clean clone) runs")
	if !ok {
		t.Fatal("the README does not say what CI runs")
	}
	sentence, _, _ = strings.Cut(sentence, ". ")
	var inScript []string
	for _, line := range strings.Split(string(script), "\n") {
		if target, ok := strings.CutPrefix(strings.TrimSpace(line), "make "); ok {
			inScript = append(inScript, target)
		}
	}
	if len(inScript) < 2 || inScript[0] != "test" || inScript[1] != "demo" {
		t.Fatalf(".ci/run runs %v: the README says it runs make test, then make demo (\"both\")", inScript)
	}
	at := 0
	for _, target := range inScript[2:] {
		i := strings.Index(sentence[at:], "`make "+target+"`")
		if i < 0 {
			t.Errorf(".ci/run runs make %s, which the README's sentence about CI leaves out or names out of order: %q", target, sentence)
			continue
		}
		at += i
	}
	if n := strings.Count(sentence, "`make "); n != len(inScript)-1 { // "make test" is named, "make demo" is "both"
		t.Errorf("the README's sentence about CI names %d make targets, .ci/run runs %d: %q", n, len(inScript), sentence)
	}
}

// TestReadmeNamesTheTerraformVersionsMakeTestRuns: the README's two
// sentences about the tested CLIs (the supported range under "Tested, in CI"
// and the `make test` row) name exactly the Terraform versions whose
// acceptance runs the GNUmakefile's test target has, in its order.
func TestReadmeNamesTheTerraformVersionsMakeTestRuns(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	makefile, err := os.ReadFile(filepath.Join(root, "GNUmakefile"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	versions := map[string]string{} // TERRAFORM_MIDDLE_VERSION → 1.11.4
	var recipe []string
	inTest := false
	for _, line := range strings.Split(string(makefile), "\n") {
		if name, value, ok := strings.Cut(line, ":="); ok && strings.HasSuffix(strings.TrimSpace(name), "_VERSION") {
			versions[strings.TrimSpace(name)] = strings.TrimSpace(value)
		}
		switch {
		case strings.HasPrefix(line, "test:"):
			inTest = true
		case inTest && strings.HasPrefix(line, "\t"):
			recipe = append(recipe, line)
		default:
			inTest = false
		}
	}
	var tested []string
	for _, line := range recipe {
		_, cli, ok := strings.Cut(line, "$(call acc_env,$(")
		if !ok {
			continue
		}
		cli, _, _ = strings.Cut(cli, ")")
		version, ok := versions[cli+"_VERSION"]
		if !ok {
			t.Fatalf("make test runs the acceptance suite on $(%s), whose version the GNUmakefile does not set in %s_VERSION", cli, cli)
		}
		tested = append(tested, version)
	}
	if len(tested) < 2 {
		t.Fatalf("make test runs the acceptance suite on %v: want at least the oldest and the newest Terraform", tested)
	}
	want := strings.Join(tested[:len(tested)-1], ", ") + " and " + tested[len(tested)-1]
	text := strings.Join(strings.Fields(string(readme)), " ")
	for _, sentence := range []string{
		"Tested, in CI: the acceptance suite on Terraform " + want + " on every `make test`",
		"the acceptance and end-to-end suites against the real Terraform " + want + " | `make test` |",
	} {
		if !strings.Contains(text, sentence) {
			t.Errorf("the README does not say %q (make test runs the acceptance suite on Terraform %v)", sentence, tested)
		}
	}
}

// TestRunnableExamplesNameTheProvidersSource: an example folder a user runs
// as it is (it has its own provider block) declares the provider's source.
// Without it Terraform looks for hashicorp/tensorpool, which does not exist;
// the tests' CLI configuration overrides both addresses, so only this check
// sees it.
func TestRunnableExamplesNameTheProvidersSource(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	checked := 0
	err := filepath.WalkDir(filepath.Join(root, "examples"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".tf" {
			return err
		}
		text, err := os.ReadFile(path) //nolint:gosec // the repository's own files, walked by a test
		if err != nil {
			return err
		}
		if !strings.Contains(string(text), `provider "tensorpool" {`) {
			return nil
		}
		checked++
		if !strings.Contains(string(text), `source = "tensorpool/tensorpool"`) {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s has a provider block but no required_providers entry with source = \"tensorpool/tensorpool\"", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no example has a provider block: the check would prove nothing")
	}
}
