#!/usr/bin/env bash
# install-tool.sh DEST_BIN_DIR GO_PACKAGE@VERSION
#
# Installs a Go-based development tool into DEST_BIN_DIR from the Go module
# proxy, once: nothing happens when DEST_BIN_DIR already holds the binary.
# The binary name is the package path's last element, skipping a trailing
# major-version element (/v2, /v3, ...), as `go install` names it:
#   github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0 -> golangci-lint
#   github.com/goreleaser/goreleaser/v2@v2.15.1                    -> goreleaser
#
# `go install pkg@version` builds the tool in module mode from its own go.mod,
# ignoring this repository's go.mod; it also runs from a temporary directory
# with -mod=mod so that no vendor folder or workspace here can interfere.
set -euo pipefail

usage() {
	echo "usage: $0 DEST_BIN_DIR GO_PACKAGE@VERSION" >&2
	exit 2
}

[ "$#" -eq 2 ] || usage
dest=$1
spec=$2

case $spec in
*@?*) ;;
*)
	echo "install-tool.sh: '$spec' has no @version" >&2
	usage
	;;
esac

pkg=${spec%@*}
name=${pkg##*/}
# A trailing major-version element (v2, v10, ...) is not the command's name.
if [[ $name =~ ^v[0-9]+$ ]]; then
	rest=${pkg%/*}
	name=${rest##*/}
fi

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
bin=$dest/$name
if [ -x "$bin" ] || [ -x "$bin.exe" ]; then
	exit 0
fi

echo "install-tool.sh: installing $spec into $dest (from the Go module proxy, once)" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
start=$SECONDS
GOBIN=$dest GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" GOWORK=off go install "$spec"
echo "install-tool.sh: $name installed in $((SECONDS - start))s" >&2
