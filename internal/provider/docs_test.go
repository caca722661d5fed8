package provider

import (
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
