#!/usr/bin/env bash
# install-tofu.sh DEST_BIN_DIR VERSION
#
# Builds the OpenTofu CLI (github.com/opentofu/opentofu, VERSION without the
# leading "v", e.g. 1.8.8) from the Go module proxy into DEST_BIN_DIR/tofu,
# once: nothing happens when DEST_BIN_DIR/tofu already exists.
#
# `go install github.com/opentofu/opentofu/cmd/tofu@vX` is refused because
# OpenTofu's go.mod has replace directives, so instead the module is
# downloaded into the module cache, copied to a writable temporary directory
# and built there with its own go.mod (this repository's go.mod plays no
# part). Only the Go module proxy is used: no release binary is downloaded.
set -euo pipefail

usage() {
	echo "usage: $0 DEST_BIN_DIR VERSION   (e.g. $0 .tools/bin 1.8.8)" >&2
	exit 2
}

[ "$#" -eq 2 ] || usage
dest=$1
version=${2#v}
[ -n "$version" ] || usage

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
if [ -x "$dest/tofu" ]; then
	exit 0
fi

start=$SECONDS
echo "install-tofu.sh: building OpenTofu $version from the Go module proxy into $dest (several minutes, once)" >&2

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null || true; rm -rf "$tmp"' EXIT

export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
export GOWORK=off

# shellcheck source=scripts/go-module-copy.sh
. "$(dirname "$0")/go-module-copy.sh"
src=$tmp/opentofu
go_module_copy github.com/opentofu/opentofu "$version" "$src"

# The flags of OpenTofu's own release build (its .goreleaser.yaml): without
# version.dev=no the binary calls itself "vX.Y.Z-dev".
(cd "$src" && GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
	-o "$dest/tofu.tmp" ./cmd/tofu)
mv "$dest/tofu.tmp" "$dest/tofu"
echo "install-tofu.sh: OpenTofu $version built in $((SECONDS - start))s: $dest/tofu" >&2
