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

# `go mod download -json` prints a JSON object whose "Dir" is the module's
# (read-only) directory in the module cache.
status=0
info=$(cd "$tmp" && go mod download -json "github.com/opentofu/opentofu@v$version") || status=$?
dir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
if [ "$status" -ne 0 ] || [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "install-tofu.sh: could not download github.com/opentofu/opentofu@v$version:" >&2
	printf '%s\n' "$info" >&2
	exit 1
fi

src=$tmp/opentofu
cp -r "$dir" "$src"
chmod -R u+w "$src"

# Refuse, with a clear message, a go directive newer than this toolchain
# rather than let GOTOOLCHAIN fetch another Go.
need=$(sed -n 's/^go \([0-9][0-9.]*\).*$/\1/p' "$src/go.mod" | head -n 1)
have=$(go env GOVERSION)
have=${have#go}
if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | tail -n 1)" != "$have" ]; then
	echo "install-tofu.sh: OpenTofu $version needs Go $need, this toolchain is Go $have" >&2
	exit 1
fi

# The flags of OpenTofu's own release build (its .goreleaser.yaml): without
# version.dev=no the binary calls itself "vX.Y.Z-dev".
(cd "$src" && GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
	-o "$dest/tofu.tmp" ./cmd/tofu)
mv "$dest/tofu.tmp" "$dest/tofu"
echo "install-tofu.sh: OpenTofu $version built in $((SECONDS - start))s: $dest/tofu" >&2
