//go:build generate

// Package tools pins the documentation generator and runs it: `make docs`
// (or `go generate -tags generate ./...` in tools/) rewrites docs/ from the
// schema descriptions, the templates in templates/ and the files in
// examples/. tools/ is a Go module of its own (see tools/go.mod), so the
// generator's dependencies stay out of the provider's go.mod.
package tools

import (
	_ "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"
)

// Format the examples, then generate the docs.
//go:generate terraform fmt -recursive ../examples/
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs generate --provider-dir .. --provider-name tensorpool
