#!/usr/bin/env bash
# install-terraform-module.sh DEST_BIN_DIR VERSION
#
# Builds a recent Terraform CLI (github.com/hashicorp/terraform, VERSION
# without the leading "v", e.g. 1.16.0) from the Go module proxy into
# DEST_BIN_DIR/terraform-VERSION, once: nothing happens when that file
# already exists. Terraform 1.5.7 comes from a plain `go install` (see the
# GNUmakefile); this script is for the versions that refuse it.
#
# Why the patch: since v1.6 Terraform's go.mod points nine remote-state
# backends (azurerm, consul, cos, gcs, kubernetes, oci, oss, pg, s3) at
# nested modules through replace directives, so `go install …@vX` is refused,
# and the module zip on the proxy does not contain those nested modules. The
# module is therefore copied to a writable directory and those nine backends
# are dropped from go.mod and internal/backend/init/init.go before building.
# Nothing else changes; the tests use no state backend but the local one.
# Only the Go module proxy is used: no release binary is downloaded.
set -euo pipefail

usage() {
	echo "usage: $0 DEST_BIN_DIR VERSION   (e.g. $0 .tools/bin 1.16.0)" >&2
	exit 2
}

[ "$#" -eq 2 ] || usage
dest=$1
version=${2#v}
[ -n "$version" ] || usage

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
target="$dest/terraform-$version"
if [ -x "$target" ]; then
	exit 0
fi

start=$SECONDS
echo "install-terraform-module.sh: building Terraform $version from the Go module proxy into $target (about 13 minutes on 2 cores, once)" >&2

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null || true; rm -rf "$tmp"' EXIT

export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
export GOWORK=off

# shellcheck source=scripts/go-module-copy.sh
. "$(dirname "$0")/go-module-copy.sh"
src=$tmp/terraform
go_module_copy github.com/hashicorp/terraform "$version" "$src"

# Terraform 1.11's go.mod sets `godebug tlskyber=0`, a setting Go 1.24
# removed (it has nothing left to turn off); newer toolchains refuse to load
# a go.mod that names it.
sed -i '/^godebug tlskyber=/d' "$src/go.mod"

# The nine backends whose nested modules are missing from the module zip.
dropped="azure consul cos gcs kubernetes oci oss pg s3"
init="$src/internal/backend/init/init.go"
for b in $dropped; do
	# go.mod: the require line and the replace directive of the nested module.
	sed -i "\#github.com/hashicorp/terraform/internal/backend/remote-state/$b[ =]#d" "$src/go.mod"
	# init.go: the import…
	sed -i "\#\"github.com/hashicorp/terraform/internal/backend/remote-state/$b\"#d" "$init"
done
# …and the map entries that use those imports.
for ident in backendAzure backendConsul backendCos backendGCS backendKubernetes backendOCI backendOSS backendPg backendS3; do
	sed -i "/[[:space:]]$ident\.New()/d" "$init"
done
if grep -q 'remote-state/\(azure\|consul\|cos\|gcs\|kubernetes\|oci\|oss\|pg\|s3\)' "$src/go.mod" "$init"; then
	echo "install-terraform-module.sh: the backend patch did not apply cleanly to Terraform $version" >&2
	exit 1
fi

(cd "$src" && GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X github.com/hashicorp/terraform/version.dev=no" \
	-o "$target.tmp" .)
mv "$target.tmp" "$target"
echo "install-terraform-module.sh: Terraform $version built in $((SECONDS - start))s: $target" >&2
