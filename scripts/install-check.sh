#!/usr/bin/env bash
# install-check.sh CLI...
#
# Installs the provider the way a registry user's `terraform init` does, on
# each Terraform or OpenTofu CLI given: goreleaser ($GORELEASER, default
# .tools/bin/goreleaser) packs this machine's release archive and
# SHA256SUMS, a loopback provider registry (TLS with a throwaway CA, SHA256SUMS
# signed with a throwaway key) serves them, and each CLI must install the
# provider with no dev_overrides, mirror or plugin cache, lock its h1:/zh:
# hashes, plan, apply and destroy a job against the engine simulator, and
# refuse a tampered zip and bad signatures. See internal/testing/installcheck.
set -euo pipefail

[ "$#" -ge 1 ] || {
	echo "usage: $0 CLI...   (e.g. $0 .tools/bin/terraform .tools/bin/tofu)" >&2
	exit 2
}
root=$(cd "$(dirname "$0")/.." && pwd)
goreleaser=${GORELEASER:-$root/.tools/bin/goreleaser}
clis=()
for cli in "$@"; do
	clis+=("$(cd "$(dirname "$cli")" && pwd)/$(basename "$cli")")
done
cd "$root"
go run ./internal/testing/installcheck/cmd/install-check -repo "$root" -goreleaser "$goreleaser" "${clis[@]}"
