#!/usr/bin/env bash
# release-check.sh [TOOLS_BIN]
#
# Dry run of the release: installs goreleaser into TOOLS_BIN (default
# .tools/bin) once, checks .goreleaser.yml, builds a snapshot release into
# dist/ (no tag needed, no signing, nothing published, no network beyond the
# Go module proxy for `go mod tidy`) and verifies that dist/ holds every
# platform's zip, the SHA256SUMS file and, listed in it, the registry manifest.
set -euo pipefail

GORELEASER_VERSION=${GORELEASER_VERSION:-v2.15.1}

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tools_bin=${1:-$root/.tools/bin}

"$root/scripts/install-tool.sh" "$tools_bin" "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
goreleaser=$(cd "$tools_bin" && pwd)/goreleaser

start=$SECONDS

# Goreleaser's before hook runs `go mod tidy`, as a real release does; say so
# when that changed go.mod or go.sum, since the change belongs in a commit.
sum_before=$(cat go.mod go.sum | cksum)

"$goreleaser" check

# --snapshot: version from the latest tag or v0.0.0 plus the commit, so no
# tag is needed and a dirty tree is accepted; --skip=sign,publish: no GPG key
# and no upload.
"$goreleaser" release --snapshot --clean --skip=sign,publish

if [ "$(cat go.mod go.sum | cksum)" != "$sum_before" ]; then
	echo "release-check: note: goreleaser's 'go mod tidy' hook changed go.mod/go.sum; commit the result" >&2
fi

# The expected artifacts, from dist/metadata.json's project name and version.
meta() {
	if command -v jq >/dev/null; then
		jq -r ".$1" dist/metadata.json
	else
		sed -n "s/^{\"project_name\":.*\"$1\":\"\([^\"]*\)\".*/\1/p; s/^{\"$1\":\"\([^\"]*\)\".*/\1/p" dist/metadata.json | head -n 1
	fi
}
project=$(meta project_name)
version=$(meta version)

missing=0
expect() {
	if [ -s "$1" ]; then
		echo "  ok      $1"
	else
		echo "  MISSING $1" >&2
		missing=$((missing + 1))
	fi
}

echo "release-check: verifying dist/ for $project $version"
zips=0
for os in freebsd windows linux darwin; do
	for arch in amd64 386 arm arm64; do
		case $os/$arch in
		darwin/386 | darwin/arm | windows/arm) continue ;;
		esac
		zip=dist/${project}_${version}_${os}_${arch}.zip
		expect "$zip"
		zips=$((zips + 1))
		# The registry wants the binary named PROJECT_vVERSION[.exe].
		bin=${project}_v${version}
		[ "$os" = windows ] && bin=$bin.exe
		if [ -s "$zip" ] && command -v unzip >/dev/null && ! unzip -Z1 "$zip" | grep -qx "$bin"; then
			echo "  WRONG   $zip does not hold $bin" >&2
			missing=$((missing + 1))
		fi
	done
done

sums=dist/${project}_${version}_SHA256SUMS
manifest=${project}_${version}_manifest.json
expect "$sums"
if [ -s "$sums" ]; then
	# Every zip and the manifest must be listed with the right digest.
	want=$(sha256sum terraform-registry-manifest.json | cut -d' ' -f1)
	if grep -q "^$want  $manifest\$" "$sums"; then
		echo "  ok      $manifest (in SHA256SUMS)"
	else
		echo "  MISSING $manifest with digest $want in $sums" >&2
		missing=$((missing + 1))
	fi
	listed=$(grep -c '\.zip$' "$sums" || true)
	if [ "$listed" -ne "$zips" ]; then
		echo "  WRONG   $sums lists $listed zips, expected $zips" >&2
		missing=$((missing + 1))
	fi
	(cd dist && grep '\.zip$' "$(basename "$sums")" | sha256sum --quiet -c -) || {
		echo "  WRONG   a zip's digest does not match $sums" >&2
		missing=$((missing + 1))
	}
fi

if [ "$missing" -ne 0 ]; then
	echo "release-check: FAILED: $missing problem(s) in dist/" >&2
	exit 1
fi
echo "release-check: OK: $zips zips, SHA256SUMS and manifest in dist/ ($((SECONDS - start))s)"
