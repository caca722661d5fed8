# go-module-copy.sh: sourced by the scripts that build a CLI from its Go
# module (install-tofu.sh, install-terraform-module.sh), whose go.mod has
# replace directives, so that `go install module@version` is refused.
#
# go_module_copy MODULE VERSION DEST downloads MODULE@vVERSION through the Go
# module proxy into the module cache, copies it to DEST (writable), and
# refuses, with a clear message, a go directive newer than this toolchain
# rather than let GOTOOLCHAIN fetch another Go. Only the Go module proxy is
# used.
go_module_copy() {
	local module=$1 version=$2 dest=$3 scratch info dir status=0 need have
	scratch=$(dirname "$dest")
	# `go mod download -json` prints a JSON object whose "Dir" is the
	# module's (read-only) directory in the module cache.
	info=$(cd "$scratch" && GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" GOWORK=off go mod download -json "$module@v$version") || status=$?
	dir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
	if [ "$status" -ne 0 ] || [ -z "$dir" ] || [ ! -d "$dir" ]; then
		echo "could not download $module@v$version:" >&2
		printf '%s\n' "$info" >&2
		return 1
	fi
	cp -r "$dir" "$dest"
	chmod -R u+w "$dest"
	need=$(sed -n 's/^go \([0-9][0-9.]*\).*$/\1/p' "$dest/go.mod" | head -n 1)
	have=$(go env GOVERSION)
	have=${have#go}
	if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | tail -n 1)" != "$have" ]; then
		echo "$module $version needs Go $need, this toolchain is Go $have" >&2
		return 1
	fi
}
