package tpconfig

import (
	"fmt"
	"slices"

	"github.com/pelletier/go-toml/v2"
)

// TerraformFiles are the ignore patterns (rsync exclude syntax, as the
// engine reads `ignore`) of Terraform's own files: state holds secrets, and
// `.terraform/` holds provider binaries. They are never uploaded with a job,
// whatever the configuration says.
var TerraformFiles = []string{
	"*.tfstate",
	"*.tfstate.*",
	".terraform/",
	".terraform.lock.hcl",
	".terraform.tfstate.lock.info",
	"*.tfplan",
	"crash.log",
}

// WithIgnored returns the configuration text with patterns added to its
// `ignore` list (those not already there). Every other key is kept as the
// engine would read it; comments and layout are not, because the text is
// rewritten from its parsed value.
func WithIgnored(text string, patterns []string) (string, error) {
	cfg, err := Parse(text)
	if err != nil {
		return "", err
	}
	ignore := slices.Clone(cfg.Ignore)
	for _, p := range patterns {
		if !slices.Contains(ignore, p) {
			ignore = append(ignore, p)
		}
	}
	if len(ignore) == len(cfg.Ignore) {
		return text, nil
	}
	cfg.Raw["ignore"] = ignore
	out, err := toml.Marshal(cfg.Raw)
	if err != nil {
		return "", fmt.Errorf("rewriting the job configuration with Terraform's files ignored: %w", err)
	}
	return string(out), nil
}
